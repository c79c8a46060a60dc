/**
 * Last resort for errors nothing awaited. A lost database connection (the server restarted, a backend was
 * terminated) must not take the daemon down: the run that hit it is already recorded failed or will be retried on
 * schedule, and /readyz reports the outage. Anything else is a bug with unknown state, so the process exits and
 * the supervisor restarts it. Logged with code and message only: a driver error can carry the statement and its
 * parameters (names, emails), which must not reach the log.
 */
import { isConnectionLoss } from './db/connection-loss.js';
import { createLogger } from './log.js';

export function installProcessGuard(): void {
  const log = createLogger({ level: 'info', destination: process.stderr });
  const handle = (kind: 'unhandledRejection' | 'uncaughtException') => (e: unknown) => {
    const err = { code: (e as { code?: unknown } | undefined)?.code, message: e instanceof Error ? e.message : String(e) };
    if (isConnectionLoss(e)) {
      log.error({ kind, err }, 'database connection lost outside any request or run; continuing');
      return;
    }
    log.fatal({ kind, err, stack: e instanceof Error ? e.stack : undefined }, 'unexpected error; exiting');
    process.exitCode = 1;
    process.stderr.write('', () => process.exit(1));
  };
  process.on('unhandledRejection', handle('unhandledRejection'));
  process.on('uncaughtException', handle('uncaughtException'));
}
