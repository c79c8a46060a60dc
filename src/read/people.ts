/** Reading people back: a filtered, keyset-paged list, and one person with the devices they hold and held. */
import { sql, type SQL } from 'drizzle-orm';
import { preparedRows, type Executor } from '../db/client.js';
import { NotFoundError } from '../errors.js';
import { keyset, keysetColumns, toPage, type Page, type PageRequest, type SortSpec } from './cursor.js';
import { HISTORY_LIMIT, historyColumns, toHistory, type HistoryEvent } from './devices.js';
import { and, inSchool, iso, num, personName, personText } from './shared.js';

export const PEOPLE_SORTS = ['name', '-name', 'id', '-id'] as const;
export type PeopleSort = (typeof PEOPLE_SORTS)[number];

/**
 * Family name, then given name, case- and accent-blind: Álvarez files under A and Muñoz beside Munoz, as on a
 * printed roster. The database's collation cannot be relied on for that (C.UTF-8 on a stock server, and the
 * embedded database has no ICU), so accented Latin letters are folded to their base letter first.
 */
const FOLD_FROM = 'áàâäãåāăąçćčďéèêëēėęěíìîïīįľłñńňóòôöõøōőřśšşťúùûüūůűųýÿžźż';
const FOLD_TO = 'aaaaaaaaacccdeeeeeeeeiiiiiillnnnoooooooorssstuuuuuuuuyyzzz';
const nameKey = sql`translate(lower(coalesce(p.family_name, '') || ' ' || coalesce(p.preferred_name, p.given_name, '')), ${sql.raw(`'${FOLD_FROM}'`)}, ${sql.raw(`'${FOLD_TO}'`)})`;
const sorts: Record<PeopleSort, SortSpec> = {
  name: { expr: nameKey, type: 'text' },
  '-name': { expr: nameKey, type: 'text', desc: true },
  id: { expr: sql`p.id`, type: 'bigint' },
  '-id': { expr: sql`p.id`, type: 'bigint', desc: true },
};

export interface PeopleQuery extends PageRequest {
  status?: 'active' | 'inactive';
  role?: string;
  school?: string;
  grade?: string;
  source?: string;
  /** Free text: name, email, username, SIS id. */
  q?: string;
  sort?: PeopleSort;
}

export interface PersonSummary {
  id: number;
  sourceId: string;
  externalId: string;
  role: string;
  status: string;
  name: string | null;
  email: string | null;
  sisId: string | null;
  grades: string[];
  school: string | null;
  /** Devices held now. */
  devicesHeld: number;
}

type PersonRow = {
  id: number; source_id: string; external_id: string; role: string; status: string; name: string | null; email: string | null;
  sis_id: string | null; grades: string[] | null; school: string | null; held: number;
};

const summaryColumns = sql`p.id, p.source_id, p.external_id, p.role, p.status, ${personName('p')} as name, p.email, p.sis_id, p.grades,
  coalesce((select o.name from orgs o where o.id = p.school_id), p.school_external_id) as school,
  (select count(*)::int from assignments a where a.person_id = p.id and a.ended_at is null) as held`;

function toSummary(r: PersonRow): PersonSummary {
  return {
    id: num(r.id), sourceId: r.source_id, externalId: r.external_id, role: r.role, status: r.status, name: r.name, email: r.email,
    sisId: r.sis_id, grades: r.grades ?? [], school: r.school, devicesHeld: num(r.held),
  };
}

export async function listPeople(db: Executor, q: PeopleQuery = {}): Promise<Page<PersonSummary>> {
  const sortName = q.sort ?? 'name';
  const spec = sorts[sortName];
  const page = keyset(spec, sortName, sql`p.id`, q);
  const filters: SQL = and([
    q.status && sql`p.status = ${q.status} and ${q.status === 'active' ? sql`p.deactivated_at is null` : sql`true`}`,
    q.role && sql`p.role = ${q.role}`,
    q.source && sql`p.source_id = ${q.source}`,
    q.school && inSchool('p', q.school),
    q.grade && sql`${q.grade} = any(p.grades)`,
    q.q && q.q.trim() && personText(q.q, 'p'),
    page.where,
  ]);
  const rs = await preparedRows<PersonRow & { page_key: string; page_id: number }>(db, sql`
    select ${summaryColumns}, ${keysetColumns(spec, sql`p.id`)}
    from people p where ${filters}
    order by ${page.orderBy} limit ${page.limit + 1}`);
  return toPage(rs, page.limit, sortName, toSummary);
}

