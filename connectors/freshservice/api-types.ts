/**
 * Raw Freshservice v2 shapes (https://api.freshservice.com/#tickets; read through FreshservicePS and community
 * clients: no vendor page text was available, see vendor-facts §6). Only fields rollcall reads are declared.
 */
import { z } from 'zod';

/** Ticket status codes: 2 Open, 3 Pending, 4 Resolved, 5 Closed. */
export const FS_STATUS = { open: 2, pending: 3, resolved: 4, closed: 5 } as const;
/** Priority codes: 1 Low, 2 Medium, 3 High, 4 Urgent. */
export const FS_PRIORITY = { low: 1, medium: 2, high: 3, critical: 4 } as const;

export const fsTicketSchema = z.looseObject({
  id: z.number().int(),
  status: z.number().int(),
  /** Present on create/view answers; on lists only with `include=tags`. */
  tags: z.array(z.string()).optional(),
  updated_at: z.string().optional(),
});
export type FsTicket = z.infer<typeof fsTicketSchema>;

/** `POST /api/v2/tickets` → 201, `GET|PUT /api/v2/tickets/{id}` → 200. */
export const fsTicketResponseSchema = z.looseObject({ ticket: fsTicketSchema });

/** `GET /api/v2/tickets/filter?query="…"` (indexed; `total` is the match count) and `GET /api/v2/tickets`. */
export const fsTicketListSchema = z.looseObject({
  tickets: z.array(fsTicketSchema),
  total: z.number().int().optional(),
});

/** `POST /api/v2/tickets/{id}/notes` → 201. */
export const fsNoteResponseSchema = z.looseObject({
  conversation: z.looseObject({ id: z.number().int(), private: z.boolean().optional() }),
});

/** `GET /api/v2/agents/me`. */
export const fsMeSchema = z.looseObject({ agent: z.looseObject({ id: z.number().int(), active: z.boolean().optional() }) });

/**
 * Error bodies: `{"description":"Validation failed","errors":[{"field":"email","message":"…","code":"invalid_value"}]}`
 * and `{"code":"access_denied","message":"You are not authorized to perform this action."}`.
 */
export const fsErrorSchema = z.looseObject({
  description: z.string().optional(),
  code: z.string().optional(),
  message: z.string().optional(),
  errors: z.array(z.looseObject({ field: z.string().optional(), message: z.string().optional(), code: z.string().optional() })).optional(),
});

export interface FsCreateBody {
  email: string;
  subject: string;
  /** HTML. */
  description: string;
  status: 2;
  priority: number;
  source: number;
  tags: string[];
  group_id?: number;
}

export interface FsNoteBody {
  body: string;
  private: true;
}

/**
 * The body of the workflow-automator webhook rollcall documents (README "Help desks"):
 * `{"ticket_id":"{{ticket.id}}","status":"{{ticket.status}}","tags":"{{ticket.tags}}"}`; an `outcome` field set
 * literally by the workflow ("collected") is read too.
 */
export const fsInboundSchema = z.looseObject({
  ticket_id: z.union([z.string(), z.number()]),
  status: z.union([z.string(), z.number()]),
  tags: z.union([z.string(), z.array(z.string())]).optional(),
  outcome: z.string().optional(),
});
