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

/**
 * A record that could not be applied. It is quarantined with source, record id, field and reason.
 *
 * When `externalId` is set the record's identity was readable: the record is *present* in this read (never
 * deactivated or ended for its absence) but cannot be applied, so its live row stays exactly as it was and the
 * run reports it as kept-unreadable. Only a record with no usable identity (no sourcedId, no serial/device id)
 * leaves `externalId` unset and is rejected outright.
 */
export interface Reject {
  externalId?: string;
  reason: string;
  field?: string;
  /** Where in the input: file name and line, or page URL. */
  location?: string;
  raw: unknown;
}

/**
 * One optional field of an otherwise good record could not be read (a bad date, an unknown boot mode). The
 * record is applied with that field left at its default, and the ledger keeps the field's stored value. The
 * warning is quarantined (outcome `warning`) beside the rejects. `field` is the canonical field name.
 */
export interface FieldWarning {
  externalId: string;
  field: string;
  reason: string;
  location?: string;
  raw?: unknown;
}

/** Whether a batch is a whole snapshot of its stream (absence means gone) or changes only. */
export type ProcessingMode = 'bulk' | 'delta';

export type Batch = {
  [S in Stream]: {
    stream: S;
    records: RecordByStream[S][];
    rejects: Reject[];
    /** Field-level problems of records in `records` (kept fields, see FieldWarning). */
    warnings?: FieldWarning[];
    /**
     * `bulk`: the stream's batches of this read together are the whole set, so a live row absent from them is
     * gone (full runs only, under the deletion threshold). `delta`: changes only; nothing is deactivated by absence.
     */
    processingMode: ProcessingMode;
    /**
     * Canonical fields this read does not supply at all (a column absent from the file, a field the API did not
     * return): the ledger keeps every stored value of these fields instead of reading them as empty.
     */
    unsupplied?: readonly string[];
    /** Run-level notes an admin should see with the rejects (e.g. "users.csv has no grades column"). */
    notices?: string[];
    /**
     * The delta cursor after this batch. The runner stores the last one it saw in `sources.cursor`, and only when
     * the run commits; the next read receives it in `ReadOptions.cursor`.
     */
    cursor?: unknown;
    /** Connector-specific position (file, page) for logs; the ledger does not read it. */
    checkpoint?: unknown;
  };
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
  /** When the last successful run of this source finished (the start of a delta window). */
  since?: Date;
  /** The cursor the last committed run left (`Batch.cursor`), or undefined on a first read. */
  cursor?: unknown;
}

/** How a connector authenticates: the shared HTTP helper calls it for every request. */
export interface HttpAuth {
  /** Headers to add to a request (resolved per request, so a token can be refreshed or cached). */
  headers(signal: AbortSignal): Promise<Record<string, string>>;
  /** Called once when a request answers 401; the request is then retried once with fresh headers. */
  refresh?(signal: AbortSignal): Promise<void>;
}

/** What a connector needs from the shared HTTP helper; `ctx.http` is built from it (src/sync/connector-ctx.ts). */
export interface HttpNeeds {
  baseUrl: string;
  auth?: HttpAuth;
  /** Requests in flight at once. */
  concurrency?: number;
  /** At most `requests` per `intervalMs` (a vendor's documented quota). */
  rate?: { requests: number; intervalMs: number };
  timeoutMs?: number;
  /** Outbound URL policy (help desks): http:// allowed, private/loopback/link-local addresses allowed. */
  allowInsecure?: boolean;
  allowPrivateNetwork?: boolean;
}

/** Given to `SourceConnector.http` so an auth hook can fetch tokens without a second HTTP stack. */
export interface HttpNeedsDeps {
  fetch: typeof fetch;
  log: Logger;
  now(): Date;
}

export interface SourceConnector<C = unknown> {
  kind: string;
  /** Validates the per-kind keys of a `sources[]` entry (the common keys are validated by src/config). */
  configSchema: z.ZodType<C>;
  streams: readonly Stream[];
  /** Whether the connector can read changes only; CSV exports are always whole. */
  supportsDelta: boolean;
  /** HTTP needs of an API connector; file connectors leave it out and get a client with no base URL. */
  http?(config: C, deps: HttpNeedsDeps): HttpNeeds;
  check(ctx: Ctx<C>): Promise<CheckResult>;
  /** Pages as they arrive, bounded memory. A full read must be complete or throw. */
  read(ctx: Ctx<C>, opts: ReadOptions): AsyncIterable<Batch>;
}

/**
 * One ticket to open. The delivery worker renders `title` and `body` from the rule's template (what is wrong, for
 * which device and person, since when, what to do); sinks add only what their desk needs around it.
 */
