/**
 * `rollcall deliver --once`: fan out new outbox events and deliver everything due now, then exit (cron-style use,
 * and a way to see delivery work without `serve`). Exit 0 even when attempts failed: they are scheduled for
 * retry or dead, and `rollcall deliveries list` shows them.
 */
import { createDeliveryWorker } from '../delivery/worker.js';
import { ValidationError } from '../errors.js';
import type { CommandContext } from './context.js';
import { EXIT, type ExitCode } from './exit-codes.js';
import { withDatabase } from './with-database.js';

export const deliverOptions = { once: { type: 'boolean' } } as const;

export async function deliverCommand(ctx: CommandContext, values: Record<string, unknown>): Promise<ExitCode> {
  if (!values.once) throw new ValidationError('rollcall deliver needs --once (the continuous worker runs inside `rollcall serve`)');
  const { config, log } = ctx;
  if (config.webhooks.endpoints.length === 0 && config.helpdesks.length === 0) {
    ctx.io.out('No webhook endpoints or help desks are configured; nothing to deliver.');
    return EXIT.ok;
  }
  const r = await withDatabase(config, async (db) => {
    const worker = createDeliveryWorker({ db, config, log });
    try {
      return await worker.deliverDue();
    } finally {
      worker.close();
    }
  });
  ctx.io.out(`attempted ${r.claimed}: delivered ${r.delivered}, to retry ${r.retried}, dead ${r.dead}`);
  return EXIT.ok;
}
