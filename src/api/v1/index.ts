/**
 * The JSON API under /api/v1 (DESIGN §11). Every route is declared with zod request and response schemas; the
 * OpenAPI document at /openapi.json is generated from these declarations, so it lists exactly what answers.
 */
import { bodyLimit } from 'hono/body-limit';
import { authenticate } from '../auth/middleware.js';
import { errorResponse } from '../error-shape.js';
import { createRateLimiter, rateLimit } from '../rate-limit.js';
import { v1Router, type V1Deps } from './context.js';
import { deviceRoutes } from './devices.js';
import { peopleRoutes } from './people.js';
import { assignmentRoutes } from './assignments.js';
import { discrepancyRoutes } from './discrepancies.js';
import { runRoutes } from './runs.js';
import { reportRoutes } from './reports.js';
import { deliveryRoutes } from './deliveries.js';
import { inboundRoutes } from './inbound.js';

export function v1Routes(deps: V1Deps) {
  const r = v1Router();
  const { rateLimit: limit, maxBodyBytes } = deps.config.api;
  // Before the bearer middleware: a help desk proves itself with its own secret or signature (inbound.ts), and
  // this route answers without calling next(), so the token check and the per-token rate limit never run for it.
  r.route('/', inboundRoutes(deps));
  r.use('*', authenticate(deps.tokens, deps.config.demo, deps.failedAuth));
  r.use('*', rateLimit(createRateLimiter(limit.requestsPerMinute, deps.clock), limit.requestsPerMinute));
  // Checked against Content-Length first and while streaming, so an oversized body is refused unread.
  r.use('*', bodyLimit({
    maxSize: maxBodyBytes,
    onError: (c) => errorResponse(c, 413, 'payload_too_large', `the request body is larger than ${maxBodyBytes} bytes`),
  }));
  r.route('/', deviceRoutes(deps));
  r.route('/', peopleRoutes(deps));
  r.route('/', assignmentRoutes(deps));
  r.route('/', discrepancyRoutes(deps));
  r.route('/', runRoutes(deps));
  r.route('/', reportRoutes(deps));
  r.route('/', deliveryRoutes(deps));
  return r;
}
