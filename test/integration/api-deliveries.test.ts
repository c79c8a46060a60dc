/** /api/v1/deliveries: list (read; status and target filters; cursor paging) and replay (write; audit_log). */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../../src/db/client.js';
import { apiApp, call, type App } from '../helpers/api.js';
import { engines, freshDatabase, type TestDb } from '../helpers/db.js';

describe.each(engines)('API deliveries on %s', (engine) => {
  let t: TestDb;
  let app: App;
  const ids: Record<string, number> = {};

  beforeAll(async () => {
    t = await freshDatabase(engine);
    app = apiApp(t.db);
    const [o] = await rows<{ id: number }>(t.db.orm, sql`insert into outbox (type, payload)
      values ('discrepancy.opened', '{"discrepancyId": 1}'::jsonb) returning id`);
    const add = async (name: string, target: string, status: string, lastStatus: number | null, lastError: string | null) => {
      const [o2] = await rows<{ id: number }>(t.db.orm, sql`insert into outbox (type, payload) values ('sync.failed', '{}'::jsonb) returning id`);
      const outboxId = name === 'desk' ? Number(o!.id) : Number(o2!.id);
      const [d] = await rows<{ id: number }>(t.db.orm, sql`insert into deliveries (outbox_id, target, status, attempt, failures, last_status, last_error)
        values (${outboxId}, ${target}, ${status}, 3, ${status === 'dead' ? 3 : 0}, ${lastStatus}, ${lastError}) returning id`);
      ids[name] = Number(d!.id);
    };
    await add('dead', 'webhook:sis-team', 'dead', 400, 'webhook:sis-team answered 400');
    await add('delivered', 'webhook:sis-team', 'delivered', 204, null);
    await add('desk', 'helpdesk:desk', 'pending', null, null);
    for (let i = 0; i < 4; i++) await add(`extra${i}`, 'webhook:other', 'delivered', 200, null);
  });
  afterAll(async () => t?.drop());

  it('lists newest first with status and target filters', async () => {
    const all = await call(app, 'read', '/api/v1/deliveries?limit=500');
    expect(all.status).toBe(200);
    const body = await all.json();
    expect(body.data.map((d: { id: number }) => d.id)).toEqual(Object.values(ids).sort((a, b) => b - a));
    expect(body.nextCursor).toBeNull();
    const dead = await (await call(app, 'read', '/api/v1/deliveries?status=dead')).json();
    expect(dead.data).toEqual([expect.objectContaining({
      id: ids.dead, type: 'sync.failed', target: 'webhook:sis-team', status: 'dead', failures: 3, lastStatus: 400, lastError: 'webhook:sis-team answered 400',
    })]);
    const desk = await (await call(app, 'read', '/api/v1/deliveries?target=helpdesk:desk')).json();
    expect(desk.data.map((d: { id: number; type: string }) => [d.id, d.type])).toEqual([[ids.desk, 'discrepancy.opened']]);
  });

  it('pages with a cursor: every row exactly once while rows are added between pages', async () => {
    const seen: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const q: string = `/api/v1/deliveries?limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const res = await call(app, 'read', q);
      expect(res.status).toBe(200);
      const b = await res.json();
      seen.push(...b.data.map((d: { id: number }) => d.id));
      cursor = b.nextCursor;
      if (pages++ === 0) {
        const [o] = await rows<{ id: number }>(t.db.orm, sql`insert into outbox (type, payload) values ('sync.failed', '{}'::jsonb) returning id`);
        await t.db.orm.execute(sql`insert into deliveries (outbox_id, target) values (${Number(o!.id)}, 'webhook:late')`);
      }
    } while (cursor);
    expect(seen).toEqual(Object.values(ids).sort((a, b) => b - a));
    expect(pages).toBe(4);
  });

  it('validation errors name the field; 401 without a token', async () => {
    const bad = await call(app, 'read', '/api/v1/deliveries?status=lost');
    expect(bad.status).toBe(400);
    expect((await bad.json()).error).toMatchObject({ code: 'validation_failed', message: expect.stringMatching(/^query\.status:/) });
    const cur = await call(app, 'read', '/api/v1/deliveries?cursor=nonsense');
    expect(cur.status).toBe(400);
    expect((await cur.json()).error.message).toMatch(/^cursor:/);
    expect((await call(app, null, '/api/v1/deliveries')).status).toBe(401);
  });

  it('replay: 401, 403 for read, 400 for a bad id, 404, 200 re-queued with audit_log, 409 when already pending', async () => {
    const path = `/api/v1/deliveries/${ids.dead}/replay`;
    expect((await call(app, null, path, { method: 'POST' })).status).toBe(401);
    const ro = await call(app, 'read', path, { method: 'POST' });
    expect(ro.status).toBe(403);
    expect((await ro.json()).error.code).toBe('forbidden');
    const bad = await call(app, 'write', '/api/v1/deliveries/abc/replay', { method: 'POST' });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.message).toMatch(/^path\.id:/);
    expect((await call(app, 'write', '/api/v1/deliveries/999999/replay', { method: 'POST' })).status).toBe(404);
    const ok = await call(app, 'write', path, { method: 'POST' });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ id: ids.dead, status: 'pending', attempt: 0, failures: 3, deliveredAt: null });
    const audit = await rows<{ actor: string; action: string; target: string; details: unknown }>(t.db.orm,
      sql`select actor, action, target, details from audit_log where action = 'delivery.replay'`);
    expect(audit).toEqual([{ actor: 'write-bot', action: 'delivery.replay', target: `delivery:${ids.dead}`, details: { from: 'dead', target: 'webhook:sis-team' } }]);
    const again = await call(app, 'write', path, { method: 'POST' });
    expect(again.status).toBe(409);
    expect((await again.json()).error.code).toBe('delivery_not_replayable');
  });
});
