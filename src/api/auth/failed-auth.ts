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

export interface FailedAuthGuard {
  /** Seconds until `addr` may try again, or 0 when it may now. */
  retryAfter(addr: string): number;
  /** Records an unknown token from `addr`. */
  failed(addr: string): void;
}

/** Past this many addresses, the fullest buckets (addresses with no recent failure) are forgotten first. */
const MAX_ADDRESSES = 10_000;

export function createFailedAuthGuard(perMinute: number, now: () => number = Date.now): FailedAuthGuard {
  const buckets = new Map<string, { tokens: number; at: number }>();
  const perMs = perMinute / 60_000;
  const level = (addr: string): { tokens: number; at: number } => {
    const t = now();
    const b = buckets.get(addr);
    if (!b) return { tokens: perMinute, at: t };
    return { tokens: Math.min(perMinute, b.tokens + (t - b.at) * perMs), at: t };
  };
  return {
    retryAfter(addr) {
      const b = level(addr);
      return b.tokens >= 1 ? 0 : Math.max(1, Math.ceil((1 - b.tokens) / perMs / 1000));
    },
    failed(addr) {
      const b = level(addr);
      b.tokens = Math.max(0, b.tokens - 1);
      buckets.delete(addr); // re-inserted last: Map order is then oldest failure first
      buckets.set(addr, b);
      if (buckets.size > MAX_ADDRESSES) buckets.delete(buckets.keys().next().value!);
    },
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
