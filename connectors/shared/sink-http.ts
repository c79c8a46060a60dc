/**
 * One attempt of a help desk call, and the error it becomes. Sinks never retry inside a call (`retry: false`): the
 * delivery worker owns the schedule (5 s … 24 h) and honours Retry-After, which is surfaced here as
 * `context.retryAfterMs`. Which failures are retryable follows DESIGN §8: network errors, timeouts, 408, 409, 425,
 * 429 and 5xx; any other 4xx is final. The desk's own error text is kept (an admin needs "Requester: Email is
 * not properly formatted") with secrets and e-mail addresses removed.
 */
import { HttpError } from '../../src/errors.js';
import type { HttpClient, HttpResponse } from '../../src/http/client.js';

const ALL_ERRORS = Array.from({ length: 200 }, (_, i) => 400 + i);
const RETRYABLE_4XX = new Set([408, 409, 425, 429]);

export function isRetryableStatus(status: number): boolean {
  return status >= 500 || RETRYABLE_4XX.has(status);
}

/** Retry-After is delay-seconds or an HTTP-date (RFC 9110 §10.2.3); milliseconds, or undefined. */
export function retryAfterMs(value: string | null | undefined, now: number): number | undefined {
  const v = value?.trim();
  if (!v) return undefined;
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;

/** Removes every secret (and its base64 forms, as Basic auth would carry it) and e-mail addresses. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) {
    if (s.length < 4) continue;
    for (const form of [s, Buffer.from(s).toString('base64')]) out = out.split(form).join('[redacted]');
  }
  return out.replace(EMAIL, '[email]').replace(/\s+/g, ' ').trim().slice(0, 300);
}

export interface SinkCall {
  method: 'GET' | 'POST' | 'PUT';
  path: string;
  query?: Record<string, string | undefined>;
  /** Sent as JSON. */
  json?: unknown;
  /** Already-serialised JSON, sent byte for byte (a signed body). */
  rawJson?: string;
  headers?: Record<string, string>;
  /** Statuses returned to the caller instead of thrown (404 for a lookup). */
  accept?: number[];
}

export interface SinkHttp {
  /** Sink kind, first word of every error. */
  name: string;
  http: HttpClient;
  signal: AbortSignal;
  now(): Date;
  /** Values that must never appear in an error (tokens, secrets). */
  secrets: readonly string[];
  /** The desk's error text from an error response body (its documented error shape). */
  errorText(body: string): string;
}

export async function sinkRequest(s: SinkHttp, call: SinkCall): Promise<HttpResponse<string>> {
  const body = call.rawJson ?? (call.json === undefined ? undefined : JSON.stringify(call.json));
  const res = await s.http.request(call.path, {
    method: call.method,
    query: call.query,
    headers: { accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...call.headers },
    body,
    signal: s.signal,
    retry: false,
    acceptStatus: ALL_ERRORS,
  });
  if (res.status < 400 || call.accept?.includes(res.status)) return res;
  throw sinkStatusError(s, call, res);
}

export function sinkStatusError(s: SinkHttp, call: Pick<SinkCall, 'method' | 'path'>, res: HttpResponse<string>): HttpError {
  const wait = retryAfterMs(res.headers.get('retry-after'), s.now().getTime());
  const retryable = isRetryableStatus(res.status);
  let text: string;
  try {
    text = redact(s.errorText(res.body), s.secrets);
  } catch {
    text = '';
  }
  const hint = res.status === 401 || res.status === 403 ? ' (check the helpdesk credentials and their permissions)' : '';
  const msg = `${s.name}: ${call.method} ${call.path} answered ${res.status}${text ? `: ${text}` : ''}${hint}`;
  return new HttpError('http_status', msg, {
    httpStatus: res.status,
    retryable,
    context: { sink: s.name, method: call.method, path: call.path, status: res.status, ...(wait === undefined ? {} : { retryAfterMs: wait }) },
  });
}

/** Parses a 2xx JSON body with a zod-like schema; a body that does not match is a final, named error. */
export function sinkBody<T>(s: Pick<SinkHttp, 'name'>, call: Pick<SinkCall, 'method' | 'path'>, res: HttpResponse<string>, schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } } }): T {
  let raw: unknown;
  try {
    raw = res.body === '' ? null : JSON.parse(res.body);
  } catch (e) {
    throw new HttpError('http_bad_body', `${s.name}: ${call.method} ${call.path} returned a body that is not JSON`, {
      httpStatus: res.status, context: { sink: s.name, path: call.path, status: res.status }, cause: e,
    });
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue ? issue.path.map(String).join('.') || '(body)' : '(body)';
    throw new HttpError('http_bad_body', `${s.name}: ${call.method} ${call.path} returned an unexpected body: ${field}: ${issue?.message ?? 'invalid'}`, {
      httpStatus: res.status, context: { sink: s.name, path: call.path, status: res.status, field },
    });
  }
  return parsed.data;
}
