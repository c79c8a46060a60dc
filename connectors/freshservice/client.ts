/** Freshservice v2 calls, one attempt each (connectors/shared/sink-http.ts). */
import type { HttpResponse } from '../shared/http.js';
import { sinkBody, sinkRequest, type SinkCall, type SinkHttp } from '../shared/sink-http.js';
import {
  fsErrorSchema, fsMeSchema, fsNoteResponseSchema, fsTicketListSchema, fsTicketResponseSchema,
  type FsCreateBody, type FsNoteBody, type FsTicket,
} from './api-types.js';

/** "Validation failed (email: It should be a valid email address)" from a Freshservice error body. */
export function freshserviceErrorText(body: string): string {
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch {
    return body.slice(0, 200);
  }
  const e = fsErrorSchema.safeParse(raw);
  if (!e.success) return '';
  const errs = (e.data.errors ?? []).map((x) => `${x.field ?? 'body'}: ${x.message ?? x.code ?? 'invalid'}`);
  return [e.data.description, e.data.code, e.data.message, errs.length ? `(${errs.join('; ')})` : undefined].filter(Boolean).join(' ');
}

async function call<T>(s: SinkHttp, c: SinkCall, schema: Parameters<typeof sinkBody<T>>[3]): Promise<{ res: HttpResponse<string>; body: T | undefined }> {
  const res = await sinkRequest(s, c);
  return { res, body: res.status >= 400 ? undefined : sinkBody(s, c, res, schema) };
}

export async function createTicket(s: SinkHttp, body: FsCreateBody): Promise<FsTicket> {
  return (await call(s, { method: 'POST', path: '/api/v2/tickets', json: body }, fsTicketResponseSchema)).body!.ticket;
}

/** Filter Tickets (`query="tag:'…'"`): served from a search index, so a ticket made seconds ago may be missing. */
export async function ticketsByTag(s: SinkHttp, query: string): Promise<FsTicket[]> {
  return (await call(s, { method: 'GET', path: '/api/v2/tickets/filter', query: { query } }, fsTicketListSchema)).body!.tickets;
}

/**
 * List Tickets requested by `email` and updated since `since`, tags embedded: read from the ticket store, not the
 * index, so it closes the filter's lag for the tickets this desk created recently. One page of 100: a desk that
 * opens more than 100 tickets per window under one requester relies on the filter alone.
 */
export async function recentTickets(s: SinkHttp, email: string, since: Date): Promise<FsTicket[]> {
  const query = { email, updated_since: since.toISOString().replace(/\.\d{3}Z$/, 'Z'), include: 'tags', per_page: '100' };
  return (await call(s, { method: 'GET', path: '/api/v2/tickets', query }, fsTicketListSchema)).body!.tickets;
}

export async function addNote(s: SinkHttp, id: string, body: FsNoteBody): Promise<void> {
  await call(s, { method: 'POST', path: `/api/v2/tickets/${encodeURIComponent(id)}/notes`, json: body }, fsNoteResponseSchema);
}

export async function setStatus(s: SinkHttp, id: string, status: number): Promise<void> {
  await call(s, { method: 'PUT', path: `/api/v2/tickets/${encodeURIComponent(id)}`, json: { status } }, fsTicketResponseSchema);
}

export async function me(s: SinkHttp): Promise<{ id: number; active?: boolean }> {
  return (await call(s, { method: 'GET', path: '/api/v2/agents/me' }, fsMeSchema)).body!.agent;
}
