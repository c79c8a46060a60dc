/** TicketDraft → Freshservice bodies; the dedupe tag; a workflow webhook → InboundEvent. */
import { createHash } from 'node:crypto';
import type { z } from 'zod';
import type { InboundEvent, TicketDraft } from '../types.js';
import { FS_PRIORITY, type FsCreateBody, type fsInboundSchema } from './api-types.js';

/**
 * The tag that carries our idempotency key. Keys hold `:` and can be long (a UUID subject key), so the tag is
 * `rollcall-k-` + 32 hex of SHA-256(key): one tag word, the same for every attempt, unique for practical purposes.
 */
export function keyTag(key: string): string {
  return `rollcall-k-${createHash('sha256').update(key, 'utf8').digest('hex').slice(0, 32)}`;
}

const escapeHtml = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Plain text → the HTML Freshservice's `description` and note `body` take (line breaks kept). */
export function toHtml(text: string): string {
  return text.split(/\r?\n/).map(escapeHtml).join('<br>');
}

export function createBody(d: TicketDraft, key: string, opts: { email: string; source: number; tags: string[]; groupId?: number }): FsCreateBody {
  return {
    email: opts.email,
    subject: d.title,
    description: toHtml(d.body),
    status: 2,
    priority: FS_PRIORITY[d.severity],
    source: opts.source,
    tags: [...new Set([...opts.tags, `rollcall-rule-${d.rule}`, keyTag(key)])],
    ...(opts.groupId === undefined ? {} : { group_id: opts.groupId }),
  };
}

/** The Freshservice filter query for a tag, with the outer double quotes the API requires. */
export function tagQuery(tag: string): string {
  return `"tag:'${tag.replace(/'/g, '')}'"`;
}

const CLOSED = new Set(['4', '5', 'resolved', 'closed']);

export function inboundEvent(b: z.infer<typeof fsInboundSchema>, collectedTag: string): InboundEvent {
  const tags = (Array.isArray(b.tags) ? b.tags : (b.tags ?? '').split(/\s*,\s*|\s+/)).map((t) => t.trim().toLowerCase()).filter(Boolean);
  const status = String(b.status).trim();
  const marked = tags.includes(collectedTag.toLowerCase()) || b.outcome?.trim().toLowerCase() === 'collected';
  // Notification placeholders can render the display id (`#INC-123`); the API id is its number.
  const id = String(b.ticket_id).trim();
  return {
    externalId: /(\d+)$/.exec(id)?.[1] ?? id,
    idempotencyKey: null,
    status,
    outcome: CLOSED.has(status.toLowerCase()) && marked ? 'collected' : 'other',
  };
}
