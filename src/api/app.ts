/**
 * The Hono app: request ids, metrics, one error shape, and the routes. Built from its dependencies so tests
 * can mount it without a socket.
 */
import { randomUUID } from 'node:crypto';
import { OpenAPIHono } from '@hono/zod-openapi';
import { routePath } from 'hono/route';
import type { Logger } from 'pino';
import type { Config } from '../config/index.js';
import type { Database } from '../db/client.js';
import { errorResponse, handleError } from './error-shape.js';
import type { TokenRegistry } from './auth/tokens.js';
import type { Metrics } from './metrics.js';
import { healthRoutes } from './routes/health.js';
import { mountOpenapi } from './openapi.js';
import { v1Routes } from './v1/index.js';
import type { TokenIdentity } from './auth/tokens.js';
import { createFailedAuthGuard, type FailedAuthGuard } from './auth/failed-auth.js';
import { webRoutes } from '../web/routes.js';

export interface AppDeps {
  config: Config;
  db: Database;
  log: Logger;
  metrics: Metrics;
  version: string;
  /** This process applied the migrations at start (serve): known ready without asking a busy embedded database. */
  migrated?: boolean;
  /** Who may use the API and pages (src/api/auth/tokens.ts). */
  tokens: TokenRegistry;
  /** Aborted on shutdown: syncs the API started stop between batches (and roll back). */
  signal?: AbortSignal;
  /** The clock, for tests. */
  now?: () => Date;
  /** Milliseconds since the epoch, for the rate limiter (tests). */
  clock?: () => number;
  /** Unknown-token allowance per client address, shared by the API and the sign-in form (createApp makes it). */
  failedAuth?: FailedAuthGuard;
}

export type AppEnv = { Variables: { requestId: string; identity: TokenIdentity } };

export function createApp(given: AppDeps) {
  const deps: AppDeps = {
    ...given,
    failedAuth: given.failedAuth ?? createFailedAuthGuard(given.config.api.rateLimit.failedAuthPerMinute, given.clock),
  };
  const app = new OpenAPIHono<AppEnv>();

  app.use('*', async (c, next) => {
    const incoming = c.req.header('x-request-id');
    const requestId = incoming && /^[\w.-]{1,128}$/.test(incoming) ? incoming : randomUUID();
    c.set('requestId', requestId);
    const end = deps.metrics.httpDuration.startTimer();
    await next();
    c.header('x-request-id', requestId);
    // Label by route pattern, not URL, so serials and ids don't explode the metric's cardinality.
    end({ method: c.req.method, route: routePath(c), status: String(c.res.status) });
  });

  app.route('/', healthRoutes(deps));
  app.route('/api/v1', v1Routes(deps));
  mountOpenapi(app, deps.version);
  // The admin pages (src/web): server-rendered HTML on the same tokens and scopes as the API.
  app.route('/', webRoutes(deps));

  app.notFound((c) => errorResponse(c, 404, 'not_found', `no route for ${c.req.method} ${c.req.path}`));
  app.onError(handleError(deps.log));
  return app;
}
