/**
 * Raw Clever API v3.0 shapes, as published in Clever/swagger-api `v3.0.yml` and `v3.0-events.yml`
 * (https://github.com/Clever/swagger-api, https://dev.clever.com/reference). Objects are loose: Clever adds
 * fields (ext, demographics) and we read only what we map. Only the fields we use are typed; everything is
 * nullable-tolerant because districts leave most SIS fields empty.
 */
import { z } from 'zod';

const str = z.string().nullish();
const strList = z.array(z.string()).nullish();
/** Clever sends credentials as `{district_username}` on student, teacher and staff roles. */
const credentials = z.looseObject({ district_username: str }).nullish();

/** https://dev.clever.com/reference/schema — User.roles.student */
export const studentRoleSchema = z.looseObject({
  sis_id: str, state_id: str, student_number: str, school: str, schools: strList, grade: str, credentials,
});
/** User.roles.teacher */
export const teacherRoleSchema = z.looseObject({
  sis_id: str, state_id: str, teacher_number: str, school: str, schools: strList, credentials,
});
/** User.roles.staff (no sis_id: `staff_id` is the district's id) */
export const staffRoleSchema = z.looseObject({ staff_id: str, schools: strList, credentials });
/** User.roles.district_admin (no schools) */
export const districtAdminRoleSchema = z.looseObject({ title: str });
/** User.roles.contact (never combined with other roles) */
export const contactRoleSchema = z.looseObject({ sis_id: str });

/** https://dev.clever.com/reference/getusers — User; `email` is nullable. */
export const userSchema = z.looseObject({
  id: z.string(),
  district: str,
  email: str,
  name: z.looseObject({ first: str, middle: str, last: str }).nullish(),
  roles: z.looseObject({
    student: studentRoleSchema.nullish(),
    teacher: teacherRoleSchema.nullish(),
    staff: staffRoleSchema.nullish(),
    district_admin: districtAdminRoleSchema.nullish(),
    contact: contactRoleSchema.nullish(),
  }).nullish(),
  created: str,
  last_modified: str,
});
export type CleverUser = z.infer<typeof userSchema>;

/** https://dev.clever.com/reference/getschools — School */
export const schoolSchema = z.looseObject({
  id: z.string(),
  district: str,
  name: str,
  sis_id: str,
  school_number: str,
  state_id: str,
  nces_id: str,
  low_grade: str,
  high_grade: str,
});
export type CleverSchool = z.infer<typeof schoolSchema>;

/** https://dev.clever.com/reference/getsections — Section: `teacher` is the primary teacher. */
export const sectionSchema = z.looseObject({
  id: z.string(),
  district: str,
  school: str,
  course: str,
  term_id: str,
  name: str,
  sis_id: str,
  teacher: str,
  teachers: strList,
  students: strList,
});
export type CleverSection = z.infer<typeof sectionSchema>;

/** `links: [{rel: next|prev|self, uri: "/v3.0/users?starting_after=…"}]`; `uri` is relative. */
export const linkSchema = z.looseObject({ rel: z.string(), uri: z.string() });

/**
 * Every list response: `{data: [{data: <object>, uri}], links: [...]}` — each item is wrapped. The items stay
 * `unknown` here so one bad record is quarantined by the mapper instead of failing the page.
 */
export const listResponseSchema = z.looseObject({
  data: z.array(z.looseObject({ data: z.unknown() })),
  links: z.array(linkSchema).nullish(),
});
export type ListResponse = z.infer<typeof listResponseSchema>;

/**
 * v3.0-events.yml — Event: `{id, type, created, data: {object}, previous_attributes?}`; types are
 * `<users|sections|schools|courses|terms|districts|resources>.<created|updated|deleted>`.
 */
export const eventSchema = z.looseObject({
  id: z.string().min(1),
  type: z.string().min(1),
  created: str,
  data: z.looseObject({ object: z.unknown(), previous_attributes: z.unknown().optional() }).nullish(),
  previous_attributes: z.unknown().optional(),
});
export type CleverEvent = z.infer<typeof eventSchema>;
