/**
 * Incident IQ calls, one attempt each (connectors/shared/sink-http.ts). Paths are relative to the API base
 * (`https://{site}.incidentiq.com/api/v1.0/`), so they carry no leading slash.
 */
import type { HttpResponse } from '../shared/http.js';
import { sinkBody, sinkRequest, type SinkCall, type SinkHttp } from '../shared/sink-http.js';
import {
  iiqActionResponseSchema, iiqAssetListSchema, iiqCreateResponseSchema, iiqErrorSchema, iiqLoginSchema, iiqTicketListSchema,
  type IiqAsset, type IiqCommentBody, type IiqCreateBody, type IiqTicket,
} from './api-types.js';

/** "BadRequest: IssueId is required" from the iiQ envelope. */
export function incidentiqErrorText(body: string): string {
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch {
    return body.slice(0, 200);
  }
  const e = iiqErrorSchema.safeParse(raw);
  if (!e.success) return '';
  const errs = (e.data.Errors ?? []).map((x) => (typeof x === 'string' ? x : JSON.stringify(x)));
  return [e.data.StatusCode === undefined ? undefined : String(e.data.StatusCode), e.data.Message, errs.length ? `(${errs.join('; ')})` : undefined]
    .filter(Boolean).join(': ');
}

async function call<T>(s: SinkHttp, c: SinkCall, schema: Parameters<typeof sinkBody<T>>[3]): Promise<{ res: HttpResponse<string>; body: T | undefined }> {
  const res = await sinkRequest(s, c);
  return { res, body: res.status >= 400 ? undefined : sinkBody(s, c, res, schema) };
}

/** "Exactly match a given serial number. Search is case-insensitive" — and answers a list. 404 = none. */
export async function assetsBySerial(s: SinkHttp, serial: string): Promise<IiqAsset[]> {
  const { res, body } = await call(s, { method: 'GET', path: `assets/serial/${encodeURIComponent(serial.trim())}`, accept: [404] }, iiqAssetListSchema);
  return res.status === 404 ? [] : (body!.Items ?? []);
}

export async function createTicket(s: SinkHttp, body: IiqCreateBody): Promise<string> {
  return (await call(s, { method: 'POST', path: 'tickets/new', json: body }, iiqCreateResponseSchema)).body!.Id;
}

/** One page of tickets, newest first (`POST /tickets` with Filters; `$s`/`$p`/`$o`/`$d` paging). */
export async function ticketsPage(s: SinkHttp, page: number, size: number): Promise<{ items: IiqTicket[]; pageCount?: number }> {
  const { body } = await call(s, {
    method: 'POST', path: 'tickets',
    query: { $s: String(size), $p: String(page), $o: 'TicketCreatedDate', $d: 'Descending' },
    json: { Schema: 'All', Filters: [] },
  }, iiqTicketListSchema);
  return { items: body!.Items ?? [], pageCount: body!.Paging?.PageCount };
}

export async function addComment(s: SinkHttp, id: string, body: IiqCommentBody): Promise<void> {
  await call(s, { method: 'POST', path: `tickets/${encodeURIComponent(id)}/activities/new`, json: body }, iiqActionResponseSchema);
}

export async function closeTicket(s: SinkHttp, id: string, closeReasonId: string): Promise<void> {
  await call(s, { method: 'POST', path: `tickets/${encodeURIComponent(id)}/close`, json: { CloseReasonTypeId: closeReasonId } }, iiqActionResponseSchema);
}

export async function login(s: SinkHttp): Promise<void> {
  await call(s, { method: 'GET', path: 'login' }, iiqLoginSchema);
}
