/** `rollcall sync [--source ID] [--mode full|delta] [--dry-run] [--force]`: run sources now, print what changed. */
import type { Stream } from '../../connectors/types.js';
import { ValidationError } from '../errors.js';
import type { StreamStats } from '../ledger/writer.js';
import { reconcile } from '../reconcile/engine.js';
import { runSync, type RunResult } from '../sync/runner.js';
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

const COLUMNS: (keyof StreamStats)[] = ['read', 'created', 'updated', 'unchanged', 'deactivated', 'reactivated', 'rejected', 'held'];

export function formatRun(r: RunResult): string {
  const title = `source ${r.sourceId}, ${r.mode} run${r.runId ? ` #${r.runId}` : ''}: ${r.status === 'dry-run' ? 'dry run (nothing written)' : r.status} in ${(r.durationMs / 1000).toFixed(1)} s`;
  if (!r.result) return `${title}\n  error: ${r.error}`;
  const body = (Object.entries(r.result.streams) as [Stream, StreamStats][]).map(([s, st]) => [s, ...COLUMNS.map((c) => st[c])]);
  const lines = [title, renderTable(['stream', ...COLUMNS], body)];
  const d = r.result.devices;
  if (r.result.streams.devices) lines.push(`devices: ${d.created} new, ${d.updated} updated, ${d.reactivated} reactivated, ${d.deactivated} deactivated`);
  lines.push(`assignments: ${r.result.assignments.started} started, ${r.result.assignments.ended} ended`);
  if (r.result.held && r.status === 'dry-run') lines.push(`WOULD BE HELD: ${r.result.heldReason}.`);
  else if (r.result.held) lines.push(`HELD: ${r.result.heldReason}. Creates and updates were applied; deactivations wait for approval (rollcall approve ${r.runId}) or a run with --force.`);
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
  const results = await withDatabase(config, async (db) => {
    const out: RunResult[] = [];
    for (const source of sources) {
      const r = await runSync({ db, log, domains: config.district.domains }, source, {
        mode, dryRun: Boolean(values['dry-run']), force: Boolean(values.force),
      });
      io.out(formatRun(r));
      io.out('');
      out.push(r);
    }
    // The ledger changed: the discrepancy list follows it (DESIGN §1), as `serve` does after each run.
    if (out.some((r) => r.status === 'succeeded' || r.status === 'held')) {
      io.out(formatSummary(await reconcile(db, config, { log })));
    }
    return out;
  });
  if (results.some((r) => r.status === 'failed')) return EXIT.failure;
  if (results.some((r) => r.status === 'held')) return EXIT.held;
  return EXIT.ok;
}
