/**
 * Raw OneRoster REST objects → canonical records (connectors/types.ts). Never throws: each object becomes a
 * record (with FieldWarnings for optional fields left at their default) or a Reject. A missing or unusable
 * sourcedId rejects outright; an unusable required field (status, name, role, user, class) keeps the record
 * unreadable (present, stored row untouched); an unusable optional field only warns. Reasons name fields, never
 * values, so no name, email or id reaches a log through them.
 */
import type { z } from 'zod';
import type { FieldKind } from '../shared/limits.js';
import { rawCell } from '../shared/limits.js';
import type { MapResult } from '../shared/map-result.js';
import { RowCheck, type FieldRole } from '../shared/row-check.js';
import {
  enrollmentRecordSchema, orgRecordSchema, personRecordSchema,
  type EnrollmentRecord, type OrgRecord, type PersonRecord, type PersonRole,
} from '../types.js';
import { enrollmentSchema, orgSchema, userSchema } from './api-types.js';

export interface MapContext {
  /** Where the object came from, e.g. `/users?offset=200`. */
  location: string;
  mode: 'bulk' | 'delta';
}

export interface PeopleContext extends MapContext {
  /** org sourcedId → type, from the orgs read earlier in the run (empty in a delta). */
  orgTypes: ReadonlyMap<string, string>;
  schoolTypes: ReadonlySet<string>;
  roleMap: Readonly<Record<string, PersonRole>>;
}

// Same role vocabulary as the CSV connector (copied: vendor folders may not import each other).
const ROLE_MAP: Record<string, PersonRole> = {
  student: 'student', teacher: 'teacher', administrator: 'administrator', aide: 'aide', guardian: 'guardian',
  parent: 'parent', relative: 'relative', proctor: 'proctor', staff: 'staff', counselor: 'staff',
  districtadministrator: 'administrator', siteadministrator: 'administrator', systemadministrator: 'administrator',
  principal: 'administrator',
};

export function mapRole(raw: string, roleMap: Readonly<Record<string, PersonRole>> = {}): PersonRole | undefined {
  const key = raw.trim().toLowerCase();
  return roleMap[key] ?? ROLE_MAP[key];
}

type Shape = Record<string, z.ZodType>;

/**
 * Reads one raw object field by field against its zod schema (api-types.ts), recording problems in a RowCheck
 * by the field's role. Returns parsed values for usable fields only.
 */
class Reader {
  readonly check: RowCheck;
  readonly obj: Record<string, unknown>;
  constructor(raw: unknown, private readonly shape: Shape, location: string) {
    this.check = new RowCheck(location);
    this.obj = raw && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {};
  }

  /** A string field: size cap, control characters, then its schema. Empty → null. */
  str(key: string, field: string, kind: FieldKind, role: FieldRole): string | null {
    const v = this.obj[key];
    if (v === undefined || v === null) return null;
    if (typeof v !== 'string') {
      this.problem(field, key, role, `expected a string, got ${Array.isArray(v) ? 'an array' : typeof v}`);
      return null;
    }
    const cell = this.check.cell(field, key, v, kind, role);
    if (cell === null) return null;
    return this.parse(key, field, role, cell) as string | null;
  }

  /** A structured field (object, array, boolean string) parsed by its schema. */
  value<T>(key: string, field: string, role: FieldRole): T | null {
    const v = this.obj[key];
    if (v === undefined || v === null || v === '') return null;
    return this.parse(key, field, role, v) as T | null;
  }

  /** A referenced id (`{sourcedId}`), checked like an id cell. */
  ref(key: string, field: string, role: FieldRole): string | null {
    const r = this.value<{ sourcedId: string }>(key, field, role);
    return r ? this.check.cell(field, `${key}.sourcedId`, r.sourcedId, 'id', role) : null;
  }

  private parse(key: string, field: string, role: FieldRole, v: unknown): unknown {
    const schema = this.shape[key];
    if (!schema) return v;
    const res = schema.safeParse(v);
    if (res.success) return res.data;
    this.problem(field, key, role, res.error.issues.map((i) => `${i.path.length ? `${i.path.join('.')}: ` : ''}${i.message}`).join('; '));
    return null;
  }

