/** `rollcall serve`: run until SIGTERM/SIGINT, then shut down gracefully within server.shutdownTimeoutMs. */
import { startDeliveryWorker } from '../delivery/worker.js';
import { startService } from '../service.js';
import { sweepInterrupted } from '../sync/interrupted.js';
import { startScheduler } from '../sync/scheduler.js';
import type { CommandContext } from './context.js';
import { EXIT, type ExitCode } from './exit-codes.js';

export async function serveCommand(ctx: CommandContext): Promise<ExitCode> {
  const { config, log } = ctx;
  const service = await startService(config, log, {
    start: async (db, signal) => {
      await sweepInterrupted(db, log);
      const scheduler = await startScheduler(db, config, log, signal);
      const delivery = startDeliveryWorker({ db, config, log: log.child({ component: 'delivery' }) }, signal);
      return { stop: async () => { await Promise.all([scheduler.stop(), delivery.stop()]); } };
    },
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
