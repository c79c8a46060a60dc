/**
 * Manual check-out and check-in: a technician hands a device to a student, or takes it back. Like every domain
 * write this lives in the ledger; one transaction writes the assignment, its `events` row (history), its typed
 * outbox event (assignment.started / assignment.ended) and an audit_log row naming the actor (the API token's
 * name, or the help desk that reported a return).
 *
 * A manual assignment (`origin = 'manual'`) is never ended by a sync: the MDM reconciliation ends only the
 * assignments it opened. Checking in an MDM-opened assignment ends it; if the MDM still names the same user at
 * the next sync, that sync opens a new one (the MDM is then the better witness).
 */
import { sql } from 'drizzle-orm';
import { rows, type Database, type Tx } from '../db/client.js';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import { enqueue } from '../outbox/enqueue.js';
import { normaliseSerial } from './encode.js';

export const END_REASONS = ['returned', 'lost', 'damaged', 'withdrawn', 'other'] as const;
export type EndReason = (typeof END_REASONS)[number];

export interface AssignmentRecord {
  id: number;
  deviceId: number;
  serial: string;
  personId: number;
  origin: string;
  startedAt: string;
  endedAt: string | null;
  endedReason: string | null;
}

export interface CheckOut {
  serial: string;
  personId: number;
  reason?: string;
  actor: string;
}

export interface CheckIn {
  assignmentId: number;
  reason: EndReason;
  note?: string;
  actor: string;
}

type Row = { id: number; device_id: number; serial: string; person_id: number; origin: string; started_at: Date | string; ended_at: Date | string | null; ended_reason: string | null };

const toRecord = (r: Row): AssignmentRecord => ({
  id: Number(r.id), deviceId: Number(r.device_id), serial: r.serial, personId: Number(r.person_id), origin: r.origin,
  startedAt: new Date(r.started_at).toISOString(), endedAt: r.ended_at === null ? null : new Date(r.ended_at).toISOString(), endedReason: r.ended_reason,
});

async function audit(tx: Tx, actor: string, action: string, target: string, details: Record<string, unknown>): Promise<void> {
  await tx.execute(sql`insert into audit_log (actor, action, target, details) values (${actor}, ${action}, ${target}, ${JSON.stringify(details)}::jsonb)`);
}

function isUniqueViolation(e: unknown): boolean {
  for (let c: unknown = e; c; c = (c as { cause?: unknown }).cause) if ((c as { code?: unknown }).code === '23505') return true;
  return false;
}

export async function checkOut(db: Database, o: CheckOut): Promise<AssignmentRecord> {
  const serial = normaliseSerial(o.serial);
  if (!serial) throw new ValidationError('serial: must not be empty', { field: 'serial' });
  try {
    return await db.orm.transaction(async (tx) => {
      const [device] = await rows<{ id: number; status: string }>(tx, sql`select id, status from devices where serial = ${serial} for update`);
      if (!device) throw new NotFoundError(`no device with serial "${serial}"`, { serial });
      const [person] = await rows<{ id: number; status: string; deactivated_at: unknown }>(tx, sql`select id, status, deactivated_at from people where id = ${o.personId}`);
      if (!person) throw new NotFoundError(`no person with id ${o.personId}`, { personId: o.personId });
      if (person.status !== 'active' || person.deactivated_at !== null) {
        throw new ValidationError(`personId: person ${o.personId} is inactive; a device can be checked out only to an active person`, { field: 'personId' });
      }
      const [open] = await rows<{ id: number; person_id: number }>(tx, sql`select id, person_id from assignments where device_id = ${device.id} and ended_at is null`);
      if (open) {
        throw new ConflictError('device_assigned', `device ${serial} is already assigned (assignment ${open.id}); check it in first`, { assignmentId: Number(open.id) });
      }
      const [a] = await rows<Row>(tx, sql`
        insert into assignments (device_id, person_id, origin) values (${device.id}, ${o.personId}, 'manual')
        returning id, device_id, ${serial}::text as serial, person_id, origin, started_at, ended_at, ended_reason`);
      const rec = toRecord(a!);
      await tx.execute(sql`insert into events (actor, entity, entity_id, action, diff) values (${o.actor}, 'assignment', ${rec.id}, 'start',
        ${JSON.stringify({ deviceId: rec.deviceId, personId: rec.personId, origin: 'manual', ...(o.reason ? { reason: o.reason } : {}) })}::jsonb)`);
      await enqueue(tx, 'assignment.started', { assignmentId: rec.id, deviceId: rec.deviceId, personId: rec.personId, sourceId: null, runId: null });
      await audit(tx, o.actor, 'assignment.checkout', `assignment:${rec.id}`, { serial, personId: rec.personId, reason: o.reason ?? null });
      return rec;
    });
  } catch (e) {
    // Two check-outs of one device at once: the one-open-per-device index lets only the first in.
    if (isUniqueViolation(e)) throw new ConflictError('device_assigned', `device ${serial} was just assigned by another request; check it in first`, { serial });
    throw e;
  }
}

