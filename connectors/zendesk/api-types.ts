/**
 * Raw Zendesk Support shapes (https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/). Only the
 * fields rollcall reads are declared; the rest pass through untouched.
 */
import { z } from 'zod';

/** A ticket object as Tickets API answers return it. */
export const zdTicketSchema = z.looseObject({
  id: z.number().int(),
  /** The API URL of the ticket (`…/api/v2/tickets/35436.json`), not the agent page. */
  url: z.string().optional(),
  /** Not unique in Zendesk: "External ids don't have to be unique for each ticket". */
  external_id: z.string().nullable().optional(),
  status: z.string(),
  tags: z.array(z.string()).default([]),
});
export type ZdTicket = z.infer<typeof zdTicketSchema>;

/** `POST /api/v2/tickets` → 201, `PUT /api/v2/tickets/{id}` → 200, `GET /api/v2/tickets/{id}` → 200. */
export const zdTicketResponseSchema = z.looseObject({ ticket: zdTicketSchema });

/** `GET /api/v2/tickets?external_id=` (List Tickets; offset pagination fields). */
export const zdTicketListSchema = z.looseObject({
  tickets: z.array(zdTicketSchema),
  next_page: z.string().nullable().optional(),
  count: z.number().int().optional(),
});

/** `GET /api/v2/users/me`: an anonymous user (id null) when the credentials were not accepted. */
export const zdMeSchema = z.looseObject({
  user: z.looseObject({ id: z.number().int().nullable(), role: z.string().nullable().optional() }),
});

/**
 * Error bodies: `{"error":"RecordInvalid","description":"Record validation errors","details":{"base":[{"description":
 * "…"}]}}` (422), `{"error":"RecordNotFound","description":"Not found"}` (404), `{"error":"Couldn't authenticate
 * you"}` (401), `{"error":{"title":"Forbidden","message":"…"}}` (403), and
 * `{"error":"IdempotentRequestError","description":"Request parameters don't match the given idempotency key"}` (400).
 */
export const zdErrorSchema = z.looseObject({
  error: z.union([z.string(), z.looseObject({ title: z.string().optional(), message: z.string().optional() })]).optional(),
  description: z.string().optional(),
  details: z.record(z.string(), z.array(z.looseObject({ description: z.string().optional() }))).optional(),
});

/** The create body (`comment.public` always explicit: the first comment's visibility carries over). */
export interface ZdCreateBody {
  ticket: {
    subject: string;
    comment: { body: string; public: boolean };
    external_id: string;
    tags: string[];
    priority: 'low' | 'normal' | 'high' | 'urgent';
    group_id?: number;
  };
}

export interface ZdUpdateBody {
  ticket: { comment: { body: string; public: false }; status?: 'solved' };
}

/**
 * The body of the Zendesk webhook rollcall documents for its trigger (README "Help desks"):
 * `{"ticket_id":"{{ticket.id}}","external_id":"{{ticket.external_id}}","status":"{{ticket.status}}","tags":"{{ticket.tags}}"}`.
 * Placeholders render as strings; `{{ticket.tags}}` is space-separated.
 */
export const zdInboundSchema = z.looseObject({
  ticket_id: z.union([z.string(), z.number()]),
  external_id: z.string().nullable().optional(),
  status: z.string(),
  tags: z.union([z.string(), z.array(z.string())]).optional(),
});
