/**
 * The JSON API under /api/v1 (DESIGN §11). Every route is declared with zod request and response schemas; the
 * OpenAPI document at /openapi.json is generated from these declarations, so it lists exactly what answers.
 */
import { authenticate } from '../auth/middleware.js';
import { v1Router, type V1Deps } from './context.js';
import { deviceRoutes } from './devices.js';
import { peopleRoutes } from './people.js';
import { assignmentRoutes } from './assignments.js';
import { discrepancyRoutes } from './discrepancies.js';
import { runRoutes } from './runs.js';

export function v1Routes(deps: V1Deps) {
  const r = v1Router();
  r.use('*', authenticate(deps.tokens, deps.config.demo));
  r.route('/', deviceRoutes(deps));
  r.route('/', peopleRoutes(deps));
  r.route('/', assignmentRoutes(deps));
  r.route('/', discrepancyRoutes(deps));
  r.route('/', runRoutes(deps));
  return r;
}
