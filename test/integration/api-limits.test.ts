/** Per-token rate limit and body size limit on /api/v1. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRateLimiter } from '../../src/api/rate-limit.js';
import { apiApp, apiConfig, call, TOKENS } from '../helpers/api.js';
import { freshDatabase, type TestDb } from '../helpers/db.js';

describe('rate limiter', () => {
  it('allows a burst up to the limit, then refills at the steady rate', () => {
    let t = 0;
    const l = createRateLimiter(60, () => t); // one per second
    for (let i = 0; i < 60; i++) expect(l.take('a').ok).toBe(true);
    const over = l.take('a');
    expect(over).toEqual({ ok: false, retryAfterS: 1 });
    expect(l.take('b').ok, 'buckets are per key').toBe(true);
    t += 1000;
    expect(l.take('a').ok).toBe(true);
    expect(l.take('a').ok).toBe(false);
  });
});

describe('API limits', () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await freshDatabase('pglite');
  });
  afterAll(async () => t?.drop());

  it('429 with Retry-After once a token spends its minute; other tokens unaffected; probes unlimited', async () => {
    const config = apiConfig();
    config.api.rateLimit.requestsPerMinute = 3;
    let now = 1_000_000;
    const app = apiApp(t.db, config, { clock: () => now });
    for (let i = 0; i < 3; i++) {
      const ok = await call(app, 'read', '/api/v1/runs');
      expect(ok.status).toBe(200);
      expect(ok.headers.get('ratelimit-remaining')).toBe(String(2 - i));
    }
    const limited = await call(app, 'read', '/api/v1/runs');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('20');
    expect((await limited.json()).error.code).toBe('rate_limited');
    expect((await call(app, 'admin', '/api/v1/runs')).status).toBe(200);
    for (let i = 0; i < 5; i++) expect((await app.request('/healthz')).status).toBe(200);
    now += 20_000;
    expect((await call(app, 'read', '/api/v1/runs')).status).toBe(200);
  });

  it('413 for a body over api.maxBodyBytes, before it is parsed', async () => {
    const config = apiConfig();
    config.api.maxBodyBytes = 1024;
    const app = apiApp(t.db, config);
    const res = await app.request('/api/v1/assignments', {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKENS.write}`, 'content-type': 'application/json' },
      body: JSON.stringify({ serial: 'X', personId: 1, reason: 'x'.repeat(2000) }),
    });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('payload_too_large');
  });
});
