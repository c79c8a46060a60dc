/** /api/v1 writes: check-out/in, suppress/unsuppress, runs and approval, sync; scopes, validation, audit_log. */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../../src/db/client.js';
import { endAssignmentFromHelpdesk } from '../../src/ledger/manual-assignments.js';
import { apiApp, apiConfig, call, seedLedger, type App } from '../helpers/api.js';
import { engines, freshDatabase, type TestDb } from '../helpers/db.js';
import { memorySource, people, student } from '../helpers/memory-source.js';

describe.each(engines)('API writes on %s', (engine) => {
  let t: TestDb;
  let app: App;
  let ids: Awaited<ReturnType<typeof seedLedger>>;
  const mem = memorySource('mem', { streams: ['people'] });
  const audit = async (action: string) => rows<{ actor: string; target: string; details: Record<string, unknown> }>(t.db.orm,
    sql`select actor, target, details from audit_log where action = ${action} order by id`);
  const outbox = async (type: string) => rows<{ payload: Record<string, unknown> }>(t.db.orm, sql`select payload from outbox where type = ${type} order by id`);

  beforeAll(async () => {
    t = await freshDatabase(engine);
    ids = await seedLedger(t.db);
    const config = apiConfig();
    config.sources.push(mem);
    app = apiApp(t.db, config);
  });
  afterAll(async () => t?.drop());

  describe('assignments', () => {
    let assignmentId: number;
    it('check-out: 401, 403 for read, 400 naming the field, 404, 201, 409 when held', async () => {
      const body = { serial: 'c02xw0aa jg5j', personId: ids.ana, reason: 'second device for art class' };
      expect((await call(app, null, '/api/v1/assignments', { method: 'POST', body })).status).toBe(401);
      const ro = await call(app, 'read', '/api/v1/assignments', { method: 'POST', body });
      expect(ro.status).toBe(403);
      expect((await ro.json()).error.code).toBe('forbidden');
      const bad = await call(app, 'write', '/api/v1/assignments', { method: 'POST', body: { serial: 'X' } });
      expect(bad.status).toBe(400);
      expect((await bad.json()).error.message).toMatch(/body\.personId/);
      expect((await call(app, 'write', '/api/v1/assignments', { method: 'POST', body: { ...body, serial: 'NOPE' } })).status).toBe(404);
      const inactive = await call(app, 'write', '/api/v1/assignments', { method: 'POST', body: { ...body, personId: ids.cy } });
      expect(inactive.status).toBe(400);
      expect((await inactive.json()).error.message).toMatch(/^personId:/);
      const ok = await call(app, 'write', '/api/v1/assignments', { method: 'POST', body });
      expect(ok.status).toBe(201);
      const a = await ok.json();
      expect(a).toMatchObject({ serial: 'C02XW0AAJG5J', personId: ids.ana, origin: 'manual', endedAt: null });
      assignmentId = a.id;
      const again = await call(app, 'write', '/api/v1/assignments', { method: 'POST', body });
      expect(again.status).toBe(409);
      expect((await again.json()).error.code).toBe('device_assigned');
      expect(await audit('assignment.checkout')).toEqual([
        { actor: 'write-bot', target: `assignment:${a.id}`, details: { serial: 'C02XW0AAJG5J', personId: ids.ana, reason: 'second device for art class' } },
      ]);
      expect((await outbox('assignment.started')).map((o) => o.payload)).toEqual([
        { assignmentId: a.id, deviceId: a.deviceId, personId: ids.ana, sourceId: null, runId: null },
      ]);
      const [ev] = await rows<{ actor: string; action: string }>(t.db.orm, sql`select actor, action from events where entity = 'assignment' and entity_id = ${a.id}`);
      expect(ev).toEqual({ actor: 'write-bot', action: 'start' });
    });

    it('lists assignments with filters', async () => {
      const open = await (await call(app, 'read', '/api/v1/assignments?status=open&origin=manual')).json();
      expect(open.data.map((x: { id: number }) => x.id)).toEqual([assignmentId]);
      const byPerson = await (await call(app, 'read', `/api/v1/assignments?personId=${ids.cy}`)).json();
      expect(byPerson.data).toHaveLength(1);
      expect(byPerson.data[0]).toMatchObject({ serial: '5CD5555AAA', endedReason: 'mdm-user-changed' });
      const bad = await call(app, 'read', '/api/v1/assignments?status=maybe');
      expect(bad.status).toBe(400);
      expect((await bad.json()).error.message).toMatch(/query\.status/);
    });

    it('check-in: 403 for read, 400 naming the reason, 200, then 409', async () => {
      const path = `/api/v1/assignments/${assignmentId}/end`;
      expect((await call(app, 'read', path, { method: 'POST', body: { reason: 'returned' } })).status).toBe(403);
      const bad = await call(app, 'write', path, { method: 'POST', body: { reason: 'stolen-by-aliens' } });
      expect(bad.status).toBe(400);
      expect((await bad.json()).error.message).toMatch(/body\.reason/);
      const ok = await call(app, 'write', path, { method: 'POST', body: { reason: 'damaged', note: 'cracked hinge' } });
      expect(ok.status).toBe(200);
      expect(await ok.json()).toMatchObject({ id: assignmentId, endedReason: 'damaged' });
      expect((await call(app, 'write', path, { method: 'POST', body: { reason: 'returned' } })).status).toBe(409);
      expect((await call(app, 'write', '/api/v1/assignments/999999/end', { method: 'POST', body: { reason: 'returned' } })).status).toBe(404);
      expect((await audit('assignment.checkin'))[0]).toMatchObject({ actor: 'write-bot', details: { reason: 'damaged', note: 'cracked hinge' } });
      expect((await outbox('assignment.ended')).at(-1)!.payload).toMatchObject({ assignmentId, reason: 'damaged', runId: null });
    });

    it('a help desk return ends the open assignment with reason returned, the help desk as actor', async () => {
      const rec = await endAssignmentFromHelpdesk(t.db, { helpdeskId: 'incidentiq', serial: '5cd 5555 aaa', ticket: 'T-88' });
      expect(rec).toMatchObject({ serial: '5CD5555AAA', personId: ids.ben, endedReason: 'returned' });
      expect((await audit('assignment.helpdesk-return'))[0]).toMatchObject({ actor: 'helpdesk:incidentiq', details: { note: 'ticket T-88' } });
      await expect(endAssignmentFromHelpdesk(t.db, { helpdeskId: 'incidentiq', serial: '5CD5555AAA' })).rejects.toThrow(/no open assignment/);
    });
  });

  describe('discrepancies', () => {
    it('lists, suppresses with a note and until, unsuppresses; scopes and validation', async () => {
      const list = await (await call(app, 'read', '/api/v1/discrepancies?rule=device-silent&severity=medium')).json();
      expect(list.data.map((d: { id: number }) => d.id)).toEqual([ids.discrepancyId]);
      expect(list.data[0]).toMatchObject({ device: { serial: '5CD1234XYZ' }, person: { id: ids.ana } });
      expect((await (await call(app, 'read', '/api/v1/discrepancies?school=SMS')).json()).data).toEqual([]);
      const byText = await call(app, 'read', '/api/v1/discrepancies?q=ana');
      expect(byText.status, JSON.stringify(await byText.clone().json())).toBe(200);
      expect((await byText.json()).data).toHaveLength(1);
      const path = `/api/v1/discrepancies/${ids.discrepancyId}`;
      expect((await call(app, 'read', `${path}/suppress`, { method: 'POST', body: { note: 'x' } })).status).toBe(403);
      const bad = await call(app, 'write', `${path}/suppress`, { method: 'POST', body: { until: 'soon' } });
      expect(bad.status).toBe(400);
      const msg = (await bad.json()).error.message;
      expect(msg).toMatch(/body\.note/);
      expect(msg).toMatch(/body\.until/);
      const ok = await call(app, 'write', `${path}/suppress`, { method: 'POST', body: { note: 'out for repair', until: '2099-01-01' } });
      expect(ok.status).toBe(200);
      expect(await ok.json()).toMatchObject({ status: 'suppressed', suppressedUntil: '2099-01-01T00:00:00.000Z' });
      expect((await (await call(app, 'read', '/api/v1/discrepancies?status=suppressed')).json()).data).toHaveLength(1);
      expect((await audit('discrepancy.suppress'))[0]!.actor).toBe('write-bot');
      const un = await call(app, 'write', `${path}/unsuppress`, { method: 'POST', body: { note: 'back from repair' } });
      expect(un.status).toBe(200);
      expect(await un.json()).toMatchObject({ status: 'open' });
      expect((await call(app, 'write', `${path}/unsuppress`, { method: 'POST', body: { note: 'again' } })).status).toBe(409);
      expect((await call(app, 'write', '/api/v1/discrepancies/999999/suppress', { method: 'POST', body: { note: 'x' } })).status).toBe(404);
      expect((await outbox('discrepancy.opened')).at(-1)!.payload).toMatchObject({ id: ids.discrepancyId, reopened: true, reason: 'unsuppressed' });
      expect((await audit('discrepancy.unsuppress'))[0]).toMatchObject({ actor: 'write-bot', details: { reason: 'back from repair' } });
    });
  });

  describe('runs and sources', () => {
    const waitFor = async (runId: number) => {
      for (let i = 0; i < 200; i++) {
        const r = await (await call(app, 'read', `/api/v1/runs/${runId}`)).json();
        if (r.status && r.status !== 'running') return r;
        await new Promise((ok) => setTimeout(ok, 50));
      }
      throw new Error(`run ${runId} did not finish`);
    };

    it('lists runs and shows one with per-stream and quarantine counts', async () => {
      const list = await (await call(app, 'read', '/api/v1/runs?source=google')).json();
      expect(list.data.map((r: { id: number }) => r.id)).toEqual([ids.runId]);
      const r = await (await call(app, 'read', `/api/v1/runs/${ids.runId}`)).json();
      expect(r).toMatchObject({ status: 'succeeded', durationMs: 30_000, streams: { devices: { read: 2, created: 2, rejected: 1 } }, quarantine: { rejected: 1 } });
      expect((await call(app, 'read', '/api/v1/runs/999999')).status).toBe(404);
      expect((await call(app, 'read', '/api/v1/runs?status=bogus')).status).toBe(400);
    });

    it('POST sources/{id}/sync: 403 for read, 404 unknown, 400 bad mode, 202 with the run id; then held and approved by admin', async () => {
      mem.next = [people(Array.from({ length: 20 }, (_, i) => student(i + 1)))];
      expect((await call(app, 'read', '/api/v1/sources/mem/sync', { method: 'POST', body: {} })).status).toBe(403);
      expect((await call(app, 'write', '/api/v1/sources/nope/sync', { method: 'POST', body: {} })).status).toBe(404);
      const bad = await call(app, 'write', '/api/v1/sources/mem/sync', { method: 'POST', body: { mode: 'sideways' } });
      expect(bad.status).toBe(400);
      expect((await bad.json()).error.message).toMatch(/body\.mode/);
      const res = await call(app, 'write', '/api/v1/sources/mem/sync', { method: 'POST', body: {} });
      expect(res.status).toBe(202);
      const started = await res.json();
      expect(started).toMatchObject({ sourceId: 'mem', mode: 'full', href: `/api/v1/runs/${started.runId}` });
      expect(await waitFor(started.runId)).toMatchObject({ status: 'succeeded', streams: { people: { read: 20, created: 20 } } });
      expect((await audit('source.sync'))[0]).toMatchObject({ actor: 'write-bot', target: 'source:mem' });

      // 8 of 20 gone exceeds the 10 % threshold: the run is held until an admin approves it.
      mem.next = [people(Array.from({ length: 12 }, (_, i) => student(i + 1)))];
      const held = await (await call(app, 'write', '/api/v1/sources/mem/sync', { method: 'POST' })).json();
      const heldRun = await waitFor(held.runId);
      expect(heldRun).toMatchObject({ status: 'held', held: { people: 8 } });
      expect((await call(app, 'write', `/api/v1/runs/${held.runId}/approve`, { method: 'POST' })).status).toBe(403);
      expect((await call(app, 'admin', `/api/v1/runs/${started.runId}/approve`, { method: 'POST' })).status).toBe(409);
      expect((await call(app, 'admin', '/api/v1/runs/abc/approve', { method: 'POST' })).status).toBe(400);
      const ok = await call(app, 'admin', `/api/v1/runs/${held.runId}/approve`, { method: 'POST' });
      expect(ok.status).toBe(200);
      expect(await ok.json()).toMatchObject({ approves: held.runId, run: { status: 'succeeded', sourceId: 'mem' } });
      expect((await (await call(app, 'read', `/api/v1/runs/${held.runId}`)).json()).status).toBe('approved');
      expect((await audit('run.approve'))[0]).toMatchObject({ actor: 'admin-bot', target: `run:${held.runId}` });
      const [n] = await rows<{ n: number }>(t.db.orm, sql`select count(*)::int as n from people where source_id = 'mem' and deactivated_at is null`);
      expect(Number(n!.n)).toBe(12);
    });
  });
});
