/** `ctx.http` is built from what a connector declares (`SourceConnector.http`, connectors/types.ts). */
import { http, HttpResponse, delay } from 'msw';
import { setupServer } from 'msw/node';
import { pino } from 'pino';
import { z } from 'zod';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.js';
import type { HttpNeeds, HttpNeedsDeps, SourceConnector } from '../../connectors/types.js';
import { deviceCsv } from '../../connectors/device-csv/index.js';
import type { SourceConfig } from '../../src/config/index.js';
import { HttpError } from '../../src/errors.js';
import { createConnectorCtx } from '../../src/sync/connector-ctx.js';

const base = 'https://mdm.example.test/api/v1';
const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

const logLines: string[] = [];
const log = pino({ level: 'debug' }, { write: (s: string) => logLines.push(s) });

interface FakeSettings { token: string; concurrency?: number }

/** An API connector whose token is "t1" until refreshed, then "t2", "t3", ... */
function fakeConnector(needs: Partial<HttpNeeds> = {}) {
  const seen: { deps?: HttpNeedsDeps; refreshes: number } = { refreshes: 0 };
  let token = 1;
  const connector: SourceConnector<FakeSettings> = {
    kind: 'fake-api',
    configSchema: z.object({ token: z.string(), concurrency: z.number().optional() }),
    streams: ['devices'],
    supportsDelta: false,
    http: (config, deps) => {
      seen.deps = deps;
      return {
        baseUrl: base,
        concurrency: config.concurrency,
        auth: {
          headers: async () => ({ authorization: `Bearer ${config.token}${token}` }),
          refresh: async () => {
            seen.refreshes++;
            token++;
          },
        },
        ...needs,
      };
    },
    check: async () => ({ ok: true, message: 'ok' }),
    // eslint-disable-next-line require-yield -- not read in these tests
    read: async function* () {
      return;
    },
  };
  return { connector, seen };
}

function source(connector: SourceConnector<never> | SourceConnector<FakeSettings>, settings: unknown): SourceConfig {
  return {
    id: 'mdm', kind: connector.kind, enabled: true, connector: connector as SourceConnector<unknown>, settings,
    deletionThreshold: { percent: 10, minimum: 50 },
  } as unknown as SourceConfig;
}

const ctxFor = (s: SourceConfig) => createConnectorCtx(s, log, new AbortController().signal, () => new Date('2026-11-24T00:00:00Z'));

