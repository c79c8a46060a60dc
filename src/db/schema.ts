/**
 * The ledger (DESIGN §4). Rows are deactivated, never deleted; every change is an `events` row. Constraints
 * carry the invariants so that no code path (or second replica) can break them.
 */
import { sql } from 'drizzle-orm';
import {
  bigint, bigserial, boolean, check, date, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex,
} from 'drizzle-orm/pg-core';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });
const id = () => bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity();
const ref = (name: string) => bigint(name, { mode: 'number' });

export const sources = pgTable('sources', {
  id: text('id').primaryKey(),
  kind: text('kind').notNull(),
  cursor: jsonb('cursor'),
  lastFullAt: ts('last_full_at'),
  lastDeltaAt: ts('last_delta_at'),
  createdAt: ts('created_at').notNull().defaultNow(),
});

export const syncRuns = pgTable('sync_runs', {
  id: id(),
  sourceId: text('source_id').notNull().references(() => sources.id),
  mode: text('mode', { enum: ['full', 'delta'] }).notNull(),
  status: text('status', { enum: ['running', 'succeeded', 'failed', 'held', 'approved'] }).notNull(),
  /**
   * What started the run, when it must run once across replicas: a scheduled slot (`schedule:2026-11-24T02:00`) or
   * `first-run`. A second replica inserting the same key for the source is refused by the unique index.
   */
  triggerKey: text('trigger_key'),
  dryRun: boolean('dry_run').notNull().default(false),
  startedAt: ts('started_at').notNull().defaultNow(),
  finishedAt: ts('finished_at'),
  stats: jsonb('stats').notNull().default({}),
  /** Deactivations a held run is waiting to apply: { orgs: ids, people: ids, observations: ids, ... }. */
  held: jsonb('held'),
  error: text('error'),
}, (t) => [
  index('sync_runs_source_started').on(t.sourceId, t.startedAt),
  // A failed run frees its slot so that a retry (or the next start) may run it again.
  uniqueIndex('sync_runs_trigger_once').on(t.sourceId, t.triggerKey).where(sql`${t.triggerKey} is not null and ${t.status} <> 'failed'`),
]);

export const orgs = pgTable('orgs', {
  id: id(),
  sourceId: text('source_id').notNull().references(() => sources.id),
  externalId: text('external_id').notNull(),
  name: text('name').notNull(),
  type: text('type').notNull(),
  identifier: text('identifier'),
  parentExternalId: text('parent_external_id'),
  parentId: ref('parent_id'),
  status: text('status', { enum: ['active', 'inactive'] }).notNull().default('active'),
  metadata: jsonb('metadata').notNull().default({}),
  contentHash: text('content_hash').notNull(),
  firstSeenAt: ts('first_seen_at').notNull().defaultNow(),
  lastSeenAt: ts('last_seen_at').notNull().defaultNow(),
  deactivatedAt: ts('deactivated_at'),
}, (t) => [uniqueIndex('orgs_source_external').on(t.sourceId, t.externalId)]);

export const people = pgTable('people', {
  id: id(),
  sourceId: text('source_id').notNull().references(() => sources.id),
  externalId: text('external_id').notNull(),
  role: text('role').notNull(),
  status: text('status', { enum: ['active', 'inactive'] }).notNull(),
  givenName: text('given_name'),
  familyName: text('family_name'),
  preferredName: text('preferred_name'),
  email: text('email'),
  username: text('username'),
  sisId: text('sis_id'),
  userIds: text('user_ids').array().notNull().default(sql`'{}'::text[]`),
  /** The ids' values lower-cased without their system (`{LDAP:JSmith}` → `jsmith`): the last-resort match key. */
  userIdKeys: text('user_id_keys').array().notNull().default(sql`'{}'::text[]`),
  grades: text('grades').array().notNull().default(sql`'{}'::text[]`),
  orgExternalIds: text('org_external_ids').array().notNull().default(sql`'{}'::text[]`),
  schoolExternalId: text('school_external_id'),
  schoolId: ref('school_id'),
  metadata: jsonb('metadata').notNull().default({}),
  contentHash: text('content_hash').notNull(),
  firstSeenAt: ts('first_seen_at').notNull().defaultNow(),
  lastSeenAt: ts('last_seen_at').notNull().defaultNow(),
  deactivatedAt: ts('deactivated_at'),
}, (t) => [
  uniqueIndex('people_source_external').on(t.sourceId, t.externalId),
  index('people_email_lower').on(sql`lower(${t.email})`),
  index('people_username_lower').on(sql`lower(${t.username})`),
  index('people_user_id_keys').using('gin', t.userIdKeys),
  index('people_school').on(t.schoolId),
  index('people_school_external').on(t.schoolExternalId),
]);

