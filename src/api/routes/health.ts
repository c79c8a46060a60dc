import { Hono } from 'hono';
import { migrationStatus } from '../../db/migrate.js';
import type { AppDeps, AppEnv } from '../app.js';

/**
 * The readiness probe's bound on the database. A healthy probe takes a few ms; postgres.js would otherwise wait
 * its 30 s connect timeout on an unreachable host, longer than an orchestrator's probe timeout (1 s by default in
 * Kubernetes), so the answer would be a timeout instead of a 503.
 */
export const READY_TIMEOUT_MS = 1000;

function within<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`database did not answer within ${ms} ms`)), ms);
  });
  p.catch(() => {}); // a probe that loses the race may still fail later; that is not an unhandled rejection
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

export function healthRoutes(deps: AppDeps) {
  const r = new Hono<AppEnv>();
  /** Liveness: the process answers. Never touches the database, so a slow database doesn't get us killed. */
  r.get('/healthz', (c) => c.json({ status: 'ok', version: deps.version }));
  /** Readiness: the database answers and this build's migrations are applied. */
  let seenReady = deps.migrated === true;
  r.get('/readyz', async (c) => {
    try {
      const m = await within(migrationStatus(deps.db), READY_TIMEOUT_MS);
      if (!m.ready) return c.json({ status: 'not_ready', database: 'ok', migrations: m }, 503);
      seenReady = true;
      return c.json({ status: 'ready', database: 'ok', migrations: m });
    } catch (e) {
      // The embedded database lives in this process and answers one query at a time: a probe that waits behind a
      // sync's transaction means busy, not gone (seen on the demo's first start under load: 503 for a healthy daemon).
      if (deps.db.kind === 'pglite' && seenReady && /did not answer within/.test((e as Error).message)) {
        return c.json({ status: 'ready', database: 'busy' });
      }
      // Code and message only: a driver error can carry the statement's parameters.
      deps.log.warn({ err: { code: (e as { code?: unknown }).code, message: (e as Error).message } }, 'readiness check failed');
      return c.json({ status: 'not_ready', database: 'unreachable' }, 503);
    }
  });
  r.get('/metrics', async (c) => {
    c.header('content-type', deps.metrics.registry.contentType);
    return c.body(await deps.metrics.registry.metrics());
  });
  return r;
}
