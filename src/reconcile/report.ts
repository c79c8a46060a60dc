/**
 * Gathers the reconciliation report from the ledger and the live discrepancies, in one read-only snapshot.
 * Filters: one rule, one school (org sourcedId, identifier or name). A school filter scopes people by their
 * school and devices by their holder's school.
 */
import { sql, type SQL } from 'drizzle-orm';
import type { Config } from '../config/index.js';
import { rows, type Database, type Executor } from '../db/client.js';
import { safeStoredError } from '../db/query-error.js';
import { ValidationError } from '../errors.js';
import { resolveAsOf } from './as-of.js';
import type { CoverageRow, ReconciliationReport, ReportRow, ReportSchool, SeverityCounts, SourceFreshness } from './report-types.js';
import { ruleByCode, rules as allRules } from './rules/index.js';
import { liveObservation, observationUsers, textArray } from './rules/sql.js';
import { SEVERITIES, type Severity } from './types.js';

export type { ReconciliationReport } from './report-types.js';

export interface ReportOptions {
  now?: Date;
  rule?: string;
  school?: string;
}

/** `sources` gives the freshness section its list and order; without it, every source the ledger knows is listed. */
export type ReportConfig = Pick<Config, 'reconcile' | 'district'> & { sources?: readonly { id: string; kind: string }[] };

const SILENT_BUCKETS = [
  { range: '30-60', from: 30, to: 60 },
  { range: '60-90', from: 60, to: 90 },
  { range: '90+', from: 90, to: null },
] as const;

const num = (v: unknown) => Number(v ?? 0);
const pct = (covered: number, eligible: number) => (eligible === 0 ? null : Math.round((covered * 1000) / eligible) / 10);

function severityCounts(list: { severity: string; n: number }[]): SeverityCounts {
  const out = { low: 0, medium: 0, high: 0, critical: 0, total: 0 };
  for (const r of list) {
    out[r.severity as Severity] += r.n;
    out.total += r.n;
  }
  return out;
}

export async function buildReport(db: Database, config: ReportConfig, opts: ReportOptions = {}): Promise<ReconciliationReport> {
  const now = opts.now ?? new Date();
  const asOf = resolveAsOf(config, now);
  if (opts.rule !== undefined && !ruleByCode(opts.rule)) {
    throw new ValidationError(`unknown rule "${opts.rule}"; known rules: ${allRules.map((r) => r.code).join(', ')}`);
  }
  return db.orm.transaction(async (tx) => {
    await tx.execute(sql`set transaction isolation level repeatable read, read only`);
    const school = opts.school === undefined ? null : await findSchool(tx, opts.school);
    const scope = new Scope(school, opts.rule ?? null);
    // One connection, so one query at a time; the snapshot makes the sections agree with each other.
    const { freshness, everSynced } = await gatherFreshness(tx, config.sources, now);
    const totals = await gatherTotals(tx, scope);
    const coverage = await gatherCoverage(tx, scope, config.district.oneToOneGrades, asOf.date);
    const devicesPerStudent = await gatherDevicesPerStudent(tx, scope);
    const aueHorizon = await gatherAueHorizon(tx, scope, asOf.date);
    const silentDevices = await gatherSilent(tx, scope, asOf.at);
    const discrepancies = await gatherRows(tx, scope, config.district.domains);
    return {
      district: config.district.name,
      generatedAt: now.toISOString(),
      asOf: asOf.date,
      filters: { rule: opts.rule ?? null, school: school ? { externalId: school.externalId, name: school.name } : null },
      freshness,
      everSynced,
      totals,
      coverage: { grades: config.district.oneToOneGrades, ...coverage },
      devicesPerStudent,
      aueHorizon,
      silentDevices,
      discrepancies,
    };
  });
}

