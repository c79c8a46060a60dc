/**
 * The long-running daemon: database (migrated), admin API, scheduler. `stop()` is the graceful path used on
 * SIGTERM: stop accepting, let in-flight requests and runs finish, close the database — within a bound.
 */
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import type { Logger } from 'pino';
import { createApp } from './api/app.js';
import { buildTokenRegistry, makeDemoToken } from './api/auth/tokens.js';
import { createMetrics } from './api/metrics.js';
import type { Config } from './config/index.js';
import { databaseOptions, openDatabase, type Database } from './db/client.js';
import { migrate } from './db/migrate.js';
import { AppError } from './errors.js';
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
  const db = await openDatabase(databaseOptions(config.database));
  try {
    const m = await migrate(db);
    log.info({ engine: db.kind, applied: m.applied }, 'database ready');
  } catch (e) {
    await db.close();
    throw e;
  }
  const metrics = createMetrics(db);
  // The demo with no token of its own gets a one-off admin token, shown once on the terminal (not in the log).
  const demoToken = config.demo && config.api.tokens.length === 0 ? makeDemoToken() : null;
  const tokens = buildTokenRegistry(config, demoToken ? [demoToken] : []);
  const abort = new AbortController();
  const app = createApp({ config, db, log, metrics, version, migrated: true, tokens, signal: abort.signal });
  let server: ServerType;
  try {
    server = await listen(app.fetch, config.server.port, config.server.host);
  } catch (e) {
    await db.close();
    throw e;
  }
  const port = (server.address() as AddressInfo).port;
  log.info({ port, host: config.server.host, version }, 'rollcall listening');
  if (demoToken) {
    process.stdout.write(`\nDemo: open http://localhost:${port}/ and sign in with this one-off admin token:\n  ${demoToken.token}\n\n`);
  }

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

/**
 * Listens, or fails with one line: without the error handler a busy port is an unhandled 'error' event, which
 * kills the process with a stack trace and leaves the database open.
 */
function listen(fetch: Parameters<typeof serve>[0]['fetch'], port: number, host: string): Promise<ServerType> {
  return new Promise((resolve, reject) => {
    const s = serve({ fetch, port, hostname: host }, () => {
      s.off('error', onError);
      resolve(s);
    });
    const onError = (e: NodeJS.ErrnoException) => {
      s.close();
      if (e.code === 'EADDRINUSE') {
        reject(new AppError('port_in_use', `port ${port} on ${host} is already in use; set server.port or PORT`, { cause: e, context: { port, host } }));
      } else if (e.code === 'EACCES') {
        reject(new AppError('port_in_use', `not allowed to listen on port ${port} on ${host} (EACCES); use a port above 1023 or set server.port or PORT`, { cause: e, context: { port, host } }));
      } else {
        reject(e);
      }
    };
    s.once('error', onError);
  });
}
