/** `rollcall approve RUN_ID`: apply the deactivations a held run is waiting for. */
import { ValidationError } from '../errors.js';
import { approveRun } from '../sync/runner.js';
import type { CommandContext } from './context.js';
import { EXIT, type ExitCode } from './exit-codes.js';
import { withDatabase } from './with-database.js';

export async function approveCommand(ctx: CommandContext, _values: Record<string, unknown>, positionals: string[]): Promise<ExitCode> {
  const id = Number(positionals[0]);
  if (positionals.length !== 1 || !Number.isInteger(id) || id <= 0) throw new ValidationError('usage: rollcall approve RUN_ID');
  const r = await withDatabase(ctx.config, (db) => approveRun({ db, log: ctx.log, domains: ctx.config.district.domains }, id, 'cli'));
  ctx.io.out(`run ${id} approved: ${r.deactivated} record(s) deactivated`);
  return EXIT.ok;
}
