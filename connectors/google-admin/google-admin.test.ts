/**
 * google-admin through the real @googleapis/admin client, with msw intercepting its requests: the token endpoint
 * (google-auth-library signs a JWT with a throwaway RSA key made here; no key is committed) and the Directory API.
 * Responses are shaped like the documented ones (vendor-facts §3).
 */
import type { KeyObject } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Batch, Ctx, DeviceRecord } from '../types.js';
import { budget, DEFAULT_TUNING, ORGUNIT_SCOPE, SCOPE } from './client.js';
import { createGoogleAdmin, type GoogleAdminConfig } from './index.js';
import {
  device, googleError, googleHandlers, LIST_URL, makeServiceAccount, newFake, SA_EMAIL, TOKEN_URL, type Fake,
} from './testing/fake-google.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const BASE = LIST_URL;
const SUBJECT = 'it.admin@district.example.org';

const connector = createGoogleAdmin({ ...DEFAULT_TUNING, backoffBaseMs: 5, backoffMaxMs: 20, random: () => 1 });

let tmp: string;
let keyJson: string;
let pem: string;
let publicKey: KeyObject;
let fake: Fake;

const server = setupServer(...googleHandlers(() => fake, () => publicKey));

beforeAll(async () => {
  server.listen({ onUnhandledRequest: 'error' });
  tmp = await mkdtemp(join(tmpdir(), 'google-admin-'));
  const sa = await makeServiceAccount(tmp);
  ({ pem, publicKey } = sa);
  keyJson = await readFile(sa.keyFile, 'utf8');
});
afterAll(async () => {
  server.close();
  await rm(tmp, { recursive: true, force: true });
});
beforeEach(() => {
  fake = newFake();
});
afterEach(() => server.resetHandlers());

function ctxOf(input: Record<string, unknown>, lines?: string[]): Ctx<GoogleAdminConfig> {
  const sink = new Writable({ write(chunk, _enc, cb) { lines?.push(String(chunk)); cb(); } });
  return {
    config: connector.configSchema.parse({ serviceAccountKey: keyJson, subject: SUBJECT, ...input }),
    http: {} as Ctx<GoogleAdminConfig>['http'],
    log: pino({ level: lines ? 'debug' : 'silent' }, sink),
    signal: new AbortController().signal,
    now: () => new Date(),
  };
}

async function readAll(input: Record<string, unknown> = {}, lines?: string[]): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const b of connector.read(ctxOf(input, lines), { mode: 'full' })) out.push(b);
  return out;
}

async function readUntilThrow(input: Record<string, unknown> = {}): Promise<{ batches: Batch[]; error: unknown }> {
  const batches: Batch[] = [];
  try {
    for await (const b of connector.read(ctxOf(input), { mode: 'full' })) batches.push(b);
  } catch (error) {
    return { batches, error };
  }
  return { batches, error: undefined };
}

const records = (bs: Batch[]) => bs.flatMap((b) => b.records as DeviceRecord[]);

