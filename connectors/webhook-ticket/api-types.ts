/**
 * The wire format of the `webhook-ticket` desk: Standard Webhooks messages
 * (https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md) — headers
 * `webhook-id`, `webhook-timestamp`, `webhook-signature`; body `{type, timestamp, data}` — sent to a flow in
 * ServiceNow, Jira Service Management or any desk that can take a signed JSON POST.
 */
import { z } from 'zod';

export type TicketMessage =
  | { type: 'ticket.open'; timestamp: string; data: OpenData }
  | { type: 'ticket.comment'; timestamp: string; data: { externalId: string; body: string; private: true } }
  | { type: 'ticket.resolve'; timestamp: string; data: { externalId: string; note: string; private: true } };

export interface OpenData {
  /** The receiver MUST dedupe by this (it is also the `webhook-id`): rollcall re-sends `open` after a crash. */
  idempotencyKey: string;
  title: string;
  body: string;
  severity: string;
  rule: string;
  subjectKey: string;
  deviceSerial: string | null;
  assetTag: string | null;
  requesterEmail: string | null;
  schoolExternalId: string | null;
}

/** What the receiver may answer to `ticket.open` (2xx): its own ticket id and link. Any other 2xx body is fine too. */
export const openAnswerSchema = z.looseObject({
  externalId: z.union([z.string().min(1), z.number()]).optional(),
  url: z.string().url().optional(),
});

/**
 * The receiver's callback when its ticket closes: `{externalId, idempotencyKey?, status, outcome?}`, flat or inside
 * a Standard Webhooks `data` envelope.
 */
export const inboundSchema = z.looseObject({
  externalId: z.union([z.string().min(1), z.number()]),
  idempotencyKey: z.string().nullable().optional(),
  status: z.string().min(1),
  outcome: z.string().optional(),
});
