/**
 * Reading the quarantine back: what a run rejected, kept or warned about, where in the source (stream, file and
 * line), and why. Shared by `rollcall quarantine` and the admin API. The `raw` record is only read when asked
 * for: it is the source's own row and may hold a student's name or email.
 */
import { sql, type SQL } from 'drizzle-orm';
import { rows, type Database } from '../db/client.js';
import { ValidationError } from '../errors.js';

export const QUARANTINE_OUTCOMES = ['rejected', 'kept', 'warning'] as const;
export type QuarantineOutcome = (typeof QUARANTINE_OUTCOMES)[number];

export interface QuarantineQuery {
  /** One run; without it, the latest committed run of each source (or of `source`). */
  runId?: number;
  source?: string;
  outcome?: QuarantineOutcome;
  /** At most this many rows (the counts still cover all of them). */
  limit?: number;
  /** Include the raw source record (may hold personal data). */
  raw?: boolean;
}

export interface QuarantineRun {
  id: number;
  sourceId: string;
  mode: string;
  status: string;
  startedAt: string;
  /** Rows of this run matching the outcome filter, by outcome. */
  counts: Record<QuarantineOutcome, number>;
}

export interface QuarantineRow {
  id: number;
  runId: number;
  sourceId: string;
  stream: string;
  outcome: QuarantineOutcome;
  externalId: string | null;
  /** Where in the source: `users.csv:14`, a page URL's path, ... */
  location: string | null;
  field: string | null;
  reason: string;
  at: string;
  raw?: unknown;
}

export interface QuarantineList {
  /** Newest first. */
  runs: QuarantineRun[];
  /** All matching rows across `runs`, before the limit. */
  total: number;
  rows: QuarantineRow[];
}

export const DEFAULT_QUARANTINE_LIMIT = 200;

const iso = (v: Date | string) => new Date(v).toISOString();

export async function listQuarantine(db: Database, q: QuarantineQuery = {}): Promise<QuarantineList> {
  const limit = q.limit ?? DEFAULT_QUARANTINE_LIMIT;
  const runs = await rows<{ id: number; source_id: string; mode: string; status: string; started_at: Date | string }>(db.orm, q.runId !== undefined
    ? sql`select id, source_id, mode, status, started_at from sync_runs where id = ${q.runId} ${q.source ? sql`and source_id = ${q.source}` : sql``}`
    // A failed run rolled back, its quarantine with it; a running one has not committed any yet. So "latest" means
    // the latest run that committed: the one whose rejects are what the ledger is missing now.
    : sql`select distinct on (source_id) id, source_id, mode, status, started_at from sync_runs
          where status in ('succeeded', 'held', 'approved') ${q.source ? sql`and source_id = ${q.source}` : sql``}
          order by source_id, id desc`);
  if (q.runId !== undefined && runs.length === 0) {
    throw new ValidationError(q.source ? `run ${q.runId} is not a run of source "${q.source}"` : `there is no run ${q.runId}`);
  }
  runs.sort((a, b) => Number(b.id) - Number(a.id));
  const ids = runs.map((r) => Number(r.id));
  const where: SQL = sql`q.run_id = any(${sql.param(ids)}::bigint[]) ${q.outcome ? sql`and q.outcome = ${q.outcome}` : sql``}`;
  const counts = await rows<{ run_id: number; outcome: QuarantineOutcome; n: number }>(db.orm, sql`
    select run_id, outcome, count(*)::int as n from quarantine q where ${where} group by 1, 2`);
  const found = await rows<{
    id: number; run_id: number; source_id: string; stream: string; outcome: QuarantineOutcome; external_id: string | null;
    location: string | null; field: string | null; reason: string; at: Date | string; raw?: unknown;
  }>(db.orm, sql`
    select q.id, q.run_id, q.source_id, q.stream, q.outcome, q.external_id, q.location, q.field, q.reason, q.at
      ${q.raw ? sql`, q.raw` : sql``}
    from quarantine q where ${where}
    order by q.run_id desc, q.id
    limit ${limit}`);
  const countOf = (runId: number, o: QuarantineOutcome) => Number(counts.find((c) => Number(c.run_id) === runId && c.outcome === o)?.n ?? 0);
  return {
    runs: runs.map((r) => ({
      id: Number(r.id), sourceId: r.source_id, mode: r.mode, status: r.status, startedAt: iso(r.started_at),
      counts: { rejected: countOf(Number(r.id), 'rejected'), kept: countOf(Number(r.id), 'kept'), warning: countOf(Number(r.id), 'warning') },
    })),
    total: counts.reduce((a, c) => a + Number(c.n), 0),
    rows: found.map((r) => ({
      id: Number(r.id), runId: Number(r.run_id), sourceId: r.source_id, stream: r.stream, outcome: r.outcome,
      externalId: r.external_id, location: r.location, field: r.field, reason: r.reason, at: iso(r.at),
      ...(q.raw ? { raw: r.raw ?? null } : {}),
    })),
  };
}
