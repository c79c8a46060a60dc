/**
 * The set-based write of one stream: a single statement that upserts every staged row whose content changed,
 * and writes an `events` row with the field diff for each create / update / reactivate / explicit delete.
 * All CTEs see the same snapshot, so `old` holds the values from before the upsert. Unchanged rows are
 * filtered out before the INSERT; the `WHERE content_hash IS DISTINCT FROM` guard on the conflict update
 * keeps that true even if another writer raced us.
 *
 * Two kinds of staged row never overwrite what the ledger knows: a `kept` row (present but unreadable) is not
 * upserted at all, and a column named in a row's `keep` list takes the live row's value instead of the staged one.
 */
import { sql, type SQL } from 'drizzle-orm';
import { rows, type Executor } from '../db/client.js';
import { outboxInsert } from '../outbox/enqueue.js';
import { countByAction, recordHistory, wentDead, wentLive } from './history.js';
import { stageColumns, type StreamSpec } from './streams.js';

export interface UpsertCounts {
  created: number;
  updated: number;
  reactivated: number;
  deleted: number;
  /** Rows that were live and are not any more: explicit deletes and disabled accounts (enabledUser=false). */
  wentDead: number;
  /** Rows written in a way that can change who holds a device (see StreamSpec.holderColumns). */
  holderRelevant: number;
}

/** Over `up` joined to `old`: a row whose change can move a device's holder. */
function holderChange(spec: StreamSpec): SQL {
  const cols = spec.holderColumns ?? [];
  if (cols.length === 0) return sql`false`;
  const moved = cols.map((c) => `(old.oj -> '${c}') is distinct from (up.nj -> '${c}')`).join(' or ');
  return sql.raw(`(old.id is null or old.deactivated_at is distinct from up.deactivated_at or ${moved})`);
}

const q = (name: string) => `"${name}"`;

function jsonOf(alias: string, names: string[]): string {
  return `jsonb_build_object(${names.map((n) => `'${n}', ${alias}.${q(n)}`).join(', ')})`;
}

/** The staged value of a column, or the live row's when the record could not supply it. */
function merged(stageCol: string, tableCol: string): string {
  return `case when t.id is not null and latest.keep @> array['${stageCol}']::text[] then t.${q(tableCol)} else latest.${q(stageCol)} end as ${q(stageCol)}`;
}

/** Upserts the staged rows of `from` (a batch table, or the whole stage) that are not deferred. */
/**
 * The ledger row of one staged row, looked up by its unique key. A lateral subquery (`limit 1` keeps the planner
 * from flattening it into a join) probes the index once per staged row: as a plain join, a table filled earlier in
 * the same transaction (no statistics yet) was read whole for every batch (85k enrollments hashed per 5,000-row
 * batch: quadratic).
 */
function liveRow(spec: StreamSpec, sourceId: string, alias: string): SQL {
  return sql`select * from ${sql.raw(spec.table)} t where t.source_id = ${sourceId} and t.external_id = ${sql.raw(alias)}.external_id limit 1`;
}

