/** /api/v1 read routes: auth, devices, people, time travel, paging under concurrent inserts. */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiApp, apiConfig, call, seedLedger, type App, type JsonResponse } from '../helpers/api.js';
import { engines, freshDatabase, type TestDb } from '../helpers/db.js';

describe.each(engines)('API reads on %s', (engine) => {
  let t: TestDb;
  let app: App;
  let ids: Awaited<ReturnType<typeof seedLedger>>;
  beforeAll(async () => {
    t = await freshDatabase(engine);
    ids = await seedLedger(t.db);
    app = apiApp(t.db);
  });
  afterAll(async () => t?.drop());

  describe('auth', () => {
    it('401 without a token or with an unknown one, in the one error shape', async () => {
      const none = await call(app, null, '/api/v1/devices');
      expect(none.status).toBe(401);
      expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
      const body = await none.json();
      expect(body.error.code).toBe('unauthorized');
      expect(body.error.requestId).toBe(none.headers.get('x-request-id'));
      const wrong = (await app.request('/api/v1/devices', { headers: { authorization: 'Bearer not-a-configured-token' } })) as JsonResponse;
      expect(wrong.status).toBe(401);
      expect((await wrong.json()).error.message).toBe('unknown API token');
      const unknownRoute = await call(app, null, '/api/v1/nothing');
      expect(unknownRoute.status).toBe(404);
      expect((await unknownRoute.json()).error.code).toBe('not_found');
    });

    it('503 saying how to add a token when none is configured outside the demo; probes still serve', async () => {
      const bare = apiApp(t.db, { ...apiConfig(), api: { ...apiConfig().api, tokens: [] } });
      const res = await call(bare, 'read', '/api/v1/devices');
      expect(res.status).toBe(503);
      const body = await res.json();
      expect(body.error.code).toBe('api_not_configured');
      expect(body.error.message).toMatch(/api\.tokens/);
      expect((await bare.request('/healthz')).status).toBe(200);
      expect((await bare.request('/metrics')).status).toBe(200);
      expect((await bare.request('/openapi.json')).status).toBe(200);
    });

    it('the demo with no configured token still asks for one (the printed demo token)', async () => {
      const demo = apiApp(t.db, { ...apiConfig(), api: { ...apiConfig().api, tokens: [] }, demo: true });
      expect((await call(demo, 'read', '/api/v1/devices')).status).toBe(401);
    });
  });

  describe('devices', () => {
    it('lists with holder and sources; filters by platform, status, school, grade, source, q', async () => {
      const res = await call(app, 'read', '/api/v1/devices');
      expect(res.status).toBe(200);
      const body = await res.json();
      expect(body.nextCursor).toBeNull();
      expect(body.data.map((d: { serial: string }) => d.serial)).toEqual(['5CD1234XYZ', '5CD5555AAA', 'C02XW0AAJG5J', 'PF3OLD0001']);
      expect(body.data[0]).toMatchObject({ assetTag: 'MW-0001', sources: ['google'], holder: { personId: ids.ana, name: 'Ana Álvarez' } });
      const serials = async (qs: string) => ((await (await call(app, 'read', `/api/v1/devices?${qs}`)).json()).data as { serial: string }[]).map((d) => d.serial);
      expect(await serials('platform=macos')).toEqual(['C02XW0AAJG5J']);
      expect(await serials('status=inactive')).toEqual(['PF3OLD0001']);
      expect(await serials('school=North%20High')).toEqual(['5CD1234XYZ']);
      expect(await serials('school=SMS')).toEqual(['5CD5555AAA']);
      // A school filter is answered from the school's people; the other filters still apply to what they hold.
      expect(await serials('school=North%20High&platform=chromeos&status=active')).toEqual(['5CD1234XYZ']);
      expect(await serials('school=North%20High&platform=windows')).toEqual([]);
      expect(await serials('school=SMS&grade=07&q=brown')).toEqual(['5CD5555AAA']);
      expect(await serials('school=SMS&grade=09')).toEqual([]);
      expect(await serials('school=SMS&source=google&sort=-lastSeenAt')).toEqual(['5CD5555AAA']);
      expect(await serials('school=Nowhere%20Elementary')).toEqual([]);
      expect(await serials('grade=07')).toEqual(['5CD5555AAA']);
      expect(await serials('source=google')).toEqual(['5CD1234XYZ', '5CD5555AAA']);
      expect(await serials('q=5cd%201234')).toEqual(['5CD1234XYZ']);
      expect(await serials('q=mw-0003')).toEqual(['C02XW0AAJG5J']);
      expect(await serials('q=brown')).toEqual(['5CD5555AAA']);
      expect(await serials('q=ana@maplewood')).toEqual(['5CD1234XYZ']);
      expect(await serials('sort=-lastSeenAt&limit=2')).toEqual(['C02XW0AAJG5J', '5CD5555AAA']);
    });

    it('validation errors name the field', async () => {
      const res = await call(app, 'read', '/api/v1/devices?limit=9999&platform=toaster');
      expect(res.status).toBe(400);
      const body = await res.json();
      expect(body.error.code).toBe('validation_failed');
      expect(body.error.message).toMatch(/query\.limit/);
      expect(body.error.message).toMatch(/query\.platform/);
      const bad = await call(app, 'read', '/api/v1/devices?cursor=garbage');
      expect(bad.status).toBe(400);
      expect((await bare(bad)).error.message).toMatch(/^cursor:/);
    });

    it('GET devices/{serial} in any case and spacing, with observations, assignments and history', async () => {
      const res = await call(app, 'read', `/api/v1/devices/${encodeURIComponent(' 5cd 5555 aaa ')}`);
      expect(res.status).toBe(200);
      const d = await res.json();
      expect(d.serial).toBe('5CD5555AAA');
      expect(d.observations).toHaveLength(1);
      expect(d.observations[0]).toMatchObject({ sourceId: 'google', externalId: 'g-2', aueDate: '2028-06-01' });
      expect(d.assignments.map((a: { personId: number }) => a.personId)).toEqual([ids.ben, ids.cy]);
      expect(d.holder.personId).toBe(ids.ben);
      expect(d.history.filter((e: { entity: string }) => e.entity === 'assignment')).toHaveLength(2);
      const missing = await call(app, 'read', '/api/v1/devices/NOPE');
      expect(missing.status).toBe(404);
      expect((await missing.json()).error.code).toBe('not_found');
    });

    it('time travel: the holder at a moment from assignment history', async () => {
      const at = async (when: string) => (await (await call(app, 'read', `/api/v1/devices/5cd5555aaa/holder?at=${when}`)).json()).holder?.personId ?? null;
      expect(await at('2026-02-01')).toBe(ids.cy);
      expect(await at('2026-03-01')).toBe(ids.ben); // ended_at is exclusive: on the day of the swap, Ben holds it
      expect(await at('2026-02-28T23:59:59Z')).toBe(ids.cy);
      expect(await at('2025-12-31')).toBeNull();
      const bad = await call(app, 'read', '/api/v1/devices/5cd5555aaa/holder?at=yesterday');
      expect(bad.status).toBe(400);
      expect((await bad.json()).error.message).toMatch(/query\.at/);
    });
  });

  describe('people', () => {
    it('lists with filters, shows one person with devices now and before, and time travels', async () => {
      const list = await (await call(app, 'read', '/api/v1/people?role=student&status=active')).json();
      // Family name order, accent-blind on both engines: Álvarez files under A, before Brown.
      expect(list.data.map((p: { name: string }) => p.name)).toEqual(['Ana Álvarez', 'Ben Brown']);
      const byName = await (await call(app, 'read', '/api/v1/people?role=student&status=active&sort=-name')).json();
      expect(byName.data.map((p: { name: string }) => p.name)).toEqual(['Ben Brown', 'Ana Álvarez']);
      expect(list.data.find((p: { id: number }) => p.id === ids.ben)).toMatchObject({ school: 'South Middle', grades: ['07'], devicesHeld: 1 });
      const q = await (await call(app, 'read', '/api/v1/people?q=1003')).json();
      expect(q.data.map((p: { id: number }) => p.id)).toEqual([ids.cy]);
      const cy = await (await call(app, 'read', `/api/v1/people/${ids.cy}`)).json();
      expect(cy.devicesNow).toEqual([]);
      expect(cy.devicesBefore.map((d: { serial: string }) => d.serial)).toEqual(['5CD5555AAA']);
      expect(cy.history).toHaveLength(1);
      const then = await (await call(app, 'read', `/api/v1/people/${ids.cy}/devices?at=2026-02-01`)).json();
      expect(then.devices.map((d: { serial: string }) => d.serial)).toEqual(['5CD5555AAA']);
      const now = await (await call(app, 'read', `/api/v1/people/${ids.cy}/devices?at=2026-06-01`)).json();
      expect(now.devices).toEqual([]);
      expect((await call(app, 'read', '/api/v1/people/999999')).status).toBe(404);
      const bad = await call(app, 'read', '/api/v1/people/abc');
      expect(bad.status).toBe(400);
      expect((await bad.json()).error.message).toMatch(/path\.id/);
    });
  });

  it('paging returns every row exactly once while rows are inserted between pages', async () => {
    const fresh = await freshDatabase(engine);
    try {
      const ex = (q: ReturnType<typeof sql>) => fresh.db.orm.execute(q);
      await ex(sql`insert into devices (serial, platform, last_seen_at)
        select 'S' || lpad(i::text, 4, '0'), 'chromeos', '2026-01-01'::timestamptz + (i % 7) * interval '1 microsecond' from generate_series(1, 95) i`);
      const a = apiApp(fresh.db);
      for (const sort of ['serial', '-lastSeenAt']) {
        const seen: string[] = [];
        let cursor: string | null = null;
        let round = 0;
        do {
          const res = await call(a, 'read', `/api/v1/devices?limit=10&sort=${sort}${cursor ? `&cursor=${cursor}` : ''}`);
          expect(res.status).toBe(200);
          const body = (await res.json()) as { data: { serial: string }[]; nextCursor: string | null };
          seen.push(...body.data.map((d) => d.serial));
          cursor = body.nextCursor;
          // New rows land before, inside and after the part already read.
          round++;
          await ex(sql`insert into devices (serial, platform, last_seen_at) values
            (${`A${sort}${round}`.replace(/\W/g, 'X').toUpperCase()}, 'chromeos', '2026-01-01'::timestamptz),
            (${`S0050${sort}${round}`.replace(/\W/g, 'X').toUpperCase()}, 'chromeos', '2026-01-01'::timestamptz),
            (${`Z${sort}${round}`.replace(/\W/g, 'X').toUpperCase()}, 'chromeos', '2026-01-01'::timestamptz)`);
        } while (cursor);
        expect(new Set(seen).size, 'no row twice').toBe(seen.length);
        const original = seen.filter((s) => /^S\d{4}$/.test(s));
        expect(original.length, sort).toBe(95);
      }
      // A school-filtered list pages the same way (it is answered from the school's people).
      await ex(sql`insert into sources (id, kind) values ('sis', 'oneroster-csv') on conflict do nothing`);
      await ex(sql`insert into orgs (source_id, external_id, name, type, content_hash) values ('sis', 'o1', 'Oak School', 'school', 'h')`);
      await ex(sql`insert into people (source_id, external_id, role, status, school_external_id, school_id, content_hash)
        select 'sis', 'p' || i, 'student', 'active', 'o1', (select id from orgs where external_id = 'o1'), 'h' from generate_series(1, 95) i`);
      // Every other device is held by an Oak student; the rest by nobody.
      await ex(sql`insert into assignments (device_id, person_id, origin, started_at)
        select d.id, p.id, 'manual', now() from devices d join people p on p.external_id = 'p' || substr(d.serial, 2)::int
        where d.serial ~ '^S[0-9]{4}$' and substr(d.serial, 2)::int % 2 = 0`);
      const atOak: string[] = [];
      let c: string | null = null;
      do {
        const body = (await (await call(a, 'read', `/api/v1/devices?school=Oak%20School&limit=10${c ? `&cursor=${c}` : ''}`)).json()) as { data: { serial: string }[]; nextCursor: string | null };
        atOak.push(...body.data.map((d) => d.serial));
        c = body.nextCursor;
      } while (c);
      expect(atOak).toEqual(Array.from({ length: 47 }, (_, i) => `S${String(2 * (i + 1)).padStart(4, '0')}`));
      const other = await call(a, 'read', `/api/v1/devices?limit=10&sort=serial`);
      const next = (await other.json()).nextCursor as string;
      const mismatch = await call(a, 'read', `/api/v1/devices?limit=10&sort=-serial&cursor=${next}`);
      expect(mismatch.status).toBe(400);
      expect((await mismatch.json()).error.message).toMatch(/sort "serial"/);
    } finally {
      await fresh.drop();
    }
  });
});

const bare = (r: JsonResponse) => r.json() as Promise<{ error: { message: string } }>;
