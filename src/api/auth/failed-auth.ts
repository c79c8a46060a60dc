/**
 * Slows down token guessing. Every unknown token presented (a bearer header on /api/v1, the sign-in form) takes
 * one from its client address's allowance; an address with none left is answered 429 with Retry-After before its
 * token is even looked at, so a guessing script gets `failedAuthPerMinute` tries a minute instead of thousands a
 * second. Requests with a known token never spend the allowance, so a colleague at the same address who signs in
 * correctly is held up only while the allowance is empty.
 *
 * The address is the TCP peer. Behind a reverse proxy every client shares the proxy's address, so the allowance
 * becomes one for the whole district: a guessing script then also delays real sign-ins for a minute at a time,
 * which is the price of not trusting a forwarded-for header anyone can set. In memory, per replica, like the
 * per-token limit.
 */
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';
import { createRateLimiter } from '../rate-limit.js';

export interface FailedAuthGuard {
  /** Seconds until `addr` may try again, or 0 when it may now. */
  retryAfter(addr: string): number;
  /** Records an unknown token from `addr`. */
  failed(addr: string): void;
}

/** Past this many addresses, the one whose last failure is oldest is forgotten first. */
const MAX_ADDRESSES = 10_000;

/** The per-token limiter's bucket, keyed by address, spent only by failures. */
export function createFailedAuthGuard(perMinute: number, now: () => number = Date.now): FailedAuthGuard {
  const limiter = createRateLimiter(perMinute, now, MAX_ADDRESSES);
  return {
    retryAfter: (addr) => limiter.wait(addr),
    failed: (addr) => void limiter.take(addr),
  };
}

/** The TCP peer's address; requests made in-process (tests, app.request) have none and share one key. */
export function clientAddress(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? 'local';
  } catch {
    return 'local';
  }
}
