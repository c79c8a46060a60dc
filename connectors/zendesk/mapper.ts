/** TicketDraft → Zendesk create/update bodies, and a Zendesk ticket or webhook → rollcall's shapes. */
import type { InboundEvent, TicketDraft, TicketRef } from '../types.js';
import type { ZdCreateBody, ZdTicket, ZdUpdateBody, zdInboundSchema } from './api-types.js';
import type { z } from 'zod';

const PRIORITY = { low: 'low', medium: 'normal', high: 'high', critical: 'urgent' } as const;

/** Zendesk tags are lower-case words; anything else becomes `_` so a rule name is always a valid tag. */
export function tag(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9_\-:/]+/g, '_');
}

export function createBody(d: TicketDraft, key: string, opts: { tags: string[]; groupId?: number }): ZdCreateBody {
  return {
    ticket: {
      subject: d.title,
      // Private from the first comment on: the ticket names a student, and Zendesk carries the first comment's
      // visibility over to later ones unless each says otherwise.
      comment: { body: d.body, public: false },
      external_id: key,
      tags: [...new Set([...opts.tags.map(tag), `rollcall_rule_${tag(d.rule)}`])],
      priority: PRIORITY[d.severity],
      ...(opts.groupId === undefined ? {} : { group_id: opts.groupId }),
    },
  };
}

export function privateComment(body: string, solve: boolean): ZdUpdateBody {
  return { ticket: { comment: { body, public: false }, ...(solve ? { status: 'solved' as const } : {}) } };
}

/** The agent page of a ticket (`/agent/tickets/{id}`) on the desk's host. */
export function ticketRef(t: ZdTicket, host: string): TicketRef {
  return { externalId: String(t.id), url: `${host}/agent/tickets/${t.id}` };
}

/** Of several tickets carrying our external_id (Zendesk does not enforce uniqueness), the first one created. */
export function firstTicket(tickets: ZdTicket[], key: string): ZdTicket | undefined {
  return tickets.filter((t) => t.external_id === key && t.status !== 'deleted').sort((a, b) => a.id - b.id)[0];
}

const CLOSED = new Set(['solved', 'closed']);

export function inboundEvent(b: z.infer<typeof zdInboundSchema>, collectedTag: string): InboundEvent {
  const tags = (Array.isArray(b.tags) ? b.tags : (b.tags ?? '').split(/[\s,]+/)).map((t) => t.trim().toLowerCase()).filter(Boolean);
  const status = b.status.trim();
  const collected = CLOSED.has(status.toLowerCase()) && tags.includes(collectedTag.toLowerCase());
  return {
    externalId: String(b.ticket_id).trim(),
    idempotencyKey: b.external_id?.trim() ? b.external_id.trim() : null,
    status,
    outcome: collected ? 'collected' : 'other',
  };
}
