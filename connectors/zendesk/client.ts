/**
 * Zendesk Tickets API calls, one attempt each (connectors/shared/sink-http.ts). Paths follow the reference:
 * `POST /api/v2/tickets`, `GET /api/v2/tickets?external_id=`, `PUT /api/v2/tickets/{id}`, `GET /api/v2/users/me`.
 */
import type { HttpResponse } from '../shared/http.js';
import { sinkBody, sinkRequest, type SinkCall, type SinkHttp } from '../shared/sink-http.js';
import {
  zdErrorSchema, zdMeSchema, zdTicketListSchema, zdTicketResponseSchema, type ZdCreateBody, type ZdTicket, type ZdUpdateBody,
} from './api-types.js';

/** The text of a Zendesk error body (see zdErrorSchema), e.g. "RecordInvalid: Record validation errors (base: …)". */
export function zendeskErrorText(body: string): string {
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch {
    return body.slice(0, 200);
  }
  const e = zdErrorSchema.safeParse(raw);
  if (!e.success) return '';
  const err = e.data.error;
  const head = typeof err === 'string' ? err : [err?.title, err?.message].filter(Boolean).join(': ');
  const details = Object.entries(e.data.details ?? {})
    .flatMap(([k, list]) => list.map((d) => `${k}: ${d.description ?? 'invalid'}`));
  return [head, e.data.description, details.length ? `(${details.join('; ')})` : undefined].filter(Boolean).join(' ');
}

async function call<T>(s: SinkHttp, c: SinkCall, schema: Parameters<typeof sinkBody<T>>[3]): Promise<{ res: HttpResponse<string>; body: T | undefined }> {
  const res = await sinkRequest(s, c);
  return { res, body: res.status >= 400 ? undefined : sinkBody(s, c, res, schema) };
}

/** Creates a ticket; Zendesk answers the same ticket for a replayed key (`x-idempotency-lookup: hit`) for 2 hours. */
export async function createTicket(s: SinkHttp, body: ZdCreateBody, key: string): Promise<{ ticket: ZdTicket; replayed: boolean }> {
  const { res, body: out } = await call(s, { method: 'POST', path: '/api/v2/tickets', json: body, headers: { 'idempotency-key': key } }, zdTicketResponseSchema);
  return { ticket: out!.ticket, replayed: res.headers.get('x-idempotency-lookup') === 'hit' };
}

/** List Tickets filtered by external_id; not Search, which "can take up to a few minutes" to index a new ticket. */
export async function ticketsByExternalId(s: SinkHttp, key: string): Promise<ZdTicket[]> {
  const { body } = await call(s, { method: 'GET', path: '/api/v2/tickets', query: { external_id: key } }, zdTicketListSchema);
  return body!.tickets;
}

export async function getTicket(s: SinkHttp, id: string): Promise<ZdTicket | null> {
  const { res, body } = await call(s, { method: 'GET', path: `/api/v2/tickets/${encodeURIComponent(id)}`, accept: [404] }, zdTicketResponseSchema);
  return res.status === 404 ? null : body!.ticket;
}

/** Updates a ticket; 404 and 422 are returned (not thrown) so the caller can tell "gone" and "closed" apart. */
export async function updateTicket(s: SinkHttp, id: string, body: ZdUpdateBody): Promise<HttpResponse<string>> {
  return sinkRequest(s, { method: 'PUT', path: `/api/v2/tickets/${encodeURIComponent(id)}`, json: body, accept: [404, 422] });
}

export async function me(s: SinkHttp): Promise<{ id: number | null; role?: string | null }> {
  const { body } = await call(s, { method: 'GET', path: '/api/v2/users/me' }, zdMeSchema);
  return body!.user;
}
