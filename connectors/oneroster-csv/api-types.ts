/**
 * Raw OneRoster CSV row shapes, one zod schema per file, as the reader hands them over: every cell is a
 * trimmed string and '' means "not supplied". Specs:
 *   1.0  https://www.imsglobal.org/lis/imsOneRosterv1p0/imsOneRosterCSV-v1p0.html
 *   1.1  https://www.imsglobal.org/oneroster-v11-final-csv-tables
 *   1.2  https://www.imsglobal.org/spec/oneroster/v1p2/bind/csv/
 *
 * A key that is not `.optional()` is a header the file must have (the reader fails the file without it);
 * `.optional()` keys are known columns that may be missing from the header. Cell formats are checked here so a
 * bad value becomes a Reject naming the column; meaning (status → deleted, role mapping) lives in mapper.ts.
 */
import { z } from 'zod';

/** The files this connector reads, by the manifest's `file.<name>` key. */
export type RosterFile = 'orgs' | 'users' | 'roles' | 'enrollments';
export const FILE_NAMES: Record<RosterFile, string> = {
  orgs: 'orgs.csv',
  users: 'users.csv',
  roles: 'roles.csv',
  enrollments: 'enrollments.csv',
};
export const MANIFEST_FILE = 'manifest.csv';

/** Manifest `file.*` values (1.1 §2.1 / 1.2 §3.1). `absent` files are not read. */
export type ProcessingMode = 'bulk' | 'delta';
export type ManifestFileMode = ProcessingMode | 'absent';

/** `inactive` is OneRoster 1.0's delete marker; 1.1 replaced it with `tobedeleted`. */
export const STATUS_VALUES = ['active', 'tobedeleted', 'inactive'] as const;

const SLASH_DATE = /^\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}$/;
const isoDate = z.iso.date();
const isoDateTime = z.iso.datetime({ offset: true });

function describe(input: unknown): string {
  const s = String(input);
  return SLASH_DATE.test(s) ? `got "${s}" (a D/M/Y or M/D/Y date, not ISO 8601)` : `got "${s}"`;
}

const text = z.string();
const sourcedId = z.string().min(1, 'sourcedId is empty');

const status = z.string().refine((v) => v === '' || (STATUS_VALUES as readonly string[]).includes(v.toLowerCase()), {
  error: (iss) => `expected active or tobedeleted, ${describe(iss.input)}`,
});

/** Spec type DateTime; a bare date is ISO 8601 too and common in exports, so both are accepted. */
const dateTime = z.string().refine((v) => v === '' || isoDateTime.safeParse(v).success || isoDate.safeParse(v).success, {
  error: (iss) => `expected an ISO 8601 date-time such as 2023-05-01T18:25:43Z, ${describe(iss.input)}`,
});

const date = z.string().refine((v) => v === '' || isoDate.safeParse(v).success, {
  error: (iss) => `expected YYYY-MM-DD, ${describe(iss.input)}`,
});

const bool = z.string().refine((v) => v === '' || /^(true|false)$/i.test(v), {
  error: (iss) => `expected true or false, ${describe(iss.input)}`,
});

const roleType = z.string().refine((v) => v === '' || /^(primary|secondary)$/i.test(v), {
  error: (iss) => `expected primary or secondary, ${describe(iss.input)}`,
});

/** Columns every data file starts with. */
const base = {
  sourcedId,
  status: status.optional(),
  dateLastModified: dateTime.optional(),
};

/** orgs.csv: identical in 1.1 and 1.2. */
export const orgRowSchema = z.object({
  ...base,
  name: text,
  type: text,
  identifier: text.optional(),
  parentSourcedId: text.optional(),
});
export type OrgRow = z.infer<typeof orgRowSchema>;

/** users.csv columns common to 1.1 and 1.2. Lists (`grades`, `orgSourcedIds`) are quoted comma lists. */
const userCommon = {
  ...base,
  enabledUser: bool.optional(),
  username: text.optional(),
  /** `{LDAP:12},{Fed:abc}`. */
  userIds: text.optional(),
  givenName: text.optional(),
  familyName: text.optional(),
  middleName: text.optional(),
  identifier: text.optional(),
  email: text.optional(),
  sms: text.optional(),
  phone: text.optional(),
  agentSourcedIds: text.optional(),
  grades: text.optional(),
  password: text.optional(),
};

/** 1.1 users.csv: role and orgs sit on the user row. */
const user11Only = {
  orgSourcedIds: text.optional(),
  role: text.optional(),
};

/** 1.2 users.csv: role and orgs moved to roles.csv; preferred names, primary org and pronouns added. */
const user12Only = {
  userMasterIdentifier: text.optional(),
  resourceSourcedIds: text.optional(),
  preferredGivenName: text.optional(),
  preferredMiddleName: text.optional(),
  preferredFamilyName: text.optional(),
  primaryOrgSourcedId: text.optional(),
  pronouns: text.optional(),
  /** Not in the CSV binding (profiles live in userProfiles.csv) but some 1.2 exports add it to users.csv. */
  userProfiles: text.optional(),
};

/**
 * What the reader accepts for users.csv: both versions' columns, because vendors mix them (a "1.1" export
 * with primaryOrgSourcedId is common). Which headers are required depends on whether roles.csv is read.
 */
export const userRowSchema = z.object({ ...userCommon, ...user11Only, ...user12Only });
export type UserRow = z.infer<typeof userRowSchema>;
/** 1.1, or any set without roles.csv: the user row must say the role. */
export const userRow11Schema = z.object({ ...userCommon, ...user11Only }).required({ role: true });
/** 1.2 with roles.csv: only sourcedId is needed from users.csv. */
export const userRow12Schema = z.object({ ...userCommon, ...user12Only });

/** roles.csv (1.2 only): one row per user per org. */
export const roleRowSchema = z.object({
  ...base,
  userSourcedId: z.string().min(1, 'userSourcedId is empty'),
  roleType: roleType.optional(),
  role: z.string().min(1, 'role is empty'),
  beginDate: date.optional(),
  endDate: date.optional(),
  orgSourcedId: z.string().min(1, 'orgSourcedId is empty'),
  userProfileSourcedId: text.optional(),
});
export type RoleRow = z.infer<typeof roleRowSchema>;

/** enrollments.csv: identical in 1.1 and 1.2. */
export const enrollmentRowSchema = z.object({
  ...base,
  classSourcedId: text,
  schoolSourcedId: text.optional(),
  userSourcedId: text,
  role: text,
  primary: bool.optional(),
  beginDate: date.optional(),
  endDate: date.optional(),
});
export type EnrollmentRow = z.infer<typeof enrollmentRowSchema>;

/** manifest.csv: `propertyName,value` pairs such as `file.users,bulk` and `oneroster.version,1.2`. */
export const manifestRowSchema = z.object({ propertyName: text, value: text });

/** Anything the reader can be asked to read: a zod object of string cells. */
export type RowSchema = z.ZodObject<Record<string, z.ZodType<string | undefined>>>;

/** Header names a schema requires (its non-optional keys). */
export function requiredHeaders(schema: RowSchema): string[] {
  return Object.entries(schema.shape)
    .filter(([, s]) => !s.safeParse(undefined).success)
    .map(([k]) => k);
}

export function knownHeaders(schema: RowSchema): string[] {
  return Object.keys(schema.shape);
}
