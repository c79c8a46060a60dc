/** TicketDraft → a Standard Webhooks message, and the receiver's callback → InboundEvent. */
import { createHash } from 'node:crypto';
import type { z } from 'zod';
import type { InboundEvent, TicketDraft } from '../types.js';
import type { TicketMessage, inboundSchema } from './api-types.js';

export function openMessage(d: TicketDraft, key: string, now: Date): TicketMessage {
  return {
    type: 'ticket.open',
    timestamp: now.toISOString(),
    data: {
      idempotencyKey: key,
      title: d.title,
      body: d.body,
      severity: d.severity,
      rule: d.rule,
      subjectKey: d.subjectKey,
      deviceSerial: d.deviceSerial ?? null,
      assetTag: d.assetTag ?? null,
      requesterEmail: d.requesterEmail ?? null,
      schoolExternalId: d.schoolExternalId ?? null,
    },
  };
}

/**
 * `webhook-id` of a message: the idempotency key for `open`; for comment/resolve a hash of what is said, so a
 * retry of the same call carries the same id and the receiver can drop it.
 */
export function messageId(m: TicketMessage): string {
  if (m.type === 'ticket.open') return m.data.idempotencyKey;
  const text = m.type === 'ticket.comment' ? m.data.body : m.data.note;
  return `${m.type}:${m.data.externalId}:${createHash('sha256').update(text, 'utf8').digest('hex').slice(0, 24)}`;
}

const CLOSED = /^(closed|resolved|solved|done|complete|completed)$/i;

export function inboundEvent(b: z.infer<typeof inboundSchema>): InboundEvent {
  const status = b.status.trim();
  return {
    externalId: String(b.externalId).trim(),
    idempotencyKey: b.idempotencyKey?.trim() ? b.idempotencyKey.trim() : null,
    status,
    outcome: CLOSED.test(status) && b.outcome?.trim().toLowerCase() === 'collected' ? 'collected' : 'other',
  };
}
