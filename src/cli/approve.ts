/** `rollcall approve RUN_ID`: re-read a held run's source and apply exactly what was held (ADR 0004). */
import { ValidationError } from '../errors.js';
import { approveHeldRun } from '../sync/pipeline.js';
import { formatSummary } from './reconcile.js';
import type { CommandContext } from './context.js';
import { EXIT, type ExitCode } from './exit-codes.js';
import { formatRun } from './sync.js';
import { withDatabase } from './with-database.js';

export async function approveCommand(ctx: CommandContext, _values: Record<string, unknown>, positionals: string[]): Promise<ExitCode> {
  const id = Number(positionals[0]);
  if (positionals.length !== 1 || !Number.isInteger(id) || id <= 0) throw new ValidationError('usage: rollcall approve RUN_ID');
  return withDatabase(ctx.config, async (db) => {
    const out = await approveHeldRun({ db, config: ctx.config, log: ctx.log }, id, 'cli');
    ctx.io.out(formatRun(out.approved));
    if (out.approved.status !== 'succeeded') {
      ctx.io.err(`run ${id} was not approved: ${out.approved.error ?? out.approved.skipped ?? out.approved.status}`);
      return EXIT.failure;
    }
    if (out.reconcile) ctx.io.out(formatSummary(out.reconcile));
    return EXIT.ok;
  });
}