export interface TicketDraft {
  title: string;
  /** Plain text; a sink that posts HTML (Freshservice) escapes it. */
  body: string;
  severity: 'low' | 'medium' | 'high' | 'critical';
  rule: string;
  subjectKey: string;
  deviceSerial?: string | null;
  assetTag?: string | null;
  requesterEmail?: string | null;
  /** The person's school (org externalId), for desks that file tickets by location (Incident IQ). */
  schoolExternalId?: string | null;
}

/** A ticket on the desk: its id there and, when the desk has one, the link a technician opens. */
export interface TicketRef {
  externalId: string;
  url?: string;
}

/** A desk's own webhook call as the API route received it: headers (any case) and the raw, unparsed body. */
export interface InboundRequest {
  headers: Record<string, string | undefined>;
  rawBody: string;
}

/**
 * What a desk's webhook says happened to one of our tickets. `outcome: 'collected'` means a technician closed a
 * "collect device" ticket as collected: the API route ends the assignment with reason `returned`. Anything else is
 * `other` (recorded, nothing ended).
 */
export interface InboundEvent {
  externalId: string;
  /** Our idempotency key when the desk echoes it (Zendesk external_id, a Freshservice tag, a template field). */
  idempotencyKey: string | null;
  /** The desk's status as sent (`solved`, `4`, `Resolved`...), for the audit trail. */
  status: string;
  outcome: 'collected' | 'other';
}

/**
 * How a sink keeps "one discrepancy → exactly one ticket" when the worker dies between the remote create and the
 * local commit (docs/adr/0012-ticket-sink-contract-and-dedupe.md):
 * - `idempotency-key`: the desk dedupes creates by our key (Zendesk `Idempotency-Key`, 2 h) and `findByKey` finds the
 *   ticket afterwards by an exact, non-search lookup.
 * - `lookup`: the desk has no idempotency; `open` itself looks the key up first (Freshservice tag search, which can
 *   lag), and `findByKey` is that lookup.
 * - `receiver`: the far end dedupes by our key (webhook-ticket: the key is the body's `idempotencyKey` and the
 *   `webhook-id` header); there is no `findByKey`, the worker simply sends `open` again with the same key.
 */
export type SinkDedupe = 'idempotency-key' | 'lookup' | 'receiver';

/**
 * A help desk (DESIGN §8). Connectors never touch the database: the delivery worker owns `ticket_links` and calls
 * these with a `ctx` built from `http(config)` exactly as for sources (src/sync/connector-ctx.ts).
 *
 * Calls make ONE attempt each (`retry: false` on the shared HTTP helper): the delivery worker owns the retry schedule.
 * Failures are `HttpError`s from connectors/shared: `retryable` true for network errors, timeouts, 408/409/425/429
 * and 5xx, false for other 4xx; `httpStatus` set; `context.retryAfterMs` set when the desk sent Retry-After (honour
 * it); messages carry the desk's own error text with secrets and e-mail addresses removed.
 *
 * Retry protocol: on a retry of `open` (an earlier attempt may have reached the desk), call `findByKey` first when the
 * sink has one and use its answer; otherwise call `open` again with the same key.
 */
export interface TicketSink<C = unknown> {
  kind: string;
  /** Validates the per-kind keys of a `helpdesks[]` entry (`id`, `kind`, `rules` are validated by src/config). */
  configSchema: z.ZodType<C>;
  dedupe: SinkDedupe;
  /**
   * Base URL (from `subdomain`/`site`, or `baseUrl` for on-prem proxies and tests) and auth headers. The outbound
   * URL policy reads `allowInsecure` / `allowPrivateNetwork` from here.
   */
  http(config: C, deps: HttpNeedsDeps): HttpNeeds;
  check(ctx: Ctx<C>): Promise<CheckResult>;
  /** Creates the ticket carrying `idempotencyKey` (at most 255 characters) so it can be found again. */
  open(ctx: Ctx<C>, t: TicketDraft, idempotencyKey: string): Promise<TicketRef>;
  /** The ticket carrying `idempotencyKey`, or null when the desk has none (then `open` is safe to call). */
  findByKey?(ctx: Ctx<C>, idempotencyKey: string): Promise<TicketRef | null>;
  /** A private (internal) comment. */
  comment(ctx: Ctx<C>, externalId: string, body: string): Promise<void>;
  /** A private note saying why, and the ticket moved to the desk's resolved state. */
  resolve(ctx: Ctx<C>, externalId: string, note: string): Promise<void>;
  /**
   * Whether an inbound call is really from this desk: a signature or a shared secret, compared in constant time.
   * False when the desk has no inbound secret configured (the route then answers 401 and changes nothing).
   */
  verifyInbound(config: C, req: InboundRequest, now: Date): boolean;
  /** Reads a verified call. Throws a `validation_failed` AppError naming the field when the body is not usable. */
  parseInbound(config: C, req: InboundRequest): InboundEvent;
}
