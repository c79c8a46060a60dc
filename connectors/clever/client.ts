/**
 * Clever list paging over the shared HTTP helper: follow `links[rel=next]` (a relative URI such as
 * `/v3.0/users?starting_after=<id>`) until it is absent. Clever documents a 429 carrying only
 * `X-RateLimit-Reset` (a Unix time, https://dev.clever.com/reference/responses-errors); the shared helper
 * honours Retry-After only, so 429s are taken here (acceptStatus) and waited out until the reset time.
 * Everything else (network errors, 5xx with backoff, the 401 refresh) is the helper's.
 */
import type { Logger } from 'pino';
import type { HttpClient, HttpResponse } from '../shared/http.js';
import { AppError, IncompleteReadError, SourceFormatError } from '../shared/errors.js';
import { nextLinkPages } from '../shared/paging.js';
import { listResponseSchema } from './api-types.js';

export interface PageOpts {
  signal: AbortSignal;
  now(): Date;
  /** 429s answered in a row before giving up. */
  max429?: number;
  /** Longest wait a 429 may ask for; beyond it the read fails instead of stalling the run. */
  maxWaitMs?: number;
  /** For the rate-limit wait line (path and delay only). */
  log?: Logger;
}

export interface CleverPage {
  items: unknown[];
  /** Path of the page (no query: query values are ids). */
  where: string;
}

const pathOf = (uri: string): string => uri.split('?')[0] ?? uri;

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal.reason);
    };
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** How long a 429 asks us to wait: Retry-After (seconds or a date) first, else X-RateLimit-Reset (Unix s). */
export function rateLimitWaitMs(headers: Headers, now: Date): number | undefined {
  const ra = headers.get('retry-after')?.trim();
  if (ra) {
    if (/^\d+$/.test(ra)) return Number(ra) * 1000;
    const at = Date.parse(ra);
    if (!Number.isNaN(at)) return Math.max(0, at - now.getTime());
  }
  const reset = headers.get('x-ratelimit-reset')?.trim();
  if (reset && /^\d+(\.\d+)?$/.test(reset)) {
    const n = Number(reset);
    // Unix seconds; tolerate a server that sends milliseconds.
    const atMs = n > 1e11 ? n : n * 1000;
    return Math.max(0, atMs - now.getTime());
  }
  return undefined;
}

/**
 * One GET with Clever's 429 handling on top of the helper's retries. The body is read as text and parsed
 * here, so a 429 whose body is not JSON is still waited out (the helper's json() would fail on it), and a body
 * that is not JSON (Clever answers HTML to the wrong kind of token) fails with `http_bad_body`.
 */
export async function getJson(http: HttpClient, uri: string, o: PageOpts & { acceptStatus?: number[] }): Promise<HttpResponse<unknown>> {
  const max429 = o.max429 ?? 5;
  const maxWaitMs = o.maxWaitMs ?? 120_000;
  for (let n = 0; ; n++) {
    const res = await http.request(uri, { signal: o.signal, headers: { accept: 'application/json' }, acceptStatus: [429, ...(o.acceptStatus ?? [])] });
    if (res.status !== 429) {
      try {
        return { ...res, body: res.body === '' ? null : JSON.parse(res.body) as unknown };
      } catch (e) {
        throw new AppError('http_bad_body', `${http.name}: ${pathOf(uri)} returned a body that is not JSON`, { context: { path: pathOf(uri), status: res.status }, cause: e });
      }
    }
    if (n + 1 >= max429) {
      // HttpError is not re-exported through connectors/shared: an AppError with the same code.
      throw new AppError('http_attempts_exhausted', `${http.name}: GET ${pathOf(uri)} was rate limited (429) ${max429} times in a row`, {
        retryable: true, context: { path: pathOf(uri), status: 429 },
      });
    }
    // Unknown reset: back off 0.25 s, 0.5 s, 1 s ... (Clever's window is one minute).
    const wait = rateLimitWaitMs(res.headers, o.now()) ?? Math.min(30_000, 250 * 2 ** n);
    if (wait > maxWaitMs) {
      throw new AppError('http_status', `${http.name}: rate limited (429) until ${Math.round(wait / 1000)}s from now, longer than allowed`, {
        retryable: true, context: { path: pathOf(uri), status: 429, waitMs: wait },
      });
    }
    o.log?.warn({ path: pathOf(uri), status: 429, attempt: n + 1, delayMs: wait }, 'clever rate limit: waiting for the reset');
    // A small margin past the reset second, since X-RateLimit-Reset has one-second resolution.
    await sleep(wait + 50, o.signal).catch((e: unknown) => {
      throw new AppError('http_aborted', `${http.name}: request aborted`, { cause: e });
    });
  }
}

/** The `rel=next` URI of a page, or undefined. */
function nextLink(links: { rel: string; uri: string }[] | null | undefined): string | undefined {
  return links?.find((l) => l.rel === 'next')?.uri;
}

function idOf(item: unknown): string | undefined {
  const d = (item as { data?: { id?: unknown } } | null)?.data;
  return typeof d?.id === 'string' ? d.id : undefined;
}

/**
 * Pages of a Clever list, one at a time (bounded memory), through the shared next-link paging
 * (connectors/shared/paging.ts). A body that is not a Clever list, a next link that repeats, a page that repeats
 * the previous one, or a next link that does not continue after the page's last item fails the read: a full read
 * must be complete, so nothing is deactivated on a partial one.
 */
export async function* cleverPages(http: HttpClient, firstUri: string, o: PageOpts): AsyncGenerator<CleverPage> {
  const pages = nextLinkPages<unknown>(firstUri, async (uri) => {
    const res = await getJson(http, uri, o);
    const parsed = listResponseSchema.safeParse(res.body);
    if (!parsed.success) {
      throw new SourceFormatError(`${http.name}: ${pathOf(uri)} did not answer a Clever list ({data: [...], links: [...]})`, { path: pathOf(uri) });
    }
    const items = parsed.data.data;
    const next = nextLink(parsed.data.links);
    if (next !== undefined && items.length > 0) {
      const after = new URL(next, 'http://x').searchParams.get('starting_after');
      const last = idOf(items[items.length - 1]);
      if (after !== null && last !== undefined && after !== last) {
        throw new IncompleteReadError(`${http.name}: ${pathOf(uri)} next link does not continue after the page's last item`, { path: pathOf(uri) });
      }
    }
    return { items, next, url: pathOf(uri) };
  }, { label: `${http.name}: ${pathOf(firstUri)}` });
  for await (const page of pages) yield { items: page.items, where: page.url };
}
