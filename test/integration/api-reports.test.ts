/** /api/v1 reports, quarantine and search. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiApp, apiConfig, call, seedLedger, type App } from '../helpers/api.js';
import { engines, freshDatabase, type TestDb } from '../helpers/db.js';

describe.each(engines)('API reports, quarantine and search on %s', (engine) => {
  let t: TestDb;
  let app: App;
  let ids: Awaited<ReturnType<typeof seedLedger>>;
  beforeAll(async () => {
    t = await freshDatabase(engine);
    ids = await seedLedger(t.db);
    app = apiApp(t.db, apiConfig('reconcile: { asOf: "2026-11-24" }'));
  });
  afterAll(async () => t?.drop());

  it('reports/reconciliation as JSON, filtered by severity and text', async () => {
    expect((await call(app, null, '/api/v1/reports/reconciliation')).status).toBe(401);
    const res = await call(app, 'read', '/api/v1/reports/reconciliation');
    expect(res.status).toBe(200);
    const r = await res.json();
    expect(r.district).toBe('Test');
    expect(r.discrepancies.map((d: { id: number }) => d.id)).toEqual([ids.discrepancyId]);
    expect(r.discrepancies[0]).toMatchObject({ serial: '5CD1234XYZ', person: { name: 'Ana Álvarez', sisId: '1001' } });
    expect((await (await call(app, 'read', '/api/v1/reports/reconciliation?severity=high')).json()).discrepancies).toEqual([]);
    expect((await (await call(app, 'read', '/api/v1/reports/reconciliation?q=%C3%A1lvarez')).json()).discrepancies).toHaveLength(1);
    const bad = await call(app, 'read', '/api/v1/reports/reconciliation?rule=no-such-rule');
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.message).toMatch(/unknown rule "no-such-rule"/);
    const badFormat = await call(app, 'read', '/api/v1/reports/reconciliation?format=xlsx');
    expect(badFormat.status).toBe(400);
    expect((await badFormat.json()).error.message).toMatch(/query\.format/);
  });

  it('?format=csv is UTF-8 with a byte order mark, accented names intact', async () => {
    const res = await call(app, 'read', '/api/v1/reports/reconciliation?format=csv');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="rollcall-reconciliation-\d{4}-\d{2}-\d{2}\.csv"$/);
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes);
    const lines = text.slice(1).trimEnd().split('\n');
    expect(lines[0]).toBe('id,severity,rule,serial,asset_tag,person,sis_id,mdm_user,school,since,occurrence,note,remediation');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain('Ana Álvarez');
  });

  it('quarantine: latest run per source, filter by run and source; raw only for admin', async () => {
    const q = await (await call(app, 'read', '/api/v1/quarantine?source=google')).json();
    expect(q.total).toBe(1);
    expect(q.rows[0]).toMatchObject({ runId: ids.runId, stream: 'devices', reason: 'no serial number', field: 'serialNumber', location: 'page 1' });
    expect(q.rows[0].raw).toBeUndefined();
    expect((await (await call(app, 'read', `/api/v1/quarantine?run=${ids.runId}&outcome=warning`)).json()).total).toBe(0);
    const wrongRun = await call(app, 'read', '/api/v1/quarantine?run=999999');
    expect(wrongRun.status).toBe(400);
    expect((await call(app, 'read', '/api/v1/quarantine?raw=true')).status).toBe(403);
    const raw = await (await call(app, 'admin', '/api/v1/quarantine?raw=true')).json();
    expect(raw.rows[0]).toHaveProperty('raw');
    expect((await call(app, 'read', '/api/v1/quarantine?run=abc')).status).toBe(400);
  });

  it('search across serial, asset tag, name and email', async () => {
    const bySerial = await (await call(app, 'read', '/api/v1/search?q=5cd%205555')).json();
    expect(bySerial.devices.map((d: { serial: string }) => d.serial)).toEqual(['5CD5555AAA']);
    const byName = await (await call(app, 'read', '/api/v1/search?q=Brown')).json();
    expect(byName.people.map((p: { id: number }) => p.id)).toEqual([ids.ben]);
    expect(byName.devices.map((d: { serial: string }) => d.serial)).toEqual(['5CD5555AAA']);
    const byTag = await (await call(app, 'read', '/api/v1/search?q=MW-0003')).json();
    expect(byTag.devices.map((d: { serial: string }) => d.serial)).toEqual(['C02XW0AAJG5J']);
    const byEmail = await (await call(app, 'read', '/api/v1/search?q=cy@maplewood.example.org')).json();
    expect(byEmail.people.map((p: { id: number }) => p.id)).toEqual([ids.cy]);
    const short = await call(app, 'read', '/api/v1/search?q=a');
    expect(short.status).toBe(400);
    expect((await short.json()).error.message).toMatch(/query\.q/);
  });
});
