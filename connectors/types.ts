/**
 * Connector contracts (DESIGN §3). A connector reads one upstream system and yields canonical records in
 * batches; it never touches the database. The ledger writer is the only code that turns these into rows.
 */
import { z } from 'zod';
import type { Logger } from 'pino';
import type { HttpClient } from '../src/http/client.js';

export type Stream = 'orgs' | 'people' | 'enrollments' | 'devices';
export const STREAMS: readonly Stream[] = ['orgs', 'people', 'enrollments', 'devices'];

const isoDateTime = z.string().datetime({ offset: true });
const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected YYYY-MM-DD');
const metadata = z.record(z.string(), z.string());

/** Canonical (mapped) shapes. Every connector's mapper produces exactly these. */
export const orgRecordSchema = z.object({
  externalId: z.string().min(1),
  name: z.string().min(1),
  /** OneRoster org types: district, school, department, local, state, national. */
  type: z.string().min(1),
  identifier: z.string().nullable().default(null),
  parentExternalId: z.string().nullable().default(null),
  /** Explicit delete from the source (OneRoster `tobedeleted`). */
  deleted: z.boolean().default(false),
  metadata: metadata.default({}),
});
export type OrgRecord = z.infer<typeof orgRecordSchema>;

export const personRoleSchema = z.enum([
  'student', 'teacher', 'staff', 'administrator', 'aide', 'guardian', 'parent', 'relative', 'proctor', 'other',
]);
export type PersonRole = z.infer<typeof personRoleSchema>;

export const personRecordSchema = z.object({
  externalId: z.string().min(1),
  role: personRoleSchema,
  /** `inactive` when the source says the account is disabled (OneRoster enabledUser=false). */
  status: z.enum(['active', 'inactive']),
  deleted: z.boolean().default(false),
  givenName: z.string().nullable().default(null),
  familyName: z.string().nullable().default(null),
  preferredName: z.string().nullable().default(null),
  email: z.string().nullable().default(null),
  username: z.string().nullable().default(null),
  /** The SIS's own identifier (OneRoster `identifier`), shown to admins. */
  sisId: z.string().nullable().default(null),
  /** Other identities, `{LDAP:12}` read as `LDAP:12`. Used by matching as a last resort. */
  userIds: z.array(z.string()).default([]),
  grades: z.array(z.string()).default([]),
  orgExternalIds: z.array(z.string()).default([]),
  /** The person's school: OneRoster 1.2 primaryOrg, else the first org of type school. */
  primaryOrgExternalId: z.string().nullable().default(null),
  metadata: metadata.default({}),
});
export type PersonRecord = z.infer<typeof personRecordSchema>;

export const enrollmentRecordSchema = z.object({
  externalId: z.string().min(1),
  personExternalId: z.string().min(1),
  classExternalId: z.string().min(1),
  schoolExternalId: z.string().nullable().default(null),
  role: z.string().min(1),
  primary: z.boolean().nullable().default(null),
  beginDate: isoDate.nullable().default(null),
  endDate: isoDate.nullable().default(null),
  deleted: z.boolean().default(false),
});
export type EnrollmentRecord = z.infer<typeof enrollmentRecordSchema>;

export const platformSchema = z.enum(['chromeos', 'windows', 'ios', 'macos', 'android', 'other']);
export type Platform = z.infer<typeof platformSchema>;

export const deviceRecordSchema = z.object({
  /** The MDM's own id for the device (Google deviceId, Intune id); CSV sources fall back to the serial. */
  externalId: z.string().min(1),
  /** Raw serial as the source gave it; the ledger normalises it (trim, upper-case, no spaces). */
  serial: z.string().min(1),
  assetTag: z.string().nullable().default(null),
  model: z.string().nullable().default(null),
  manufacturer: z.string().nullable().default(null),
  platform: platformSchema,
  /** MDM management state, lower-case: active, disabled, deprovisioned, provisioned, ... */
  status: z.string().min(1),
  /** The user the MDM says holds the device (Google annotatedUser, Intune primary user UPN). */
  userEmail: z.string().nullable().default(null),
  recentUsers: z.array(z.string()).default([]),
  orgUnit: z.string().nullable().default(null),
  osVersion: z.string().nullable().default(null),
  lastSyncAt: isoDateTime.nullable().default(null),
  enrolledAt: isoDateTime.nullable().default(null),
  /** ChromeOS auto-update expiration. */
  aueDate: isoDate.nullable().default(null),
  compliance: z.enum(['compliant', 'noncompliant', 'unknown']).nullable().default(null),
  bootMode: z.enum(['normal', 'dev']).nullable().default(null),
  deleted: z.boolean().default(false),
});
export type DeviceRecord = z.infer<typeof deviceRecordSchema>;

export interface RecordByStream {
  orgs: OrgRecord;
  people: PersonRecord;
  enrollments: EnrollmentRecord;
  devices: DeviceRecord;
}
export type CanonicalRecord = RecordByStream[Stream];

export const recordSchemas = {
  orgs: orgRecordSchema,
  people: personRecordSchema,
  enrollments: enrollmentRecordSchema,
  devices: deviceRecordSchema,
} as const;

/** A record that could not be mapped. It is quarantined with source, record id, field and reason. */
export interface Reject {
  externalId?: string;
  reason: string;
  field?: string;
  /** Where in the input: file name and line, or page URL. */
  location?: string;
  raw: unknown;
}

export type Batch = {
  [S in Stream]: { stream: S; records: RecordByStream[S][]; rejects: Reject[]; checkpoint?: unknown };
}[Stream];

export interface CheckResult {
  ok: boolean;
  message: string;
  details?: Record<string, unknown>;
}

export interface Ctx<C> {
  config: C;
  http: HttpClient;
  log: Logger;
  signal: AbortSignal;
  now(): Date;
}

export interface ReadOptions {
  mode: 'full' | 'delta';
  since?: Date;
  checkpoint?: unknown;
}

export interface SourceConnector<C = unknown> {
  kind: string;
  /** Validates the per-kind keys of a `sources[]` entry (the common keys are validated by src/config). */
  configSchema: z.ZodType<C>;
  streams: readonly Stream[];
  /** Whether the connector can read changes only; CSV exports are always whole. */
  supportsDelta: boolean;
  check(ctx: Ctx<C>): Promise<CheckResult>;
  /** Pages as they arrive, bounded memory. A full read must be complete or throw. */
  read(ctx: Ctx<C>, opts: ReadOptions): AsyncIterable<Batch>;
}

export interface TicketDraft {
  title: string;
  body: string;
  severity: 'low' | 'medium' | 'high' | 'critical';
  rule: string;
  subjectKey: string;
  deviceSerial?: string | null;
  assetTag?: string | null;
  requesterEmail?: string | null;
}

export interface TicketSink<C = unknown> {
  kind: string;
  configSchema: z.ZodType<C>;
  check(ctx: Ctx<C>): Promise<CheckResult>;
  open(ctx: Ctx<C>, t: TicketDraft, idempotencyKey: string): Promise<{ externalId: string; url?: string }>;
  comment(ctx: Ctx<C>, externalId: string, body: string): Promise<void>;
  resolve(ctx: Ctx<C>, externalId: string, note: string): Promise<void>;
  findByKey?(ctx: Ctx<C>, idempotencyKey: string): Promise<{ externalId: string } | null>;
}
