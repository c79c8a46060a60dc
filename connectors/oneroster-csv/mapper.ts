/**
 * Raw OneRoster rows → canonical records, under the contract in connectors/types.ts. Each function returns a
 * MapResult and never throws. Every column has a role (columns.ts): a bad sourcedId rejects the row outright, a
 * bad required column (name, role, classSourcedId, status) keeps it unreadable (present, stored row untouched),
 * and a bad optional column (a date, enabledUser, primary, a name with a control character) leaves that field
 * at its default with a FieldWarning. Cell formats come from the zod cell schemas in api-types.ts.
 */
import { rawCell } from '../shared/limits.js';
import { mapped, type MapResult } from '../shared/map-result.js';
import { RowCheck, validate } from '../shared/row-check.js';
import {
  enrollmentRecordSchema, orgRecordSchema, personRecordSchema,
  type EnrollmentRecord, type FieldWarning, type OrgRecord, type PersonRecord, type PersonRole,
} from '../types.js';
import { enrollmentRowSchema, orgRowSchema, roleRowSchema, userRowSchema, type ProcessingMode, type RowSchema } from './api-types.js';
import type { CsvRow } from './client.js';
import { COLUMNS, type ColumnSpec } from './columns.js';

/** @deprecated name kept for readers of older code: the shared MapResult. */
export type Mapped<T> = MapResult<T>;

export interface RowContext {
  file: string;
  mode: ProcessingMode;
}

/** One role of a user from roles.csv, kept in memory grouped by user. */
export interface RoleRef {
  role: string;
  primary: boolean;
  orgSourcedId: string;
}

/** What roles.csv says about one user: their roles, and why they cannot be applied if a role row is bad. */
export interface UserRoles {
  refs: RoleRef[];
  /** A kept-unreadable problem from a role row (the user's role set is incomplete). */
  broken?: { reason: string; field: string; location: string };
  warnings: Omit<FieldWarning, 'externalId'>[];
}

export interface PeopleContext extends RowContext {
  /** org sourcedId → type, from orgs.csv. */
  orgTypes: ReadonlyMap<string, string>;
  /** Lower-case org types that count as a school when picking the primary org. */
  schoolTypes: ReadonlySet<string>;
  /** Roles by user sourcedId when roles.csv was read (1.2), else null. */
  roles: ReadonlyMap<string, UserRoles> | null;
  /** The district's own role words (lower-case) → canonical roles, from the `roleMap` option. */
  roleMap: Readonly<Record<string, PersonRole>>;
}

const ROLE_MAP: Record<string, PersonRole> = {
  student: 'student',
  teacher: 'teacher',
  administrator: 'administrator',
  aide: 'aide',
  guardian: 'guardian',
  parent: 'parent',
  relative: 'relative',
  proctor: 'proctor',
  staff: 'staff',
  // 1.2 split administrator into these; the ledger only needs "administrator".
  districtadministrator: 'administrator',
  siteadministrator: 'administrator',
  systemadministrator: 'administrator',
  principal: 'administrator',
};

/** The canonical role for a OneRoster role word, the district's roleMap first; undefined when unknown. */
export function mapRole(raw: string, roleMap: Readonly<Record<string, PersonRole>> = {}): PersonRole | undefined {
  const key = raw.trim().toLowerCase();
  return roleMap[key] ?? ROLE_MAP[key];
}

/** `{LDAP:12},{Fed:abc}` → `['LDAP:12', 'Fed:abc']`; a list without braces is split on commas. */
export function parseUserIds(cell: string | null | undefined): string[] {
  if (!cell) return [];
  const braced = [...cell.matchAll(/\{([^}]*)\}/g)].map((m) => (m[1] ?? '').trim());
  return (braced.length > 0 ? braced : cell.split(',')).map((s) => s.trim()).filter((s) => s !== '');
}