describe('google-admin read', () => {
  it('pages through chromeosdevices.list with projection FULL, maxResults, pageToken and no orderBy', async () => {
    fake.devices = Array.from({ length: 7 }, (_, i) => device(i));
    const bs = await readAll({ maxResults: 3, batchSize: 4, orgUnitPath: '/Students', query: 'status:ACTIVE' });
    expect(records(bs).map((r) => r.externalId)).toEqual(fake.devices.map((d) => (d as { deviceId: string }).deviceId));
    expect(fake.listRequests).toHaveLength(3);
    for (const u of fake.listRequests) {
      expect(u.searchParams.get('projection')).toBe('FULL');
      expect(u.searchParams.get('maxResults')).toBe('3');
      expect(u.searchParams.has('orderBy')).toBe(false);
      expect(u.searchParams.has('sortOrder')).toBe(false);
      expect(u.searchParams.get('orgUnitPath')).toBe('Students'); // "minus the leading /"
      expect(u.searchParams.get('includeChildOrgunits')).toBe('true');
      expect(u.searchParams.get('query')).toBe('status:ACTIVE');
      expect(u.pathname).toBe('/admin/directory/v1/customer/my_customer/devices/chromeos');
    }
    expect(fake.listRequests.map((u) => u.searchParams.get('pageToken'))).toEqual([null, 'tok:3', 'tok:6']);
    // The count for the same scope: `filter` where the list has `query`; before and after the list.
    expect(fake.countRequests).toHaveLength(2);
    for (const u of fake.countRequests) {
      expect(u.searchParams.get('filter')).toBe('status:ACTIVE');
      expect(u.searchParams.has('query')).toBe(false);
      expect(u.searchParams.get('orgUnitPath')).toBe('Students');
      expect(u.searchParams.get('includeChildOrgunits')).toBe('true');
    }
    expect(bs.map((b) => b.records.length)).toEqual([4, 3]);
    expect(bs.every((b) => b.stream === 'devices' && b.processingMode === 'bulk')).toBe(true);
    expect(bs[0]!.unsupplied).toEqual(['compliance']);
    // One token for the whole read, for the subject (domain-wide delegation), with the read-only scope.
    expect(fake.tokensIssued).toBe(1);
    expect(fake.tokenClaims[0]).toMatchObject({ iss: SA_EMAIL, sub: SUBJECT, scope: SCOPE, aud: TOKEN_URL });
    expect(new Set(fake.listAuth)).toEqual(new Set(['Bearer ya29.fake-token-1']));
  });

  it('maps every field of a full-projection device', async () => {
    fake.devices = [JSON.parse(await readFile(join(here, 'fixtures/device-full.json'), 'utf8'))];
    const bs = await readAll();
    expect(bs.flatMap((b) => b.rejects)).toEqual([]);
    expect(bs.flatMap((b) => b.warnings ?? [])).toEqual([]);
    expect(records(bs)).toEqual([{
      externalId: '6d3c1b0e-9f2a-4c7d-8e11-2b5a9c0d7e41',
      serial: 'NXHPQAA00112345678',
      assetTag: 'LIN-004512',
      model: 'Lenovo 300e Chromebook Gen 3',
      manufacturer: 'Lenovo',
      platform: 'chromeos',
      status: 'active',
      userEmail: 'student.one@district.example.org',
      // Managed users only, most recent first, lower-cased and de-duplicated.
      recentUsers: ['student.one@district.example.org', 'teacher.two@district.example.org'],
      orgUnit: '/Students/Lincoln Elementary',
      orgUnitId: '03ph8a2z1q4kx9v',
      annotatedLocation: 'Lincoln ES cart 3',
      notes: 'replaced keyboard 2026-09',
      macAddress: '3c:52:82:a1:b2:c3',
      osVersion: '129.0.6668.99',
      lastSyncAt: '2026-10-02T14:03:11.123Z',
      enrolledAt: '2025-08-14T16:20:05.000Z',
      aueDate: '2031-06-30', // autoUpdateThrough wins over the deprecated autoUpdateExpiration
      compliance: null,
      bootMode: 'normal',
      deleted: false,
    } satisfies DeviceRecord]);
  });

  it('reads the deprecated autoUpdateExpiration (epoch ms string), Dev boot mode, other statuses; missing fields are null', async () => {
    fake.devices = [
      { deviceId: 'd1', serialNumber: 'S1', status: 'DEPROVISIONED', bootMode: 'Dev', autoUpdateExpiration: '1780272000000' },
      { deviceId: 'd2', serialNumber: 'S2', status: 'PRE_PROVISIONED' },
      { deviceId: 'd3', serialNumber: 'S3', status: 'DISABLED', autoUpdateExpiration: '0', annotatedUser: 'cart 4' },
    ];
    const rs = records(await readAll());
    expect(rs.map((r) => [r.status, r.bootMode, r.aueDate, r.userEmail, r.model, r.lastSyncAt, r.recentUsers])).toEqual([
      ['deprovisioned', 'dev', '2026-06-01', null, null, null, []],
      ['pre_provisioned', null, null, null, null, null, []],
      ['disabled', null, null, null, null, null, []],
    ]);
  });

  it('keeps a device with an empty or placeholder serial as present-but-unreadable (reject with its deviceId)', async () => {
    fake.devices = [device(1), device(2, { serialNumber: '' }), device(3, { serialNumber: '0000000' }), device(4, { serialNumber: undefined }), { serialNumber: 'NOID' }];
    const bs = await readAll();
    expect(records(bs).map((r) => r.externalId)).toEqual(['dev-0001']);
    const rejects = bs.flatMap((b) => b.rejects);
    expect(rejects.map((r) => [r.externalId, r.field])).toEqual([
      ['dev-0002', 'serial'], ['dev-0003', 'serial'], ['dev-0004', 'serial'], [undefined, 'externalId'],
    ]);
    expect(rejects[0]!.location).toBe('chromeosdevices page 1');
    // A bad optional field is a warning, the record stays.
    fake.devices = [device(5, { lastSync: 'yesterday', bootMode: 'Recovery' })];
    const ws = (await readAll()).flatMap((b) => b.warnings ?? []);
    expect(ws.map((w) => [w.externalId, w.field]).sort()).toEqual([['dev-0005', 'bootMode'], ['dev-0005', 'lastSyncAt']]);
    expect(records(await readAll()).map((r) => [r.externalId, r.lastSyncAt, r.bootMode])).toEqual([['dev-0005', null, null]]);
  });

  it('retries 403 userRateLimitExceeded, 403 quotaExceeded and 429 with backoff, then completes', async () => {
    fake.devices = Array.from({ length: 5 }, (_, i) => device(i));
    fake.listFailures = [
      () => googleError(403, 'userRateLimitExceeded', 'User Rate Limit Exceeded'),
      () => googleError(429, 'rateLimitExceeded', 'Too Many Requests'),
    ];
    fake.countFailures = [() => googleError(403, 'quotaExceeded', 'Quota exceeded')];
    const t0 = Date.now();
    const bs = await readAll({ maxResults: 2 });
    expect(records(bs)).toHaveLength(5);
    // 3 pages + 2 retried first-page attempts; 2 counts + 1 retried.
    expect(fake.listRequests).toHaveLength(5);
    expect(fake.countRequests).toHaveLength(3);
    // Backoff was obeyed (5 ms, then 10 ms for the second failure of the same call).
    expect(Date.now() - t0).toBeGreaterThanOrEqual(15);
  });

  it('honours Retry-After on 429', async () => {
    fake.devices = [device(1)];
    fake.listFailures = [() => new HttpResponse(null, { status: 429, headers: { 'retry-after': '1' } })];
    const t0 = Date.now();
    await readAll();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(950);
    expect(fake.listRequests).toHaveLength(2);
  });

  it('has one retry layer: gaxios does not retry underneath (a 503 with maxAttempts 1 is one request)', async () => {
    const once = createGoogleAdmin({ ...DEFAULT_TUNING, maxAttempts: 1, backoffBaseMs: 1, random: () => 1 });
    fake.devices = [device(1)];
    fake.listFailures = [() => new HttpResponse('unavailable', { status: 503 })];
    const it = once.read(ctxOf({}), { mode: 'full' })[Symbol.asyncIterator]();
    await expect(it.next()).rejects.toMatchObject({ code: 'http_attempts_exhausted', message: expect.stringContaining('HTTP 503') });
    expect(fake.listRequests).toHaveLength(1);
    // Nor on the token endpoint (its own retryConfig is stripped too).
    fake.tokenFailure = () => new HttpResponse('oops', { status: 500 });
    const r = await once.check(ctxOf({}));
    expect(r.ok).toBe(false);
    expect(fake.tokenClaims).toHaveLength(2); // one for the read above, one for the check: no retry
  });

  it('gives up after maxAttempts of throttling with a clear message', async () => {
    fake.devices = [device(1)];
    fake.countFailures = Array.from({ length: 6 }, () => () => googleError(403, 'userRateLimitExceeded', 'User Rate Limit Exceeded'));
    const { error } = await readUntilThrow();
    expect(error).toMatchObject({ code: 'http_attempts_exhausted' });
    expect(String((error as Error).message)).toContain('userRateLimitExceeded');
    expect(fake.countRequests).toHaveLength(6);
  });

  it('fails a list that ends early: the count disagrees, IncompleteReadError after the batches', async () => {
    fake.devices = Array.from({ length: 6 }, (_, i) => device(i));
    fake.listLimit = 4; // the server drops the nextPageToken after page 2
    const { batches, error } = await readUntilThrow({ maxResults: 2 });
    expect(records(batches)).toHaveLength(4);
    expect(error).toMatchObject({ code: 'incomplete_read', context: { listed: 4, countBefore: 6, countAfter: 6 } });
    expect((error as Error).message).toContain('listed 4 devices but countChromeOsDevices says 6');
  });

  it('accepts a count that moves by the devices enrolled during the read', async () => {
    fake.devices = Array.from({ length: 3 }, (_, i) => device(i));
    let n = 0;
    fake.count = () => (n++ === 0 ? 3 : 4); // one enrolled after the list: 3 before, 4 after
    expect(records(await readAll())).toHaveLength(3);
  });

  it('refreshes the token when it expires mid-read', async () => {
    fake.devices = Array.from({ length: 6 }, (_, i) => device(i));
    // The first token is already inside the client's 5-minute refresh window when it arrives.
    fake.tokenTtl = [60];
    const bs = await readAll({ maxResults: 2 });
    expect(records(bs)).toHaveLength(6);
    expect(fake.tokensIssued).toBe(2);
    expect(fake.listAuth).toEqual(['Bearer ya29.fake-token-2', 'Bearer ya29.fake-token-2', 'Bearer ya29.fake-token-2']);
  });

  it('fetches a new token when the API refuses the cached one (401) mid-read', async () => {
    fake.devices = Array.from({ length: 4 }, (_, i) => device(i));
    let pages = 0;
    server.use(http.get(BASE, ({ request }) => {
      pages++;
      if (pages === 2) {
        fake.listAuth.push(request.headers.get('authorization') ?? '');
        return HttpResponse.json({ error: { code: 401, message: 'Invalid Credentials', errors: [{ reason: 'authError' }] } }, { status: 401 });
      }
      return undefined;
    }));
    const bs = await readAll({ maxResults: 2 });
    expect(records(bs)).toHaveLength(4);
    expect(fake.tokensIssued).toBe(2);
    // page 1, page 2 refused with the old token, page 2 again with a new one.
    expect(fake.listAuth).toEqual(['Bearer ya29.fake-token-1', 'Bearer ya29.fake-token-1', 'Bearer ya29.fake-token-2']);
  });

  it('keeps key material, tokens, the subject and device emails out of debug logs and errors', async () => {
    fake.devices = [JSON.parse(await readFile(join(here, 'fixtures/device-full.json'), 'utf8')), device(1), device(2)];
    fake.tokenTtl = [60];
    fake.listFailures = [() => googleError(403, 'userRateLimitExceeded', 'User Rate Limit Exceeded')];
    fake.count = () => 4; // mismatch, so the error path is logged too
    const lines: string[] = [];
    const batches: Batch[] = [];
    let error: unknown;
    try {
      for await (const b of connector.read(ctxOf({ maxResults: 1 }, lines), { mode: 'full' })) batches.push(b);
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: 'incomplete_read' });
    const text = lines.join('') + JSON.stringify({ m: (error as Error).message, c: (error as { context?: unknown }).context });
    expect(lines.some((l) => l.includes('"level":20'))).toBe(true); // debug lines were written
    expect(text).toContain('userRateLimitExceeded');
    const keyBody = pem.split('\n')[5]!;
    for (const secret of ['PRIVATE KEY', keyBody, SA_EMAIL, SUBJECT, 'ya29.', '@district.example.org', 'Student.One', 'student1']) {
      expect(text).not.toContain(secret);
    }
  });
});