  problem(field: string, key: string, role: FieldRole, reason: string): void {
    if (role === 'identity') this.check.reject(field, key, reason);
    else if (role === 'required') this.check.keep(field, key, reason);
    else this.check.warn(field, key, reason);
  }

  /** sourcedId: the record's identity. */
  id(): string | null {
    const id = this.str('sourcedId', 'externalId', 'id', 'identity');
    if (id === null && !this.check.hasIdentityProblem) this.check.reject('externalId', 'sourcedId', 'missing; an object without a sourcedId cannot be matched');
    return id;
  }

  /**
   * `tobedeleted` (and 1.1's `inactive`) is an explicit delete. A full read may omit status (active); a delta
   * must say, since a missing status cannot tell an update from a delete.
   */
  deleted(mode: 'bulk' | 'delta'): boolean {
    const s = this.value<string>('status', 'status', 'required');
    if (s === null && mode === 'delta' && (this.obj.status === undefined || this.obj.status === null || this.obj.status === '')) {
      this.check.keep('status', 'status', 'missing in a delta (expected active or tobedeleted)');
    }
    return s === 'tobedeleted' || s === 'inactive';
  }

  /** `metadata` strings (vendor extensions), capped like any other text. */
  metadata(): Record<string, string> {
    const m = this.value<Record<string, unknown>>('metadata', 'metadata', 'optional') ?? {};
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(m).slice(0, 100)) {
      if (v === null || typeof v === 'object') continue;
      const cell = this.check.cell('metadata', `metadata.${k.slice(0, 64)}`, String(v), 'text', 'optional');
      if (cell !== null) out[k.slice(0, 64)] = cell;
    }
    return out;
  }

  /** Top-level fields as strings for a Reject's `raw` (quarantine only, never logs); passwords redacted. */
  raw(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(this.obj).slice(0, 60)) {
      if (k === 'password') {
        out[k] = '[redacted]';
        continue;
      }
      out[rawCell(k)] = rawCell(typeof v === 'string' ? v : JSON.stringify(v) ?? '');
    }
    return out;
  }

  /** The canonical schema has the last word: whatever it refuses keeps the record under the field it names. */
  validate<T>(schema: z.ZodType<T>, candidate: unknown): T | null {
    const res = schema.safeParse(candidate);
    if (res.success) return res.data;
    for (const i of res.error.issues) {
      const field = i.path.join('.') || 'record';
      this.check.keep(field, field, i.message);
    }
    return null;
  }
}

export function mapOrg(raw: unknown, at: MapContext): MapResult<OrgRecord> {
  const r = new Reader(raw, orgSchema.shape, at.location);
  const id = r.id();
  const deleted = r.deleted(at.mode);
  const name = r.str('name', 'name', 'name', 'required');
  const type = r.str('type', 'type', 'text', 'required');
  if (name === null && !r.obj.name) r.check.keep('name', 'name', 'missing');
  if (type === null && !r.obj.type) r.check.keep('type', 'type', 'missing');
  const identifier = r.str('identifier', 'identifier', 'text', 'optional');
  const parent = r.ref('parent', 'parentExternalId', 'optional');
  const metadata = r.metadata();
  return r.check.finish(id, r.raw(), () => r.validate(orgRecordSchema, {
    externalId: id, name, type, identifier, parentExternalId: parent, deleted, metadata,
  }));
}

