/** Discrepancies (findings), filtered and keyset-paged; most severe and newest first by default. */
import { sql } from 'drizzle-orm';
import { preparedRows, type Executor } from '../db/client.js';
import { keyset, keysetColumns, toPage, type Page, type PageRequest, type SortSpec } from './cursor.js';
import { and, deviceText, inSchool, iso, num, personName, personText } from './shared.js';

export const DISCREPANCY_SORTS = ['severity', '-openedAt', 'openedAt'] as const;
export type DiscrepancySort = (typeof DISCREPANCY_SORTS)[number];
export const DISCREPANCY_STATUSES = ['open', 'suppressed', 'resolved'] as const;
export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;

// critical = 4 … low = 1: one integer, so "most severe first" pages by keyset like any other column.
const severityRank = sql`(case d.severity when 'critical' then 4 when 'high' then 3 when 'medium' then 2 else 1 end)`;
const sorts: Record<DiscrepancySort, SortSpec> = {
  severity: { expr: severityRank, type: 'int', desc: true },
  '-openedAt': { expr: sql`d.opened_at`, type: 'timestamptz', desc: true },
  openedAt: { expr: sql`d.opened_at`, type: 'timestamptz' },
};

export interface DiscrepancyQuery extends PageRequest {
  /** Default: open. */
  status?: (typeof DISCREPANCY_STATUSES)[number];
  rule?: string;
  severity?: (typeof SEVERITIES)[number];
  /** The person's school, or the device holder's. */
  school?: string;
  grade?: string;
  q?: string;
  sort?: DiscrepancySort;
}

export interface DiscrepancyRow {
  id: number;
  rule: string;
  severity: string;
  status: string;
  occurrence: number;
  subjectKey: string;
  device: { id: number; serial: string; assetTag: string | null } | null;
  person: { id: number; name: string | null; email: string | null } | null;
  openedAt: string;
  lastSeenAt: string;
  resolvedAt: string | null;
  resolvedReason: string | null;
  suppressedUntil: string | null;
  details: Record<string, unknown>;
}

export async function listDiscrepancies(db: Executor, q: DiscrepancyQuery = {}): Promise<Page<DiscrepancyRow>> {
  const sortName = q.sort ?? 'severity';
  const spec = sorts[sortName];
  const page = keyset(spec, sortName, sql`d.id`, q);
  const where = and([
    sql`d.status = ${q.status ?? 'open'}`,
    q.rule && sql`d.rule = ${q.rule}`,
    q.severity && sql`d.severity = ${q.severity}`,
    q.school && sql`(${inSchool('p', q.school)} or ${inSchool('hp', q.school)})`,
    q.grade && sql`(${q.grade} = any(p.grades) or ${q.grade} = any(hp.grades))`,
    q.q && q.q.trim() && sql`(coalesce(${deviceText(q.q, null, 'dv')}, false) or coalesce(${personText(q.q, 'p')}, false) or coalesce(${personText(q.q, 'hp')}, false))`,
    page.where,
  ]);
  const rs = await preparedRows<Record<string, unknown> & { page_key: string; page_id: number }>(db, sql`
    select d.id, d.rule, d.severity, d.status, d.occurrence, d.subject_key, d.opened_at, d.last_seen_at, d.resolved_at, d.resolved_reason,
      d.suppressed_until, d.details, dv.id as device_id, dv.serial, dv.asset_tag,
      coalesce(p.id, hp.id) as person_id, coalesce(${personName('p')}, ${personName('hp')}) as person_name, coalesce(p.email, hp.email) as person_email,
      ${keysetColumns(spec, sql`d.id`)}
    from discrepancies d
    left join devices dv on dv.id = d.device_id
    left join people p on p.id = d.person_id
    left join assignments ha on d.person_id is null and ha.device_id = d.device_id and ha.ended_at is null
    left join people hp on hp.id = ha.person_id
    where ${where} order by ${page.orderBy} limit ${page.limit + 1}`);
  return toPage(rs, page.limit, sortName, (r) => ({
    id: num(r.id), rule: String(r.rule), severity: String(r.severity), status: String(r.status), occurrence: num(r.occurrence),
    subjectKey: String(r.subject_key),
    device: r.device_id === null ? null : { id: num(r.device_id), serial: String(r.serial), assetTag: (r.asset_tag as string | null) ?? null },
    person: r.person_id === null ? null : { id: num(r.person_id), name: (r.person_name as string | null) ?? null, email: (r.person_email as string | null) ?? null },
    openedAt: iso(r.opened_at as string), lastSeenAt: iso(r.last_seen_at as string),
    resolvedAt: r.resolved_at ? iso(r.resolved_at as string) : null, resolvedReason: (r.resolved_reason as string | null) ?? null,
    suppressedUntil: r.suppressed_until ? iso(r.suppressed_until as string) : null,
    details: (r.details as Record<string, unknown>) ?? {},
  }));
}