async function endWithin(tx: Tx, assignmentId: number, reason: string, note: string | undefined, actor: string, action: string): Promise<AssignmentRecord> {
  const [cur] = await rows<{ ended_at: unknown }>(tx, sql`select ended_at from assignments where id = ${assignmentId} for update`);
  if (!cur) throw new NotFoundError(`no assignment with id ${assignmentId}`, { assignmentId });
  if (cur.ended_at !== null) throw new ConflictError('assignment_ended', `assignment ${assignmentId} has already ended`, { assignmentId });
  const [a] = await rows<Row>(tx, sql`
    update assignments a set ended_at = now(), ended_reason = ${reason} from devices d
    where a.id = ${assignmentId} and d.id = a.device_id
    returning a.id, a.device_id, d.serial, a.person_id, a.origin, a.started_at, a.ended_at, a.ended_reason`);
  const rec = toRecord(a!);
  await tx.execute(sql`insert into events (actor, entity, entity_id, action, diff) values (${actor}, 'assignment', ${rec.id}, 'end',
    ${JSON.stringify({ deviceId: rec.deviceId, personId: rec.personId, reason, ...(note ? { note } : {}) })}::jsonb)`);
  await enqueue(tx, 'assignment.ended', { assignmentId: rec.id, deviceId: rec.deviceId, personId: rec.personId, reason, runId: null });
  await audit(tx, actor, action, `assignment:${rec.id}`, { serial: rec.serial, personId: rec.personId, reason, note: note ?? null });
  return rec;
}

export async function checkIn(db: Database, o: CheckIn): Promise<AssignmentRecord> {
  if (!(END_REASONS as readonly string[]).includes(o.reason)) {
    throw new ValidationError(`reason: expected one of ${END_REASONS.join(', ')}`, { field: 'reason' });
  }
  return db.orm.transaction((tx) => endWithin(tx, o.assignmentId, o.reason, o.note, o.actor, 'assignment.checkin'));
}

export interface HelpdeskReturn {
  /** The help desk's configured id (helpdesks[].id): the actor, as `helpdesk:<id>`. */
  helpdeskId: string;
  /** The returned device's serial, in any case and spacing. */
  serial: string;
  /** The ticket that reported the return, kept in the history. */
  ticket?: string;
  /**
   * Only an assignment of this person (the one the ticket was about). A replayed webhook then never ends a later
   * holder's assignment of the same device.
   */
  personId?: number;
  /** Only an assignment that started at or before this instant (the ticket's finding was opened then). */
  startedAtOrBefore?: Date;
}

/**
 * A help desk reports that a device came back (an inbound webhook): ends the device's open assignment with
 * reason `returned`. NotFoundError when the device is unknown or nobody holds it.
 */
export async function endAssignmentFromHelpdesk(db: Database, r: HelpdeskReturn): Promise<AssignmentRecord> {
  const serial = normaliseSerial(r.serial);
  return db.orm.transaction(async (tx) => {
    const holder = r.personId === undefined ? sql`` : sql` and a.person_id = ${r.personId}`;
    const since = r.startedAtOrBefore === undefined ? sql`` : sql` and a.started_at <= ${r.startedAtOrBefore.toISOString()}::timestamptz`;
    const [open] = await rows<{ id: number }>(tx, sql`
      select a.id from assignments a join devices d on d.id = a.device_id
      where d.serial = ${serial} and a.ended_at is null${holder}${since}`);
    if (!open) throw new NotFoundError(`device ${serial} has no open assignment`, { serial });
    return endWithin(tx, Number(open.id), 'returned', r.ticket ? `ticket ${r.ticket}` : undefined, `helpdesk:${r.helpdeskId}`, 'assignment.helpdesk-return');
  });
}
