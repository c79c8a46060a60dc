import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createHttpClient } from '../../src/http/client.js';
import { configWith, count, sync } from '../../test/helpers/ledger.js';
import { freshDatabase, type TestDb } from '../../test/helpers/db.js';
import type { Batch, Ctx, DeviceRecord } from '../types.js';
import { SELECT_FIELDS } from './api-types.js';
import { intune, type IntuneConfig } from './index.js';

const TENANT = '11111111-2222-4333-8444-555555555555';
const CLIENT = '99999999-8888-4777-8666-555555555555';
const SECRET = 'sEcReT~value.that-must-never-be-logged';
const TOKEN_URL = `https://login.microsoftonline.com/${TENANT}/oauth2/v2.0/token`;
const GRAPH = 'https://graph.microsoft.com/v1.0';
const LIST = `${GRAPH}/deviceManagement/managedDevices`;
const OVERVIEW = `${GRAPH}/deviceManagement/managedDeviceOverview`;
const fixture = JSON.parse(readFileSync(new URL('./fixtures/managed-devices.json', import.meta.url), 'utf8')) as { value: Record<string, unknown>[] };

/** Token endpoint state: tokens issued, tokens the Graph handlers refuse (revoked). */
const tokens = { issued: [] as string[], revoked: new Set<string>(), badSecret: false, assertions: [] as string[] };
const seen: { url: string; auth: string | null }[] = [];

function authorized(request: Request): Response | null {
  const auth = request.headers.get('authorization');
  seen.push({ url: request.url, auth });
  const tok = auth?.replace(/^Bearer /, '') ?? '';
  if (!tokens.issued.includes(tok) || tokens.revoked.has(tok)) {
    return HttpResponse.json({ error: { code: 'InvalidAuthenticationToken', message: 'Access token has expired or is not yet valid.' } }, { status: 401 });
  }
  return null;
}

const server = setupServer(
  http.post(TOKEN_URL, async ({ request }) => {
    const form = new URLSearchParams(await request.text());
    const assertion = form.get('client_assertion');
    if (assertion) tokens.assertions.push(assertion);
    if (tokens.badSecret || (form.get('client_secret') !== SECRET && !assertion)) {
      return HttpResponse.json({
        error: 'invalid_client',
        error_description: `AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${CLIENT}'. Trace ID: 0b6a Correlation ID: 77c1 Timestamp: 2026-11-24 10:00:00Z`,
        error_codes: [7000215],
      }, { status: 401 });
    }
    const t = `tok-${tokens.issued.length + 1}`;
    tokens.issued.push(t);
    return HttpResponse.json({ token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: t });
  }),
  // MSAL may read the tenant's OpenID metadata even with instance discovery off.
  http.get(`https://login.microsoftonline.com/${TENANT}/v2.0/.well-known/openid-configuration`, () => HttpResponse.json({
    token_endpoint: TOKEN_URL,
    authorization_endpoint: `https://login.microsoftonline.com/${TENANT}/oauth2/v2.0/authorize`,
    issuer: `https://login.microsoftonline.com/${TENANT}/v2.0`,
    jwks_uri: `https://login.microsoftonline.com/${TENANT}/discovery/v2.0/keys`,
    end_session_endpoint: `https://login.microsoftonline.com/${TENANT}/oauth2/v2.0/logout`,
  })),
);

beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => {
  server.resetHandlers();
  tokens.issued = [];
  tokens.revoked.clear();
  tokens.badSecret = false;
  tokens.assertions = [];
  seen.length = 0;
});
afterAll(() => server.close());

const baseConfig = { tenantId: TENANT, clientId: CLIENT, clientSecret: SECRET };

/** A ctx built like src/sync/connector-ctx.ts: the connector's HttpNeeds shape the shared helper. */
function makeCtx(over: Record<string, unknown> = {}, level: pino.LevelWithSilent = 'silent') {
  const lines: string[] = [];
  const log = pino({ level }, new Writable({ write(chunk, _e, cb) { lines.push(String(chunk)); cb(); } }));
  const config = intune.configSchema.parse({ ...baseConfig, ...over });
  const needs = intune.http!(config, { fetch: globalThis.fetch, log, now: () => new Date() });
  const ctx: Ctx<IntuneConfig> = {
    config,
    http: createHttpClient({
      name: 'intune:test', log, baseUrl: needs.baseUrl, auth: needs.auth, concurrency: needs.concurrency,
      intervalCap: needs.rate?.requests, intervalMs: needs.rate?.intervalMs, timeoutMs: needs.timeoutMs,
      backoffBaseMs: 1, backoffMaxMs: 5,
    }),
    log,
    signal: new AbortController().signal,
    now: () => new Date(),
  };
  return { ctx, lines };
}

