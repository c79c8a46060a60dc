/**
 * Per-token rate limit: a token bucket per token name, in this process's memory. A bucket holds a minute's
 * allowance and refills continuously, so a client may burst to the limit and then proceeds at the steady rate.
 * In memory on purpose: it protects the database from one runaway script (a Grafana panel refreshing every
 * second, a loop over every serial) without a shared store; with N replicas behind a balancer the district-wide
 * ceiling is N times the setting, which the README states.
 */
import type { MiddlewareHandler } from 'hono';
import type { AuthEnv } from './auth/middleware.js';
import { errorResponse } from './error-shape.js';

export interface RateLimiter {
  /** Takes one request from `key`'s bucket; when empty, how many seconds until one is back. */
  take(key: string): { ok: true; remaining: number } | { ok: false; retryAfterS: number };
  /** Seconds until `key` has a request to take, or 0 when it has one now; takes nothing. */
  wait(key: string): number;
}

/**
 * `maxKeys` bounds the memory when keys come from outside (client addresses): past it the key whose bucket was
 * touched longest ago is forgotten, i.e. given a full bucket again.
 */
export function createRateLimiter(perMinute: number, now: () => number = Date.now, maxKeys = Infinity): RateLimiter {
  const buckets = new Map<string, { tokens: number; at: number }>();
  const perMs = perMinute / 60_000;
  const level = (key: string) => {
    const t = now();
    const b = buckets.get(key);
    return { tokens: b ? Math.min(perMinute, b.tokens + (t - b.at) * perMs) : perMinute, at: t };
  };
  const retryAfterS = (tokens: number) => Math.max(1, Math.ceil((1 - tokens) / perMs / 1000));
  return {
    take(key) {
      const b = level(key);
      buckets.delete(key); // re-inserted last: Map order is then least recently touched first
      buckets.set(key, b);
      if (buckets.size > maxKeys) buckets.delete(buckets.keys().next().value!);
      if (b.tokens >= 1) {
        b.tokens -= 1;
        return { ok: true, remaining: Math.floor(b.tokens) };
      }
      return { ok: false, retryAfterS: retryAfterS(b.tokens) };
    },
    wait(key) {
      const { tokens } = level(key);
      return tokens >= 1 ? 0 : retryAfterS(tokens);
    },
  };
}

/** After `authenticate`: counts by the token's configured name, so one token's callers share one allowance. */
export function rateLimit(limiter: RateLimiter, perMinute: number): MiddlewareHandler<AuthEnv> {
  return async (c, next) => {
    const who = c.get('identity');
    if (!who) return next(); // no route matched: authenticate let it through to the 404
    const r = limiter.take(who.name);
    c.header('RateLimit-Limit', String(perMinute));
    if (!r.ok) {
      c.header('Retry-After', String(r.retryAfterS));
      c.header('RateLimit-Remaining', '0');
      return errorResponse(c, 429, 'rate_limited', `this token made more than ${perMinute} requests in a minute; retry after ${r.retryAfterS} s`);
    }
    c.header('RateLimit-Remaining', String(r.remaining));
    await next();
  };
}
