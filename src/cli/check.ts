/** `rollcall check`: the config is valid (already, by loading it) and each source can be reached. */
import { createConnectorCtx } from '../sync/connector-ctx.js';
import type { CommandContext } from './context.js';
import { EXIT, type ExitCode } from './exit-codes.js';

export async function checkCommand(ctx: CommandContext): Promise<ExitCode> {
  const { config, io } = ctx;
  io.out(`config ${config.file}: ok (${config.sources.length} source(s), ${config.helpdesks.length} helpdesk(s))`);
  let failed = 0;
  for (const source of config.sources) {
    const cctx = createConnectorCtx(source, ctx.log, AbortSignal.timeout(60_000));
    try {
      const r = await source.connector.check(cctx);
      if (!r.ok) failed++;
      io.out(`source ${source.id} (${source.kind}): ${r.ok ? 'ok' : 'FAILED'}: ${r.message}`);
    } catch (e) {
      failed++;
      io.out(`source ${source.id} (${source.kind}): FAILED: ${(e as Error).message}`);
    }
  }
  return failed > 0 ? EXIT.failure : EXIT.ok;
}
