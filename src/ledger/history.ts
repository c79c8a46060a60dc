/**
 * The history half of every ledger upsert: given CTEs `up` (written rows: id, inserted, deactivated_at, nj = new
 * values) and `old` (id, deactivated_at, oj = values before), one `events` row per written row with its action
 * and field diff, and the count per action. Shared so that every entity records history the same way.
 */
import { sql, type SQL } from 'drizzle-orm';
import { rows, type Executor } from '../db/client.js';

export function recordHistory(entity: string, runId: number | null, actor: string): SQL {
  return sql`
    ev as (
      insert into events (run_id, actor, entity, entity_id, action, diff)
      select ${runId}, ${actor}, ${entity}, up.id,
        case
          when up.inserted then 'create'
          when old.deactivated_at is not null and up.deactivated_at is null then 'reactivate'
          when old.deactivated_at is null and up.deactivated_at is not null then 'deactivate'
          else 'update'
        end,
        case
          when up.inserted then up.nj
          else (select coalesce(jsonb_object_agg(e.key, jsonb_build_object('from', old.oj -> e.key, 'to', e.value)), '{}'::jsonb)
                from jsonb_each(up.nj) e where (old.oj -> e.key) is distinct from e.value)
        end
      from up left join old on old.id = up.id
      returning action
    )
    select action, count(*)::int as n from ev group by action`;
}

/** Runs an upsert ending in `recordHistory` and returns how many rows each action touched. */
export async function countByAction(tx: Executor, query: SQL): Promise<Record<'create' | 'update' | 'reactivate' | 'deactivate', number>> {
  const by = Object.fromEntries((await rows<{ action: string; n: number }>(tx, query)).map((r) => [r.action, Number(r.n)]));
  return { create: by.create ?? 0, update: by.update ?? 0, reactivate: by.reactivate ?? 0, deactivate: by.deactivate ?? 0 };
}
