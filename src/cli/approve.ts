/** `rollcall approve RUN_ID`: apply the deactivations a held run is waiting for. */
import { ValidationError } from '../errors.js';
import { reconcile } from '../reconcile/engine.js';
import { approveRun } from '../sync/runner.js';
import { formatSummary } from './reconcile.js';
import type { CommandContext } from './context.js';
import { EXIT, type ExitCode } from './exit-codes.js';
import { withDatabase } from './with-database.js';

export async function approveCommand(ctx: CommandContext, _values: Record<string, unknown>, positionals: string[]): Promise<ExitCode> {
  const id = Number(positionals[0]);
  if (positionals.length !== 1 || !Number.isInteger(id) || id <= 0) throw new ValidationError('usage: rollcall approve RUN_ID');
  await withDatabase(ctx.config, async (db) => {
    const r = await approveRun({ db, log: ctx.log, domains: ctx.config.district.domains }, id, 'cli');
    ctx.io.out(`run ${id} approved: ${r.deactivated} record(s) deactivated`);
    // Deactivations change who is withdrawn: the discrepancy list follows, as after a sync.
    ctx.io.out(formatSummary(await reconcile(db, ctx.config, { log: ctx.log })));
  });
  return EXIT.ok;
}
