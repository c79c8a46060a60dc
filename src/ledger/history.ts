/**
 * The history half of every ledger upsert: given CTEs `up` (written rows: id, inserted, deactivated_at, nj = new
 * values) and `old` (id, deactivated_at, oj = values before), one `events` row per written row with its action
 * and field diff, and the count per action. Shared so that every entity records history the same way.
 */
import { sql, type SQL } from 'drizzle-orm';
import { rows, type Executor } from '../db/client.js';
import type { StreamSpec } from './streams.js';

/** Over `up` joined to `old`: the row was live before and is not now (explicit delete, or a disabled account). */
export function wentDead(spec: StreamSpec): SQL {
  const col = spec.state.column;
  return sql.raw(`(old.id is not null and old.deactivated_at is null and (old.oj -> '${col}') = '${spec.state.liveJson}'::jsonb
    and (up.deactivated_at is not null or (up.nj -> '${col}') = '${spec.state.deadJson}'::jsonb))`);
}

/** Over `up` joined to `old`: the row was not live before and is now. */
export function wentLive(spec: StreamSpec): SQL {
  const col = spec.state.column;
  return sql.raw(`(old.id is not null and (old.deactivated_at is not null or (old.oj -> '${col}') = '${spec.state.deadJson}'::jsonb)
    and up.deactivated_at is null and (up.nj -> '${col}') = '${spec.state.liveJson}'::jsonb)`);
}

export function recordHistory(entity: string, runId: number | null, actor: string, dead: SQL = sql`false`, holders: SQL = sql`false`): SQL {
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
      -- A row rewritten only because its hash moved (a kept field, say) changed nothing anyone can see: no event.
      where up.inserted or old.id is null or old.oj is distinct from up.nj or old.deactivated_at is distinct from up.deactivated_at
      returning action
    )
    select action, count(*)::int as n,
      (select count(*)::int from up join old on old.id = up.id where ${dead}) as d,
      (select count(*)::int from up left join old on old.id = up.id where ${holders}) as h
    from ev group by action`;
}

/** Runs an upsert ending in `recordHistory` and returns how many rows each action touched, and how many went dead. */
export async function countByAction(tx: Executor, query: SQL): Promise<Record<'create' | 'update' | 'reactivate' | 'deactivate' | 'dead' | 'holders', number>> {
  const rs = await rows<{ action: string; n: number; d: number; h?: number }>(tx, query);
  const by = Object.fromEntries(rs.map((r) => [r.action, Number(r.n)]));
  const dead = Number(rs[0]?.d ?? 0);
  const holders = Number(rs[0]?.h ?? 0);
  return { create: by.create ?? 0, update: by.update ?? 0, reactivate: by.reactivate ?? 0, deactivate: by.deactivate ?? 0, dead, holders };
}
