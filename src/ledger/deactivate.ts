/**
 * Deactivation by absence (full reads only) and the deletion threshold (DESIGN §6). Absence is computed before
 * the upsert, against the rows that were live when the run began. A staged row counts as present even when it
 * was kept unread (a Reject naming its id), so a bad cell never deactivates anyone.
 */
import { sql } from 'drizzle-orm';
import { rows, type Executor } from '../db/client.js';
import type { DeletionThreshold } from '../config/schema.js';
import { outboxInsert } from '../outbox/enqueue.js';
import type { StreamSpec } from './streams.js';

export interface Vanished {
  ids: number[];
  /** Live rows of this source before the run. */
  live: number;
}

export async function findVanished(tx: Executor, spec: StreamSpec, sourceId: string): Promise<Vanished> {
  const [live] = await rows<{ n: number }>(tx, sql`select count(*)::int as n from ${sql.raw(spec.table)} where source_id = ${sourceId} and deactivated_at is null`);
  const gone = await rows<{ id: number }>(tx, sql`
    select t.id from ${sql.raw(spec.table)} t
    where t.source_id = ${sourceId} and t.deactivated_at is null
      and not exists (select 1 from ${sql.raw(spec.stage)} s where s.external_id = t.external_id)
    order by t.id`);
  return { ids: gone.map((r) => Number(r.id)), live: Number(live?.n ?? 0) };
}

/**
 * More than `absolute` rows, or more than `percent` of the live ones, is too many to trust without a person.
 * Whatever the cause: absence, an explicit delete, a disabled flag, or an ended assignment (ADR 0004).
 */
export function exceedsThreshold(count: number, live: number, t: DeletionThreshold): boolean {
  if (count === 0) return false;
  return count > t.absolute || count * 100 > t.percent * live;
}

export async function applyDeactivations(
  tx: Executor, spec: StreamSpec, ids: number[], runId: number | null, actor: string, reason: string,
): Promise<number> {
  if (ids.length === 0) return 0;
  const dead = spec.state.dead;
  const ob = spec.outbox
    ? sql`ob as (${outboxInsert(spec.outbox.dead, sql`jsonb_build_object('personId', gone.id, 'sourceId', gone.source_id, 'externalId', gone.external_id,
        'role', gone.role, 'reason', ${reason}::text, 'runId', ${runId}::bigint)`, sql`gone where gone.was_live`)}),`
    : sql``;
  const [r] = await rows<{ n: number }>(tx, sql`
    with gone as (
      update ${sql.raw(spec.table)} t set ${sql.raw(`"${spec.state.column}"`)} = ${dead}, deactivated_at = now()
      from ${sql.raw(spec.table)} prev
      where prev.id = t.id and t.id = any(${sql.param(ids)}::bigint[]) and t.deactivated_at is null
      returning t.*, prev.${sql.raw(`"${spec.state.column}"`)} = ${spec.state.live} as was_live
    ),
    ${ob}
    ev as (
      insert into events (run_id, actor, entity, entity_id, action, diff)
      select ${runId}, ${actor}, ${spec.entity}, id, 'deactivate', jsonb_build_object('reason', ${reason}::text) from gone
      returning 1
    )
    select count(*)::int as n from ev`);
  return Number(r?.n ?? 0);
}
