/**
 * How each stream's canonical records map onto staging columns and ledger tables. The writer is generic over
 * these specs, so orgs, people, enrollments and device observations share one upsert / diff / history path.
 */
import { sql, type SQL } from 'drizzle-orm';
import type { RecordByStream, Stream } from '../../connectors/types.js';
import { normaliseSerial, pgArrayLiteral } from './encode.js';

export type PgType = 'text' | 'int' | 'bool' | 'date' | 'timestamptz' | 'text[]' | 'jsonb';

export interface Column<R> {
  name: string;
  type: PgType;
  get(r: R): string | number | boolean | null;
}

export interface StreamSpec<S extends Stream = Stream> {
  stream: S;
  /** Ledger table and `events.entity` name. */
  table: string;
  entity: string;
  stage: string;
  /** Columns staged and copied straight into the table (same name on both sides). */
  columns: Column<RecordByStream[S]>[];
  /** Table columns computed at upsert time from the staged row `s` (e.g. foreign keys). */
  derived?: (sourceId: string) => Record<string, SQL>;
  /**
   * How the ledger marks a row live or not: people/orgs/enrollments use `status`, observations `active`.
   * `liveJson`/`deadJson` are the same values as JSON, for comparing the history CTE's before/after documents.
   */
  state: { column: 'status' | 'active'; live: SQL; dead: SQL; liveJson: string; deadJson: string; fromRecord?: SQL };
  /** Staged columns that stand for a canonical field whose name is not the column's camelCase (e.g. userIds). */
  fieldColumns?: Record<string, string[]>;
  /**
   * Columns whose change can move a device's holder (DESIGN §5 matching): when a run changes none of them, and
   * creates, deactivates or reactivates nothing, the assignments are as last computed and are not recomputed.
   */
  holderColumns?: string[];
  /** Outbox events for rows of this stream that go inactive / live again (people only). */
  outbox?: { dead: 'person.deactivated'; live: 'person.reactivated' };
}

const text = <R>(name: string, get: (r: R) => string | null): Column<R> => ({ name, type: 'text', get });
const list = <R>(name: string, get: (r: R) => readonly string[]): Column<R> => ({ name, type: 'text[]', get: (r) => pgArrayLiteral(get(r)) });
const json = <R>(name: string, get: (r: R) => unknown): Column<R> => ({ name, type: 'jsonb', get: (r) => JSON.stringify(get(r)) });

const statusState = { column: 'status' as const, live: sql`'active'`, dead: sql`'inactive'`, liveJson: '"active"', deadJson: '"inactive"' };

export const orgsSpec: StreamSpec<'orgs'> = {
  stream: 'orgs',
  table: 'orgs',
  entity: 'org',
  stage: 'stage_orgs',
  columns: [
    text('name', (r) => r.name),
    text('type', (r) => r.type),
    text('identifier', (r) => r.identifier),
    text('parent_external_id', (r) => r.parentExternalId),
    json('metadata', (r) => r.metadata),
  ],
  state: statusState,
};

export const peopleSpec: StreamSpec<'people'> = {
  stream: 'people',
  table: 'people',
  entity: 'person',
  stage: 'stage_people',
  columns: [
    text('role', (r) => r.role),
    text('given_name', (r) => r.givenName),
    text('family_name', (r) => r.familyName),
    text('preferred_name', (r) => r.preferredName),
    text('email', (r) => r.email),
    text('username', (r) => r.username),
    text('sis_id', (r) => r.sisId),
    list('user_ids', (r) => r.userIds),
    list('user_id_keys', (r) => r.userIds.map((u) => u.slice(u.indexOf(':') + 1).trim().toLowerCase()).filter((k) => k !== '')),
    list('grades', (r) => r.grades),
    list('org_external_ids', (r) => r.orgExternalIds),
    text('school_external_id', (r) => r.primaryOrgExternalId),
    json('metadata', (r) => r.metadata),
  ],
  derived: (sourceId) => ({
    school_id: sql`(select o.id from orgs o where o.source_id = ${sourceId} and o.external_id = s.school_external_id)`,
  }),
  // A disabled account (enabledUser=false) is inactive though present; absent or deleted is inactive too.
  state: { ...statusState, fromRecord: sql`s.rec_status` },
  fieldColumns: { userIds: ['user_ids', 'user_id_keys'], primaryOrgExternalId: ['school_external_id'], status: ['rec_status'], preferredName: ['preferred_name'] },
  holderColumns: ['email', 'username', 'user_id_keys', 'status'],
  outbox: { dead: 'person.deactivated', live: 'person.reactivated' },
};

