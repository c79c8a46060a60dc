/**
 * The long-running daemon: database (migrated), admin API, scheduler. `stop()` is the graceful path used on
 * SIGTERM: stop accepting, let in-flight requests and runs finish, close the database — within a bound.
 */
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import type { Logger } from 'pino';
import { createApp } from './api/app.js';
import { createMetrics } from './api/metrics.js';
import type { Config } from './config/index.js';
import { openDatabase, type Database } from './db/client.js';
import { migrate } from './db/migrate.js';
import { version } from './version.js';

export interface Service {
  port: number;
  db: Database;
  stop(reason: string): Promise<void>;
}

export interface ServiceHooks {
  /** Started after the API listens (the scheduler); stopped first on shutdown. */
  start?(db: Database, signal: AbortSignal): Promise<{ stop(): Promise<void> }>;
}

export async function startService(config: Config, log: Logger, hooks: ServiceHooks = {}): Promise<Service> {
  const db = await openDatabase({ url: config.database.url, dataDir: config.database.dataDir, poolSize: config.database.poolSize, lock: true });
  try {
    const m = await migrate(db);
    log.info({ engine: db.kind, applied: m.applied }, 'database ready');
  } catch (e) {
    await db.close();
    throw e;
  }
  const metrics = createMetrics();
  const app = createApp({ config, db, log, metrics, version });
  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, port: config.server.port, hostname: config.server.host }, () => resolve(s));
  });
  const port = (server.address() as AddressInfo).port;
  log.info({ port, host: config.server.host, version }, 'rollcall listening');

  const abort = new AbortController();
  const worker = hooks.start ? await hooks.start(db, abort.signal) : undefined;

  let stopping: Promise<void> | undefined;
  async function stop(reason: string): Promise<void> {
    stopping ??= (async () => {
      log.info({ reason }, 'shutting down');
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      if ('closeIdleConnections' in server) server.closeIdleConnections();
      abort.abort(new Error(`shutdown: ${reason}`));
      await worker?.stop();
      await closed;
      await db.close();
      log.info('stopped');
    })();
    return stopping;
  }
  return { port, db, stop };
}
