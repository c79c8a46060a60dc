/**
 * Raw OneRoster REST shapes, as the vendor sends them. Taken from the 1.2 Rostering OpenAPI document
 * (1EdTech/oneroster-bootcamp `src/main/resources/oas/onerosterv1p2rostersservice_openapi3_v1p0.json`,
 * commit 13f31e7: UserDType, OrgDType, EnrollmentDType, imsx_StatusInfoDType) and, for 1.1, from what 1.1
 * providers send (singular `role`, `orgs[]`, status `inactive`). See ../../docs vendor facts §1.
 *
 * Every field is optional here on purpose: the mapper decides per field whether a missing or bad value rejects
 * the record, keeps it unreadable or only warns (connectors/types.ts), so one bad field never fails a page.
 * Objects are loose: vendors add extension fields, and 1.2's `additionalProperties: false` is not honoured.
 */
import { z } from 'zod';

/** 1.2 booleans are the strings "true" / "false" (`"false"` is truthy in JS); some 1.1 servers send JSON booleans. */
export const boolString = z.union([
  z.boolean(),
  z.string().trim().toLowerCase().pipe(z.enum(['true', 'false'])).transform((s) => s === 'true'),
]);

/** `status`: 1.2 `active | tobedeleted`; 1.1 `inactive` means tobedeleted (OAS: "'inactive' was removed"). */
export const statusSchema = z.string().trim().toLowerCase().pipe(z.enum(['active', 'tobedeleted', 'inactive']));

/** GUIDRefDType: `{ href, sourcedId, type }`. Never follow `href` (ClassLink points it at another host). */
export const guidRef = z.looseObject({
  href: z.string().optional(),
  sourcedId: z.string().min(1),
  type: z.string().optional(),
});

/** W3C ISO 8601 date (`YYYY-MM-DD`); 1.1 servers sometimes send a full date-time, whose date part is used. */
export const isoDateish = z.string().trim().regex(/^\d{4}-\d{2}-\d{2}(T.*)?$/, 'expected YYYY-MM-DD').transform((s) => s.slice(0, 10));

/** 1.2 RoleDType (users.roles[]). */
export const roleSchema = z.looseObject({
  roleType: z.string().optional(),
  role: z.string().min(1),
  org: guidRef,
  userProfile: z.string().optional(),
  beginDate: z.string().optional(),
  endDate: z.string().optional(),
});

/** 1.2 UserIdDType (users.userIds[]). */
export const userIdSchema = z.looseObject({ type: z.string(), identifier: z.string() });

export const metadataSchema = z.record(z.string(), z.unknown());

/** UserDType (1.2) plus 1.1's `role` and `orgs`. */
export const userSchema = z.looseObject({
  sourcedId: z.string(),
  status: statusSchema,
  dateLastModified: z.string(),
  metadata: metadataSchema.nullable(),
  username: z.string().nullable(),
  userIds: z.array(userIdSchema).nullable(),
  enabledUser: boolString,
  givenName: z.string().nullable(),
  familyName: z.string().nullable(),
  middleName: z.string().nullable(),
  preferredFirstName: z.string().nullable(),
  /** 1.1 spelling. */
  preferredGivenName: z.string().nullable(),
  roles: z.array(roleSchema),
  /** 1.1: one role word per user. */
  role: z.string(),
  /** 1.1: the user's orgs. */
  orgs: z.array(guidRef),
  primaryOrg: guidRef.nullable(),
  identifier: z.string().nullable(),
  email: z.string().nullable(),
  /** 1.2: array; 1.1 servers send an array or a comma list. */
  grades: z.union([z.array(z.string()), z.string()]).nullable(),
  password: z.unknown(),
}).partial();
export type RawUser = z.infer<typeof userSchema>;

/** OrgDType. */
export const orgSchema = z.looseObject({
  sourcedId: z.string(),
  status: statusSchema,
  dateLastModified: z.string(),
  metadata: metadataSchema.nullable(),
  name: z.string(),
  type: z.string(),
  identifier: z.string().nullable(),
  parent: guidRef.nullable(),
  children: z.array(guidRef).nullable(),
}).partial();
export type RawOrg = z.infer<typeof orgSchema>;

/** EnrollmentDType. `endDate` is exclusive in 1.2. */
export const enrollmentSchema = z.looseObject({
  sourcedId: z.string(),
  status: statusSchema,
  dateLastModified: z.string(),
  metadata: metadataSchema.nullable(),
  user: guidRef,
  class: guidRef,
  school: guidRef.nullable(),
  role: z.string(),
  primary: boolString.nullable(),
  beginDate: isoDateish.nullable(),
  endDate: isoDateish.nullable(),
}).partial();
export type RawEnrollment = z.infer<typeof enrollmentSchema>;

/**
 * imsx_StatusInfoDType: the error body of a failed 1.2 request. codeMinor values in the OAS: fullsuccess,
 * invalid_filter_field, invalid_selection_field, invaliddata, unauthorisedrequest, forbidden, server_busy,
 * unknownobject, internal_server_error.
 */
export const statusInfoSchema = z.looseObject({
  imsx_codeMajor: z.string().optional(),
  imsx_severity: z.string().optional(),
  imsx_description: z.string().optional(),
  imsx_CodeMinor: z.looseObject({
    imsx_codeMinorField: z.array(z.looseObject({
      imsx_codeMinorFieldName: z.string().optional(),
      imsx_codeMinorFieldValue: z.string(),
    })),
  }).optional(),
});

/** The collections read, the envelope keys each may come back under (vendors differ), and the stream fed. */
export const COLLECTIONS = {
  orgs: { path: 'orgs', keys: ['orgs', 'schools'] },
  users: { path: 'users', keys: ['users', 'students', 'teachers'] },
  enrollments: { path: 'enrollments', keys: ['enrollments'] },
} as const;
export type Collection = keyof typeof COLLECTIONS;
