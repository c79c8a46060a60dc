/**
 * The typed registry of help desk kinds (`helpdesks[].kind`). src/config validates each entry's own keys with the
 * sink's `configSchema` from here; the delivery worker and the inbound route reach a sink through `sinkByKind`.
 */
import { freshservice } from './freshservice/index.js';
import { incidentiq } from './incidentiq/index.js';
import type { TicketSink } from './types.js';
import { webhookTicket } from './webhook-ticket/index.js';
import { zendesk } from './zendesk/index.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each entry keeps its own config type
export const ticketSinks: Record<string, TicketSink<any>> = {
  [zendesk.kind]: zendesk,
  [freshservice.kind]: freshservice,
  [incidentiq.kind]: incidentiq,
  [webhookTicket.kind]: webhookTicket,
};

export const SINK_KINDS: readonly string[] = Object.keys(ticketSinks);

export function sinkByKind(kind: string): TicketSink<unknown> | undefined {
  return Object.hasOwn(ticketSinks, kind) ? (ticketSinks[kind] as TicketSink<unknown>) : undefined;
}
