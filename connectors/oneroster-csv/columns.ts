/**
 * What each OneRoster column means to us: the canonical field it feeds, its size class (shared/limits.ts) and
 * its role, which decides what a bad cell does (shared/row-check.ts): `identity` rejects the row, `required`
 * keeps it unreadable, `optional` leaves the field at its default with a warning. Columns not listed (sms,
 * phone, password, middle names) are never stored, so they are neither checked nor reported.
 */
import type { FieldKind } from '../shared/limits.js';
import type { FieldRole } from '../shared/row-check.js';

export interface ColumnSpec {
  /** Canonical field name (what warnings and `unsupplied` name); dateLastModified is validated, not stored. */
  field: string;
  kind: FieldKind;
  role: FieldRole;
}

const spec = (field: string, kind: FieldKind, role: FieldRole): ColumnSpec => ({ field, kind, role });

const base = {
  sourcedId: spec('externalId', 'id', 'identity'),
  // status decides `deleted`: reading it wrong would delete or revive a record, so it is required.
  status: spec('deleted', 'text', 'required'),
  dateLastModified: spec('dateLastModified', 'text', 'optional'),
};

export const COLUMNS = {
  orgs: {
    ...base,
    name: spec('name', 'name', 'required'),
    type: spec('type', 'text', 'required'),
    identifier: spec('identifier', 'id', 'optional'),
    parentSourcedId: spec('parentExternalId', 'id', 'optional'),
  },
  users: {
    ...base,
    enabledUser: spec('status', 'text', 'optional'),
    orgSourcedIds: spec('orgExternalIds', 'list', 'optional'),
    role: spec('role', 'text', 'required'),
    username: spec('username', 'id', 'optional'),
    userIds: spec('userIds', 'list', 'optional'),
    givenName: spec('givenName', 'name', 'optional'),
    familyName: spec('familyName', 'name', 'optional'),
    identifier: spec('sisId', 'id', 'optional'),
    email: spec('email', 'id', 'optional'),
    grades: spec('grades', 'list', 'optional'),
    preferredGivenName: spec('preferredName', 'name', 'optional'),
    primaryOrgSourcedId: spec('primaryOrgExternalId', 'id', 'optional'),
  },
  roles: {
    ...base,
    userSourcedId: spec('personExternalId', 'id', 'required'),
    roleType: spec('role', 'text', 'required'),
    role: spec('role', 'text', 'required'),
    beginDate: spec('roleBeginDate', 'text', 'optional'),
    endDate: spec('roleEndDate', 'text', 'optional'),
    orgSourcedId: spec('orgExternalIds', 'id', 'required'),
  },
  enrollments: {
    ...base,
    classSourcedId: spec('classExternalId', 'id', 'required'),
    schoolSourcedId: spec('schoolExternalId', 'id', 'optional'),
    userSourcedId: spec('personExternalId', 'id', 'required'),
    role: spec('role', 'text', 'required'),
    primary: spec('primary', 'text', 'optional'),
    beginDate: spec('beginDate', 'text', 'optional'),
    endDate: spec('endDate', 'text', 'optional'),
  },
} satisfies Record<string, Record<string, ColumnSpec>>;

/** Canonical fields with no source at all when an optional column is missing from the header. */
const STORED_OPTIONAL: Record<'orgs' | 'users' | 'enrollments', Record<string, string>> = {
  orgs: { identifier: 'identifier', parentSourcedId: 'parentExternalId' },
  users: {
    enabledUser: 'status', username: 'username', userIds: 'userIds', givenName: 'givenName', familyName: 'familyName',
    identifier: 'sisId', email: 'email', grades: 'grades', preferredGivenName: 'preferredName',
  },
  enrollments: { schoolSourcedId: 'schoolExternalId', primary: 'primary', beginDate: 'beginDate', endDate: 'endDate' },
};

export interface Unsupplied {
  /** Canonical field names for `Batch.unsupplied`. */
  fields: string[];
  /** The missing columns, for the notice. */
  columns: string[];
}

/**
 * What a file's header does not supply. For users.csv the orgs come from roles.csv when it is read; without it
 * a missing orgSourcedIds column leaves orgs (and so the primary org, unless primaryOrgSourcedId says) unknown.
 */
export function unsuppliedOf(file: 'orgs' | 'users' | 'enrollments', present: ReadonlySet<string>, hasRoles = false): Unsupplied {
  const out: Unsupplied = { fields: [], columns: [] };
  for (const [column, field] of Object.entries(STORED_OPTIONAL[file])) {
    if (!present.has(column)) {
      out.fields.push(field);
      out.columns.push(column);
    }
  }
  if (file === 'users' && !hasRoles && !present.has('orgSourcedIds')) {
    out.fields.push('orgExternalIds');
    out.columns.push('orgSourcedIds');
    if (!present.has('primaryOrgSourcedId')) out.fields.push('primaryOrgExternalId');
  }
  return out;
}

/** The admin-facing notice for a file's missing columns, or none. Column names only, never cells. */
export function unsuppliedNotice(fileName: string, u: Unsupplied): string[] {
  if (u.columns.length === 0) return [];
  const cols = u.columns.join(', ');
  return [`${fileName} has no ${cols} column${u.columns.length > 1 ? 's' : ''}: ${u.fields.join(', ')} not supplied, stored values are kept`];
}
