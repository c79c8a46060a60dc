/**
 * What the dashboard says about runs: each source's latest run and the runs still held for approval (the runs
 * page lists them through src/read/runs.ts, as the API does).
 */
import { sql } from 'drizzle-orm';
import { rows, type Database } from '../db/client.js';
import { safeStoredError } from '../db/query-error.js';

export interface RunLine {
  id: number;
  sourceId: string;
  mode: string;
  status: string;
  startedAt: string;
  finishedAt: string | null;
  heldReason: string | null;
  error: string | null;
}

type Raw = { id: number; source_id: string; mode: string; status: string; started_at: Date | string; finished_at: Date | string | null; held_reason: string | null; error: string | null };

const line = (r: Raw): RunLine => ({
  id: Number(r.id), sourceId: r.source_id, mode: r.mode, status: r.status,
  startedAt: new Date(r.started_at).toISOString(), finishedAt: r.finished_at ? new Date(r.finished_at).toISOString() : null,
  heldReason: r.held_reason, error: safeStoredError(r.error),
});

const COLUMNS = sql`id, source_id, mode, status, started_at, finished_at, stats ->> 'heldReason' as held_reason, error`;

/** The latest non-dry run of every source, by source id. */
export async function latestRuns(db: Database): Promise<Map<string, RunLine>> {
  const rs = await rows<Raw>(db.orm, sql`select distinct on (source_id) ${COLUMNS} from sync_runs where not dry_run order by source_id, id desc`);
  return new Map(rs.map((r) => [r.source_id, line(r)]));
}

/** Held runs still waiting: the newest committed-or-held run of their source (an older one was superseded). */
export async function heldRuns(db: Database): Promise<RunLine[]> {
  const rs = await rows<Raw>(db.orm, sql`
    select ${COLUMNS} from sync_runs r where r.status = 'held'
      and not exists (select 1 from sync_runs l where l.source_id = r.source_id and l.id > r.id and l.status in ('succeeded', 'held', 'approved'))
    order by r.id`);
  return rs.map(line);
}