/** "just now", "42 min ago", "3 h ago" (under two days), "12 days ago". */
export function formatAge(seconds: number): string {
  const s = Math.max(0, seconds);
  if (s < 60) return 'just now';
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 48 * 3600) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} days ago`;
}

async function gatherFreshness(tx: Executor, configured: ReportConfig['sources'], now: Date): Promise<{ freshness: SourceFreshness[]; everSynced: boolean }> {
  const rs = await rows<{ source_id: string; kind: string | null; last_success: Date | string | null; failed_at: Date | string | null; error: string | null }>(tx, sql`
    select s.id as source_id, s.kind,
      (select max(r.finished_at) from sync_runs r where r.source_id = s.id and r.status in ('succeeded', 'approved')) as last_success,
      f.at as failed_at, f.error
    from sources s
    left join lateral (
      select coalesce(r.finished_at, r.started_at) as at, r.error from sync_runs r
      where r.source_id = s.id and r.status = 'failed' order by r.id desc limit 1
    ) f on true`);
  const [any] = await rows<{ ok: boolean }>(tx, sql`select exists (select 1 from sync_runs where status in ('succeeded', 'approved')) as ok`);
  const byId = new Map(rs.map((r) => [r.source_id, r]));
  const list = configured ?? rs.map((r) => ({ id: r.source_id, kind: r.kind ?? '' })).sort((a, b) => a.id.localeCompare(b.id));
  const freshness = list.map(({ id, kind }): SourceFreshness => {
    const r = byId.get(id);
    const success = r?.last_success ? new Date(r.last_success) : null;
    const failed = r?.failed_at ? new Date(r.failed_at) : null;
    const ageSeconds = success ? Math.max(0, Math.round((now.getTime() - success.getTime()) / 1000)) : null;
    return {
      source: id,
      kind,
      lastSuccessAt: success?.toISOString() ?? null,
      ageSeconds,
      age: ageSeconds === null ? null : formatAge(ageSeconds),
      // Stored errors from before runs scrubbed them may hold a failed query's parameters: never show those.
      lastFailure: failed && (!success || failed > success) ? { at: failed.toISOString(), error: safeStoredError(r?.error ?? null) } : null,
    };
  });
  return { freshness, everSynced: Boolean(any?.ok) };
}

async function findSchool(tx: Executor, s: string): Promise<ReportSchool & { ids: number[] }> {
  const found = await rows<{ id: number; external_id: string; name: string }>(tx, sql`
    select id, external_id, name from orgs where external_id = ${s} or identifier = ${s} or lower(name) = lower(${s}) order by id`);
  if (found.length === 0) throw new ValidationError(`no school matches "${s}" (by sourcedId, identifier or name)`);
  return { externalId: found[0]!.external_id, name: found[0]!.name, ids: found.map((f) => Number(f.id)) };
}

/** The report's filters as SQL predicates. */
class Scope {
  constructor(private readonly school: { ids: number[] } | null, private readonly rule: string | null) {}
  /** People alias `p` in the school (true without a school filter). */
  person(p: string): SQL {
    return this.school ? sql`${sql.raw(p)}.school_id = any(${sql.param(this.school.ids)}::bigint[])` : sql`true`;
  }
  /** Device id expression held by someone in the school. */
  device(deviceId: SQL): SQL {
    return this.school
      ? sql`exists (select 1 from assignments a join people p on p.id = a.person_id where a.device_id = ${deviceId} and a.ended_at is null and ${this.person('p')})`
      : sql`true`;
  }
  discrepancy(d: string): SQL {
    const byRule = this.rule === null ? sql`true` : sql`${sql.raw(d)}.rule = ${this.rule}`;
    const bySchool = this.school ? sql`exists (select 1 from people p where p.id = ${sql.raw(d)}.person_id and ${this.person('p')})` : sql`true`;
    return sql`(${byRule} and ${bySchool})`;
  }
  get ruleCodes(): string[] {
    return this.rule === null ? allRules.map((r) => r.code) : [this.rule];
  }
}

async function gatherTotals(tx: Executor, scope: Scope): Promise<ReconciliationReport['totals']> {
  const rs = await rows<{ rule: string; severity: string; school: string | null; status: string; n: number }>(tx, sql`
    select d.rule, d.severity, s.name as school, d.status, count(*)::int as n
    from discrepancies d left join people p on p.id = d.person_id left join orgs s on s.id = p.school_id
    where d.status <> 'resolved' and ${scope.discrepancy('d')}
    group by d.rule, d.severity, s.name, d.status`);
  const open = rs.filter((r) => r.status === 'open').map((r) => ({ ...r, n: num(r.n) }));
  const codes = [...scope.ruleCodes, ...new Set(open.map((r) => r.rule).filter((c) => !scope.ruleCodes.includes(c)))];
  const schools = [...new Set(open.map((r) => r.school))].sort((a, b) => (a ?? '\uffff').localeCompare(b ?? '\uffff'));
  return {
    open: open.reduce((a, r) => a + r.n, 0),
    suppressed: rs.filter((r) => r.status === 'suppressed').reduce((a, r) => a + num(r.n), 0),
    bySeverity: severityCounts(open),
    byRule: codes.map((rule) => ({ rule, title: ruleByCode(rule)?.title ?? rule, ...severityCounts(open.filter((r) => r.rule === rule)) })),
    bySchool: schools.map((school) => ({ school, ...severityCounts(open.filter((r) => r.school === school)) })),
  };
}

async function gatherCoverage(tx: Executor, scope: Scope, grades: string[], asOfDate: string): Promise<Omit<CoverageRow, 'school'> & { bySchool: CoverageRow[] }> {
  const rs = await rows<{ school: string | null; eligible: number; covered: number }>(tx, sql`
    select s.name as school, count(*)::int as eligible,
      count(*) filter (where exists (
        select 1 from assignments a join device_observations o on o.device_id = a.device_id
        where a.person_id = p.id and a.ended_at is null and ${liveObservation('o')} and o.status <> 'disabled'
          and (o.aue_date is null or o.aue_date >= ${asOfDate}::date)))::int as covered
    from people p left join orgs s on s.id = p.school_id
    where p.role = 'student' and p.status = 'active' and p.grades && ${textArray(grades)} and ${scope.person('p')}
    group by s.name order by s.name nulls last`);
  const bySchool = rs.map((r) => ({ school: r.school, eligible: num(r.eligible), covered: num(r.covered), percent: pct(num(r.covered), num(r.eligible)) }));
  const eligible = bySchool.reduce((a, r) => a + r.eligible, 0);
  const covered = bySchool.reduce((a, r) => a + r.covered, 0);
  return { eligible, covered, percent: pct(covered, eligible), bySchool };
}

async function gatherDevicesPerStudent(tx: Executor, scope: Scope): Promise<ReconciliationReport['devicesPerStudent']> {
  const rs = await rows<{ bucket: string; n: number }>(tx, sql`
    select case when k >= 3 then '3+' else k::text end as bucket, count(*)::int as n
    from (
      select (select count(*) from assignments a where a.person_id = p.id and a.ended_at is null) as k
      from people p where p.role = 'student' and p.status = 'active' and ${scope.person('p')}
    ) x group by 1`);
  return ['0', '1', '2', '3+'].map((devices) => ({ devices, students: num(rs.find((r) => r.bucket === devices)?.n) }));
}

async function gatherAueHorizon(tx: Executor, scope: Scope, asOfDate: string): Promise<ReconciliationReport['aueHorizon']> {
  const rs = await rows<{ quarter: string | null; n: number }>(tx, sql`
    select case when e.aue is null then null when e.aue < ${asOfDate}::date then 'expired' else to_char(e.aue, 'YYYY-"Q"Q') end as quarter,
      count(*)::int as n
    from devices d
    cross join lateral (select min(o.aue_date) as aue from device_observations o where o.device_id = d.id and ${liveObservation('o')}) e
    where d.status = 'active' and ${scope.device(sql`d.id`)}
    group by 1 order by 1`);
  return {
    expired: num(rs.find((r) => r.quarter === 'expired')?.n),
    quarters: rs.filter((r) => r.quarter !== null && r.quarter !== 'expired').map((r) => ({ quarter: r.quarter!, devices: num(r.n) })),
    unknown: num(rs.find((r) => r.quarter === null)?.n),
  };
}

async function gatherSilent(tx: Executor, scope: Scope, asOf: Date): Promise<ReconciliationReport['silentDevices']> {
  const rs = await rows<{ days: number; assigned: boolean; n: number }>(tx, sql`
    select floor(extract(epoch from (${asOf.toISOString()}::timestamptz - l.last)) / 86400)::int as days,
      exists (select 1 from assignments a where a.device_id = d.id and a.ended_at is null) as assigned, count(*)::int as n
    from devices d
    cross join lateral (select max(o.last_sync_at) as last from device_observations o where o.device_id = d.id and ${liveObservation('o')}) l
    where d.status = 'active' and l.last is not null and ${scope.device(sql`d.id`)}
      and l.last <= ${asOf.toISOString()}::timestamptz - ${SILENT_BUCKETS[0].from}::int * interval '1 day'
    group by 1, 2`);
  return SILENT_BUCKETS.map((b) => {
    const inside = rs.filter((r) => num(r.days) >= b.from && (b.to === null || num(r.days) < b.to));
    return { range: b.range, devices: inside.reduce((a, r) => a + num(r.n), 0), assigned: inside.filter((r) => r.assigned).reduce((a, r) => a + num(r.n), 0) };
  });
}

interface RawRow {
  id: number; rule: string; severity: Severity; occurrence: number; serial: string | null; asset_tag: string | null;
  name: string | null; sis_id: string | null; has_person: boolean; mdm_user: string | null; school: string | null;
  opened_at: Date | string; details: Record<string, unknown>;
}

async function gatherRows(tx: Executor, scope: Scope, domains: string[]): Promise<ReportRow[]> {
  const order = textArray([...SEVERITIES].reverse());
  // For unknown-user, the users no one matched (by the ledger's own matching); for the others, the MDM's user.
  const unknownOnly = sql`o.device_id in (select device_id from discrepancies where rule = 'unknown-user' and status = 'open')`;
  const rs = await rows<RawRow>(tx, sql`
    with unknown as (
      select u.device_id, string_agg(distinct u.email, ' ' order by u.email) as emails
      from (${observationUsers(domains, unknownOnly)}) u where u.email is not null and u.person_id is null group by u.device_id
    )
    select d.id, d.rule, d.severity, d.occurrence, dev.serial, dev.asset_tag,
      nullif(trim(concat_ws(' ', coalesce(p.preferred_name, p.given_name), p.family_name)), '') as name, p.sis_id,
      p.id is not null as has_person, case when d.rule = 'unknown-user' then k.emails else u.email end as mdm_user, s.name as school, d.opened_at, d.details
    from discrepancies d
    left join devices dev on dev.id = d.device_id
    left join people p on p.id = d.person_id
    left join orgs s on s.id = p.school_id
    left join lateral (
      select coalesce(o.user_email, o.recent_users ->> 0) as email from device_observations o
      where o.device_id = d.device_id and ${liveObservation('o')} and (o.user_email is not null or jsonb_array_length(o.recent_users) > 0)
      order by o.last_sync_at desc nulls last, o.id limit 1
    ) u on true
    left join unknown k on k.device_id = d.device_id
    where d.status = 'open' and ${scope.discrepancy('d')}
    order by array_position(${order}, d.severity), d.rule, d.opened_at, d.id`);
  const ruleOrder = allRules.map((r) => r.code);
  return rs
    .map((r): ReportRow => {
      const serials = Array.isArray(r.details.serials) ? (r.details.serials as string[]).join(' ') : null;
      return {
        id: Number(r.id),
        rule: r.rule,
        severity: r.severity,
        occurrence: Number(r.occurrence),
        serial: r.serial ?? serials,
        assetTag: r.asset_tag,
        person: r.has_person ? { name: r.name ?? '', sisId: r.sis_id } : null,
        mdmUser: r.rule === 'unknown-user' || !r.has_person ? r.mdm_user : null,
        school: r.school,
        since: new Date(r.opened_at).toISOString(),
        note: ruleByCode(r.rule)?.describe(r.details) ?? '',
        remediation: ruleByCode(r.rule)?.remediation ?? '',
        details: r.details,
      };
    })
    // Stable for readers: severity first (SQL), then the registry's rule order rather than alphabetical.
    .sort((a, b) => SEVERITIES.indexOf(b.severity) - SEVERITIES.indexOf(a.severity) || ruleOrder.indexOf(a.rule) - ruleOrder.indexOf(b.rule));
}
