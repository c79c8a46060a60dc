/**
 * The outbox event contract (DESIGN §8, ADR 0008): one union of event types, one zod schema per payload.
 * Delivery workers (webhooks, tickets) read `outbox` rows and may trust these shapes. Payloads carry ids and the
 * few fields a consumer needs to act, never whole rows of personal data: a consumer that wants a name asks the
 * admin API for it, with a token.
 */
import { z } from 'zod';

const id = z.number().int().positive();
const runId = id.nullable();

const discrepancy = z.object({
  id,
  rule: z.string(),
  subjectKey: z.string(),
  severity: z.enum(['low', 'medium', 'high', 'critical']),
  occurrence: z.number().int().positive(),
  status: z.enum(['open', 'resolved', 'suppressed']),
  deviceId: id.nullable(),
  personId: id.nullable(),
  /** Whether the rule opens help desk tickets (reconcile.rules.<code>.ticket). */
  ticket: z.boolean(),
  details: z.record(z.string(), z.unknown()),
});

const syncBase = z.object({ runId, sourceId: z.string(), mode: z.enum(['full', 'delta']) });

export const eventSchemas = {
  'discrepancy.opened': discrepancy.extend({ reopened: z.boolean().optional(), reason: z.string().optional() }),
  'discrepancy.resolved': discrepancy.extend({ resolvedReason: z.string() }),
  'assignment.started': z.object({ assignmentId: id, deviceId: id, personId: id, sourceId: z.string().nullable(), runId }),
  'assignment.ended': z.object({ assignmentId: id, deviceId: id, personId: id, reason: z.string(), runId }),
  'person.deactivated': z.object({ personId: id, sourceId: z.string(), externalId: z.string(), role: z.string(), reason: z.string(), runId }),
  'person.reactivated': z.object({ personId: id, sourceId: z.string(), externalId: z.string(), role: z.string(), runId }),
  'device.created': z.object({ deviceId: id, serial: z.string(), platform: z.string(), runId }),
  'sync.completed': syncBase.extend({ status: z.enum(['succeeded', 'approved']), stats: z.record(z.string(), z.unknown()), approves: id.optional() }),
  'sync.failed': syncBase.extend({ error: z.string(), reason: z.string().optional() }),
  'sync.held': syncBase.extend({ heldReason: z.string(), stats: z.record(z.string(), z.unknown()) }),
} as const;

export type EventType = keyof typeof eventSchemas;
export type EventPayload<T extends EventType> = z.infer<(typeof eventSchemas)[T]>;
export const EVENT_TYPES = Object.keys(eventSchemas) as EventType[];

/** Parses one stored row; throws naming the type when a payload breaks the contract. */
export function parseEvent(type: string, payload: unknown): { type: EventType; payload: unknown } {
  if (!(type in eventSchemas)) throw new Error(`unknown outbox event type "${type}"`);
  return { type: type as EventType, payload: eventSchemas[type as EventType].parse(payload) };
}