async function readAll(ctx: Ctx<IntuneConfig>): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const b of intune.read(ctx, { mode: 'full' })) out.push(b);
  return out;
}
const records = (bs: Batch[]) => bs.flatMap((b) => b.records as DeviceRecord[]);

function device(n: number, over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: `dev-${n}`, deviceName: `D${n}`, serialNumber: `SER${String(n).padStart(5, '0')}`, userPrincipalName: `u${n}@district.org`,
    emailAddress: null, userId: null, complianceState: 'compliant', lastSyncDateTime: '2026-11-01T00:00:00Z',
    enrolledDateTime: '2025-01-01T00:00:00Z', operatingSystem: 'Windows', osVersion: '10.0', model: 'M', manufacturer: 'Dell',
    managedDeviceOwnerType: 'company', azureADDeviceId: null, wiFiMacAddress: null, managementState: 'managed', ...over,
  };
}

/** Pages served at LIST (first) and at nextLinks carrying an opaque $skiptoken. */
function pagesHandler(pages: Record<string, unknown>[][], opts: { count?: number; onPage?: (i: number, req: Request) => Response | null } = {}) {
  const skip = (i: number) => `${LIST}?$select=${SELECT_FIELDS.join(',')}&$top=1000&$skiptoken=Page%3D${i}%3D%3Dabc`;
  return [
    http.get(OVERVIEW, ({ request }) => authorized(request) ?? HttpResponse.json({
      '@odata.type': '#microsoft.graph.managedDeviceOverview', id: 'overview',
      enrolledDeviceCount: opts.count ?? pages.flat().length, mdmEnrolledCount: 0, dualEnrolledDeviceCount: 0,
    })),
    http.get(LIST, ({ request }) => {
      const denied = authorized(request);
      if (denied) return denied;
      const u = new URL(request.url);
      const tok = u.searchParams.get('$skiptoken');
      const i = tok === null ? 0 : Number(/Page=(\d+)/.exec(tok)![1]);
      const custom = opts.onPage?.(i, request);
      if (custom) return custom;
      const next = i + 1 < pages.length ? { '@odata.nextLink': skip(i + 1) } : {};
      return HttpResponse.json({ '@odata.context': `${GRAPH}/$metadata#deviceManagement/managedDevices`, value: pages[i], ...next });
    }),
  ];
}

