/** `rollcall serve`: run until SIGTERM/SIGINT, then shut down gracefully within server.shutdownTimeoutMs. */
import { startService } from '../service.js';
import { reconcile } from '../reconcile/engine.js';
import { startScheduler } from '../sync/scheduler.js';
import type { CommandContext } from './context.js';
import { EXIT, type ExitCode } from './exit-codes.js';

export async function serveCommand(ctx: CommandContext): Promise<ExitCode> {
  const { config, log } = ctx;
  const service = await startService(config, log, {
    start: async (db, signal) => startScheduler(db, config, log, signal, {
      afterRun: async () => {
        const s = await reconcile(db, config, { log });
        log.info({ opened: s.opened + s.recurred + s.reopened, resolved: s.resolved, open: s.stillOpen, durationMs: s.durationMs }, 'reconciled');
      },
    }),
  });
  return new Promise<ExitCode>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      const bound = setTimeout(() => {
        log.error({ timeoutMs: config.server.shutdownTimeoutMs }, 'shutdown took too long; exiting anyway');
        resolve(EXIT.failure);
      }, config.server.shutdownTimeoutMs);
      bound.unref();
      service.stop(signal).then(
        () => {
          clearTimeout(bound);
          resolve(EXIT.ok);
        },
        (e: unknown) => {
          clearTimeout(bound);
          log.error({ err: e }, 'error during shutdown');
          resolve(EXIT.failure);
        },
      );
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}
