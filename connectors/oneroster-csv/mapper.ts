/**
 * Raw OneRoster rows → canonical records. Each function returns a record or a Reject, never throws: a bad
 * row is quarantined with its file:line, sourcedId and the column at fault, and the rest of the file goes on.
 */
import type { z } from 'zod';
import {
  enrollmentRecordSchema, orgRecordSchema, personRecordSchema,
  type EnrollmentRecord, type OrgRecord, type PersonRecord, type PersonRole, type Reject,
} from '../types.js';
import {
  enrollmentRowSchema, orgRowSchema, roleRowSchema, userRowSchema,
  type ProcessingMode, type RowSchema, type UserRow,
} from './api-types.js';
import type { CsvRow } from './client.js';

export type Mapped<T> = { ok: true; record: T } | { ok: false; reject: Reject };

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

export interface PeopleContext extends RowContext {
  /** org sourcedId → type, from orgs.csv. */
  orgTypes: ReadonlyMap<string, string>;
  /** Lower-case org types that count as a school when picking the primary org. */
  schoolTypes: ReadonlySet<string>;
  /** Roles by user sourcedId when roles.csv was read (1.2), else null. */
  roles: ReadonlyMap<string, RoleRef[]> | null;
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

export function mapRole(raw: string): PersonRole {
  return ROLE_MAP[raw.trim().toLowerCase()] ?? 'other';
}

/** `{LDAP:12},{Fed:abc}` → `['LDAP:12', 'Fed:abc']`; a list without braces is split on commas. */
export function parseUserIds(cell: string | undefined): string[] {
  if (!cell) return [];
  const braced = [...cell.matchAll(/\{([^}]*)\}/g)].map((m) => (m[1] ?? '').trim());
  return (braced.length > 0 ? braced : cell.split(',')).map((s) => s.trim()).filter((s) => s !== '');
}