export const enrollmentsSpec: StreamSpec<'enrollments'> = {
  stream: 'enrollments',
  table: 'enrollments',
  entity: 'enrollment',
  stage: 'stage_enrollments',
  columns: [
    text('person_external_id', (r) => r.personExternalId),
    text('class_external_id', (r) => r.classExternalId),
    text('school_external_id', (r) => r.schoolExternalId),
    text('role', (r) => r.role),
    { name: 'primary', type: 'bool', get: (r) => r.primary },
    { name: 'begin_date', type: 'date', get: (r) => r.beginDate },
    { name: 'end_date', type: 'date', get: (r) => r.endDate },
  ],
  state: statusState,
};

export const observationsSpec: StreamSpec<'devices'> = {
  stream: 'devices',
  table: 'device_observations',
  entity: 'observation',
  stage: 'stage_devices',
  columns: [
    text('status', (r) => r.status.toLowerCase()),
    text('user_email', (r) => r.userEmail?.trim().toLowerCase() || null),
    json('recent_users', (r) => r.recentUsers.map((e) => e.trim().toLowerCase())),
    text('org_unit', (r) => r.orgUnit),
    text('os_version', (r) => r.osVersion),
    text('asset_tag', (r) => r.assetTag),
    text('model', (r) => r.model),
    { name: 'last_sync_at', type: 'timestamptz', get: (r) => r.lastSyncAt },
    { name: 'enrolled_at', type: 'timestamptz', get: (r) => r.enrolledAt },
    { name: 'aue_date', type: 'date', get: (r) => r.aueDate },
    text('compliance', (r) => r.compliance),
    text('boot_mode', (r) => r.bootMode),
    text('annotated_location', (r) => r.annotatedLocation),
    text('notes', (r) => r.notes),
    text('mac_address', (r) => r.macAddress),
    text('org_unit_id', (r) => r.orgUnitId),
  ],
  derived: () => ({ device_id: sql`(select d.id from devices d where d.serial = s.serial)` }),
  state: { column: 'active', live: sql`true`, dead: sql`false`, liveJson: 'true', deadJson: 'false' },
  // last_sync_at picks the holder when two MDMs report one device; device_id moves an observation to a device.
  holderColumns: ['status', 'user_email', 'recent_users', 'last_sync_at', 'device_id', 'active'],
};

/** Staged but not copied: the device-level attributes, upserted into `devices` by serial first. */
export const deviceStageColumns: Column<RecordByStream['devices']>[] = [
  text('serial', (r) => normaliseSerial(r.serial)),
  text('manufacturer', (r) => r.manufacturer),
  text('platform', (r) => r.platform),
];

export const specs = { orgs: orgsSpec, people: peopleSpec, enrollments: enrollmentsSpec, devices: observationsSpec } as const;

/** Extra staged columns per stream beyond the spec's copied ones. */
export function stageColumns<S extends Stream>(spec: StreamSpec<S>): Column<RecordByStream[S]>[] {
  const extra: Column<RecordByStream[S]>[] = [];
  if (spec.stream === 'people') extra.push(text('rec_status', (r) => (r as RecordByStream['people']).status) as Column<RecordByStream[S]>);
  if (spec.stream === 'devices') extra.push(...(deviceStageColumns as unknown as Column<RecordByStream[S]>[]));
  return [...spec.columns, ...extra];
}

const snake = (field: string) => field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/**
 * The staged columns that hold canonical `fields` of this stream, for the per-record `keep` list. Fields with no
 * column (dateLastModified, metadata-only fields) keep nothing because nothing stores them.
 */
export function columnsForFields<S extends Stream>(spec: StreamSpec<S>, fields: Iterable<string>): string[] {
  const names = new Set(stageColumns(spec).map((c) => c.name));
  const out = new Set<string>();
  for (const f of fields) {
    for (const c of spec.fieldColumns?.[f] ?? [snake(f)]) if (names.has(c)) out.add(c);
  }
  return [...out];
}
