/** `rollcall sync [--source ID] [--mode full|delta] [--dry-run] [--force]`: run sources now, print what changed. */
import type { Stream } from '../../connectors/types.js';
import { isAppError, ValidationError } from '../errors.js';
import type { StreamStats } from '../ledger/writer.js';
import { runPipeline } from '../sync/pipeline.js';
import { assertModeSupported, type RunResult } from '../sync/runner.js';
import { formatSummary } from './reconcile.js';
import type { CommandContext } from './context.js';
import { EXIT, type ExitCode } from './exit-codes.js';
import { renderTable } from './table.js';
import { withDatabase } from './with-database.js';

export const syncOptions = {
  source: { type: 'string' },
  mode: { type: 'string' },
  'dry-run': { type: 'boolean' },
  force: { type: 'boolean' },
} as const;

const COLUMNS: (keyof StreamStats)[] = ['read', 'created', 'updated', 'unchanged', 'deactivated', 'reactivated', 'rejected', 'kept', 'warnings', 'held'];

export function formatRun(r: RunResult): string {
  const title = `source ${r.sourceId}, ${r.mode} run${r.runId ? ` #${r.runId}` : ''}: ${r.status === 'dry-run' ? 'dry run (nothing written)' : r.status} in ${(r.durationMs / 1000).toFixed(1)} s`;
  if (r.status === 'skipped') return `${title}\n  ${r.skipped}`;
  if (!r.result) return `${title}\n  error: ${r.error}`;
  const body = (Object.entries(r.result.streams) as [Stream, StreamStats][]).map(([s, st]) => [s, ...COLUMNS.map((c) => st[c])]);
  const lines = [title, renderTable(['stream', ...COLUMNS], body)];
  const d = r.result.devices;
  if (r.result.streams.devices) lines.push(`devices: ${d.created} new, ${d.updated} updated, ${d.reactivated} reactivated, ${d.deactivated} deactivated`);
  lines.push(`assignments: ${r.result.assignments.started} started, ${r.result.assignments.ended} ended`);
  const kept = Object.values(r.result.streams).reduce((n, st) => n + st.rejected + st.kept + st.warnings, 0);
  if (kept > 0 && r.runId) lines.push(`${kept} record(s) or field(s) could not be used: rollcall quarantine --run ${r.runId}`);
  if (r.approves) lines.push(`APPROVED run #${r.approves}: the source read the same as when it was held, and exactly what was held was applied.`);
  if (r.result.held && r.status === 'dry-run') lines.push(`WOULD BE HELD: ${r.result.heldReason}.`);
  else if (r.result.held) lines.push(`HELD: ${r.result.heldReason}. Nothing was changed. Review, then apply exactly this with: rollcall approve ${r.runId} (or sync again with --force).`);
  return lines.join('\n');
}

export async function syncCommand(ctx: CommandContext, values: Record<string, unknown>): Promise<ExitCode> {
  const { config, io, log } = ctx;
  const mode = (values.mode as string | undefined) ?? 'full';
  if (mode !== 'full' && mode !== 'delta') throw new ValidationError(`--mode must be full or delta, not "${mode}"`);
  const wanted = values.source as string | undefined;
  const sources = wanted ? config.sources.filter((s) => s.id === wanted) : config.sources.filter((s) => s.enabled);
  if (wanted && sources.length === 0) {
    io.err(`no source "${wanted}"; configured: ${config.sources.map((s) => s.id).join(', ') || '(none)'}`);
    return EXIT.usage;
  }
  try {
    for (const s of sources) assertModeSupported(s, mode);
  } catch (e) {
    if (isAppError(e) && e.code === 'delta_unsupported') {
      io.err(e.message);
      return EXIT.usage;
    }
    throw e;
  }
  const results = await withDatabase(config, async (db) => {
    const out = await runPipeline({ db, config, log }, sources, {
      mode, dryRun: Boolean(values['dry-run']), force: Boolean(values.force),
      onRun: (r) => {
        io.out(formatRun(r));
        io.out('');
      },
    });
    // The ledger changed: the discrepancy list follows it (DESIGN §1), as `serve` does after each run.
    if (out.reconcile) io.out(formatSummary(out.reconcile));
    else if (out.reconcileSkipped) io.out(`not reconciled: ${out.reconcileSkipped}`);
    return out.runs;
  });
  if (results.some((r) => r.status === 'failed')) return EXIT.failure;
  if (results.some((r) => r.status === 'held')) return EXIT.held;
  return EXIT.ok;
}