describe('google-admin check', () => {
  it('reports "authenticated, N devices visible"', async () => {
    fake.devices = Array.from({ length: 12 }, (_, i) => device(i));
    const r = await connector.check(ctxOf({ orgUnitPath: '/Students' }));
    expect(r).toMatchObject({ ok: true, message: 'authenticated, 12 devices visible' });
  });

  it('names a bad key file without showing it', async () => {
    const r = await connector.check(ctxOf({ serviceAccountKey: JSON.stringify({ type: 'service_account', client_email: SA_EMAIL, private_key: 'nope' }) }));
    expect(r.ok).toBe(false);
    expect(r.message).toBe('the service-account key file is not a service-account key (bad or missing: private_key)');
    expect((await connector.check(ctxOf({ serviceAccountKey: '{not json' }))).message).toBe('the service-account key file is not JSON');
    // A key Google does not know (deleted in the console).
    fake.tokenFailure = () => HttpResponse.json({ error: 'invalid_grant', error_description: 'Invalid JWT Signature.' }, { status: 400 });
    const g = await connector.check(ctxOf({}));
    expect(g).toMatchObject({ ok: false, details: { failure: 'invalid_grant' } });
    expect(fake.countRequests).toHaveLength(0);
  });

  it('says domain-wide delegation is missing (unauthorized_client)', async () => {
    fake.tokenFailure = () => HttpResponse.json({
      error: 'unauthorized_client',
      error_description: 'Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.',
    }, { status: 401 });
    const r = await connector.check(ctxOf({}));
    expect(r.ok).toBe(false);
    expect(r.message).toMatch(/^the token request was refused \(unauthorized_client\): domain-wide delegation is missing/);
    expect(r.details).toMatchObject({ failure: 'delegation_missing' });
    expect(JSON.stringify(r)).not.toContain(SUBJECT);
  });

  it('says the subject is not an admin (403 notAuthorized)', async () => {
    fake.countFailures = [() => googleError(403, 'notAuthorized', 'Not Authorized to access this resource/api')];
    const r = await connector.check(ctxOf({}));
    expect(r.ok).toBe(false);
    expect(r.message).toContain('403 notAuthorized');
    expect(r.message).toContain('the subject is not an admin');
    expect(r.details).toMatchObject({ failure: 'not_authorized', status: 403 });
    expect(fake.countRequests).toHaveLength(1); // not retried
  });
});

