/** Assignments (who holds which device, now and before), filtered and keyset-paged, newest first by default. */
import { sql } from 'drizzle-orm';
import { preparedRows, type Executor } from '../db/client.js';
import { keyset, keysetColumns, toPage, type Page, type PageRequest, type SortSpec } from './cursor.js';
import { and, deviceText, inSchool, iso, normaliseSerialInput, num, personName } from './shared.js';

export const ASSIGNMENT_SORTS = ['-startedAt', 'startedAt'] as const;
export type AssignmentSort = (typeof ASSIGNMENT_SORTS)[number];

const sorts: Record<AssignmentSort, SortSpec> = {
  '-startedAt': { expr: sql`a.started_at`, type: 'timestamptz', desc: true },
  startedAt: { expr: sql`a.started_at`, type: 'timestamptz' },
};

export interface AssignmentQuery extends PageRequest {
  /** open = held now; ended = history. */
  status?: 'open' | 'ended';
  origin?: 'mdm' | 'manual' | 'import';
  personId?: number;
  serial?: string;
  source?: string;
  school?: string;
  grade?: string;
  q?: string;
  sort?: AssignmentSort;
}

export interface AssignmentRow {
  id: number;
  deviceId: number;
  serial: string;
  assetTag: string | null;
  platform: string;
  personId: number;
  name: string | null;
  email: string | null;
  origin: string;
  sourceId: string | null;
  startedAt: string;
  endedAt: string | null;
  endedReason: string | null;
}

export async function listAssignments(db: Executor, q: AssignmentQuery = {}): Promise<Page<AssignmentRow>> {
  const sortName = q.sort ?? '-startedAt';
  const spec = sorts[sortName];
  const page = keyset(spec, sortName, sql`a.id`, q);
  const where = and([
    q.status === 'open' && sql`a.ended_at is null`,
    q.status === 'ended' && sql`a.ended_at is not null`,
    q.origin && sql`a.origin = ${q.origin}`,
    q.personId !== undefined && sql`a.person_id = ${q.personId}`,
    q.serial && sql`d.serial = ${normaliseSerialInput(q.serial)}`,
    q.source && sql`a.source_id = ${q.source}`,
    q.school && inSchool('p', q.school),
    q.grade && sql`${q.grade} = any(p.grades)`,
    q.q && q.q.trim() && deviceText(q.q, 'p'),
    page.where,
  ]);
  const rs = await preparedRows<Record<string, unknown> & { page_key: string; page_id: number }>(db, sql`
    select a.id, d.id as device_id, d.serial, d.asset_tag, d.platform, p.id as person_id, ${personName('p')} as name, p.email,
      a.origin, a.source_id, a.started_at, a.ended_at, a.ended_reason, ${keysetColumns(spec, sql`a.id`)}
    from assignments a join devices d on d.id = a.device_id join people p on p.id = a.person_id
    where ${where} order by ${page.orderBy} limit ${page.limit + 1}`);
  return toPage(rs, page.limit, sortName, (r) => ({
    id: num(r.id), deviceId: num(r.device_id), serial: String(r.serial), assetTag: (r.asset_tag as string | null) ?? null,
    platform: String(r.platform), personId: num(r.person_id), name: (r.name as string | null) ?? null, email: (r.email as string | null) ?? null,
    origin: String(r.origin), sourceId: (r.source_id as string | null) ?? null, startedAt: iso(r.started_at as string),
    endedAt: r.ended_at ? iso(r.ended_at as string) : null, endedReason: (r.ended_reason as string | null) ?? null,
  }));
}