export const enrollments = pgTable('enrollments', {
  id: id(),
  sourceId: text('source_id').notNull().references(() => sources.id),
  externalId: text('external_id').notNull(),
  personExternalId: text('person_external_id').notNull(),
  classExternalId: text('class_external_id').notNull(),
  schoolExternalId: text('school_external_id'),
  role: text('role').notNull(),
  primary: boolean('primary'),
  beginDate: date('begin_date', { mode: 'string' }),
  endDate: date('end_date', { mode: 'string' }),
  status: text('status', { enum: ['active', 'inactive'] }).notNull().default('active'),
  contentHash: text('content_hash').notNull(),
  firstSeenAt: ts('first_seen_at').notNull().defaultNow(),
  lastSeenAt: ts('last_seen_at').notNull().defaultNow(),
  deactivatedAt: ts('deactivated_at'),
}, (t) => [
  uniqueIndex('enrollments_source_external').on(t.sourceId, t.externalId),
  index('enrollments_person').on(t.sourceId, t.personExternalId),
]);

export const devices = pgTable('devices', {
  id: id(),
  /** Normalised: trimmed, upper-case, no whitespace. The CHECK keeps every writer honest. */
  serial: text('serial').notNull(),
  assetTag: text('asset_tag'),
  model: text('model'),
  manufacturer: text('manufacturer'),
  platform: text('platform', { enum: ['chromeos', 'windows', 'ios', 'macos', 'android', 'other'] }).notNull(),
  /** `inactive` once no MDM reports the device any more. Attributes merge from all observations. */
  status: text('status', { enum: ['active', 'inactive'] }).notNull().default('active'),
  firstSeenAt: ts('first_seen_at').notNull().defaultNow(),
  lastSeenAt: ts('last_seen_at').notNull().defaultNow(),
  deactivatedAt: ts('deactivated_at'),
}, (t) => [
  uniqueIndex('devices_serial').on(t.serial),
  check('devices_serial_normalised', sql`${t.serial} <> '' and ${t.serial} = upper(regexp_replace(${t.serial}, '\\s', '', 'g'))`),
]);

export const deviceObservations = pgTable('device_observations', {
  id: id(),
  deviceId: ref('device_id').notNull().references(() => devices.id),
  sourceId: text('source_id').notNull().references(() => sources.id),
  externalId: text('external_id').notNull(),
  status: text('status').notNull(),
  active: boolean('active').notNull().default(true),
  userEmail: text('user_email'),
  recentUsers: jsonb('recent_users').notNull().default([]),
  orgUnit: text('org_unit'),
  osVersion: text('os_version'),
  assetTag: text('asset_tag'),
  model: text('model'),
  lastSyncAt: ts('last_sync_at'),
  enrolledAt: ts('enrolled_at'),
  aueDate: date('aue_date', { mode: 'string' }),
  compliance: text('compliance'),
  bootMode: text('boot_mode'),
  /** Google annotatedLocation / notes / orgUnitId; MAC as aa:bb:cc:dd:ee:ff (Google macAddress, Intune wiFiMacAddress). */
  annotatedLocation: text('annotated_location'),
  notes: text('notes'),
  macAddress: text('mac_address'),
  orgUnitId: text('org_unit_id'),
  contentHash: text('content_hash').notNull(),
  firstSeenAt: ts('first_seen_at').notNull().defaultNow(),
  lastSeenAt: ts('last_seen_at').notNull().defaultNow(),
  deactivatedAt: ts('deactivated_at'),
}, (t) => [
  uniqueIndex('observations_source_external').on(t.sourceId, t.externalId),
  index('observations_device').on(t.deviceId),
]);

export const assignments = pgTable('assignments', {
  id: id(),
  deviceId: ref('device_id').notNull().references(() => devices.id),
  personId: ref('person_id').notNull().references(() => people.id),
  origin: text('origin', { enum: ['mdm', 'manual', 'import'] }).notNull(),
  /** The source whose observation opened an `mdm` assignment. */
  sourceId: text('source_id').references(() => sources.id),
  startedAt: ts('started_at').notNull().defaultNow(),
  endedAt: ts('ended_at'),
  endedReason: text('ended_reason'),
}, (t) => [
  uniqueIndex('assignments_one_open_per_device').on(t.deviceId).where(sql`${t.endedAt} is null`),
  index('assignments_person').on(t.personId),
  index('assignments_device').on(t.deviceId, t.startedAt),
]);

export const events = pgTable('events', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  at: ts('at').notNull().defaultNow(),
  runId: ref('run_id'),
  actor: text('actor').notNull(),
  entity: text('entity').notNull(),
  entityId: ref('entity_id').notNull(),
  action: text('action').notNull(),
  diff: jsonb('diff'),
}, (t) => [index('events_entity').on(t.entity, t.entityId), index('events_run').on(t.runId)]);

