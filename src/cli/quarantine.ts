/**
 * `rollcall quarantine [--run ID] [--source S] [--outcome rejected|kept|warning] [--format table|csv|json]
 * [--limit N] [--raw]`: what the last runs could not apply, and where to fix it in the source. The raw record is
 * left out unless --raw asks for it, since it is the source's own row (names, emails).
 */
import { ValidationError } from '../errors.js';
import { DEFAULT_QUARANTINE_LIMIT, listQuarantine, QUARANTINE_OUTCOMES, type QuarantineList, type QuarantineOutcome } from '../quarantine/list.js';
import type { CommandContext } from './context.js';
import { EXIT, type ExitCode } from './exit-codes.js';
import { csvField, REPORT_FORMATS, type ReportFormat } from './report.js';
import { renderTable } from './table.js';
import { withDatabase } from './with-database.js';

export const quarantineOptions = {
  run: { type: 'string' },
  source: { type: 'string' },
  outcome: { type: 'string' },
  format: { type: 'string' },
  limit: { type: 'string' },
  raw: { type: 'boolean' },
} as const;

const positiveInt = (flag: string, v: string | undefined): number | undefined => {
  if (v === undefined) return undefined;
  if (!/^[1-9]\d*$/.test(v)) throw new ValidationError(`--${flag} must be a positive whole number, not "${v}"`);
  return Number(v);
};

const countsText = (c: Record<QuarantineOutcome, number>) =>
  QUARANTINE_OUTCOMES.filter((o) => c[o] > 0).map((o) => `${c[o]} ${o === 'warning' ? (c[o] === 1 ? 'warning' : 'warnings') : o}`).join(', ') || 'nothing';

export function formatQuarantineTable(l: QuarantineList, opts: { raw?: boolean; outcome?: string; source?: string } = {}): string {
  if (l.runs.length === 0) return `${opts.source ? `Source "${opts.source}" has` : 'No source has'} no committed run yet, so nothing was quarantined.`;
  const out = l.runs.map((r) => `Run ${r.id} (${r.sourceId}, ${r.mode}, ${r.status}, started ${r.startedAt}): ${countsText(r.counts)}`);
  if (l.total === 0) {
    out.push(`\nNothing was quarantined${opts.outcome ? ` with outcome ${opts.outcome}` : ''}.`);
    return out.join('\n');
  }
  const header = ['run', 'source', 'stream', 'outcome', 'location', 'id', 'field', 'reason', ...(opts.raw ? ['raw'] : [])];
  out.push('', renderTable(header, l.rows.map((x) => [
    x.runId, x.sourceId, x.stream, x.outcome, x.location ?? '-', x.externalId ?? '-', x.field ?? '-', x.reason,
    ...(opts.raw ? [JSON.stringify(x.raw ?? null)] : []),
  ])));
  if (l.rows.length < l.total) out.push(`\nShowing ${l.rows.length} of ${l.total}; use --limit to see more.`);
  return out.join('\n');
}

export function formatQuarantineCsv(l: QuarantineList, opts: { raw?: boolean } = {}): string {
  const header = ['run_id', 'source', 'stream', 'outcome', 'location', 'external_id', 'field', 'reason', 'at', ...(opts.raw ? ['raw'] : [])];
  return [header.join(','), ...l.rows.map((x) => [
    x.runId, x.sourceId, x.stream, x.outcome, x.location, x.externalId, x.field, x.reason, x.at,
    ...(opts.raw ? [JSON.stringify(x.raw ?? null)] : []),
  ].map(csvField).join(','))].join('\n');
}

export async function quarantineCommand(ctx: CommandContext, values: Record<string, unknown>): Promise<ExitCode> {
  const format = (values.format as string | undefined) ?? 'table';
  if (!(REPORT_FORMATS as readonly string[]).includes(format)) throw new ValidationError(`--format must be one of ${REPORT_FORMATS.join(', ')}, not "${format}"`);
  const outcome = values.outcome as string | undefined;
  if (outcome !== undefined && !(QUARANTINE_OUTCOMES as readonly string[]).includes(outcome)) {
    throw new ValidationError(`--outcome must be one of ${QUARANTINE_OUTCOMES.join(', ')}, not "${outcome}"`);
  }
  const raw = Boolean(values.raw);
  const list = await withDatabase(ctx.config, (db) => listQuarantine(db, {
    runId: positiveInt('run', values.run as string | undefined),
    source: values.source as string | undefined,
    outcome: outcome as QuarantineOutcome | undefined,
    limit: positiveInt('limit', values.limit as string | undefined) ?? DEFAULT_QUARANTINE_LIMIT,
    raw,
  }));
  const f = format as ReportFormat;
  ctx.io.out(f === 'json' ? JSON.stringify(list, null, 2) : f === 'csv' ? formatQuarantineCsv(list, { raw }) : formatQuarantineTable(list, { raw, outcome, source: values.source as string | undefined }));
  return EXIT.ok;
}
