/** The retry schedule, its jitter bounds, Retry-After, event filters and webhook endpoint config. */
import { describe, expect, it } from 'vitest';
import { webhookEndpointSchema } from '../../src/config/schema.js';
import { MAX_ATTEMPTS, RETRY_SCHEDULE_MS, retryDelayMs } from '../../src/delivery/schedule.js';
import { eventMatcher } from '../../src/delivery/targets.js';
import { retryableStatus } from '../../src/delivery/outcome.js';
import { ticketKey } from '../../src/delivery/tickets.js';

describe('retry schedule', () => {
  it('follows 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h with ±20 % jitter, then stops', () => {
    const mid = RETRY_SCHEDULE_MS.map((_, i) => retryDelayMs(i + 1, undefined, () => 0.5));
    expect(mid).toEqual([5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 50_400_000, 72_000_000, 86_400_000]);
    expect(retryDelayMs(1, undefined, () => 0)).toBe(4_000);
    expect(retryDelayMs(1, undefined, () => 1)).toBe(6_000);
    expect(retryDelayMs(MAX_ATTEMPTS, undefined)).toBeNull();
    expect(MAX_ATTEMPTS).toBe(10);
  });

  it('honours a longer Retry-After, capped at a day, and never pulls a retry forward', () => {
    expect(retryDelayMs(1, 120_000, () => 0.5)).toBe(120_000);
    expect(retryDelayMs(2, 1_000, () => 0.5)).toBe(300_000);
    expect(retryDelayMs(1, 10 * 86_400_000, () => 0.5)).toBe(86_400_000);
  });

  it('retries 408, 409, 425, 429 and 5xx; other 4xx are final', () => {
    for (const s of [408, 409, 425, 429, 500, 502, 503, 504, 302]) expect(retryableStatus(s), String(s)).toBe(true);
    for (const s of [400, 401, 403, 404, 410, 413, 422]) expect(retryableStatus(s), String(s)).toBe(false);
  });
});

describe('event filters', () => {
  it('matches * as any run of characters and the rest literally', () => {
    const m = eventMatcher(['discrepancy.*', 'sync.failed']);
    expect(['discrepancy.opened', 'discrepancy.resolved', 'sync.failed'].every(m)).toBe(true);
    expect(['sync.completed', 'discrepancyXopened', 'assignment.started'].some(m)).toBe(false);
    expect(eventMatcher(['*'])('anything.at.all')).toBe(true);
  });
});

describe('webhook endpoint config', () => {
  const s = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
  const t = `whsec_${Buffer.alloc(32, 9).toString('base64')}`;
  it('takes one secret, several from a rotation file, or a list', () => {
    expect(webhookEndpointSchema.parse({ id: 'a', url: 'https://x.example.org', secret: s }).secrets).toEqual([s]);
    expect(webhookEndpointSchema.parse({ id: 'a', url: 'https://x.example.org', secret: `${s}\n${t}\n` }).secrets).toEqual([s, t]);
    expect(webhookEndpointSchema.parse({ id: 'a', url: 'https://x.example.org', secrets: [s, t] })).toMatchObject({ secrets: [s, t], events: ['*'], allowInsecure: false, allowPrivateNetwork: false });
  });
  it('refuses a missing, doubled or malformed secret', () => {
    expect(webhookEndpointSchema.safeParse({ id: 'a', url: 'https://x.example.org' }).success).toBe(false);
    expect(webhookEndpointSchema.safeParse({ id: 'a', url: 'https://x.example.org', secret: s, secrets: [s] }).success).toBe(false);
    expect(webhookEndpointSchema.safeParse({ id: 'a', url: 'https://x.example.org', secret: 'hunter2' }).success).toBe(false);
  });
  it('refuses an http:// URL unless allowInsecure', () => {
    const r = webhookEndpointSchema.safeParse({ id: 'a', url: 'http://x.example.org', secret: s });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]).toMatchObject({ path: ['url'], message: expect.stringMatching(/allowInsecure/) });
    expect(webhookEndpointSchema.safeParse({ id: 'a', url: 'http://x.example.org', secret: s, allowInsecure: true }).success).toBe(true);
  });
});

describe('ticket idempotency key', () => {
  it('is (rule, subject, occurrence), readable when short, hashed when long', () => {
    expect(ticketKey('withdrawn-with-device', 'device:42', 1)).toBe('rollcall:withdrawn-with-device:device:42:1');
    expect(ticketKey('withdrawn-with-device', 'device:42', 2)).not.toBe(ticketKey('withdrawn-with-device', 'device:42', 1));
    const long = ticketKey('dev-mode', 'x'.repeat(500), 1);
    expect(long.length).toBeLessThanOrEqual(255);
    expect(long).toBe(ticketKey('dev-mode', 'x'.repeat(500), 1));
  });
});