export interface HeldDevice {
  assignmentId: number;
  deviceId: number;
  serial: string;
  assetTag: string | null;
  model: string | null;
  platform: string;
  origin: string;
  startedAt: string;
  endedAt: string | null;
  endedReason: string | null;
}

export interface PersonDetail extends PersonSummary {
  username: string | null;
  firstSeenAt: string;
  lastSeenAt: string;
  deactivatedAt: string | null;
  devicesNow: HeldDevice[];
  /** Ended assignments, newest first. */
  devicesBefore: HeldDevice[];
  discrepancies: { id: number; rule: string; severity: string; status: string; openedAt: string }[];
  /** Events of the person and their assignments, newest first (at most 200). */
  history: HistoryEvent[];
}

export function toHeldDevice(r: Record<string, unknown>): HeldDevice {
  return {
    assignmentId: num(r.assignment_id), deviceId: num(r.device_id), serial: String(r.serial), assetTag: (r.asset_tag as string | null) ?? null,
    model: (r.model as string | null) ?? null, platform: String(r.platform), origin: String(r.origin), startedAt: iso(r.started_at as string),
    endedAt: r.ended_at ? iso(r.ended_at as string) : null, endedReason: (r.ended_reason as string | null) ?? null,
  };
}

export const heldColumns = sql`a.id as assignment_id, d.id as device_id, d.serial, d.asset_tag, d.model, d.platform, a.origin,
  a.started_at, a.ended_at, a.ended_reason`;

export async function getPersonDetail(db: Executor, id: number): Promise<PersonDetail> {
  const [p] = await preparedRows<PersonRow & { username: string | null; first_seen_at: string; last_seen_at: string; deactivated_at: string | null }>(db, sql`
    select ${summaryColumns}, p.username, p.first_seen_at, p.last_seen_at, p.deactivated_at from people p where p.id = ${id}`);
  if (!p) throw new NotFoundError(`no person with id ${id}`, { personId: id });
  const held = await preparedRows<Record<string, unknown>>(db, sql`
    select ${heldColumns} from assignments a join devices d on d.id = a.device_id
    where a.person_id = ${id} order by a.ended_at desc nulls first, a.started_at desc, a.id desc`);
  const disc = await preparedRows<{ id: number; rule: string; severity: string; status: string; opened_at: string }>(db, sql`
    select id, rule, severity, status, opened_at from discrepancies where person_id = ${id} and status <> 'resolved' order by id`);
  const history = await preparedRows<Record<string, unknown>>(db, sql`
    ${historyColumns} from events e where e.entity = 'person' and e.entity_id = ${id}
    union all ${historyColumns} from assignments a join events e on e.entity = 'assignment' and e.entity_id = a.id where a.person_id = ${id}
    order by at desc, id desc limit ${HISTORY_LIMIT}`);
  const devices = held.map(toHeldDevice);
  return {
    ...toSummary(p),
    username: p.username,
    firstSeenAt: iso(p.first_seen_at),
    lastSeenAt: iso(p.last_seen_at),
    deactivatedAt: p.deactivated_at ? iso(p.deactivated_at) : null,
    devicesNow: devices.filter((d) => d.endedAt === null),
    devicesBefore: devices.filter((d) => d.endedAt !== null),
    discrepancies: disc.map((x) => ({ id: num(x.id), rule: x.rule, severity: x.severity, status: x.status, openedAt: iso(x.opened_at) })),
    history: history.map(toHistory),
  };
}
