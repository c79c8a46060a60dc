/**
 * A help desk's own webhook, after the API route verified it (DESIGN §8, §11): when a technician closed a
 * "collect device" ticket as collected, the device's assignment ends with reason `returned`.
 *
 * The ticket is found through `ticket_links` (the desk's ticket id, or our idempotency key when the desk echoes it),
 * never by anything the body claims about devices or people: the link names the discrepancy, the discrepancy names
 * the device and the person. Only that person's assignment, started before the finding opened, is ended, so a
 * repeated or replayed call changes nothing once the device is back, and never ends a later holder's assignment.
 */
import { sql } from 'drizzle-orm';
import type { InboundEvent } from '../../connectors/types.js';
import { rows, type Database } from '../db/client.js';
import { AppError } from '../errors.js';
import { endAssignmentFromHelpdesk, type AssignmentRecord } from '../ledger/manual-assignments.js';

export type InboundOutcome =
  /** The assignment was ended now. */
  | { result: 'returned'; ticket: string; discrepancyId: number; assignment: AssignmentRecord }
  /** Collected, but that person no longer holds the device (an earlier call, or a check-in, ended it). */
  | { result: 'already-returned'; ticket: string; discrepancyId: number }
  /** Not a "collected" close, or a ticket rollcall did not open on this desk: nothing to do. */
  | { result: 'ignored'; ticket: string; reason: 'not-collected' | 'unknown-ticket' | 'no-device' };

interface LinkRow {
  discrepancy_id: number | string;
  external_id: string;
  serial: string | null;
  person_id: number | string | null;
  opened_at: string | Date;
}

async function findLink(db: Database, helpdeskId: string, e: InboundEvent): Promise<LinkRow | undefined> {
  const byKey = e.idempotencyKey ? sql` or tl.idempotency_key = ${e.idempotencyKey}` : sql``;
  const [link] = await rows<LinkRow>(db.orm, sql`
    select tl.discrepancy_id, tl.external_id, dev.serial, d.person_id, d.opened_at
    from ticket_links tl
    join discrepancies d on d.id = tl.discrepancy_id
    left join devices dev on dev.id = d.device_id
    where tl.helpdesk_id = ${helpdeskId} and (tl.external_id = ${e.externalId}${byKey})
    order by tl.id desc limit 1`);
  return link;
}

/** Applies one verified, parsed inbound event from help desk `helpdeskId`. */
export async function applyInboundEvent(db: Database, helpdeskId: string, e: InboundEvent): Promise<InboundOutcome> {
  if (e.outcome !== 'collected') return { result: 'ignored', ticket: e.externalId, reason: 'not-collected' };
  const link = await findLink(db, helpdeskId, e);
  if (!link) return { result: 'ignored', ticket: e.externalId, reason: 'unknown-ticket' };
  const discrepancyId = Number(link.discrepancy_id);
  if (!link.serial || link.person_id === null) return { result: 'ignored', ticket: link.external_id, reason: 'no-device' };
  try {
    const assignment = await endAssignmentFromHelpdesk(db, {
      helpdeskId, serial: link.serial, ticket: link.external_id, personId: Number(link.person_id), startedAtOrBefore: new Date(link.opened_at),
    });
    return { result: 'returned', ticket: link.external_id, discrepancyId, assignment };
  } catch (err) {
    // not_found: nobody (or someone else) holds it now; assignment_ended: a concurrent call ended it first.
    if (err instanceof AppError && (err.code === 'not_found' || err.code === 'assignment_ended')) {
      return { result: 'already-returned', ticket: link.external_id, discrepancyId };
    }
    throw err;
  }
}
