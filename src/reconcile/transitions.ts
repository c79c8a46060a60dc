/**
 * The diff of `tmp_findings` against the live discrepancies, as four set-based statements. Each transition
 * writes its outbox event in the same statement, so an event exists exactly when its transition happened.
 * Order matters: resolve first (frees the one-live-row index), then wake suppressed rows, refresh changed
 * ones, and insert what is new. Rows that did not change are not written at all.
 */
import { sql, type SQL } from 'drizzle-orm';
import { rows, type Executor } from '../db/client.js';
import { textArray } from './rules/sql.js';

export interface TransitionContext {
  /** The clock: opened_at, resolved_at, and when a suppression ends. */
  now: Date;
  /** Rules evaluated this run; a live row of any other rule is resolved as 'rule disabled'. */
  enabledRules: string[];
  /** Whether each rule wants a help desk ticket, carried in the event for the ticket worker. */
  tickets: Record<string, boolean>;
}

export interface Counted {
  rule: string;
  n: number;
}

const clock = (c: TransitionContext): SQL => sql`${c.now.toISOString()}::timestamptz`;

/** The event payload: identifiers and the rule's details only (details hold ids, serials, schools, days). */
function payload(alias: string, c: TransitionContext): SQL {
  const a = sql.raw(alias);
  return sql`jsonb_build_object('id', ${a}.id, 'rule', ${a}.rule, 'subjectKey', ${a}.subject_key, 'severity', ${a}.severity,
    'occurrence', ${a}.occurrence, 'status', ${a}.status, 'deviceId', ${a}.device_id, 'personId', ${a}.person_id,
    'ticket', coalesce((${JSON.stringify(c.tickets)}::jsonb ->> ${a}.rule)::boolean, false), 'details', ${a}.details)`;
}

const counted = (rs: { rule: string; n: number }[]): Counted[] => rs.map((r) => ({ rule: r.rule, n: Number(r.n) }));

export async function resolveGone(tx: Executor, c: TransitionContext): Promise<Counted[]> {
  return counted(await rows<Counted>(tx, sql`
    with gone as (
      update discrepancies d set status = 'resolved', resolved_at = ${clock(c)},
        resolved_reason = case when d.rule = any(${textArray(c.enabledRules)}) then 'no longer found' else 'rule disabled' end
      where d.status <> 'resolved'
        and not exists (select 1 from tmp_findings f where f.rule = d.rule and f.subject_key = d.subject_key)
      returning d.*
    ),
    ev as (
      insert into outbox (type, payload)
      select 'discrepancy.resolved', ${payload('gone', c)} || jsonb_build_object('resolvedReason', gone.resolved_reason)
      from gone order by gone.id
      returning 1
    )
    select rule, count(*)::int as n from gone group by rule`));
}

/** A suppressed finding wakes up (same occurrence) when its suppression ends or its details change. */
export async function wakeSuppressed(tx: Executor, c: TransitionContext): Promise<Counted[]> {
  return counted(await rows<Counted>(tx, sql`
    with due as (
      select d.id, case when d.details_hash is distinct from f.details_hash then 'details changed' else 'suppression ended' end as reason,
        f.severity, f.details, f.details_hash, f.device_id, f.person_id
      from discrepancies d join tmp_findings f on f.rule = d.rule and f.subject_key = d.subject_key
      where d.status = 'suppressed'
        and (d.details_hash is distinct from f.details_hash or (d.suppressed_until is not null and d.suppressed_until <= ${clock(c)}))
    ),
    woke as (
      update discrepancies d set status = 'open', suppressed_until = null, severity = due.severity, details = due.details,
        details_hash = due.details_hash, device_id = due.device_id, person_id = due.person_id, last_seen_at = ${clock(c)}
      from due where d.id = due.id
      returning d.*
    ),
    ev as (
      insert into outbox (type, payload)
      select 'discrepancy.opened', ${payload('woke', c)} || jsonb_build_object('reopened', true, 'reason', due.reason)
      from woke join due on due.id = woke.id order by woke.id
      returning 1
    )
    select rule, count(*)::int as n from woke group by rule`));
}

/** Still found, but its severity, details or subjects moved: update in place, no event. */
export async function refreshChanged(tx: Executor, c: TransitionContext): Promise<void> {
  await tx.execute(sql`
    update discrepancies d set severity = f.severity, details = f.details, details_hash = f.details_hash,
      device_id = f.device_id, person_id = f.person_id, last_seen_at = ${clock(c)}
    from tmp_findings f
    where f.rule = d.rule and f.subject_key = d.subject_key and d.status <> 'resolved'
      and (d.severity, d.details, d.details_hash, d.device_id, d.person_id)
        is distinct from (f.severity, f.details, f.details_hash, f.device_id, f.person_id)`);
}

/** New findings open; one seen before (and resolved since) recurs with the next occurrence number. */
export async function openNew(tx: Executor, c: TransitionContext): Promise<{ rule: string; recurred: boolean; n: number }[]> {
  const rs = await rows<{ rule: string; recurred: boolean; n: number }>(tx, sql`
    with new as (
      insert into discrepancies (rule, subject_key, device_id, person_id, severity, status, occurrence, opened_at, last_seen_at, details_hash, details)
      select f.rule, f.subject_key, f.device_id, f.person_id, f.severity, 'open',
        1 + coalesce((select max(h.occurrence) from discrepancies h where h.rule = f.rule and h.subject_key = f.subject_key), 0),
        ${clock(c)}, ${clock(c)}, f.details_hash, f.details
      from tmp_findings f
      where not exists (select 1 from discrepancies d where d.rule = f.rule and d.subject_key = f.subject_key and d.status <> 'resolved')
      order by f.rule, f.subject_key
      returning *
    ),
    ev as (
      insert into outbox (type, payload)
      select 'discrepancy.opened', ${payload('new', c)} from new order by new.id
      returning 1
    )
    select rule, occurrence > 1 as recurred, count(*)::int as n from new group by rule, occurrence > 1`);
  return rs.map((r) => ({ rule: r.rule, recurred: Boolean(r.recurred), n: Number(r.n) }));
}

/** Live rows per rule and status that this run's findings match, for the summary. */
export async function liveCounts(tx: Executor): Promise<{ rule: string; status: string; n: number }[]> {
  const rs = await rows<{ rule: string; status: string; n: number }>(tx, sql`
    select d.rule, d.status, count(*)::int as n
    from tmp_findings f join discrepancies d on d.rule = f.rule and d.subject_key = f.subject_key and d.status <> 'resolved'
    group by d.rule, d.status`);
  return rs.map((r) => ({ ...r, n: Number(r.n) }));
}
