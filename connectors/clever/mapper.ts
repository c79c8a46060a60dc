/**
 * Clever v3.0 objects → canonical records (connectors/types.ts). Never throws: an object without a usable
 * Clever `id` is rejected outright; an object whose id is readable but whose shape is not Clever's (or whose
 * required field is unusable) is kept-unreadable (Reject with externalId); a bad optional field is a warning.
 * Rejects carry only `{id}` as raw, never names or emails (FERPA). An unreadable section is not a reject but
 * `{ unreadable }`, and fails the read (see mapSection).
 *
 * Role rule for users holding several roles in one record (Clever combines teacher, staff and district_admin;
 * student and contact never combine with others): the primary role is the first present of
 * student > teacher > district_admin > staff > contact. Teaching outranks administering because enrollments
 * and device programs follow the classroom role; every Clever role is kept in metadata.cleverRoles.
 */
import type { z } from 'zod';
import type { MapResult } from '../shared/map-result.js';
import { RowCheck, validate } from '../shared/row-check.js';
import {
  enrollmentRecordSchema, orgRecordSchema, personRecordSchema,
  type EnrollmentRecord, type OrgRecord, type PersonRecord, type PersonRole,
} from '../types.js';
import { schoolSchema, sectionSchema, userSchema, type CleverUser } from './api-types.js';

/** Clever role key → canonical role, in priority order (see the rule above). */
export const ROLE_PRIORITY: readonly (readonly [keyof NonNullable<CleverUser['roles']>, PersonRole])[] = [
  ['student', 'student'],
  ['teacher', 'teacher'],
  ['district_admin', 'administrator'],
  ['staff', 'staff'],
  ['contact', 'guardian'],
];

const ID_ONLY = (raw: unknown): { id?: string } => {
  const id = (raw as { id?: unknown } | null)?.id;
  return typeof id === 'string' ? { id: id.slice(0, 320) } : {};
};

/** The object's id if it is a usable identity, else null (the reason is recorded on the check). */
function identity(raw: unknown, check: RowCheck): string | null {
  const id = (raw as { id?: unknown } | null)?.id;
  if (typeof id !== 'string') {
    check.reject('externalId', 'id', id === undefined ? 'missing' : 'not a string');
    return null;
  }
  return check.cell('externalId', 'id', id, 'id', 'identity');
}

function shapeIssues(res: z.ZodSafeParseError<unknown>, check: RowCheck): void {
  for (const i of res.error.issues.slice(0, 3)) {
    const at = i.path.join('.') || 'record';
    check.keep(at, at, `not Clever's v3.0 shape (${i.message})`);
  }
}

const unique = (xs: (string | null | undefined)[]): string[] => [...new Set(xs.filter((x): x is string => !!x))];

export interface MapOpts {
  /** Page path, for the reject's location. */
  where: string;
  /** From a `*.deleted` event. */
  deleted?: boolean;
}

export function mapSchool(raw: unknown, at: MapOpts): MapResult<OrgRecord> {
  const check = new RowCheck(at.where);
  const id = identity(raw, check);
  const res = schoolSchema.safeParse(raw);
  if (id !== null && !res.success) shapeIssues(res, check);
  const s = res.success ? res.data : null;
  const name = s ? check.cell('name', 'name', s.name ?? '', 'name', 'required') : null;
  if (s && !name && !(s.name ?? '').trim()) {
    // A deleted school without its name is still deactivated by id; the ledger keeps the stored name.
    if (at.deleted) check.warn('name', 'name', 'empty in a deleted event; the stored name is kept');
    else check.keep('name', 'name', 'empty');
  }
  const number = s ? check.cell('identifier', 'school_number', s.school_number ?? '', 'id', 'optional') : null;
  const sisId = s ? check.cell('metadata', 'sis_id', s.sis_id ?? '', 'id', 'optional') : null;
  return check.finish(id, ID_ONLY(raw), () => validate(orgRecordSchema, {
    externalId: id,
    // Placeholder only when warned above: the warning makes the ledger keep the stored name.
    name: name ?? (at.deleted ? id : undefined),
    type: 'school',
    identifier: number ?? sisId,
    parentExternalId: null,
    deleted: at.deleted ?? false,
    metadata: sisId ? { sisId } : {},
  }, check));
}