describe('ctx.http from a connector\'s HttpNeeds', () => {
  it('sends the auth header to the declared base URL and passes fetch, log and now to the needs function', async () => {
    const { connector, seen } = fakeConnector();
    server.use(http.get(`${base}/devices`, ({ request }) => HttpResponse.json({ auth: request.headers.get('authorization') })));
    const ctx = ctxFor(source(connector, { token: 'secret-' }));
    const res = await ctx.http.json<{ auth: string }>('devices');
    expect(res.body.auth).toBe('Bearer secret-1');
    expect(seen.deps?.fetch).toBe(globalThis.fetch);
    expect(seen.deps?.now().toISOString()).toBe('2026-11-24T00:00:00.000Z');
    expect(typeof seen.deps?.log.info).toBe('function');
    expect(logLines.join('')).not.toContain('secret-');
  });

  it('refreshes once on a 401 and retries that request with the fresh header', async () => {
    const { connector, seen } = fakeConnector();
    const auths: (string | null)[] = [];
    server.use(http.get(`${base}/devices`, ({ request }) => {
      auths.push(request.headers.get('authorization'));
      return request.headers.get('authorization') === 'Bearer k2' ? HttpResponse.json({ ok: true }) : new HttpResponse(null, { status: 401 });
    }));
    const res = await ctxFor(source(connector, { token: 'k' })).http.json<{ ok: boolean }>('devices');
    expect(res.body.ok).toBe(true);
    expect(auths).toEqual(['Bearer k1', 'Bearer k2']);
    expect(seen.refreshes).toBe(1);
  });

  it('does not retry an auth hook that fails for good (a wrong secret), and retries one that may recover', async () => {
    let calls = 0;
    const final = fakeConnector({ auth: { headers: async () => { calls++; throw new AppError('http_status', 'token endpoint answered 401: invalid_client'); } } });
    await expect(ctxFor(source(final.connector, { token: 'k' })).http.json('devices')).rejects.toThrow(/invalid_client/);
    expect(calls).toBe(1);
    let flaky = 0;
    server.use(http.get(`${base}/devices`, () => HttpResponse.json({ ok: true })));
    const transient = fakeConnector({ auth: { headers: async () => { if (flaky++ === 0) throw new Error('socket hang up'); return {}; } } });
    const ctx = createConnectorCtx(source(transient.connector, { token: 'k' }), log, new AbortController().signal);
    expect((await ctx.http.json<{ ok: boolean }>('devices')).body.ok).toBe(true);
    expect(flaky).toBe(2);
  });

  it('fails with http_status 401 on a second 401, without looping', async () => {
    const { connector, seen } = fakeConnector();
    let calls = 0;
    server.use(http.get(`${base}/devices`, () => {
      calls++;
      return new HttpResponse('denied', { status: 401 });
    }));
    const err = await ctxFor(source(connector, { token: 'k' })).http.json('devices').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpError);
    expect(err).toMatchObject({ code: 'http_status', httpStatus: 401 });
    expect(calls).toBe(2);
    expect(seen.refreshes).toBe(1);
  });

  it('refreshes once for requests that hit 401 together', async () => {
    const { connector, seen } = fakeConnector();
    server.use(http.get(`${base}/devices/:id`, async ({ request }) => {
      await delay(10);
      return request.headers.get('authorization') === 'Bearer k2' ? HttpResponse.json({}) : new HttpResponse(null, { status: 401 });
    }));
    const ctx = ctxFor(source(connector, { token: 'k', concurrency: 4 }));
    await Promise.all([1, 2, 3, 4].map((i) => ctx.http.json(`devices/${i}`)));
    expect(seen.refreshes).toBe(1);
  });

  it('keeps at most the declared concurrency in flight', async () => {
    const { connector } = fakeConnector();
    let inFlight = 0;
    let peak = 0;
    server.use(http.get(`${base}/devices/:id`, async () => {
      peak = Math.max(peak, ++inFlight);
      await delay(20);
      inFlight--;
      return HttpResponse.json({});
    }));
    const ctx = ctxFor(source(connector, { token: 'k', concurrency: 2 }));
    await Promise.all(Array.from({ length: 8 }, (_, i) => ctx.http.json(`devices/${i}`)));
    expect(peak).toBe(2);
  });

  it('honours the declared rate', async () => {
    const { connector } = fakeConnector({ rate: { requests: 2, intervalMs: 100 } });
    server.use(http.get(`${base}/devices/:id`, () => HttpResponse.json({})));
    const ctx = ctxFor(source(connector, { token: 'k', concurrency: 10 }));
    const t0 = Date.now();
    await Promise.all(Array.from({ length: 6 }, (_, i) => ctx.http.json(`devices/${i}`)));
    // 6 requests at 2 per 100 ms: three intervals, the last starting at >= 200 ms.
    expect(Date.now() - t0).toBeGreaterThanOrEqual(190);
  });

  it('gives a file connector (no http) a client with no base URL', async () => {
    server.use(http.get('https://files.example.test/export.csv', ({ request }) =>
      HttpResponse.text(request.headers.get('authorization') ?? 'none')));
    const ctx = ctxFor(source(deviceCsv as SourceConnector<never>, { format: 'gam', path: '/tmp/x.csv' }));
    expect(ctx.http.name).toBe('device-csv:mdm');
    const res = await ctx.http.request('https://files.example.test/export.csv');
    expect(res.body).toBe('none');
  });
});
