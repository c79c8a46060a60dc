/**
 * oneroster-rest through the real runner and ledger (PGlite; PostgreSQL too when TEST_DATABASE_URL is set), the
 * SIS served by msw: a full read whose X-Total-Count disagrees fails the run and deactivates nothing; a delta
 * applies a `tobedeleted` and leaves everyone else; the cursor moves only with committed runs.
 */
import { sql } from 'drizzle-orm';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { rows } from '../../src/db/client.js';
import { runSync } from '../../src/sync/runner.js';
import { engines, freshDatabase, type TestDb } from '../helpers/db.js';
import { configWith, count, fingerprint, quietLog, source } from '../helpers/ledger.js';

const BASE = 'https://sis.example.test/ims/oneroster/rostering/v1p2';
const TOKEN_URL = 'https://sis.example.test/oauth/token';
const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

type Obj = Record<string, unknown>;
const user = (i: number, over: Obj = {}): Obj => ({
  sourcedId: `u${String(i).padStart(4, '0')}`, status: 'active', dateLastModified: '2026-10-01T00:00:00.000Z', enabledUser: 'true',
  givenName: `G${i}`, familyName: `F${i}`, email: `p${i}@maplewood.example.org`,
  roles: [{ roleType: 'primary', role: 'student', org: { sourcedId: 'sch-1', type: 'org' } }],
  ...over,
});
const ORGS = [{ sourcedId: 'sch-1', status: 'active', dateLastModified: '2026-10-01T00:00:00.000Z', name: 'Lincoln HS', type: 'school', identifier: '0600' }];

/** The SIS: `state.users` is served with limit/offset; `state.total` overrides X-Total-Count; filters recorded. */
function sis(state: { users: Obj[]; total?: number; filters: (string | null)[] }) {
  const list = (key: string, all: () => Obj[], total?: () => number | undefined) => ({ request }: { request: Request }) => {
    const url = new URL(request.url);
    if (request.headers.get('authorization') !== 'Bearer tkn') return HttpResponse.json({}, { status: 401 });
    if (key === 'users') state.filters.push(url.searchParams.get('filter'));
    const limit = Number(url.searchParams.get('limit'));
    const offset = Number(url.searchParams.get('offset'));
    const items = all();
    return HttpResponse.json({ [key]: items.slice(offset, offset + limit) }, { headers: { 'X-Total-Count': String(total?.() ?? items.length) } });
  };
  server.use(
    http.post(TOKEN_URL, () => HttpResponse.json({ access_token: 'tkn', token_type: 'Bearer', expires_in: 3600 })),
    http.get(`${BASE}/orgs`, list('orgs', () => ORGS)),
    http.get(`${BASE}/users`, list('users', () => state.users, () => state.total)),
    http.get(`${BASE}/enrollments`, list('enrollments', () => [])),
  );
}

describe.each(engines)('oneroster-rest through the ledger on %s', (engine) => {
  let t: TestDb;
  const config = configWith(`
  - id: sis
    kind: oneroster-rest
    version: "1.2"
    baseUrl: ${BASE}
    auth: { type: oauth2, tokenUrl: ${TOKEN_URL}, clientId: rollcall, clientSecret: s3cret, clientAuth: basic }
    pageSize: 25
    deletionThreshold: { percent: 50, absolute: 100 }
`);
  let clock = new Date('2026-11-24T12:00:00Z');
  const run = (mode: 'full' | 'delta') => runSync({ db: t.db, log: quietLog, domains: ['maplewood.example.org'], now: () => clock }, source(config, 'sis'), { mode });
  const active = () => count(t.db, 'people', 'deactivated_at is null');
  const cursor = async () => (await rows<{ cursor: unknown }>(t.db.orm, sql`select cursor from sources where id = 'sis'`))[0]?.cursor;
  const state = { users: [] as Obj[], total: undefined as number | undefined, filters: [] as (string | null)[] };

  beforeEach(async () => {
    t = await freshDatabase(engine);
    clock = new Date('2026-11-24T12:00:00Z');
    Object.assign(state, { users: Array.from({ length: 60 }, (_, i) => user(i)), total: undefined, filters: [] });
    sis(state);
    const first = await run('full');
    expect(first.status).toBe('succeeded');
    expect(await active()).toBe(60);
    expect(await cursor()).toEqual({ since: '2026-11-24T12:00:00.000Z' });
  });
  afterEach(async () => t?.drop());

  it('a full read whose X-Total-Count disagrees fails the run and deactivates nothing', async () => {
    const before = await fingerprint(t.db);
    state.users = state.users.slice(0, 40); // 20 users vanish from the pages...
    state.total = 60; // ...but the server still promises 60
    clock = new Date('2026-11-25T12:00:00Z');
    const r = await run('full');
    expect(r.status).toBe('failed');
    expect(r.errorCode).toBe('incomplete_read');
    expect(await active()).toBe(60);
    expect(await fingerprint(t.db)).toEqual(before);
    expect(await cursor()).toEqual({ since: '2026-11-24T12:00:00.000Z' });
  });

  it('a delta applies a tobedeleted and an update, and leaves the rest', async () => {
    state.users = [user(1, { status: 'tobedeleted' }), user(2, { givenName: 'Renamed' })];
    clock = new Date('2026-11-25T12:00:00Z');
    const r = await run('delta');
    expect(r.status).toBe('succeeded');
    expect(state.filters.at(-1)).toBe("dateLastModified>'2026-11-24T11:55:00.000Z'");
    expect(await active()).toBe(59);
    expect(await count(t.db, 'people', "external_id = 'u0001' and deactivated_at is not null")).toBe(1);
    expect(await count(t.db, 'people', "external_id = 'u0002' and given_name = 'Renamed' and deactivated_at is null")).toBe(1);
    expect(await cursor()).toEqual({ since: '2026-11-25T12:00:00.000Z' });
  });
});
