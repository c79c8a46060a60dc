/**
 * The one HTTP helper every connector uses: per-request timeout, caller's AbortSignal, retries with
 * full-jitter backoff on network errors / 429 / 5xx honouring Retry-After (and on a 429 X-RateLimit-Reset), a cap on attempts, and
 * per-connector concurrency and rate limits, and a connector's auth hook (headers per request; on a 401 one
 * refresh and one retry; the hook is told the method and URL, so a request signature covers them). Request and response headers are never logged (they carry auth).
 */
import PQueue from 'p-queue';
import type { Logger } from 'pino';
import { AppError, HttpError } from '../errors.js';
import { fullJitterDelay, retryWaitMs, sleep } from './retry.js';

export interface HttpClientOptions {
  /** Connector or sink name, used in errors and logs. */
  name: string;
  log: Logger;
  baseUrl?: string;
  timeoutMs?: number;
  maxAttempts?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** Longest Retry-After we will honour; longer answers fail the attempt chain instead of stalling a run. */
  maxRetryAfterMs?: number;
  concurrency?: number;
  /** At most `intervalCap` requests per `intervalMs` (p-queue's rate limit). */
  intervalCap?: number;
  intervalMs?: number;
  /** Headers added to every request. Resolved per request so tokens can refresh. */
  headers?: () => Promise<Record<string, string>> | Record<string, string>;
  /**
   * A connector's auth (connectors/types.ts `HttpAuth`): its headers go on every request; a 401 calls `refresh`
   * once and retries that request once with fresh headers. A second 401 fails with http_status 401.
   */
  auth?: {
    headers(signal: AbortSignal, request: { method: string; url: string }): Promise<Record<string, string>>;
    refresh?(signal: AbortSignal): Promise<void>;
  };
  fetch?: typeof fetch;
  random?: () => number;
  /** The clock Retry-After dates and X-RateLimit-Reset times are measured against (ms since the epoch). */
  now?: () => number;
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  query?: Record<string, string | number | boolean | undefined>;
  signal?: AbortSignal;
  /** Statuses to return instead of throwing (e.g. 404 for a lookup). */
  acceptStatus?: number[];
  /** Override the client's retry policy for a non-idempotent call. */
  retry?: boolean;
  /** `manual` returns a 3xx as is instead of following it (help desks and webhooks refuse redirects). */
  redirect?: 'follow' | 'manual';
}

export interface HttpResponse<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
  url: string;
}

export interface HttpClient {
  readonly name: string;
  request(url: string, opts?: RequestOptions): Promise<HttpResponse<string>>;
  json<T = unknown>(url: string, opts?: RequestOptions): Promise<HttpResponse<T>>;
  /** Resolves when queued and in-flight requests are done. */
  idle(): Promise<void>;
}

const RETRYABLE_STATUS = new Set([408, 425, 429, 500, 502, 503, 504]);