describe('google-admin budget', () => {
  it('spreads queriesPerMinute as a per-second interval cap', () => {
    expect(budget(600)).toEqual({ intervalCap: 10, interval: 1000 });
    expect(budget(2400)).toEqual({ intervalCap: 40, interval: 1000 });
    expect(budget(30)).toEqual({ intervalCap: 1, interval: 2000 });
  });
});

describe('google-admin parallelOrgUnits', () => {
  const ous = [
    { orgUnitPath: '/Students', orgUnitId: 'id:stu', parentOrgUnitId: 'id:root' },
    { orgUnitPath: '/Students/Lincoln', orgUnitId: 'id:lin', parentOrgUnitId: 'id:stu' },
    { orgUnitPath: '/Students/Lincoln/G5', orgUnitId: 'id:g5', parentOrgUnitId: 'id:lin' },
    { orgUnitPath: '/Staff', orgUnitId: 'id:staff', parentOrgUnitId: 'id:root' },
  ];
  const fleet = () => [
    ...Array.from({ length: 3 }, (_, i) => device(i, { orgUnitPath: '/' })),
    ...Array.from({ length: 5 }, (_, i) => device(10 + i, { orgUnitPath: '/Students' })),
    ...Array.from({ length: 4 }, (_, i) => device(20 + i, { orgUnitPath: '/Students/Lincoln' })),
    ...Array.from({ length: 5 }, (_, i) => device(30 + i, { orgUnitPath: '/Students/Lincoln/G5' })),
    ...Array.from({ length: 3 }, (_, i) => device(40 + i, { orgUnitPath: '/Staff' })),
  ];
  const ids = (xs: unknown[]) => xs.map((d) => (d as { deviceId: string }).deviceId).sort();

  it('lists the org units and reads each on its own, at most N at once, every device once', async () => {
    fake.devices = fleet();
    fake.orgUnits = ous;
    fake.pageDelayMs = 40;
    const bs = await readAll({ parallelOrgUnits: 3, maxResults: 2 });
    expect(records(bs).map((r) => r.externalId).sort()).toEqual(ids(fake.devices));
    expect(bs.flatMap((b) => b.rejects)).toEqual([]);
    expect(fake.orgUnitRequests).toHaveLength(1);
    expect(fake.orgUnitRequests[0]!.searchParams.get('type')).toBe('all');
    // The root by its id (the parent of the top org units), every unit without its children.
    const read = new Set(fake.listRequests.map((u) => u.searchParams.get('orgUnitPath')));
    expect(read).toEqual(new Set(['id:root', 'Students', 'Students/Lincoln', 'Students/Lincoln/G5', 'Staff']));
    expect(fake.listRequests.every((u) => u.searchParams.get('includeChildOrgunits') === 'false')).toBe(true);
    expect(fake.maxInFlight).toBeGreaterThan(1);
    expect(fake.maxInFlight).toBeLessThanOrEqual(3);
    // Each unit's own count before and after, and the whole scope's before and after.
    expect(fake.countRequests).toHaveLength(5 * 2 + 2);
    expect(String(fake.tokenClaims[0]!.scope).split(' ')).toEqual([SCOPE, ORGUNIT_SCOPE]);
  });

  it('keeps to the configured org unit and its children', async () => {
    fake.devices = fleet();
    fake.orgUnits = ous.filter((u) => u.orgUnitPath.startsWith('/Students/')); // what Google answers for Students
    const rs = records(await readAll({ parallelOrgUnits: 2, orgUnitPath: '/Students' }));
    expect(rs.map((r) => r.externalId).sort()).toEqual(ids(fake.devices.filter((d) => (d as { orgUnitPath: string }).orgUnitPath.startsWith('/Students'))));
    expect(fake.orgUnitRequests[0]!.searchParams.get('orgUnitPath')).toBe('Students');
    expect(new Set(fake.listRequests.map((u) => u.searchParams.get('orgUnitPath')))).toEqual(new Set(['Students', 'Students/Lincoln', 'Students/Lincoln/G5']));
  });

  it('fails when one org unit list ends early, naming the org unit', async () => {
    fake.devices = fleet();
    fake.orgUnits = ous;
    server.use(http.get(BASE, ({ request }) => {
      const url = new URL(request.url);
      if (url.searchParams.get('orgUnitPath') !== 'Staff') return undefined;
      fake.listRequests.push(url);
      // One device and no nextPageToken, while Staff holds three.
      return HttpResponse.json({ kind: 'directory#chromeosdevices', chromeosdevices: [device(40, { orgUnitPath: '/Staff' })] });
    }));
    const { error } = await readUntilThrow({ parallelOrgUnits: 2, maxResults: 2 });
    expect(error).toMatchObject({ code: 'incomplete_read', context: { orgUnit: '/Staff', listed: 1, countBefore: 3, countAfter: 3 } });
  });
});

describe('google-admin token endpoint', () => {
  it('retries a token endpoint outage (503) in the same layer, then reads', async () => {
    fake.devices = [device(1)];
    let failures = 1;
    server.use(http.post(TOKEN_URL, () => (failures-- > 0 ? new HttpResponse('unavailable', { status: 503 }) : undefined)));
    expect(records(await readAll())).toHaveLength(1);
    expect(fake.tokensIssued).toBe(1);
  });

  it('check with parallelOrgUnits also lists org units (their scope must be delegated)', async () => {
    fake.devices = [device(1)];
    const r = await connector.check(ctxOf({ parallelOrgUnits: 2 }));
    expect(r).toMatchObject({ ok: true, message: 'authenticated, 1 devices visible' });
    expect(fake.orgUnitRequests).toHaveLength(1);
    expect(String(fake.tokenClaims[0]!.scope).split(' ')).toContain(ORGUNIT_SCOPE);
  });
});