export function mapUser(raw: unknown, at: MapOpts): MapResult<PersonRecord> {
  const check = new RowCheck(at.where);
  const id = identity(raw, check);
  const res = userSchema.safeParse(raw);
  if (id !== null && !res.success) shapeIssues(res, check);
  const u = res.success ? res.data : null;
  const roles = u?.roles ?? {};
  const held = ROLE_PRIORITY.filter(([key]) => roles[key] != null);
  const primary = held[0];
  if (u && !primary) {
    // A deleted user without roles is still deactivated by id; the warning makes the ledger keep the stored role.
    if (at.deleted) check.warn('role', 'roles', 'no Clever role in a deleted event; the stored role is kept');
    else check.keep('role', 'roles', 'no Clever role (student, teacher, staff, district_admin, contact)');
  }
  const role: PersonRole = primary?.[1] ?? 'other';

  const student = roles.student ?? null;
  const teacher = roles.teacher ?? null;
  const staff = roles.staff ?? null;
  const contact = roles.contact ?? null;
  const opt = (field: string, path: string, v: string | null | undefined, kind: 'id' | 'name' | 'text' = 'id') =>
    check.cell(field, path, v ?? '', kind, 'optional');

  // Attributes of the primary role first, then the others.
  const primaryKey = primary?.[0];
  const sisByRole: Record<string, string | null> = {
    student: opt('sisId', 'roles.student.sis_id', student?.sis_id),
    teacher: opt('sisId', 'roles.teacher.sis_id', teacher?.sis_id),
    staff: opt('sisId', 'roles.staff.staff_id', staff?.staff_id),
    contact: opt('sisId', 'roles.contact.sis_id', contact?.sis_id),
    district_admin: null,
  };
  const userByRole: Record<string, string | null> = {
    student: opt('username', 'roles.student.credentials.district_username', student?.credentials?.district_username),
    teacher: opt('username', 'roles.teacher.credentials.district_username', teacher?.credentials?.district_username),
    staff: opt('username', 'roles.staff.credentials.district_username', staff?.credentials?.district_username),
    contact: null,
    district_admin: null,
  };
  const keys = held.map(([k]) => k);
  const sisId = (primaryKey && sisByRole[primaryKey]) || keys.map((k) => sisByRole[k]).find((v) => v) || null;
  const username = (primaryKey && userByRole[primaryKey]) || keys.map((k) => userByRole[k]).find((v) => v) || null;
  const studentNumber = opt('userIds', 'roles.student.student_number', student?.student_number);
  const teacherNumber = opt('userIds', 'roles.teacher.teacher_number', teacher?.teacher_number);
  const stateId = opt('userIds', 'roles.*.state_id', student?.state_id ?? teacher?.state_id);
  const userIds = unique([
    studentNumber && `student_number:${studentNumber}`,
    teacherNumber && `teacher_number:${teacherNumber}`,
    stateId && `state_id:${stateId}`,
    ...keys.map((k) => sisByRole[k] && `${k === 'staff' ? 'staff_id' : `${k}.sis_id`}:${sisByRole[k]}`),
    ...keys.map((k) => userByRole[k] && `district_username:${userByRole[k]}`),
  ]);
  const grade = opt('grades', 'roles.student.grade', student?.grade, 'text');
  const orgs = unique([
    student?.school, ...(student?.schools ?? []), teacher?.school, ...(teacher?.schools ?? []), ...(staff?.schools ?? []),
  ]);
  const primaryOrg = (primaryKey === 'student' ? student?.school : primaryKey === 'teacher' ? teacher?.school : undefined) ?? orgs[0] ?? null;

  return check.finish(id, ID_ONLY(raw), () => validate(personRecordSchema, {
    externalId: id,
    role,
    status: 'active',
    deleted: at.deleted ?? false,
    givenName: opt('givenName', 'name.first', u?.name?.first, 'name'),
    familyName: opt('familyName', 'name.last', u?.name?.last, 'name'),
    preferredName: null,
    // Clever's email is nullable: a user without one is still a person.
    email: opt('email', 'email', u?.email),
    username,
    sisId,
    userIds,
    grades: grade ? [grade] : [],
    orgExternalIds: orgs,
    primaryOrgExternalId: primaryOrg,
    metadata: keys.length > 0 ? { cleverRoles: keys.join(',') } : {},
  }, check));
}

/** Enrollment id: one per section × user (a user is a student or a teacher of a section, never both). */
export const enrollmentId = (sectionId: string, userId: string): string => `${sectionId}:${userId}`;

/**
 * A section → its enrollments: each student (role student) and each teacher (role teacher, primary when it is
 * the section's `teacher`). `removed` lists user ids to emit as deleted enrollments (a `sections.updated`
 * event's previous members).
 *
 * A section that cannot be read (no usable id, or not Clever's shape) returns `{ unreadable }` instead: its
 * enrollments' ids cannot be known, so no per-record reject could keep them, and a bulk read without them would
 * end them all by absence. The caller fails the read instead (nothing deactivated).
 */
export function mapSection(
  raw: unknown, at: MapOpts & { removed?: { students: string[]; teachers: string[] } },
): MapResult<EnrollmentRecord>[] | { unreadable: string } {
  const check = new RowCheck(at.where);
  const id = identity(raw, check);
  const res = sectionSchema.safeParse(raw);
  if (id !== null && !res.success) shapeIssues(res, check);
  if (id === null || !res.success) {
    const out = check.finish(id, ID_ONLY(raw), () => null);
    return { unreadable: out.ok ? 'unreadable section' : out.reject.reason };
  }
  const s = res.data;
  const one = (userId: string, role: 'student' | 'teacher', deleted: boolean): MapResult<EnrollmentRecord> => {
    const c = new RowCheck(at.where);
    const uid = c.cell('personExternalId', role === 'student' ? 'students[]' : 'teachers[]', userId, 'id', 'required');
    const eid = enrollmentId(id, uid ?? userId.slice(0, 64));
    return c.finish(eid, { section: id }, () => validate(enrollmentRecordSchema, {
      externalId: eid,
      personExternalId: uid,
      classExternalId: id,
      schoolExternalId: s.school ?? null,
      role,
      primary: role === 'teacher' ? userId === s.teacher : null,
      deleted,
    }, c));
  };
  const del = at.deleted ?? false;
  const teachers = unique([s.teacher, ...(s.teachers ?? [])]);
  const students = unique(s.students ?? []);
  const out = [...students.map((u) => one(u, 'student', del)), ...teachers.map((u) => one(u, 'teacher', del))];
  if (at.removed) {
    for (const u of at.removed.students) if (!students.includes(u)) out.push(one(u, 'student', true));
    for (const u of at.removed.teachers) if (!teachers.includes(u)) out.push(one(u, 'teacher', true));
  }
  return out;
}