export function mapPerson(raw: unknown, at: PeopleContext): MapResult<PersonRecord> {
  const r = new Reader(raw, userSchema.shape, at.location);
  const id = r.id();
  const deleted = r.deleted(at.mode);

  // 1.2 roles[] (primary roleType first); 1.1 a single `role` with `orgs[]`.
  type RoleRef = { role: string; roleType?: string; org: { sourcedId: string } };
  const roles = r.value<RoleRef[]>('roles', 'role', 'required') ?? [];
  const primaryRole = roles.find((x) => (x.roleType ?? '').toLowerCase() === 'primary');
  const roleWord = (primaryRole ?? roles[0])?.role ?? r.str('role', 'role', 'text', 'required');
  let role: PersonRole | undefined;
  if (roleWord === null || roleWord === undefined) {
    if (!('roles' in r.obj) && !('role' in r.obj)) r.check.keep('role', 'roles', 'missing (neither roles nor role)');
    else if (roles.length === 0 && Array.isArray(r.obj.roles) && !r.obj.role) r.check.keep('role', 'roles', 'empty');
  } else {
    role = mapRole(roleWord, at.roleMap);
    if (!role) {
      r.check.keep('role', primaryRole || roles.length ? 'roles.role' : 'role',
        `'${rawCell(roleWord.slice(0, 64))}' is not a OneRoster role; add it to this source's roleMap ` +
        `(e.g. roleMap: { ${rawCell(roleWord.toLowerCase().slice(0, 64))}: staff })`);
    }
  }

  const orgRefs = r.value<{ sourcedId: string }[]>('orgs', 'orgExternalIds', 'optional') ?? [];
  const orgs: string[] = [];
  for (const ref of [...roles.map((x) => x.org), ...orgRefs]) {
    const cell = r.check.cell('orgExternalIds', 'orgs.sourcedId', ref.sourcedId, 'id', 'optional');
    if (cell !== null && !orgs.includes(cell)) orgs.push(cell);
  }
  const declaredPrimary = r.ref('primaryOrg', 'primaryOrgExternalId', 'optional');
  const primaryOrg = declaredPrimary
    ?? (primaryRole ? primaryRole.org.sourcedId : null)
    ?? orgs.find((o) => at.schoolTypes.has((at.orgTypes.get(o) ?? '').toLowerCase()))
    ?? null;

  const enabled = r.value<boolean>('enabledUser', 'status', 'optional');
  const userIds = (r.value<{ type: string; identifier: string }[]>('userIds', 'userIds', 'optional') ?? [])
    .map((u) => `${u.type}:${u.identifier}`)
    .filter((u) => r.check.cell('userIds', 'userIds', u, 'id', 'optional') !== null);
  const gradesRaw = r.value<string[] | string>('grades', 'grades', 'optional');
  const grades = (typeof gradesRaw === 'string' ? gradesRaw.split(',') : gradesRaw ?? [])
    .map((g) => g.trim()).filter((g) => g !== '' && r.check.cell('grades', 'grades', g, 'text', 'optional') !== null);

  const record = {
    externalId: id,
    role,
    status: enabled === false ? 'inactive' : 'active',
    deleted,
    givenName: r.str('givenName', 'givenName', 'name', 'optional'),
    familyName: r.str('familyName', 'familyName', 'name', 'optional'),
    preferredName: r.str('preferredFirstName', 'preferredName', 'name', 'optional') ?? r.str('preferredGivenName', 'preferredName', 'name', 'optional'),
    email: r.str('email', 'email', 'id', 'optional'),
    username: r.str('username', 'username', 'id', 'optional'),
    sisId: r.str('identifier', 'sisId', 'id', 'optional'),
    userIds,
    grades,
    orgExternalIds: orgs,
    primaryOrgExternalId: primaryOrg,
    metadata: r.metadata(),
  };
  return r.check.finish(id, r.raw(), () => r.validate(personRecordSchema, record));
}

export function mapEnrollment(raw: unknown, at: MapContext): MapResult<EnrollmentRecord> {
  const r = new Reader(raw, enrollmentSchema.shape, at.location);
  const id = r.id();
  const deleted = r.deleted(at.mode);
  const user = r.ref('user', 'personExternalId', 'required');
  const cls = r.ref('class', 'classExternalId', 'required');
  const role = r.str('role', 'role', 'text', 'required');
  for (const [v, key, field] of [[user, 'user', 'personExternalId'], [cls, 'class', 'classExternalId'], [role, 'role', 'role']] as const) {
    if (v === null && (r.obj[key] === undefined || r.obj[key] === null)) r.check.keep(field, key, 'missing');
  }
  return r.check.finish(id, r.raw(), () => r.validate(enrollmentRecordSchema, {
    externalId: id,
    personExternalId: user,
    classExternalId: cls,
    schoolExternalId: r.ref('school', 'schoolExternalId', 'optional'),
    role,
    primary: r.value<boolean>('primary', 'primary', 'optional'),
    beginDate: r.value<string>('beginDate', 'beginDate', 'optional'),
    endDate: r.value<string>('endDate', 'endDate', 'optional'),
    deleted,
  }));
}
