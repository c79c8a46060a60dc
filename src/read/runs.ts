/** Sync runs: a keyset-paged list (newest first) and one run with its per-stream counts and quarantine counts. */
import { sql } from 'drizzle-orm';
import { preparedRows, type Executor } from '../db/client.js';
import { NotFoundError } from '../errors.js';
import { keyset, keysetColumns, toPage, type Page, type PageRequest, type SortSpec } from './cursor.js';
import { and, iso, num } from './shared.js';

export const RUN_STATUSES = ['running', 'succeeded', 'failed', 'held', 'approved'] as const;

const newest: SortSpec = { expr: sql`r.id`, type: 'bigint', desc: true };

export interface RunQuery extends PageRequest {
  source?: string;
  status?: (typeof RUN_STATUSES)[number];
}

/** One stream's counts as the ledger writer recorded them (read, created, updated, deactivated, rejected…). */
export type StreamCounts = Record<string, number>;

export interface RunSummary {
  id: number;
  sourceId: string;
  mode: string;
  status: string;
  dryRun: boolean;
  triggerKey: string | null;
  startedAt: string;
  finishedAt: string | null;
  durationMs: number | null;
  error: string | null;
  heldReason: string | null;
  streams: Record<string, StreamCounts>;
}

export interface RunDetail extends RunSummary {
  /** Quarantined records of this run by outcome. */
  quarantine: { rejected: number; kept: number; warning: number };
  /** What a held run would deactivate, per stream (counts only). */
  held: Record<string, number> | null;
  stats: Record<string, unknown>;
}

type Row = {
  id: number; source_id: string; mode: string; status: string; dry_run: boolean; trigger_key: string | null; started_at: string;
  finished_at: string | null; error: string | null; stats: Record<string, unknown> | null;
};

function streamsOf(stats: Record<string, unknown> | null): Record<string, StreamCounts> {
  const s = (stats?.streams ?? {}) as Record<string, Record<string, unknown>>;
  return Object.fromEntries(Object.entries(s).map(([k, v]) => [k, Object.fromEntries(Object.entries(v ?? {}).filter(([, n]) => typeof n === 'number')) as StreamCounts]));
}

function toSummary(r: Row): RunSummary {
  return {
    id: num(r.id), sourceId: r.source_id, mode: r.mode, status: r.status, dryRun: Boolean(r.dry_run), triggerKey: r.trigger_key,
    startedAt: iso(r.started_at), finishedAt: r.finished_at ? iso(r.finished_at) : null,
    durationMs: r.finished_at ? new Date(r.finished_at).getTime() - new Date(r.started_at).getTime() : null,
    error: r.error, heldReason: typeof r.stats?.heldReason === 'string' ? r.stats.heldReason : null, streams: streamsOf(r.stats),
  };
}

const columns = sql`r.id, r.source_id, r.mode, r.status, r.dry_run, r.trigger_key, r.started_at, r.finished_at, r.error, r.stats`;

export async function listRuns(db: Executor, q: RunQuery = {}): Promise<Page<RunSummary>> {
  const page = keyset(newest, 'newest', sql`r.id`, q);
  const rs = await preparedRows<Row & { page_key: string; page_id: number }>(db, sql`
    select ${columns}, ${keysetColumns(newest, sql`r.id`)} from sync_runs r
    where ${and([q.source && sql`r.source_id = ${q.source}`, q.status && sql`r.status = ${q.status}`, page.where])}
    order by ${page.orderBy} limit ${page.limit + 1}`);
  return toPage(rs, page.limit, 'newest', toSummary);
}

export async function getRun(db: Executor, id: number): Promise<RunDetail> {
  const [r] = await preparedRows<Row & { held: { plan?: Record<string, number> } | null }>(db, sql`select ${columns}, r.held from sync_runs r where r.id = ${id}`);
  if (!r) throw new NotFoundError(`no run with id ${id}`, { runId: id });
  const q = await preparedRows<{ outcome: 'rejected' | 'kept' | 'warning'; n: number }>(db, sql`
    select outcome, count(*)::int as n from quarantine where run_id = ${id} group by outcome`);
  const count = (o: string) => num(q.find((x) => x.outcome === o)?.n ?? 0);
  return {
    ...toSummary(r),
    quarantine: { rejected: count('rejected'), kept: count('kept'), warning: count('warning') },
    held: r.status === 'held' ? (r.held?.plan ?? {}) : null,
    stats: r.stats ?? {},
  };
}