/** Quoted comma lists such as grades `"09,10"` or orgSourcedIds. */
export function parseList(cell: string | null | undefined): string[] {
  return (cell ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
}

/**
 * Reads every known column of the row through its ColumnSpec: size cap and control characters, then the cell
 * format from the row schema. Returns the usable cells ('' for empty or unusable) and the RowCheck holding
 * what went wrong.
 */
function readColumns(schema: RowSchema, specs: Record<string, ColumnSpec>, row: CsvRow, at: RowContext) {
  const check = new RowCheck(`${at.file}:${row.line}`);
  const v: Record<string, string> = {};
  for (const [column, value] of Object.entries(row.values)) {
    const spec = specs[column];
    if (!spec) {
      v[column] = value; // known but never stored (sms, phone, password): not checked, not used
      continue;
    }
    const cell = check.cell(spec.field, column, value, spec.kind, spec.role);
    if (cell === null) {
      v[column] = '';
      continue;
    }
    const res = schema.shape[column]?.safeParse(cell);
    if (res && !res.success) {
      const reason = res.error.issues.map((i) => i.message).join('; ');
      if (spec.role === 'optional') check.warn(spec.field, column, reason, cell);
      else check.keep(spec.field, column, reason);
      v[column] = '';
      continue;
    }
    v[column] = cell;
  }
  // Unrecognised and extension columns go to metadata, so they face the same caps as named fields.
  const extra: Record<string, string> = {};
  for (const [column, value] of Object.entries(row.extra)) {
    const cell = check.cell('metadata', column, value, 'text', 'optional');
    if (cell !== null) extra[column] = cell;
  }
  if (!v.sourcedId && !check.hasIdentityProblem) check.reject('externalId', 'sourcedId', 'empty; a row without a sourcedId cannot be matched');
  return { check, v, extra, id: v.sourcedId || null };
}

const orNull = (v: string | undefined): string | null => (v === undefined || v === '' ? null : v);

export function mapOrg(row: CsvRow, at: RowContext): MapResult<OrgRecord> {
  const { check, v, extra, id } = readColumns(orgRowSchema, COLUMNS.orgs, row, at);
  const deleted = isDeleted(v.status, row, at, check);
  for (const req of ['name', 'type'] as const) if (!v[req] && row.values[req] === '') check.keep(req, req, 'empty');
  return check.finish(id, redact(row), () => validate(orgRecordSchema, {
    externalId: id,
    name: v.name,
    type: v.type,
    identifier: orNull(v.identifier),
    parentExternalId: orNull(v.parentSourcedId),
    deleted,
    metadata: extra,
  }, check));
}

/**
 * roles.csv row → the user it belongs to and what it says about them. A role row without a usable
 * userSourcedId is rejected outright; any other problem in a required column makes the *user* kept-unreadable
 * (their role set is incomplete, so neither their role nor their orgs can be trusted this run).
 */
export interface RoleRowOutcome {
  user: string;
  ref: RoleRef | null;
  broken?: UserRoles['broken'];
  warnings: UserRoles['warnings'];
}

export function mapRoleRow(row: CsvRow, at: RowContext): MapResult<RoleRowOutcome> {
  const { check, v } = readColumns(roleRowSchema, COLUMNS.roles, row, at);
  const user = v.userSourcedId || null;
  if (!user) {
    const r = new RowCheck(check.location);
    r.reject('personExternalId', 'userSourcedId', row.values.userSourcedId ? 'not a usable id' : 'empty');
    return r.finish<RoleRowOutcome>(null, redact(row), () => null);
  }
  const deleted = isDeleted(v.status, row, at, check);
  for (const req of ['role', 'orgSourcedId'] as const) if (!v[req] && row.values[req] === '') check.keep(req, req, 'empty');
  const out = check.finish(user, redact(row), () => ({ user }));
  if (!out.ok) {
    const { reason, field = 'role', location = check.location } = out.reject;
    return mapped({ user, ref: null, broken: { reason: `roles.csv row: ${reason}`, field, location }, warnings: [] });
  }
  const warnings = (out.warnings ?? []).map(({ externalId: _id, ...w }) => w);
  // A deleted or ended role no longer counts toward the user's roles.
  if (deleted) return mapped({ user, ref: null, warnings });
  const ref = { role: v.role!, primary: (v.roleType ?? '').toLowerCase() === 'primary', orgSourcedId: v.orgSourcedId! };
  return mapped({ user, ref, warnings });
}

export function mapPerson(row: CsvRow, at: PeopleContext): MapResult<PersonRecord> {
  const { check, v, extra, id } = readColumns(userRowSchema, COLUMNS.users, row, at);
  const deleted = isDeleted(v.status, row, at, check);

  const userRoles = id ? at.roles?.get(id) : undefined;
  if (userRoles?.broken) check.keep(userRoles.broken.field, `roles.csv ${userRoles.broken.location}`, userRoles.broken.reason);
  for (const w of userRoles?.warnings ?? []) check.warn(w.field, `roles.csv ${w.location}`, w.reason, typeof w.raw === 'string' ? w.raw : undefined);
  const roles = userRoles?.refs ?? [];
  const primaryRole = roles.find((x) => x.primary);
  const roleName = (primaryRole ?? roles[0])?.role ?? v.role ?? '';
  let role: PersonRole | undefined;
  // An unusable role cell (control character, over the cap) was already recorded by readColumns.
  const roleCellUnusable = (row.values.role ?? '') !== '' && !v.role;
  if (roleName === '') {
    if (!userRoles?.broken && !roleCellUnusable) {
      check.keep('role', 'role', at.roles ? 'no active row in roles.csv and no role column value' : 'empty');
    }
  } else {
    role = mapRole(roleName, at.roleMap);
    if (!role) {
      check.keep('role', at.roles && roles.length > 0 ? 'roles.csv role' : 'role',
        `'${rawCell(roleName.slice(0, 64))}' is not a OneRoster role; add it to this source's roleMap ` +
        `(e.g. roleMap: { ${rawCell(roleName.toLowerCase().slice(0, 64))}: staff })`);
    }
  }
  const orgs = unique([...roles.map((x) => x.orgSourcedId), ...parseList(v.orgSourcedIds)]);
  const enabled = (v.enabledUser ?? '').toLowerCase();

  return check.finish(id, redact(row), () => validate(personRecordSchema, {
    externalId: id,
    role,
    // An unreadable enabledUser was warned about and leaves status at 'active' (the ledger keeps the stored one).
    status: enabled === 'false' ? 'inactive' : 'active',
    deleted,
    givenName: orNull(v.givenName),
    familyName: orNull(v.familyName),
    preferredName: orNull(v.preferredGivenName),
    email: orNull(v.email),
    username: orNull(v.username),
    sisId: orNull(v.identifier),
    userIds: parseUserIds(v.userIds),
    grades: parseList(v.grades),
    orgExternalIds: orgs,
    primaryOrgExternalId: primaryOrg(v.primaryOrgSourcedId, primaryRole, orgs, at),
    metadata: extra,
  }, check));
}

/** 1.2 primaryOrgSourcedId, else the org of the primary role, else the first listed org that is a school. */
function primaryOrg(declared: string | undefined, primaryRole: RoleRef | undefined, orgs: string[], at: PeopleContext): string | null {
  if (declared) return declared;
  if (primaryRole) return primaryRole.orgSourcedId;
  return orgs.find((id) => at.schoolTypes.has((at.orgTypes.get(id) ?? '').toLowerCase())) ?? null;
}

export function mapEnrollment(row: CsvRow, at: RowContext): MapResult<EnrollmentRecord> {
  const { check, v, id } = readColumns(enrollmentRowSchema, COLUMNS.enrollments, row, at);
  const deleted = isDeleted(v.status, row, at, check);
  for (const req of ['classSourcedId', 'userSourcedId', 'role'] as const) {
    if (!v[req] && row.values[req] === '') check.keep(COLUMNS.enrollments[req]!.field, req, 'empty');
  }
  const primary = (v.primary ?? '').toLowerCase();
  return check.finish(id, redact(row), () => validate(enrollmentRecordSchema, {
    externalId: id,
    personExternalId: v.userSourcedId,
    classExternalId: v.classSourcedId,
    schoolExternalId: orNull(v.schoolSourcedId),
    role: v.role,
    primary: primary === '' ? null : primary === 'true',
    beginDate: orNull(v.beginDate),
    endDate: orNull(v.endDate),
    deleted,
  }, check));
}

/**
 * `tobedeleted` (and 1.0's `inactive`) is an explicit delete. A bulk file may leave status empty (= active);
 * a delta file must say, since an empty status there cannot tell an update from a delete (kept-unreadable).
 */
function isDeleted(status: string | undefined, row: CsvRow, at: RowContext, check: RowCheck): boolean {
  const s = (status ?? '').toLowerCase();
  if (s === '' && at.mode === 'delta' && (row.values.status ?? '') === '') {
    check.keep('status', 'status', 'empty in a delta file (expected active or tobedeleted)');
  }
  return s === 'tobedeleted' || s === 'inactive';
}

/** Rejects are stored and shown to admins; OneRoster users.csv may carry plain-text passwords. */
function redact(row: CsvRow): Record<string, string> {
  const raw = { ...row.values, ...row.extra };
  if (raw.password) raw.password = '[redacted]';
  return raw;
}

function unique(xs: string[]): string[] {
  return [...new Set(xs)];
}
