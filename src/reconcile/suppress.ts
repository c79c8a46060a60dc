/**
 * Suppressing a discrepancy: an admin says "known, leave it" (a device out for repair, a student on leave). It
 * stays quiet through reconciles until `until` passes or its details change, then opens again. Resolved rows
 * are history and cannot be suppressed. The audit_log row is written here, with the change.
 */
import { sql } from 'drizzle-orm';
import { rows, type Database } from '../db/client.js';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import { enqueue } from '../outbox/enqueue.js';

export interface SuppressOptions {
  /** When the suppression ends; absent = until the details change or it resolves. */
  until?: Date;
  reason: string;
  actor: string;
  now?: Date;
}

export interface SuppressedDiscrepancy {
  id: number;
  rule: string;
  subjectKey: string;
  status: 'suppressed';
  suppressedUntil: Date | null;
}

export async function suppressDiscrepancy(db: Database, id: number, o: SuppressOptions): Promise<SuppressedDiscrepancy> {
  const now = o.now ?? new Date();
  if (!o.reason.trim()) throw new ValidationError('a reason is required to suppress a discrepancy', { id });
  if (o.until && o.until.getTime() <= now.getTime()) throw new ValidationError('until must be in the future', { id });
  return db.orm.transaction(async (tx) => {
    // Same lock as the reconciler, so a suppression never lands in the middle of a diff.
    await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended('rollcall.reconcile', 0))`);
    const [row] = await rows<{ status: string }>(tx, sql`select status from discrepancies where id = ${id} for update`);
    if (!row) throw new NotFoundError(`discrepancy ${id} not found`, { id });
    if (row.status === 'resolved') throw new ConflictError('discrepancy_resolved', `discrepancy ${id} is resolved; only open ones can be suppressed`, { id });
    const until = o.until ? o.until.toISOString() : null;
    const [d] = await rows<{ id: number; rule: string; subject_key: string; suppressed_until: Date | string | null }>(tx, sql`
      update discrepancies set status = 'suppressed', suppressed_until = ${until}::timestamptz
      where id = ${id} returning id, rule, subject_key, suppressed_until`);
    await tx.execute(sql`insert into audit_log (at, actor, action, target, details)
      values (${now.toISOString()}::timestamptz, ${o.actor}, 'discrepancy.suppress', ${`discrepancy:${id}`},
        ${JSON.stringify({ reason: o.reason, until, previousStatus: row.status })}::jsonb)`);
    return {
      id: Number(d!.id),
      rule: d!.rule,
      subjectKey: d!.subject_key,
      status: 'suppressed',
      suppressedUntil: d!.suppressed_until === null ? null : new Date(d!.suppressed_until),
    };
  });
}

export interface UnsuppressOptions {
  reason: string;
  actor: string;
  /** Whether the rule opens help desk tickets (reconcile.rules.<code>.ticket), for the discrepancy.opened event. */
  ticket: (rule: string) => boolean;
}

/**
 * Ends a suppression early: the finding is open again at once (same occurrence), announced as discrepancy.opened
 * with `reopened: true` like a suppression that ran out, so tickets and webhooks follow it the same way.
 */
export async function unsuppressDiscrepancy(db: Database, id: number, o: UnsuppressOptions): Promise<{ id: number; rule: string; subjectKey: string; status: 'open' }> {
  if (!o.reason.trim()) throw new ValidationError('a reason is required to unsuppress a discrepancy', { id });
  return db.orm.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended('rollcall.reconcile', 0))`);
    const [row] = await rows<{ status: string }>(tx, sql`select status from discrepancies where id = ${id} for update`);
    if (!row) throw new NotFoundError(`discrepancy ${id} not found`, { id });
    if (row.status !== 'suppressed') throw new ConflictError('discrepancy_not_suppressed', `discrepancy ${id} is ${row.status}, not suppressed`, { id });
    const [d] = await rows<{ id: number; rule: string; subject_key: string; severity: 'low' | 'medium' | 'high' | 'critical'; occurrence: number;
      device_id: number | null; person_id: number | null; details: Record<string, unknown> }>(tx, sql`
      update discrepancies set status = 'open', suppressed_until = null where id = ${id}
      returning id, rule, subject_key, severity, occurrence, device_id, person_id, details`);
    await enqueue(tx, 'discrepancy.opened', {
      id: Number(d!.id), rule: d!.rule, subjectKey: d!.subject_key, severity: d!.severity, occurrence: Number(d!.occurrence), status: 'open',
      deviceId: d!.device_id === null ? null : Number(d!.device_id), personId: d!.person_id === null ? null : Number(d!.person_id),
      ticket: o.ticket(d!.rule), details: d!.details ?? {}, reopened: true, reason: 'unsuppressed',
    });
    await tx.execute(sql`insert into audit_log (actor, action, target, details)
      values (${o.actor}, 'discrepancy.unsuppress', ${`discrepancy:${id}`}, ${JSON.stringify({ reason: o.reason })}::jsonb)`);
    return { id: Number(d!.id), rule: d!.rule, subjectKey: d!.subject_key, status: 'open' as const };
  });
}