describe('intune connector', () => {
  it('maps every selected field of a Graph-shaped page', async () => {
    server.use(...pagesHandler([fixture.value]));
    const { ctx } = makeCtx();
    const bs = await readAll(ctx);
    expect(bs).toHaveLength(1);
    const b = bs[0]!;
    expect(b.processingMode).toBe('bulk');
    expect(b.unsupplied).toEqual(['assetTag', 'orgUnit', 'orgUnitId', 'annotatedLocation', 'notes', 'recentUsers', 'aueDate', 'bootMode']);
    expect(b.rejects).toEqual([]);
    expect(records(bs)).toEqual([
      {
        externalId: '705c034c-034c-705c-4c03-5c704c035c70', serial: 'PF3XK2LM', assetTag: null, model: 'ThinkPad 11e Gen 6',
        manufacturer: 'LENOVO', platform: 'windows', status: 'active', userEmail: 'student.one@district.org', recentUsers: [],
        orgUnit: null, orgUnitId: null, annotatedLocation: null, notes: null, macAddress: 'a0:b1:c2:d3:e4:f5', osVersion: '10.0.22631.4037', lastSyncAt: '2017-01-01T07:57:37.576Z', enrolledAt: '2017-01-01T07:59:43.797Z',
        aueDate: null, compliance: 'compliant', bootMode: null, deleted: false,
      },
      {
        // empty UPN -> the email address; grace period -> noncompliant; 0001-01-01 -> null; retirePending -> retired
        externalId: '805c034c-034c-705c-4c03-5c704c035c71', serial: 'DMPXK9QAHX', assetTag: null, model: 'iPad (9th generation)',
        manufacturer: 'Apple', platform: 'ios', status: 'retired', userEmail: 'teacher.two@district.org', recentUsers: [],
        orgUnit: null, orgUnitId: null, annotatedLocation: null, notes: null, macAddress: null, osVersion: '17.6.1', lastSyncAt: '2026-10-02T14:03:11.123Z', enrolledAt: null,
        aueDate: null, compliance: 'noncompliant', bootMode: null, deleted: false,
      },
      {
        // no user; unknown compliance value -> null with a warning; unknown state -> active
        externalId: '905c034c-034c-705c-4c03-5c704c035c72', serial: 'R9XT30ABCDE', assetTag: null, model: 'SM-X200',
        manufacturer: 'samsung', platform: 'android', status: 'active', userEmail: null, recentUsers: [],
        orgUnit: null, orgUnitId: null, annotatedLocation: null, notes: null, macAddress: null, osVersion: '14', lastSyncAt: null, enrolledAt: '2025-08-20T10:00:00.000Z',
        aueDate: null, compliance: null, bootMode: null, deleted: false,
      },
    ]);
    expect(b.warnings).toEqual([expect.objectContaining({ externalId: '905c034c-034c-705c-4c03-5c704c035c72', field: 'compliance' })]);
    // The request: $select of exactly the mapped fields, bearer token from the credential.
    const first = new URL(seen.find((s) => s.url.startsWith(LIST))!.url);
    expect(first.searchParams.get('$select')!.split(',')).toEqual([...SELECT_FIELDS]);
    expect(seen.every((s) => s.auth === 'Bearer tok-1')).toBe(true);
  });

  it('follows @odata.nextLink verbatim across pages', async () => {
    const pages = [[device(1), device(2)], [device(3), device(4)], [device(5)]];
    server.use(...pagesHandler(pages));
    const { ctx } = makeCtx({ batchSize: 2 });
    const bs = await readAll(ctx);
    expect(records(bs).map((r) => r.externalId)).toEqual(['dev-1', 'dev-2', 'dev-3', 'dev-4', 'dev-5']);
    const listUrls = seen.filter((s) => s.url.startsWith(LIST)).map((s) => s.url);
    expect(listUrls).toHaveLength(3);
    // Pages 2 and 3 were requested with the nextLink as given (path, $select, $top and the encoded $skiptoken).
    const nextLink = (i: number) => `${LIST}?$select=${SELECT_FIELDS.join(',')}&$top=1000&$skiptoken=Page%3D${i}%3D%3Dabc`;
    expect(listUrls.slice(1)).toEqual([nextLink(1), nextLink(2)]);
    for (const u of listUrls.slice(1)) expect(new URL(u).searchParams.get('$select')).toBe(SELECT_FIELDS.join(','));
    expect(listUrls.some((u) => u.includes('$skip='))).toBe(false);
  });

  it('obeys 429 Retry-After and retries once per throttle (one retry layer)', async () => {
    let throttled = 0;
    const at: number[] = [];
    server.use(...pagesHandler([[device(1)], [device(2)]], {
      onPage: (i) => {
        at.push(Date.now());
        if (i === 1 && throttled < 2) {
          throttled++;
          return HttpResponse.json({ error: { code: 'TooManyRequests', message: 'Too many requests', innerError: { date: '2026-11-24T10:00:00', 'request-id': 'r', 'client-request-id': 'c' } } }, { status: 429, headers: { 'Retry-After': '1' } });
        }
        return null;
      },
    }));
    const { ctx } = makeCtx();
    const t0 = Date.now();
    const bs = await readAll(ctx);
    expect(records(bs).map((r) => r.externalId)).toEqual(['dev-1', 'dev-2']);
    expect(throttled).toBe(2);
    // page 1, page 2 x3 (two 429s then success): no hidden extra attempts from a second retry layer
    expect(at).toHaveLength(4);
    expect(at[2]! - at[1]!).toBeGreaterThanOrEqual(950);
    expect(at[3]! - at[2]!).toBeGreaterThanOrEqual(950);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1900);
  });

  it('a throttle that never lifts fails after the shared helper\'s attempts, not attempts x the SDK\'s retries', async () => {
    let hits = 0;
    server.use(...pagesHandler([[device(1)]], {
      onPage: () => {
        hits++;
        return HttpResponse.json({ error: { code: 'TooManyRequests', message: 'Too many requests' } }, { status: 429, headers: { 'Retry-After': '0' } });
      },
    }));
    const { ctx } = makeCtx();
    await expect(readAll(ctx)).rejects.toMatchObject({ code: 'http_attempts_exhausted' });
    expect(hits).toBe(5); // src/http/client.ts maxAttempts; a stacked RetryHandler would make it 5 x 4
  });

  it('streams each page as it arrives, and still fails a list that ends early against enrolledDeviceCount at its end', async () => {
    server.use(...pagesHandler([[device(1), device(2)], [device(3)]], { count: 5 }));
    const { ctx } = makeCtx();
    const got: Batch[] = [];
    await expect((async () => { for await (const b of intune.read(ctx, { mode: 'full' })) got.push(b); })())
      .rejects.toMatchObject({ code: 'incomplete_read', context: { listed: 3, enrolledAfter: 5 } });
    // One batch per page, passed on before the count was checked; the throw then fails the run (the runner rolls
    // back what was staged: see the ledger test below).
    expect(got.map((b) => b.records.map((r) => r.externalId))).toEqual([['dev-1', 'dev-2'], ['dev-3']]);
    expect(got.map((b) => b.checkpoint)).toEqual([{ pages: 1 }, { pages: 2 }]);
  });

  it('refreshes a token that expires mid-read (401 on page 2) and goes on', async () => {
    server.use(...pagesHandler([[device(1)], [device(2)], [device(3)]], {
      onPage: (i) => {
        if (i === 1) tokens.revoked.add('tok-1'); // the token dies once page 2 is served: page 3 gets a 401
        return null;
      },
    }));
    const { ctx } = makeCtx();
    const bs = await readAll(ctx);
    expect(records(bs).map((r) => r.externalId)).toEqual(['dev-1', 'dev-2', 'dev-3']);
    expect(tokens.issued).toEqual(['tok-1', 'tok-2']);
    const list = seen.filter((s) => s.url.startsWith(LIST)).map((s) => s.auth);
    // page 1, page 2, page 3 refused (401), page 3 again with the refreshed token
    expect(list).toEqual(['Bearer tok-1', 'Bearer tok-1', 'Bearer tok-1', 'Bearer tok-2']);
  });

  it('renews a token that is about to expire before the next page (no 401 needed)', async () => {
    vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true });
    try {
      server.use(...pagesHandler([[device(1)], [device(2)]], {
        onPage: (i) => {
          if (i === 0) vi.setSystemTime(Date.now() + 3_500_000); // page 1 took most of the token's hour
          return null;
        },
      }));
      const { ctx } = makeCtx();
      const bs = await readAll(ctx);
      expect(records(bs).map((r) => r.externalId)).toEqual(['dev-1', 'dev-2']);
      expect(tokens.issued).toEqual(['tok-1', 'tok-2']);
      expect(seen.filter((s) => s.url.startsWith(LIST)).map((s) => s.auth)).toEqual(['Bearer tok-1', 'Bearer tok-2']);
    } finally {
      vi.useRealTimers();
    }
  });

  it('quarantines placeholder serials as kept, rejects an item without id, keeps the latest re-enrolment', async () => {
    server.use(...pagesHandler([[
      device(1, { serialNumber: '0' }),
      device(2, { serialNumber: '' }),
      device(3, { serialNumber: 'Unknown' }),
      device(4, { serialNumber: null }),
      { ...device(5), id: null },
      device(6, { serialNumber: 'PF3DUP', lastSyncDateTime: '2026-09-01T00:00:00Z' }),
    ], [
      device(7, { serialNumber: 'pf3dup', lastSyncDateTime: '2026-11-20T00:00:00Z' }),
      device(8, { serialNumber: 'PF3DUP', lastSyncDateTime: '0001-01-01T00:00:00Z' }),
    ]]));
    const { ctx } = makeCtx();
    const bs = await readAll(ctx);
    const rejects = bs.flatMap((b) => b.rejects);
    expect(rejects.map((r) => [r.externalId, r.field])).toEqual([
      ['dev-1', 'serial'], ['dev-2', 'serial'], ['dev-3', 'serial'], ['dev-4', 'serial'], [undefined, 'externalId'],
    ]);
    expect(rejects[0]!.reason).toMatch(/placeholder '0'/);
    expect(rejects[1]!.reason).toMatch(/empty/);
    expect(rejects[2]!.reason).toMatch(/placeholder 'Unknown'/);
    expect(rejects[0]!.location).toBe('managedDevices page 1 item 1');
    // dev-6 was passed on with page 1 before its newer twin dev-7 arrived: it is retracted (deleted) at the end;
    // dev-8 arrived after dev-7 and older: left out.
    expect(records(bs).map((r) => [r.externalId, r.deleted])).toEqual([['dev-6', false], ['dev-7', false], ['dev-6', true]]);
    expect(bs.findIndex((b) => b.records.some((r) => r.deleted))).toBe(bs.length - 1);
    const warnings = bs.flatMap((b) => b.warnings ?? []);
    expect(warnings).toEqual([expect.objectContaining({ externalId: 'dev-7', field: 'serial', reason: expect.stringMatching(/re-enrolled.*dev-6, dev-8/) })]);
    expect(bs.at(-1)!.notices).toEqual([expect.stringMatching(/2 stale enrolment/)]);
  });

  it('check: authenticated with a device count, or the exact failure', async () => {
    server.use(...pagesHandler([[device(1)]], { count: 1234 }));
    expect(await intune.check(makeCtx().ctx)).toMatchObject({ ok: true, message: 'authenticated, 1234 devices visible' });

    tokens.badSecret = true;
    const bad = await intune.check(makeCtx().ctx);
    expect(bad.ok).toBe(false);
    expect(bad.message).toBe('intune: authentication failed: AADSTS7000215: Invalid client secret provided.');
    expect(JSON.stringify(bad)).not.toContain(SECRET);
    tokens.badSecret = false;

    server.use(http.get(OVERVIEW, () => HttpResponse.json({ error: { code: 'Forbidden', message: 'Application is not authorized to perform this operation. Application must have one of the following scopes: DeviceManagementManagedDevices.Read.All' } }, { status: 403 })));
    const forbidden = await intune.check(makeCtx().ctx);
    expect(forbidden.ok).toBe(false);
    expect(forbidden.message).toMatch(/answered 403 Forbidden: permission missing.*DeviceManagementManagedDevices\.Read\.All/);
  });

  it('authenticates with a certificate (client assertion signed by the PEM key)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'intune-cert-'));
    try {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=rollcall-test'], { stdio: 'ignore' });
      const pem = join(dir, 'intune.pem');
      writeFileSync(pem, readFileSync(join(dir, 'key.pem'), 'utf8') + readFileSync(join(dir, 'cert.pem'), 'utf8'));
      server.use(...pagesHandler([[device(1)]]));
      const { ctx } = makeCtx({ clientSecret: undefined, certificatePath: pem });
      expect(records(await readAll(ctx)).map((r) => r.externalId)).toEqual(['dev-1']);
      expect(tokens.assertions).toHaveLength(1);
      const claims = JSON.parse(Buffer.from(tokens.assertions[0]!.split('.')[1]!, 'base64url').toString()) as { iss: string };
      expect(claims.iss).toBe(CLIENT);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('logs no secret, token or address at debug level', async () => {
    let throttled = false;
    server.use(...pagesHandler([[device(1)], fixture.value], {
      onPage: (i) => {
        if (i !== 1 || throttled) return null;
        throttled = true;
        return HttpResponse.json({}, { status: 429, headers: { 'Retry-After': '0' } });
      },
    }));
    const { ctx, lines } = makeCtx({}, 'debug');
    await readAll(ctx);
    const text = lines.join('\n');
    expect(text).toContain('managedDevices page'); // debug lines were written
    expect(text).toContain('retrying request');
    for (const secret of [SECRET, 'tok-1', 'Bearer', '@district.org', '@District.org', 'LAB-STU-0001']) expect(text).not.toContain(secret);
  });

  it('config: exactly one credential; a filter skips the count check with a notice', async () => {
    expect(intune.configSchema.safeParse({ tenantId: TENANT, clientId: CLIENT }).success).toBe(false);
    expect(intune.configSchema.safeParse({ ...baseConfig, certificatePath: '/x.pem' }).success).toBe(false);
    server.use(...pagesHandler([[device(1)]], { count: 999 }));
    const { ctx } = makeCtx({ filter: "operatingSystem eq 'Windows'" });
    const bs = await readAll(ctx);
    expect(records(bs)).toHaveLength(1);
    expect(bs[0]!.notices).toEqual([expect.stringMatching(/filtered/)]);
    expect(new URL(seen.find((s) => s.url.startsWith(LIST))!.url).searchParams.get('$filter')).toBe("operatingSystem eq 'Windows'");
    expect(seen.some((s) => s.url.startsWith(OVERVIEW))).toBe(false);
  });
});