export async function upsertStream(tx: Executor, spec: StreamSpec, sourceId: string, runId: number | null, actor: string, from: string = spec.stage): Promise<UpsertCounts> {
  const copied = spec.columns.map((c) => c.name);
  const derived = spec.derived?.(sourceId) ?? {};
  const derivedNames = Object.keys(derived);
  const stateCol = spec.state.column;
  const diffCols = [...copied, ...derivedNames, stateCol];
  const liveValue = spec.state.fromRecord ?? spec.state.live;
  const copiedSet = new Set(copied);
  const stagedExprs = stageColumns(spec).map((c) => {
    if (copiedSet.has(c.name)) return merged(c.name, c.name);
    if (c.name === 'rec_status') return merged('rec_status', 'status');
    return `latest.${q(c.name)}`;
  });

  const insertCols = ['source_id', 'external_id', ...copied, ...derivedNames, stateCol, 'deactivated_at', 'content_hash'];
  const selectExprs: SQL[] = [
    sql`${sourceId}`,
    sql`s.external_id`,
    ...copied.map((n) => sql.raw(`s.${q(n)}`)),
    ...derivedNames.map((n) => derived[n]!),
    sql`case when s.deleted then ${spec.state.dead} else ${liveValue} end`,
    sql`case when s.deleted then now() end`,
    sql`s.content_hash`,
  ];
  const updates = [...copied, ...derivedNames, stateCol].map((n) => `${q(n)} = excluded.${q(n)}`).join(', ');
  const ob = spec.outbox;
  const personPayload = (reason: SQL | null) => sql`jsonb_build_object('personId', up.id, 'sourceId', ${sourceId}::text, 'externalId', up.external_id,
    'role', up.nj ->> 'role', ${reason ? sql`'reason', ${reason}, ` : sql``}'runId', ${runId}::bigint)`;
  const outboxCtes = ob ? sql`
    ob_dead as (${outboxInsert(ob.dead, personPayload(sql`case when up.deactivated_at is not null then 'deleted by the source' else 'disabled in the source' end`),
      sql`up join old on old.id = up.id where ${wentDead(spec)}`)}),
    ob_live as (${outboxInsert(ob.live, personPayload(null), sql`up join old on old.id = up.id where ${wentLive(spec)}`)}),` : sql``;

  const by = await countByAction(tx, sql`
    with
    -- Only rows that are new or changed go on to the upsert: unchanged ones are not even locked. The file's last
    -- row for an id wins, and a readable row beats a kept (unreadable) one: a row with a later readable twin is
    -- skipped. Filtering before anything else keeps a 1%-changed re-sync from joining every staged row (measured
    -- at 100k people: a DISTINCT ON over the whole stage, then the join, took 2.1 s of a 1,060-row upsert).
    s as (
      select latest.external_id, latest.deleted, latest.content_hash, ${sql.raw(stagedExprs.join(', '))}
      from ${sql.raw(from)} latest
      left join lateral (${liveRow(spec, sourceId, 'latest')}) t on true
      where not latest.unchanged and not latest.kept and not latest.deferred
        and not exists (select 1 from ${sql.raw(from)} l2 where l2.external_id = latest.external_id and l2.seq > latest.seq and not l2.kept)
        and (t.id is null or t.content_hash is distinct from latest.content_hash
             or (t.deactivated_at is not null and not latest.deleted))
    ),
    old as (
      select t.id, t.deactivated_at, ${sql.raw(jsonOf('t', diffCols))} as oj
      from s cross join lateral (${liveRow(spec, sourceId, 's')}) t
    ),
    up as (
      insert into ${sql.raw(spec.table)} as t (${sql.raw(insertCols.map(q).join(', '))})
      select ${sql.join(selectExprs, sql`, `)} from s
      on conflict (source_id, external_id) do update set ${sql.raw(updates)},
        deactivated_at = case when excluded.deactivated_at is null then null else coalesce(t.deactivated_at, excluded.deactivated_at) end,
        content_hash = excluded.content_hash,
        last_seen_at = now()
      where t.content_hash is distinct from excluded.content_hash
         or (t.deactivated_at is not null and excluded.deactivated_at is null)
      returning t.id, t.external_id, (t.xmax = 0) as inserted, t.deactivated_at, ${sql.raw(jsonOf('t', diffCols))} as nj
    ),
    ${outboxCtes}
    ${recordHistory(spec.entity, runId, actor, wentDead(spec), holderChange(spec))}`);
  return { created: by.create, updated: by.update, reactivated: by.reactivate, deleted: by.deactivate, wentDead: by.dead, holderRelevant: by.holders };
}

/** Distinct ids staged for a stream, how many rows repeated an id already seen, and how many ids were kept unread. */
export async function stagedCounts(tx: Executor, spec: StreamSpec): Promise<{ distinct: number; rows: number; kept: number }> {
  const [r] = await rows<{ d: number; n: number; k: number }>(tx, sql.raw(`select count(distinct external_id)::int as d, count(*)::int as n,
    (select count(*)::int from (select external_id from ${spec.stage} group by external_id having bool_and(kept)) x) as k from ${spec.stage}`));
  return { distinct: Number(r?.d ?? 0), rows: Number(r?.n ?? 0), kept: Number(r?.k ?? 0) };
}
