import { Hono } from 'hono';
import { migrationStatus } from '../../db/migrate.js';
import type { AppDeps, AppEnv } from '../app.js';

export function healthRoutes(deps: AppDeps) {
  const r = new Hono<AppEnv>();
  /** Liveness: the process answers. Never touches the database, so a slow database doesn't get us killed. */
  r.get('/healthz', (c) => c.json({ status: 'ok', version: deps.version }));
  /** Readiness: the database answers and this build's migrations are applied. */
  r.get('/readyz', async (c) => {
    try {
      const m = await migrationStatus(deps.db);
      if (!m.ready) return c.json({ status: 'not_ready', database: 'ok', migrations: m }, 503);
      return c.json({ status: 'ready', database: 'ok', migrations: m });
    } catch (e) {
      deps.log.warn({ err: e }, 'readiness check failed');
      return c.json({ status: 'not_ready', database: 'unreachable' }, 503);
    }
  });
  r.get('/metrics', async (c) => {
    c.header('content-type', deps.metrics.registry.contentType);
    return c.body(await deps.metrics.registry.metrics());
  });
  return r;
}
