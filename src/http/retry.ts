/**
 * Retry timing: full-jitter exponential backoff, Retry-After parsing (RFC 9110 §10.2.3), and on a 429 the
 * X-RateLimit-Reset header some vendors send instead (Clever: a Unix time, https://dev.clever.com/reference/responses-errors).
 */

export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
  random?: () => number;
}

/** Full jitter (delay drawn from [0, min(max, base·2^attempt)]) spreads retries from many replicas apart. */
export function fullJitterDelay(attempt: number, opts: BackoffOptions): number {
  const ceiling = Math.min(opts.maxMs, opts.baseMs * 2 ** attempt);
  return Math.floor((opts.random ?? Math.random)() * ceiling);
}

/** Retry-After is either delay-seconds or an HTTP-date. Returns milliseconds to wait, or undefined. */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (value == null) return undefined;
  const v = value.trim();
  if (v === '') return undefined;
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/**
 * X-RateLimit-Reset: when the rate-limit window resets. Clever sends Unix seconds; a value that can only be a
 * duration (under 10^9, i.e. before 2001 as a time) is read as seconds from now, and one in milliseconds (over
 * 10^11) as a Unix time in ms. The header has one-second resolution, so a small margin is added: retrying at the
 * very second the window is said to reset met a second 429 when the server rounds down.
 */
export const RESET_MARGIN_MS = 250;
export function parseRateLimitReset(value: string | null | undefined, now: number = Date.now()): number | undefined {
  const v = value?.trim();
  if (!v || !/^\d+(\.\d+)?$/.test(v)) return undefined;
  const n = Number(v);
  const atMs = n < 1e9 ? now + n * 1000 : n > 1e11 ? n : n * 1000;
  return Math.max(0, atMs - now) + RESET_MARGIN_MS;
}

/**
 * How long a failed response asks us to wait before retrying, or undefined (then the backoff decides):
 * Retry-After on any status; on a 429 without it, X-RateLimit-Reset. (On other statuses X-RateLimit-Reset is
 * informational: many APIs send it on every response.)
 */
export function retryWaitMs(status: number, headers: Headers, now: number = Date.now()): number | undefined {
  const ra = parseRetryAfter(headers.get('retry-after'), now);
  if (ra !== undefined) return ra;
  return status === 429 ? parseRateLimitReset(headers.get('x-ratelimit-reset'), now) : undefined;
}

/** A sleep that ends early (rejecting) when the signal aborts, so shutdown is never stuck behind a backoff. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
