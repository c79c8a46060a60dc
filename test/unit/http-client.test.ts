import { http, HttpResponse, delay } from 'msw';
import { setupServer } from 'msw/node';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HttpError, IncompleteReadError } from '../../src/errors.js';
import { createHttpClient } from '../../src/http/client.js';
import { linkHeaderNext, nextLinkPages, offsetPages, pageTokenPages } from '../../src/http/paging.js';
import { fullJitterDelay, parseRateLimitReset, parseRetryAfter, RESET_MARGIN_MS, retryWaitMs } from '../../src/http/retry.js';

const base = 'https://sis.example.test';
const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

const logLines: string[] = [];
const log = pino({ level: 'debug' }, { write: (s: string) => logLines.push(s) });

function client(extra: Partial<Parameters<typeof createHttpClient>[0]> = {}) {
  return createHttpClient({ name: 'test', log, baseUrl: base, backoffBaseMs: 5, backoffMaxMs: 20, timeoutMs: 500, ...extra });
}

describe('retry timing', () => {
  it('parses Retry-After as seconds and as an HTTP-date', () => {
    const now = Date.parse('2026-11-23T10:00:00Z');
    expect(parseRetryAfter('7', now)).toBe(7000);
    expect(parseRetryAfter('Mon, 23 Nov 2026 10:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Mon, 23 Nov 2026 09:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });

  it('reads X-RateLimit-Reset as a Unix time (s or ms) or a duration, on a 429 only, Retry-After first', () => {
    const now = Date.parse('2026-11-24T00:00:00Z');
    const h = (o: Record<string, string>) => new Headers(o);
    expect(parseRateLimitReset(String(now / 1000 + 30), now)).toBe(30_000 + RESET_MARGIN_MS);
    expect(parseRateLimitReset(String(now + 30_000), now)).toBe(30_000 + RESET_MARGIN_MS);
    expect(parseRateLimitReset('12', now)).toBe(12_000 + RESET_MARGIN_MS);
    expect(parseRateLimitReset(String(now / 1000 - 5), now)).toBe(RESET_MARGIN_MS);
    expect(parseRateLimitReset('soon', now)).toBeUndefined();
    expect(retryWaitMs(429, h({ 'x-ratelimit-reset': String(now / 1000 + 30) }), now)).toBe(30_000 + RESET_MARGIN_MS);
    expect(retryWaitMs(429, h({ 'retry-after': '3', 'x-ratelimit-reset': String(now / 1000 + 30) }), now)).toBe(3000);
    expect(retryWaitMs(503, h({ 'x-ratelimit-reset': String(now / 1000 + 30) }), now)).toBeUndefined();
    expect(retryWaitMs(429, h({}), now)).toBeUndefined();
  });

  it('draws full-jitter delays under an exponential ceiling', () => {
    expect(fullJitterDelay(0, { baseMs: 100, maxMs: 10_000, random: () => 0.999 })).toBe(99);
    expect(fullJitterDelay(3, { baseMs: 100, maxMs: 10_000, random: () => 0.5 })).toBe(400);
    expect(fullJitterDelay(20, { baseMs: 100, maxMs: 10_000, random: () => 0.5 })).toBe(5000);
  });
});

describe('http client', () => {
  it('waits as long as a 429 Retry-After says, then succeeds', async () => {
    let calls = 0;
    const times: number[] = [];
    server.use(http.get(`${base}/users`, () => {
      times.push(Date.now());
      calls++;
      return calls === 1
        ? new HttpResponse('slow down', { status: 429, headers: { 'Retry-After': '1' } })
        : HttpResponse.json({ users: [] });
    }));
    const res = await client().json<{ users: unknown[] }>('users');
    expect(res.body).toEqual({ users: [] });
    expect(calls).toBe(2);
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(950);
  });

  it('waits out a 429 that carries only X-RateLimit-Reset (Unix seconds), then succeeds', async () => {
    const times: number[] = [];
    let resetMs = 0;
    server.use(http.get(`${base}/users`, () => {
      times.push(Date.now());
      if (times.length > 1) return HttpResponse.json({ users: [] });
      // 1-2 s ahead: far longer than this client's 5-20 ms backoff, so only the header explains the wait.
      const reset = Math.floor(Date.now() / 1000) + 2;
      resetMs = reset * 1000;
      return new HttpResponse('{"error":"rate limit"}', { status: 429, headers: { 'X-RateLimit-Reset': String(reset) } });
    }));
    const res = await client().json<{ users: unknown[] }>('users');
    expect(res.body).toEqual({ users: [] });
    expect(times).toHaveLength(2);
    expect(times[1]!).toBeGreaterThanOrEqual(resetMs);
  });

  it('measures X-RateLimit-Reset against its injected clock', async () => {
    let calls = 0;
    const times: number[] = [];
    server.use(http.get(`${base}/users`, () => {
      times.push(Date.now());
      return ++calls === 1
        ? new HttpResponse(null, { status: 429, headers: { 'X-RateLimit-Reset': '2000000001' } })
        : HttpResponse.json({ users: [] });
    }));
    // The client's clock says 2,000,000,000 s (2033): the reset is one second away whatever the wall clock says.
    await client({ now: () => 2_000_000_000_000 }).json('users');
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(1000);
    expect(times[1]! - times[0]!).toBeLessThan(5000);
  });

  it('retries a 503 and returns the 200 that follows', async () => {
    let calls = 0;
    server.use(http.get(`${base}/orgs`, () => (++calls < 3 ? new HttpResponse(null, { status: 503 }) : HttpResponse.json([1]))));
    const res = await client().json<number[]>('orgs');
    expect(res.body).toEqual([1]);
    expect(calls).toBe(3);
  });

  it('times out a hung request and retries it', async () => {
    let calls = 0;
    server.use(http.get(`${base}/slow`, async () => {
      if (++calls === 1) await delay(2_000);
      return HttpResponse.json({ ok: true });
    }));
    const res = await client({ timeoutMs: 100 }).json('slow');
    expect(res.body).toEqual({ ok: true });
    expect(calls).toBe(2);
  });

  it('gives up after the attempt cap with a typed, retryable error', async () => {
    let calls = 0;
    server.use(http.get(`${base}/down`, () => {
      calls++;
      return new HttpResponse('upstream down', { status: 502 });
    }));
    const err = await client({ maxAttempts: 3 }).json('down').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpError);
    expect((err as HttpError).code).toBe('http_attempts_exhausted');
    expect((err as HttpError).retryable).toBe(true);
    expect((err as HttpError).httpStatus).toBe(502);
    expect(calls).toBe(3);
  });

  it('does not retry a 4xx other than 408/425/429', async () => {
    let calls = 0;
    server.use(http.get(`${base}/forbidden`, () => {
      calls++;
      return new HttpResponse('no', { status: 403 });
    }));
    const err = (await client().json('forbidden').catch((e: unknown) => e)) as HttpError;
    expect(err.code).toBe('http_status');
    expect(err.httpStatus).toBe(403);
    expect(err.retryable).toBe(false);
    expect(calls).toBe(1);
  });

  it('stops at once when the caller aborts', async () => {
    server.use(http.get(`${base}/hang`, async () => {
      await delay(5_000);
      return HttpResponse.json({});
    }));
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('shutdown')), 50);
    const err = (await client({ timeoutMs: 10_000 }).json('hang', { signal: ac.signal }).catch((e: unknown) => e)) as HttpError;
    expect(err.code).toBe('http_aborted');
  });

  it('keeps to its concurrency and rate limits', async () => {
    let inFlight = 0;
    let peak = 0;
    const starts: number[] = [];
    server.use(http.get(`${base}/limited`, async () => {
      starts.push(Date.now());
      peak = Math.max(peak, ++inFlight);
      await delay(50);
      inFlight--;
      return HttpResponse.json({});
    }));
    const c = client({ concurrency: 2, intervalCap: 2, intervalMs: 200 });
    await Promise.all(Array.from({ length: 6 }, () => c.json('limited')));
    expect(peak).toBe(2);
    // Six requests at two per 200 ms: the last pair cannot start before ~400 ms after the first.
    expect(starts[5]! - starts[0]!).toBeGreaterThanOrEqual(380);
  });

  it('the auth hook is told the method and full URL of every attempt (what a request signature covers)', async () => {
    let n = 0;
    server.use(http.post(`${base}/sign`, () => (++n === 1 ? new HttpResponse(null, { status: 503 }) : HttpResponse.json({ ok: true }))));
    const seen: { method: string; url: string }[] = [];
    const res = await client({ auth: { headers: async (_s, req) => { seen.push(req); return { authorization: `Sig ${req.method} ${req.url}` }; } } })
      .json('sign', { method: 'POST', query: { filter: "a>'b c'", limit: 5 } });
    expect(res.status).toBe(200);
    const url = `${base}/sign?filter=a%3E%27b+c%27&limit=5`;
    expect(seen).toEqual([{ method: 'POST', url }, { method: 'POST', url }]);
  });

  it('never writes auth headers or query values to the log', async () => {
    logLines.length = 0;
    let calls = 0;
    server.use(http.get(`${base}/secure`, ({ request }) => {
      expect(request.headers.get('authorization')).toBe('Bearer s3cr3t-token');
      return ++calls === 1 ? new HttpResponse(null, { status: 500 }) : HttpResponse.json({});
    }));
    await client({ headers: () => ({ authorization: 'Bearer s3cr3t-token' }) }).json('secure', { query: { filter: "email='kid@school.org'" } });
    const text = logLines.join('');
    expect(text).toContain('retrying request');
    expect(text).not.toContain('s3cr3t');
    expect(text).not.toContain('kid@school.org');
  });
});

describe('paging', () => {
  it('reads offset/limit pages to the X-Total-Count', async () => {
    const all = Array.from({ length: 25 }, (_, i) => ({ id: i }));
    server.use(http.get(`${base}/users`, ({ request }) => {
      const u = new URL(request.url);
      const offset = Number(u.searchParams.get('offset'));
      const limit = Number(u.searchParams.get('limit'));
      return HttpResponse.json({ users: all.slice(offset, offset + limit) }, { headers: { 'X-Total-Count': '25' } });
    }));
    const seen: number[] = [];
    for await (const p of offsetPages(client(), 'users', { limit: 10, extract: (b) => (b as { users: { id: number }[] }).users })) {
      seen.push(...p.items.map((x) => x.id));
    }
    expect(seen).toEqual(all.map((x) => x.id));
  });

  it('detects an X-Total-Count mismatch instead of ending quietly', async () => {
    server.use(http.get(`${base}/users`, ({ request }) => {
      const offset = Number(new URL(request.url).searchParams.get('offset'));
      // The server promises 30 but the second page comes back short and the third empty: a truncated read.
      const items = offset === 0 ? Array.from({ length: 10 }, (_, i) => ({ id: i })) : offset === 10 ? [{ id: 10 }] : [];
      return HttpResponse.json({ users: items }, { headers: { 'X-Total-Count': '30' } });
    }));
    const read = async () => {
      for await (const _ of offsetPages(client(), 'users', { limit: 10, extract: (b) => (b as { users: unknown[] }).users })) { /* drain */ }
    };
    await expect(read()).rejects.toBeInstanceOf(IncompleteReadError);
    await expect(read()).rejects.toThrow(/X-Total-Count promised 30 records but 11 arrived/);
  });

  it('a server capping the page size at 50 when 100 was asked is read completely: a short page is not the end', async () => {
    const all = Array.from({ length: 230 }, (_, i) => ({ id: i }));
    const asked: string[] = [];
    for (const withTotal of [true, false]) {
      server.use(http.get(`${base}/users`, ({ request }) => {
        const u = new URL(request.url);
        const offset = Number(u.searchParams.get('offset'));
        asked.push(`${u.searchParams.get('limit')}@${offset}`);
        const limit = Math.min(50, Number(u.searchParams.get('limit')));
        return HttpResponse.json({ users: all.slice(offset, offset + limit) }, withTotal ? { headers: { 'X-Total-Count': '230' } } : {});
      }));
      for (const concurrency of [1, 3]) {
        const seen: number[] = [];
        for await (const p of offsetPages(client(), 'users', { limit: 100, concurrency, extract: (b) => (b as { users: { id: number }[] }).users })) {
          seen.push(...p.items.map((x) => x.id));
        }
        expect(seen).toEqual(all.map((x) => x.id));
      }
    }
    // Every request asked for 100; without a total the read went on to the empty page at 230.
    expect(new Set(asked.map((a) => a.split('@')[0]))).toEqual(new Set(['100']));
    expect(asked).toContain('100@230');
  });

  it('stops at the total even when the last page is full, and at an empty page without one', async () => {
    const all = Array.from({ length: 20 }, (_, i) => ({ id: i }));
    let requests = 0;
    server.use(http.get(`${base}/users`, ({ request }) => {
      requests++;
      const offset = Number(new URL(request.url).searchParams.get('offset'));
      return HttpResponse.json({ users: all.slice(offset, offset + 10) }, { headers: { 'X-Total-Count': '20' } });
    }));
    for await (const _ of offsetPages(client(), 'users', { limit: 10, extract: (b) => (b as { users: unknown[] }).users })) { /* drain */ }
    expect(requests).toBe(2);
  });

  it('a next page repeating the current one (offset ignored) fails instead of looping', async () => {
    server.use(http.get(`${base}/users`, () => HttpResponse.json({ users: [{ id: 1 }, { id: 2 }] })));
    const read = async () => {
      for await (const _ of offsetPages(client(), 'users', { limit: 2, extract: (b) => (b as { users: unknown[] }).users })) { /* drain */ }
    };
    await expect(read()).rejects.toThrow(/repeats the previous page/);
  });

  it('follows @odata.nextLink and Link rel=next', async () => {
    server.use(
      http.get(`${base}/devices`, ({ request }) => {
        const skip = new URL(request.url).searchParams.get('$skiptoken');
        return skip
          ? HttpResponse.json({ value: [3] })
          : HttpResponse.json({ value: [1, 2], '@odata.nextLink': `${base}/devices?$skiptoken=abc` });
      }),
    );
    const got: number[] = [];
    const c = client();
    for await (const p of nextLinkPages<number>(`${base}/devices`, async (url) => {
      const res = await c.json<{ value: number[]; '@odata.nextLink'?: string }>(url);
      return { items: res.body.value, next: res.body['@odata.nextLink'] };
    }, { label: 'devices' })) got.push(...p.items);
    expect(got).toEqual([1, 2, 3]);
    expect(linkHeaderNext(new Headers({ link: '<https://x.test/a?page=2>; rel="next", <https://x.test/a?page=9>; rel="last"' }))).toBe('https://x.test/a?page=2');
  });

  it('follows page tokens and refuses a loop', async () => {
    const pages: Record<string, { items: number[]; nextPageToken?: string }> = { '': { items: [1], nextPageToken: 't1' }, t1: { items: [2] } };
    const got: number[] = [];
    for await (const p of pageTokenPages(async (t) => pages[t ?? '']!)) got.push(...p.items);
    expect(got).toEqual([1, 2]);
    const loop = async () => {
      for await (const _ of pageTokenPages(async () => ({ items: [1], nextPageToken: 'same' }))) { /* drain */ }
    };
    await expect(loop()).rejects.toBeInstanceOf(IncompleteReadError);
    const same = async () => {
      let n = 0;
      for await (const _ of pageTokenPages(async () => ({ items: [{ deviceId: 'a' }], nextPageToken: `t${n++}` }))) { /* drain */ }
    };
    await expect(same()).rejects.toThrow(/repeats the previous page/);
  });

  it('a next link already followed fails the read', async () => {
    const loop = async () => {
      for await (const _ of nextLinkPages<number>('a', async (url) => ({ items: [url === 'a' ? 1 : 2], next: url === 'a' ? 'b' : 'a' }), { label: 'x' })) { /* drain */ }
    };
    await expect(loop()).rejects.toThrow(/already read/);
  });
});
