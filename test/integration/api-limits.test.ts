/** Per-token rate limit and body size limit on /api/v1. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFailedAuthGuard } from '../../src/api/auth/failed-auth.js';
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

describe('unknown-token allowance', () => {
  it('counts only failures, per address, and refills at the steady rate', () => {
    let t = 0;
    const g = createFailedAuthGuard(6, () => t); // one every 10 s
    for (let i = 0; i < 6; i++) {
      expect(g.retryAfter('10.0.0.1')).toBe(0);
      g.failed('10.0.0.1');
    }
    expect(g.retryAfter('10.0.0.1')).toBe(10);
    expect(g.retryAfter('10.0.0.2'), 'allowances are per address').toBe(0);
    t += 10_000;
    expect(g.retryAfter('10.0.0.1')).toBe(0);
    g.failed('10.0.0.1');
    expect(g.retryAfter('10.0.0.1')).toBe(10);
  });
});

const csrfOf = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const jarOf = (res: Response) => res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');

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

  it('429 once an address has presented failedAuthPerMinute unknown tokens, known tokens included, until it refills', async () => {
    const config = apiConfig();
    config.api.rateLimit.failedAuthPerMinute = 3;
    let now = 1_000_000;
    const app = apiApp(t.db, config, { clock: () => now });
    const guess = (n: number) => app.request('/api/v1/runs', { headers: { authorization: `Bearer guess-${n}` } });
    for (let i = 0; i < 3; i++) expect((await guess(i)).status).toBe(401);
    const limited = await guess(3);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('20');
    expect(((await limited.json()) as { error: { code: string } }).error.code).toBe('rate_limited');
    // Checked before the token is looked at: a right guess now would learn nothing.
    expect((await call(app, 'read', '/api/v1/runs')).status).toBe(429);
    // Asking without a token guesses nothing: it is still told to bring one, and spends nothing.
    expect((await app.request('/api/v1/runs')).status).toBe(401);
    now += 20_000;
    expect((await call(app, 'read', '/api/v1/runs')).status).toBe(200);
    expect((await guess(4)).status).toBe(401);
    expect((await guess(5)).status).toBe(429);
  });

  it('the sign-in form shares the allowance: after it, a 429 page saying when to try again', async () => {
    const config = apiConfig();
    config.api.rateLimit.failedAuthPerMinute = 2;
    const now = 5_000_000;
    const app = apiApp(t.db, config, { clock: () => now });
    const signIn = async (token: string) => {
      const page = await app.request('/signin');
      const jar = jarOf(page);
      return app.request('/signin', { method: 'POST', headers: { ...FORM, cookie: jar }, body: new URLSearchParams({ _csrf: csrfOf(await page.text()), token }).toString() });
    };
    expect((await signIn('wrong-1')).status).toBe(401);
    expect((await app.request('/api/v1/runs', { headers: { authorization: 'Bearer wrong-2' } })).status).toBe(401);
    const refused = await signIn(TOKENS.read);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('30');
    expect(await refused.text()).toContain('Try again in 30 seconds');
    expect(refused.headers.getSetCookie().some((c) => c.startsWith('rollcall_session='))).toBe(false);
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
