/**
 * Who holds each device, according to the MDMs (DESIGN §5), kept as `assignments` with history. Recomputed over
 * the whole ledger after every run, set-based: a roster change can resolve a user an MDM named yesterday.
 *
 * Per live observation, the user is the MDM's own (Google annotatedUser, Intune primary user), else the first
 * recent user in a district domain. Users match people by lower(email), then username@district-domain, then
 * a userId (`LDAP:jsmith` matches jsmith@...). A device's holder comes from its most recently synced
 * observation that matched. Manual assignments are authoritative and never touched here.
 */
import { sql, type SQL } from 'drizzle-orm';
import { rows, type Executor } from '../db/client.js';
import { outboxInsert } from '../outbox/enqueue.js';

export interface AssignmentCounts {
  started: number;
  ended: number;
  /** Ended with no holder after (the MDM names nobody, the device was deprovisioned): what the threshold counts. */
  cleared?: number;
}

/** MDM states in which an observation no longer says anything about who holds the device. */
export const RETIRED_STATUSES = ['deprovisioned', 'retired', 'wiped', 'deleted'] as const;

/** An observation that speaks for the device now: its source still reports it and still manages it. */
export function liveObservation(alias: string): SQL {
  const a = sql.raw(alias);
  return sql`(${a}.active and ${a}.status not in (${sql.join(RETIRED_STATUSES.map((s) => sql`${s}`), sql`, `)}))`;
}

/**
 * The user each live observation names and the person that user matches, as one query with columns
 * (obs_id, device_id, source_id, last_sync_at, email, person_id). `email` is null when the MDM names nobody in
 * the district; `person_id` is null when the user matches no person. Shared with the `unknown-user` and
 * `duplicate-serial-conflict` rules so that "who holds it" and "who is unknown" can never disagree.
 * `where` (over alias `o`) narrows the observations, for callers that need a few devices, not all.
 */
export function observationUsers(domains: string[], where: SQL = sql`true`): SQL {
  const doms = sql`${sql.param(domains.map((d) => d.toLowerCase()))}::text[]`;
  // A domain matches itself or any subdomain (students.maplewood.org is within maplewood.org).
  return sql`
    with doms as (select ${doms} as __doms),
    obs as (
      select o.id, o.device_id, o.source_id, o.last_sync_at,
        lower(coalesce(o.user_email, (
          select r.e from jsonb_array_elements_text(o.recent_users) with ordinality as r(e, i), doms
          where exists (select 1 from unnest(doms.__doms) dm where split_part(lower(r.e), '@', 2) = dm or split_part(lower(r.e), '@', 2) like '%.' || dm)
          order by r.i limit 1))) as email
      from device_observations o
      where ${liveObservation('o')} and ${where}
    ),
    -- Each way of matching only looks at what the better ones left unmatched; the userId fallback uses the GIN
    -- index on people.user_id_keys.
    m1 as (
      select obs.id as obs_id, p.id as person_id, 1 as pri, p.deactivated_at from obs join people p on lower(p.email) = obs.email
    ),
    m2 as (
      select obs.id as obs_id, p.id as person_id, 2 as pri, p.deactivated_at from obs, doms join people p on true
        where lower(p.username) = split_part(obs.email, '@', 1)
          and exists (select 1 from unnest(doms.__doms) dm where split_part(obs.email, '@', 2) = dm or split_part(obs.email, '@', 2) like '%.' || dm)
          and not exists (select 1 from m1 where m1.obs_id = obs.id)
    ),
    m3 as (
      select obs.id as obs_id, p.id as person_id, 3 as pri, p.deactivated_at
      from obs join people p on p.user_id_keys @> array[split_part(obs.email, '@', 1)]
      where split_part(obs.email, '@', 1) <> ''
        and not exists (select 1 from m1 where m1.obs_id = obs.id) and not exists (select 1 from m2 where m2.obs_id = obs.id)
    ),
    cand as (select * from m1 union all select * from m2 union all select * from m3),
    best as (
      select distinct on (obs_id) obs_id, person_id from cand
      order by obs_id, pri, (deactivated_at is null) desc, person_id
    )
    select obs.id as obs_id, obs.device_id, obs.source_id, obs.last_sync_at, obs.email, best.person_id
    from obs left join best on best.obs_id = obs.id`;
}

async function computeHolders(tx: Executor, domains: string[]): Promise<void> {
  await tx.execute(sql`drop table if exists tmp_holders`);
  await tx.execute(sql`
    create temp table tmp_holders on commit drop as
    with u as (${observationUsers(domains)})
    select distinct on (u.device_id) u.device_id, u.person_id, u.source_id
    from u where u.person_id is not null
    order by u.device_id, u.last_sync_at desc nulls last, u.obs_id`);
}

export async function reconcileAssignments(tx: Executor, domains: string[], runId: number | null, actor: string): Promise<AssignmentCounts> {
  await computeHolders(tx, domains);
  const [ended] = await rows<{ n: number; cleared: number }>(tx, sql`
    with gone as (
      update assignments a set ended_at = now(),
        ended_reason = case when h.person_id is null then 'mdm-user-cleared' else 'mdm-user-changed' end
      from assignments a2 left join tmp_holders h on h.device_id = a2.device_id
      where a.id = a2.id and a.ended_at is null and a.origin = 'mdm'
        and (h.person_id is null or h.person_id <> a.person_id)
      returning a.id, a.device_id, a.person_id, a.ended_reason
    ),
    ev as (
      insert into events (run_id, actor, entity, entity_id, action, diff)
      select ${runId}, ${actor}, 'assignment', id, 'end', jsonb_build_object('deviceId', device_id, 'personId', person_id, 'reason', ended_reason)
      from gone returning 1
    ),
    ob_end as (${outboxInsert('assignment.ended', sql`jsonb_build_object('assignmentId', id, 'deviceId', device_id, 'personId', person_id,
      'reason', ended_reason, 'runId', ${runId}::bigint)`, sql`gone`)})
    select count(*)::int as n, (select count(*)::int from gone where ended_reason = 'mdm-user-cleared') as cleared from ev`);
  const [started] = await rows<{ n: number }>(tx, sql`
    with new as (
      insert into assignments (device_id, person_id, origin, source_id)
      select h.device_id, h.person_id, 'mdm', h.source_id from tmp_holders h
      where not exists (select 1 from assignments a where a.device_id = h.device_id and a.ended_at is null)
      returning id, device_id, person_id, source_id
    ),
    ev as (
      insert into events (run_id, actor, entity, entity_id, action, diff)
      select ${runId}, ${actor}, 'assignment', id, 'start', jsonb_build_object('deviceId', device_id, 'personId', person_id, 'sourceId', source_id)
      from new returning 1
    ),
    ob as (${outboxInsert('assignment.started', sql`jsonb_build_object('assignmentId', id, 'deviceId', device_id, 'personId', person_id,
      'sourceId', source_id, 'runId', ${runId}::bigint)`, sql`new`)})
    select count(*)::int as n from ev`);
  return { started: Number(started?.n ?? 0), ended: Number(ended?.n ?? 0), cleared: Number(ended?.cleared ?? 0) };
}