/** Quoted comma lists such as grades `"09,10"` or orgSourcedIds. */
export function parseList(cell: string | undefined): string[] {
  return (cell ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
}

const orNull = (v: string | undefined): string | null => (v === undefined || v === '' ? null : v);

export function mapOrg(row: CsvRow, at: RowContext): Mapped<OrgRecord> {
  const raw = parseRaw(orgRowSchema, row, at);
  if (!raw.ok) return raw;
  const r = raw.record;
  const deleted = isDeleted(r.status, row, at);
  if (typeof deleted !== 'boolean') return deleted;
  return validate(orgRecordSchema, {
    externalId: r.sourcedId,
    name: r.name,
    type: r.type,
    identifier: orNull(r.identifier),
    parentExternalId: orNull(r.parentSourcedId),
    deleted,
    metadata: row.extra,
  }, row, at);
}

/** roles.csv row → the user it belongs to and the role, or a Reject. Ended or deleted roles give null. */
export function mapRoleRow(row: CsvRow, at: RowContext): Mapped<{ user: string; ref: RoleRef } | null> {
  const raw = parseRaw(roleRowSchema, row, at);
  if (!raw.ok) return raw;
  const r = raw.record;
  const deleted = isDeleted(r.status, row, at);
  if (typeof deleted !== 'boolean') return deleted;
  if (deleted) return { ok: true, record: null };
  const ref = { role: r.role, primary: (r.roleType ?? '').toLowerCase() === 'primary', orgSourcedId: r.orgSourcedId };
  return { ok: true, record: { user: r.userSourcedId, ref } };
}

export function mapPerson(row: CsvRow, at: PeopleContext): Mapped<PersonRecord> {
  const raw = parseRaw(userRowSchema, row, at);
  if (!raw.ok) return raw;
  const r = raw.record;
  const deleted = isDeleted(r.status, row, at);
  if (typeof deleted !== 'boolean') return deleted;

  const roles = at.roles?.get(r.sourcedId) ?? [];
  const primaryRole = roles.find((x) => x.primary);
  const roleName = (primaryRole ?? roles[0])?.role ?? r.role ?? '';
  if (roleName === '') {
    const where = at.roles ? 'no active row in roles.csv and no role column value' : 'role is empty';
    return { ok: false, reject: reject(row, at, 'role', where) };
  }
  const orgs = unique([...roles.map((x) => x.orgSourcedId), ...parseList(r.orgSourcedIds)]);

  return validate(personRecordSchema, {
    externalId: r.sourcedId,
    role: mapRole(roleName),
    status: (r.enabledUser ?? '').toLowerCase() === 'false' ? 'inactive' : 'active',
    deleted,
    givenName: orNull(r.givenName),
    familyName: orNull(r.familyName),
    preferredName: orNull(r.preferredGivenName),
    email: orNull(r.email),
    username: orNull(r.username),
    sisId: orNull(r.identifier),
    userIds: parseUserIds(r.userIds),
    grades: parseList(r.grades),
    orgExternalIds: orgs,
    primaryOrgExternalId: primaryOrg(r, primaryRole, orgs, at),
    metadata: row.extra,
  }, row, at);
}

/** 1.2 primaryOrgSourcedId, else the org of the primary role, else the first listed org that is a school. */
function primaryOrg(r: UserRow, primaryRole: RoleRef | undefined, orgs: string[], at: PeopleContext): string | null {
  if (r.primaryOrgSourcedId) return r.primaryOrgSourcedId;
  if (primaryRole) return primaryRole.orgSourcedId;
  return orgs.find((id) => at.schoolTypes.has((at.orgTypes.get(id) ?? '').toLowerCase())) ?? null;
}

export function mapEnrollment(row: CsvRow, at: RowContext): Mapped<EnrollmentRecord> {
  const raw = parseRaw(enrollmentRowSchema, row, at);
  if (!raw.ok) return raw;
  const r = raw.record;
  const deleted = isDeleted(r.status, row, at);
  if (typeof deleted !== 'boolean') return deleted;
  const primary = (r.primary ?? '').toLowerCase();
  return validate(enrollmentRecordSchema, {
    externalId: r.sourcedId,
    personExternalId: r.userSourcedId,
    classExternalId: r.classSourcedId,
    schoolExternalId: orNull(r.schoolSourcedId),
    role: r.role,
    primary: primary === '' ? null : primary === 'true',
    beginDate: orNull(r.beginDate),
    endDate: orNull(r.endDate),
    deleted,
  }, row, at);
}

/**
 * `tobedeleted` (and 1.0's `inactive`) is an explicit delete. A bulk file may leave status empty (= active);
 * a delta file must say, since an empty status there cannot tell an update from a delete.
 */
function isDeleted(status: string | undefined, row: CsvRow, at: RowContext): boolean | { ok: false; reject: Reject } {
  const s = (status ?? '').toLowerCase();
  if (s === '' && at.mode === 'delta') {
    return { ok: false, reject: reject(row, at, 'status', 'status is empty in a delta file (expected active or tobedeleted)') };
  }
  return s === 'tobedeleted' || s === 'inactive';
}

function parseRaw<S extends RowSchema>(schema: S, row: CsvRow, at: RowContext): Mapped<z.infer<S>> {
  const res = schema.safeParse(row.values);
  if (res.success) return { ok: true, record: res.data as z.infer<S> };
  return { ok: false, reject: fromIssues(res.error.issues, row, at) };
}

function validate<T>(schema: z.ZodType<T>, candidate: unknown, row: CsvRow, at: RowContext): Mapped<T> {
  const res = schema.safeParse(candidate);
  if (res.success) return { ok: true, record: res.data };
  return { ok: false, reject: fromIssues(res.error.issues, row, at) };
}

/** One Reject per row: `field` is the first column at fault, `reason` lists them all. */
function fromIssues(issues: readonly z.core.$ZodIssue[], row: CsvRow, at: RowContext): Reject {
  const field = issues[0]?.path.join('.') || undefined;
  const reason = issues.map((i) => `${i.path.join('.') || 'row'}: ${i.message}`).join('; ');
  return reject(row, at, field, reason);
}

function reject(row: CsvRow, at: RowContext, field: string | undefined, reason: string): Reject {
  const sourcedId = row.values.sourcedId;
  return {
    ...(sourcedId ? { externalId: sourcedId } : {}),
    field,
    reason,
    location: `${at.file}:${row.line}`,
    raw: redact({ ...row.values, ...row.extra }),
  };
}

/** Rejects are stored and shown to admins; OneRoster users.csv may carry plain-text passwords. */
function redact(raw: Record<string, string>): Record<string, string> {
  if (raw.password) return { ...raw, password: '[redacted]' };
  return raw;
}

function unique(xs: string[]): string[] {
  return [...new Set(xs)];
}