describe('intune through the real ledger (pglite + runSync)', () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await freshDatabase('pglite');
  }, 60_000);
  afterAll(async () => t?.drop());

  it('a list that ends early fails the run and deactivates nothing; a placeholder serial keeps its row', async () => {
    // Through the real config loader too: the registry entry and the `*File`-free keys.
    const config = configWith(`  - id: intune\n    kind: intune\n    tenantId: ${TENANT}\n    clientId: ${CLIENT}\n    clientSecret: ${SECRET}\n    deletionThreshold: { percent: 50, absolute: 10 }\n`);
    const active = () => count(t.db, 'device_observations', "source_id = 'intune' and active");

    server.use(...pagesHandler([[device(1), device(2)], [device(3), device(4)]]));
    const first = await sync(t.db, config, 'intune');
    expect(first.status).toBe('succeeded');
    expect(await active()).toBe(4);

    // Page 2 never comes: 2 listed, 4 enrolled.
    server.use(...pagesHandler([[device(1), device(2)]], { count: 4 }));
    const short = await sync(t.db, config, 'intune');
    expect(short).toMatchObject({ status: 'failed', errorCode: 'incomplete_read' });
    expect(await active()).toBe(4);

    // dev-4 now reports serial '0': kept (present, unchanged), not deactivated; dev-3 really left Intune.
    server.use(...pagesHandler([[device(1), device(2)], [device(4, { serialNumber: '0' })]]));
    const third = await sync(t.db, config, 'intune');
    expect(third.status).toBe('succeeded');
    expect(await active()).toBe(3);
    expect(await count(t.db, 'device_observations', "source_id = 'intune' and active and external_id = 'dev-4'")).toBe(1);
    expect(await count(t.db, 'device_observations', "source_id = 'intune' and not active and external_id = 'dev-3'")).toBe(1);
    expect(await count(t.db, 'quarantine', "source_id = 'intune' and external_id = 'dev-4' and field = 'serial'")).toBe(1);
  }, 60_000);

  it('re-enrolled hardware across pages: the stale twin passed on first ends, the latest stays; nothing else moves', async () => {
    const config = configWith(`  - id: intune-r\n    kind: intune\n    tenantId: ${TENANT}\n    clientId: ${CLIENT}\n    clientSecret: ${SECRET}\n`);
    const obs = (where: string) => count(t.db, 'device_observations', `source_id = 'intune-r' and ${where}`);
    server.use(...pagesHandler([
      [device(11, { serialNumber: 'RE1', lastSyncDateTime: '2026-09-01T00:00:00Z' }), device(12)],
      [device(13), device(14, { serialNumber: 're1', lastSyncDateTime: '2026-11-20T00:00:00Z' })],
    ]));
    const r = await sync(t.db, config, 'intune-r');
    expect(r.status).toBe('succeeded');
    expect(await obs("active and external_id in ('dev-12', 'dev-13', 'dev-14')")).toBe(3);
    expect(await obs("not active and external_id = 'dev-11'")).toBe(1);
    expect(await count(t.db, 'devices', "serial = 'RE1' and deactivated_at is null")).toBe(1);
    // The retraction is not reported as a duplicate id; the kept twin carries the re-enrolment warning.
    expect(await count(t.db, 'quarantine', "source_id = 'intune-r' and reason like 'duplicate id%'")).toBe(0);
    expect(await count(t.db, 'quarantine', "source_id = 'intune-r' and external_id = 'dev-14' and field = 'serial'")).toBe(1);
  }, 60_000);

  it('the same serial from Intune and from a Google export is one device with two observations', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'intune-gam-'));
    try {
      const csv = join(dir, 'cros.csv');
      writeFileSync(csv, 'deviceId,serialNumber,status,model\ncros-1,ser77777 ,ACTIVE,Lenovo 300e Chromebook\n');
      const config = configWith([
        `  - id: gam\n    kind: device-csv\n    format: gam\n    path: ${csv}\n`,
        `  - id: intune-b\n    kind: intune\n    tenantId: ${TENANT}\n    clientId: ${CLIENT}\n    clientSecret: ${SECRET}\n`,
      ].join(''));
      server.use(...pagesHandler([[device(77777, { id: 'ik-1', operatingSystem: 'Chrome OS', serialNumber: 'SER77777' })]]));
      expect((await sync(t.db, config, 'gam')).status).toBe('succeeded');
      expect((await sync(t.db, config, 'intune-b')).status).toBe('succeeded');
      expect(await count(t.db, 'devices', "serial = 'SER77777'")).toBe(1);
      expect(await count(t.db, 'device_observations', "device_id = (select id from devices where serial = 'SER77777') and active")).toBe(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