export const quarantine = pgTable('quarantine', {
  id: id(),
  runId: ref('run_id').references(() => syncRuns.id),
  sourceId: text('source_id').notNull().references(() => sources.id),
  stream: text('stream').notNull(),
  /**
   * `rejected`: no usable identity, nothing applied. `kept`: identity readable but the record could not be applied,
   * its live row was left as it was. `warning`: the record was applied but one field (`field`) was unreadable and
   * kept its stored value; also run-level notices such as a column missing from a file.
   */
  outcome: text('outcome', { enum: ['rejected', 'kept', 'warning'] }).notNull().default('rejected'),
  externalId: text('external_id'),
  reason: text('reason').notNull(),
  field: text('field'),
  location: text('location'),
  raw: jsonb('raw'),
  at: ts('at').notNull().defaultNow(),
}, (t) => [index('quarantine_run').on(t.runId)]);

export const discrepancies = pgTable('discrepancies', {
  id: id(),
  rule: text('rule').notNull(),
  subjectKey: text('subject_key').notNull(),
  deviceId: ref('device_id').references(() => devices.id),
  personId: ref('person_id').references(() => people.id),
  severity: text('severity', { enum: ['low', 'medium', 'high', 'critical'] }).notNull(),
  status: text('status', { enum: ['open', 'resolved', 'suppressed'] }).notNull(),
  occurrence: integer('occurrence').notNull().default(1),
  openedAt: ts('opened_at').notNull().defaultNow(),
  lastSeenAt: ts('last_seen_at').notNull().defaultNow(),
  resolvedAt: ts('resolved_at'),
  resolvedReason: text('resolved_reason'),
  suppressedUntil: ts('suppressed_until'),
  detailsHash: text('details_hash'),
  details: jsonb('details').notNull().default({}),
}, (t) => [
  // One live (open or suppressed) row per finding; resolved rows are history.
  uniqueIndex('discrepancies_one_live').on(t.rule, t.subjectKey).where(sql`${t.status} <> 'resolved'`),
  index('discrepancies_status').on(t.status, t.rule),
  index('discrepancies_device').on(t.deviceId).where(sql`${t.deviceId} is not null`),
  index('discrepancies_person').on(t.personId).where(sql`${t.personId} is not null`),
]);

export const ticketLinks = pgTable('ticket_links', {
  id: id(),
  discrepancyId: ref('discrepancy_id').notNull().references(() => discrepancies.id),
  helpdeskId: text('helpdesk_id').notNull(),
  externalId: text('external_id').notNull(),
  url: text('url'),
  state: text('state').notNull(),
  idempotencyKey: text('idempotency_key').notNull(),
}, (t) => [uniqueIndex('ticket_links_key').on(t.helpdeskId, t.idempotencyKey)]);

export const outbox = pgTable('outbox', {
  id: id(),
  type: text('type').notNull(),
  payload: jsonb('payload').notNull(),
  createdAt: ts('created_at').notNull().defaultNow(),
  /** When the delivery fan-out turned this event into its `deliveries` rows (null: not yet). */
  dispatchedAt: ts('dispatched_at'),
}, (t) => [index('outbox_undispatched').on(t.id).where(sql`${t.dispatchedAt} is null`)]);

export const deliveries = pgTable('deliveries', {
  id: id(),
  outboxId: ref('outbox_id').notNull().references(() => outbox.id),
  target: text('target').notNull(),
  attempt: integer('attempt').notNull().default(0),
  status: text('status', { enum: ['pending', 'delivered', 'dead'] }).notNull().default('pending'),
  nextAttemptAt: ts('next_attempt_at').notNull().defaultNow(),
  leaseUntil: ts('lease_until'),
  lastStatus: integer('last_status'),
  lastError: text('last_error'),
  createdAt: ts('created_at').notNull().defaultNow(),
  /** Which worker holds the lease (host:pid:random), for `deliveries list` and logs. */
  leaseOwner: text('lease_owner'),
  /** Failed attempts so far; never reset (a replay keeps it), so the metrics counter only grows. */
  failures: integer('failures').notNull().default(0),
  lastAttemptAt: ts('last_attempt_at'),
  deliveredAt: ts('delivered_at'),
}, (t) => [
  uniqueIndex('deliveries_outbox_target').on(t.outboxId, t.target),
  index('deliveries_due').on(t.status, t.nextAttemptAt),
  index('deliveries_target_status').on(t.target, t.status),
]);

/** Health of one delivery target (`webhook:<id>`, `helpdesk:<id>`): failing since when, disabled or not. */
export const deliveryTargets = pgTable('delivery_targets', {
  target: text('target').primaryKey(),
  failingSince: ts('failing_since'),
  disabledAt: ts('disabled_at'),
  disabledReason: text('disabled_reason'),
});

export const auditLog = pgTable('audit_log', {
  id: id(),
  at: ts('at').notNull().defaultNow(),
  actor: text('actor').notNull(),
  action: text('action').notNull(),
  target: text('target'),
  details: jsonb('details'),
});