export function createHttpClient(opts: HttpClientOptions): HttpClient {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const maxAttempts = Math.max(1, opts.maxAttempts ?? 5);
  const backoff = { baseMs: opts.backoffBaseMs ?? 500, maxMs: opts.backoffMaxMs ?? 30_000, random: opts.random };
  const maxRetryAfterMs = opts.maxRetryAfterMs ?? 120_000;
  const doFetch = opts.fetch ?? globalThis.fetch;
  const queue = new PQueue({
    concurrency: opts.concurrency ?? 4,
    ...(opts.intervalCap ? { intervalCap: opts.intervalCap, interval: opts.intervalMs ?? 1000 } : {}),
  });
  const log = opts.log.child({ http: opts.name });

  function buildUrl(url: string, query?: RequestOptions['query']): string {
    const u = opts.baseUrl ? new URL(url, opts.baseUrl.endsWith('/') ? opts.baseUrl : `${opts.baseUrl}/`) : new URL(url);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) u.searchParams.set(k, String(v));
    return u.toString();
  }

  /** URL for logs and errors: path and query names only, since query values can hold filters with emails. */
  function safeUrl(url: string): string {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  }

  const never = new AbortController().signal;
  /**
   * One refresh per expired credential: requests that hit 401 together (up to `concurrency` of them) share the
   * refresh in progress, and a request whose 401 arrives after a refresh that followed its own headers just
   * retries with the new ones. Without this, four parallel requests made four token calls in the test.
   */
  let refreshing: Promise<void> | undefined;
  let authGeneration = 0;
  function refreshAuth(sentWith: number, signal: AbortSignal): Promise<void> {
    if (authGeneration !== sentWith) return Promise.resolve();
    refreshing ??= Promise.resolve(opts.auth!.refresh!(signal)).then(() => {
      authGeneration++;
    }).finally(() => (refreshing = undefined));
    return refreshing;
  }

  async function attempt(url: string, o: RequestOptions): Promise<{ res: Response; generation: number }> {
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = o.signal ? AbortSignal.any([o.signal, timeout]) : timeout;
    const extra = opts.headers ? await opts.headers() : {};
    const generation = authGeneration;
    const method = o.method ?? 'GET';
    const auth = opts.auth ? await opts.auth.headers(o.signal ?? never, { method, url }) : {};
    const res = await queue.add(() => doFetch(url, { method, headers: { ...extra, ...auth, ...o.headers }, body: o.body, signal, redirect: o.redirect ?? 'follow' }));
    return { res, generation };
  }

  async function request(path: string, o: RequestOptions = {}): Promise<HttpResponse<string>> {
    const url = buildUrl(path, o.query);
    const where = { client: opts.name, url: safeUrl(url), method: o.method ?? 'GET' };
    const retries = o.retry ?? true;
    let lastError: HttpError | undefined;
    let refreshed = false;
    for (let n = 0; n < maxAttempts; n++) {
      if (o.signal?.aborted) throw new HttpError('http_aborted', `${opts.name}: request aborted`, { context: where, cause: o.signal.reason });
      let waitMs: number | undefined;
      try {
        const { res, generation } = await attempt(url, o);
        const text = await res.text();
        if (res.ok || o.acceptStatus?.includes(res.status)) {
          return { status: res.status, headers: res.headers, body: text, url };
        }
        if (res.status === 401 && opts.auth?.refresh && !refreshed) {
          refreshed = true;
          log.info({ ...where, status: 401 }, 'refreshing credentials after 401');
          try {
            await refreshAuth(generation, o.signal ?? never);
          } catch (e) {
            throw new HttpError('http_status', `${opts.name}: ${where.method} ${where.url} answered 401 and the credential refresh failed: ${e instanceof Error ? e.message : String(e)}`, {
              httpStatus: 401, retryable: false, context: { ...where, status: 401 }, cause: e,
            });
          }
          n--; // the retry with fresh credentials is not one of the transient-failure attempts
          continue;
        }
        const retryable = RETRYABLE_STATUS.has(res.status);
        lastError = new HttpError('http_status', `${opts.name}: ${where.method} ${where.url} answered ${res.status}`, {
          httpStatus: res.status, retryable, context: { ...where, status: res.status, attempt: n + 1, body: text.slice(0, 500) },
        });
        if (!retryable || !retries) throw lastError;
        waitMs = retryWaitMs(res.status, res.headers, (opts.now ?? Date.now)());
        if (waitMs !== undefined && waitMs > maxRetryAfterMs) {
          throw new HttpError('http_status', `${opts.name}: asked to retry after ${Math.round(waitMs / 1000)}s, longer than allowed`, {
            httpStatus: res.status, retryable: true, context: { ...where, retryAfterMs: waitMs }, cause: lastError,
          });
        }
      } catch (e) {
        if (e instanceof HttpError) throw e;
        // An auth hook that knows its failure is final (a wrong secret, a revoked key) says so: no retries.
        if (e instanceof AppError && !e.retryable) throw e;
        if (o.signal?.aborted) throw new HttpError('http_aborted', `${opts.name}: request aborted`, { context: where, cause: e });
        const timedOut = e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError');
        lastError = timedOut
          ? new HttpError('http_timeout', `${opts.name}: ${where.method} ${where.url} timed out after ${timeoutMs} ms`, { retryable: true, context: { ...where, attempt: n + 1 }, cause: e })
          : new HttpError('http_network', `${opts.name}: ${where.method} ${where.url} failed: ${e instanceof Error ? e.message : String(e)}`, { retryable: true, context: { ...where, attempt: n + 1 }, cause: e });
        if (!retries) throw lastError;
      }
      if (n + 1 >= maxAttempts) break;
      const delay = waitMs ?? fullJitterDelay(n, backoff);
      log.warn({ ...where, attempt: n + 1, delayMs: delay, code: lastError?.code, status: lastError?.httpStatus }, 'retrying request');
      try {
        await sleep(delay, o.signal);
      } catch (e) {
        throw new HttpError('http_aborted', `${opts.name}: request aborted`, { context: where, cause: e });
      }
    }
    throw new HttpError('http_attempts_exhausted', `${opts.name}: ${where.method} ${where.url} failed after ${maxAttempts} attempts: ${lastError?.message ?? 'unknown error'}`, {
      retryable: true, httpStatus: lastError?.httpStatus, context: { ...where, attempts: maxAttempts }, cause: lastError,
    });
  }

  async function json<T>(path: string, o: RequestOptions = {}): Promise<HttpResponse<T>> {
    const res = await request(path, { ...o, headers: { accept: 'application/json', ...o.headers } });
    try {
      return { ...res, body: (res.body === '' ? null : JSON.parse(res.body)) as T };
    } catch (e) {
      throw new HttpError('http_bad_body', `${opts.name}: ${safeUrl(res.url)} returned a body that is not JSON`, {
        context: { url: safeUrl(res.url), status: res.status }, cause: e,
      });
    }
  }

  return { name: opts.name, request, json, idle: () => queue.onIdle() };
}
