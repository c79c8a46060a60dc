/**
 * Runs whose process is gone. A run holds its source's advisory lock for as long as its row says `running`; a
 * `running` row whose lock is free was left by a process that was killed, crashed or lost its connection. Such a
 * run changed nothing (its transaction never committed) and is marked failed with reason `interrupted`.
 */
import { sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import { rows, type Database, type Executor } from '../db/client.js';
import { outboxInsert } from '../outbox/enqueue.js';
import { tryLockSource } from './locks.js';

const REASON = '[interrupted] the process running it stopped before it finished; nothing it read was applied';

/** Inside a transaction that holds the source's lock: every other `running` row of the source is interrupted. */
export async function markInterrupted(tx: Executor, sourceId: string, exceptRunId: number | null = null): Promise<number> {
  const [r] = await rows<{ n: number }>(tx, sql`
    with gone as (
      update sync_runs set status = 'failed', finished_at = now(), error = ${REASON}
      where source_id = ${sourceId} and status = 'running' and id is distinct from ${exceptRunId}::bigint
      returning id, mode
    ),
    ob as (${outboxInsert('sync.failed', sql`jsonb_build_object('runId', id, 'sourceId', ${sourceId}::text, 'mode', mode, 'error', 'interrupted', 'reason', ${REASON}::text)`, sql`gone`)})
    select count(*)::int as n from gone`);
  return Number(r?.n ?? 0);
}

/** At start: every source with a `running` row whose lock is free gets it marked interrupted. */
export async function sweepInterrupted(db: Database, log: Logger): Promise<number> {
  const stale = await rows<{ source_id: string }>(db.orm, sql`select distinct source_id from sync_runs where status = 'running'`);
  let n = 0;
  for (const { source_id: sourceId } of stale) {
    n += await db.orm.transaction(async (tx) => ((await tryLockSource(tx, sourceId)) ? markInterrupted(tx, sourceId) : 0));
  }
  if (n > 0) log.warn({ runs: n }, 'runs left running by a process that stopped were marked failed (interrupted)');
  return n;
}
