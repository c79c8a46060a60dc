/** Every /api/v1 route: 401 without a token, 403 with a token one scope too low, and the table covers them all. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiApp, call, seedLedger, type App } from '../helpers/api.js';
import { freshDatabase, type TestDb } from '../helpers/db.js';

type Need = 'read' | 'write' | 'admin';
const below: Record<Need, 'read' | 'write' | null> = { read: null, write: 'read', admin: 'write' };

/** [method, OpenAPI path, a concrete path, scope needed, a body]. */
const ROUTES: [string, string, string, Need, unknown?][] = [
  ['get', '/api/v1/devices', '/api/v1/devices', 'read'],
  ['get', '/api/v1/devices/{serial}', '/api/v1/devices/5CD1234XYZ', 'read'],
  ['get', '/api/v1/devices/{serial}/holder', '/api/v1/devices/5CD1234XYZ/holder?at=2026-03-01', 'read'],
  ['get', '/api/v1/people', '/api/v1/people', 'read'],
  ['get', '/api/v1/people/{id}', '/api/v1/people/1', 'read'],
  ['get', '/api/v1/people/{id}/devices', '/api/v1/people/1/devices?at=2026-03-01', 'read'],
  ['get', '/api/v1/assignments', '/api/v1/assignments', 'read'],
  ['post', '/api/v1/assignments', '/api/v1/assignments', 'write', { serial: 'C02XW0AAJG5J', personId: 1 }],
  ['post', '/api/v1/assignments/{id}/end', '/api/v1/assignments/1/end', 'write', { reason: 'returned' }],
  ['get', '/api/v1/discrepancies', '/api/v1/discrepancies', 'read'],
  ['post', '/api/v1/discrepancies/{id}/suppress', '/api/v1/discrepancies/1/suppress', 'write', { note: 'x' }],
  ['post', '/api/v1/discrepancies/{id}/unsuppress', '/api/v1/discrepancies/1/unsuppress', 'write', { note: 'x' }],
  ['get', '/api/v1/runs', '/api/v1/runs', 'read'],
  ['get', '/api/v1/runs/{id}', '/api/v1/runs/1', 'read'],
  ['post', '/api/v1/runs/{id}/approve', '/api/v1/runs/1/approve', 'admin'],
  ['post', '/api/v1/sources/{id}/sync', '/api/v1/sources/sis/sync', 'write', {}],
  ['get', '/api/v1/reports/reconciliation', '/api/v1/reports/reconciliation', 'read'],
  ['get', '/api/v1/quarantine', '/api/v1/quarantine', 'read'],
  ['get', '/api/v1/search', '/api/v1/search?q=ana', 'read'],
  ['get', '/api/v1/deliveries', '/api/v1/deliveries', 'read'],
  ['post', '/api/v1/deliveries/{id}/replay', '/api/v1/deliveries/1/replay', 'write'],
];

/** The help desks' own webhook: authenticated by the desk's secret or signature, not a token (api-inbound.test.ts). */
const NOT_BEARER = new Set(['/api/v1/inbound/{helpdeskId}']);

describe('scopes on every /api/v1 route', () => {
  let t: TestDb;
  let app: App;
  beforeAll(async () => {
    t = await freshDatabase('pglite');
    await seedLedger(t.db);
    app = apiApp(t.db);
  });
  afterAll(async () => t?.drop());

  it('the table lists every documented /api/v1 route', async () => {
    const doc = await (await call(app, null, '/openapi.json')).json();
    const documented = Object.entries(doc.paths as Record<string, object>)
      .filter(([p]) => p.startsWith('/api/v1/') && !NOT_BEARER.has(p))
      .flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m} ${p}`)).sort();
    expect(ROUTES.map(([m, p]) => `${m} ${p}`).sort()).toEqual(documented);
  });

  it.each(ROUTES)('%s %s: 401 without a token, 403 one scope below', async (method, _p, path, need, body) => {
    const none = await call(app, null, path, { method: method.toUpperCase(), body });
    expect(none.status).toBe(401);
    expect((await none.json()).error.code).toBe('unauthorized');
    const lower = below[need];
    if (lower) {
      const res = await call(app, lower, path, { method: method.toUpperCase(), body });
      expect(res.status).toBe(403);
      expect((await res.json()).error.code).toBe('forbidden');
    } else {
      expect((await call(app, 'read', path, { method: method.toUpperCase(), body })).status).toBe(200);
    }
  });
});
