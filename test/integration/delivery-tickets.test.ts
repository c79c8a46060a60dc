/**
 * Help desk tickets from discrepancy events, against a Zendesk stand-in on a real local HTTP server (and msw for
 * rate limits): one ticket per (rule, subject, occurrence) with the text a technician needs, resolve as a private
 * comment + solved, a recurrence as a new ticket, 429 and 422 handled by the schedule, and exactly one ticket when
 * the worker process is killed between the desk's create and the local commit.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseConfigText, type Config } from '../../src/config/index.js';
import { openDatabase, rows, type Database } from '../../src/db/client.js';
import { migrate } from '../../src/db/migrate.js';
import { listDeliveries } from '../../src/delivery/list.js';
import { createDeliveryWorker } from '../../src/delivery/worker.js';
import { enqueue } from '../../src/outbox/enqueue.js';
import { engines, freshDatabase, type TestDb } from '../helpers/db.js';
import { startFakeZendesk, type FakeZendesk } from '../helpers/fake-zendesk.js';
import { spawnCli } from '../helpers/spawn.js';

const log = pino({ level: 'silent' });

function deskConfig(baseUrl: string, extra = '', dataDir = 'memory://'): Config {
  return parseConfigText([
    'server: { logLevel: silent, publicUrl: "https://rollcall.district.example.org" }',
    `database: { dataDir: "${dataDir}" }`,
    'district: { name: Test }',
    'helpdesks:',
    `  - { id: desk, kind: zendesk, baseUrl: "${baseUrl}", allowInsecure: true, allowPrivateNetwork: true, email: it-desk@district.org, apiToken: zd-token-123${extra} }`,
    '',
  ].join('\n'), '/tmp/rollcall-tickets-test.yaml', {});
}

/** A withdrawn student (Ada Lovelace, grade 07, Lincoln Elementary) still holding Chromebook 5CD123 / tag A-77. */
async function seed(db: Database): Promise<{ deviceId: number; personId: number }> {
  await db.orm.execute(sql`insert into sources (id, kind) values ('sis', 'oneroster-csv') on conflict do nothing`);
  const [org] = await rows<{ id: number }>(db.orm, sql`insert into orgs (source_id, external_id, name, type, content_hash)
    values ('sis', 'sch-001', 'Lincoln Elementary', 'school', 'h') returning id`);
  const [p] = await rows<{ id: number }>(db.orm, sql`insert into people (source_id, external_id, role, status, given_name, family_name, sis_id, grades, school_external_id, school_id, content_hash)
    values ('sis', 'stu-1', 'student', 'inactive', 'Ada', 'Lovelace', 'S-1001', '{07}', 'sch-001', ${org!.id}, 'h') returning id`);
  const [d] = await rows<{ id: number }>(db.orm, sql`insert into devices (serial, asset_tag, model, platform) values ('5CD123', 'A-77', 'Chromebook 3110', 'chromeos') returning id`);
  return { deviceId: Number(d!.id), personId: Number(p!.id) };
}

async function openDiscrepancy(db: Database, ids: { deviceId: number; personId: number }, occurrence = 1, at = '2026-11-02T08:00:00Z'): Promise<number> {
  const [x] = await rows<{ id: number }>(db.orm, sql`insert into discrepancies (rule, subject_key, device_id, person_id, severity, status, occurrence, opened_at)
    values ('withdrawn-with-device', ${`device:${ids.deviceId}`}, ${ids.deviceId}, ${ids.personId}, 'high', 'open', ${occurrence}, ${at}::timestamptz) returning id`);
  const id = Number(x!.id);
  await enqueue(db.orm, 'discrepancy.opened', {
    id, rule: 'withdrawn-with-device', subjectKey: `device:${ids.deviceId}`, severity: 'high', occurrence, status: 'open',
    deviceId: ids.deviceId, personId: ids.personId, ticket: true, details: {},
  });
  return id;
}

async function resolveDiscrepancy(db: Database, id: number, ids: { deviceId: number; personId: number }, occurrence = 1): Promise<void> {
  await db.orm.execute(sql`update discrepancies set status = 'resolved', resolved_at = now(), resolved_reason = 'returned' where id = ${id}`);
  await enqueue(db.orm, 'discrepancy.resolved', {
    id, rule: 'withdrawn-with-device', subjectKey: `device:${ids.deviceId}`, severity: 'high', occurrence, status: 'resolved',
    deviceId: ids.deviceId, personId: ids.personId, ticket: true, details: {}, resolvedReason: 'returned',
  });
}

describe.each(engines)('help desk tickets on %s (Zendesk on a local HTTP server)', (engine) => {
  let t: TestDb;
  let zd: FakeZendesk;
  let ids: { deviceId: number; personId: number };
  let clock: Date;
  beforeAll(async () => {
    t = await freshDatabase(engine);
    ids = await seed(t.db);
  });
  afterAll(async () => {
    await t.drop();
  });
  beforeEach(async () => {
    zd = await startFakeZendesk();
    clock = new Date('2026-11-24T10:00:00Z');
    await t.db.orm.execute(sql`truncate deliveries, delivery_targets, ticket_links, audit_log, outbox restart identity cascade`);
    await t.db.orm.execute(sql`delete from discrepancies`);
  });
  afterEach(async () => {
    await zd.close();
  });
  const worker = (extra = '') => createDeliveryWorker({ db: t.db, config: deskConfig(zd.url, extra), log, now: () => clock, random: () => 0.5 });

  it('opens one private ticket with what, which device, whom, since when and what to do', async () => {
    const id = await openDiscrepancy(t.db, ids);
    const w = worker();
    expect(await w.deliverDue()).toMatchObject({ claimed: 1, delivered: 1 });
    expect(zd.tickets).toHaveLength(1);
    const tk = zd.tickets[0]!;
    expect(tk.subject).toBe('Inactive person still holds a device: 5CD123 / Ada Lovelace');
    expect(tk.external_id).toBe(`rollcall:withdrawn-with-device:device:${ids.deviceId}:1`);
    expect(tk.comments[0]!.public).toBe(false);
    const body = tk.comments[0]!.body;
    for (const s of ['serial 5CD123', 'asset tag A-77', 'model Chromebook 3110', 'Ada Lovelace (SIS id S-1001)', 'school Lincoln Elementary', 'grade 07', 'Since: 2026-11-02', 'What to do: Collect the device', `https://rollcall.district.example.org/discrepancies/${id}`]) {
      expect(body).toContain(s);
    }
    const links = await rows<{ external_id: string; state: string; discrepancy_id: number }>(t.db.orm, sql`select external_id, state, discrepancy_id::int as discrepancy_id from ticket_links`);
    expect(links).toEqual([{ external_id: String(tk.id), state: 'open', discrepancy_id: id }]);
    // the same occurrence again (a replayed event): no second ticket
    await enqueue(t.db.orm, 'discrepancy.opened', {
      id, rule: 'withdrawn-with-device', subjectKey: `device:${ids.deviceId}`, severity: 'high', occurrence: 1, status: 'open',
      deviceId: ids.deviceId, personId: ids.personId, ticket: true, details: {}, reopened: false,
    });
    expect(await w.deliverDue()).toMatchObject({ claimed: 1, delivered: 1 });
    w.close();
    expect(zd.creates).toBe(1);
  });

  it('uses a per-rule template from the desk config', async () => {
    await openDiscrepancy(t.db, ids);
    const w = worker(', templates: { withdrawn-with-device: { title: "Collect {{assetTag}} from {{person}} ({{school}})", body: "Grade {{grade}}. {{action}}" } }');
    await w.deliverDue();
    w.close();
    expect(zd.tickets[0]!.subject).toBe('Collect A-77 from Ada Lovelace (Lincoln Elementary)');
    expect(zd.tickets[0]!.comments[0]!.body).toMatch(/^Grade 07\. Collect the device/);
  });

  it('a resolved discrepancy comments privately and solves its ticket; a recurrence opens a new ticket', async () => {
    const id = await openDiscrepancy(t.db, ids);
    const w = worker();
    await w.deliverDue();
    await resolveDiscrepancy(t.db, id, ids);
    expect(await w.deliverDue()).toMatchObject({ claimed: 1, delivered: 1 });
    const tk = zd.tickets[0]!;
    expect(tk.status).toBe('solved');
    expect(tk.comments).toHaveLength(2);
    expect(tk.comments[1]).toMatchObject({ public: false, body: expect.stringContaining('Resolved in rollcall (returned)') });
    expect(await rows(t.db.orm, sql`select state from ticket_links`)).toEqual([{ state: 'resolved' }]);

    await openDiscrepancy(t.db, ids, 2, '2026-11-20T08:00:00Z');
    expect(await w.deliverDue()).toMatchObject({ delivered: 1 });
    w.close();
    expect(zd.tickets).toHaveLength(2);
    expect(zd.tickets[1]!.external_id).toBe(`rollcall:withdrawn-with-device:device:${ids.deviceId}:2`);
    expect(zd.tickets[1]!.status).toBe('new');
    expect(tk.status).toBe('solved');
  });

  it('a resolve that arrives before its ticket opened waits for it', async () => {
    const id = await openDiscrepancy(t.db, ids);
    zd.failures = [{ status: 503 }];
    const w = worker();
    expect(await w.deliverDue()).toMatchObject({ retried: 1 });
    await resolveDiscrepancy(t.db, id, ids);
    expect(await w.deliverDue()).toMatchObject({ retried: 1 });
    expect(zd.tickets).toHaveLength(0);
    clock = new Date(clock.getTime() + 10 * 60_000);
    const r = await w.deliverDue();
    w.close();
    expect(r).toMatchObject({ delivered: 2 });
    expect(zd.tickets).toHaveLength(1);
    expect(zd.tickets[0]!.status).toBe('solved');
  });

  it('422 from the desk is dead at once, naming the desk\'s reason', async () => {
    await openDiscrepancy(t.db, ids);
    zd.failures = [{ status: 422, body: { error: 'RecordInvalid', description: 'Record validation errors', details: { subject: [{ description: 'Subject: is too long' }] } } }];
    const w = worker();
    expect(await w.deliverDue()).toMatchObject({ dead: 1 });
    w.close();
    const [d] = (await listDeliveries(t.db, { status: 'dead' })).rows;
    expect(d).toMatchObject({ lastStatus: 422, target: 'helpdesk:desk' });
    expect(d!.lastError).toContain('Subject: is too long');
    expect(zd.tickets).toHaveLength(0);
  });
});

describe('help desk rate limits (msw)', () => {
  const HOST = 'https://district.zendesk.com';
  const server = setupServer();
  let t: TestDb;
  beforeAll(async () => {
    server.listen({ onUnhandledRequest: 'error' });
    t = await freshDatabase('pglite');
  });
  afterAll(async () => {
    server.close();
    await t.drop();
  });

  it('429 Retry-After from Zendesk sets the next attempt; then the ticket opens once', async () => {
    const ids = await seed(t.db);
    await openDiscrepancy(t.db, ids);
    let creates = 0;
    server.use(
      http.post(`${HOST}/api/v2/tickets`, () => {
        creates++;
        if (creates === 1) return new HttpResponse('Too Many Requests', { status: 429, headers: { 'retry-after': '93' } });
        return HttpResponse.json({ ticket: { id: 4242, status: 'new', external_id: 'x', tags: [] } }, { status: 201, headers: { 'x-idempotency-lookup': 'miss' } });
      }),
      http.get(`${HOST}/api/v2/tickets`, () => HttpResponse.json({ tickets: [], next_page: null, previous_page: null, count: 0 })),
    );
    const config = parseConfigText([
      'district: { name: Test }',
      'helpdesks:',
      '  - { id: desk, kind: zendesk, subdomain: district, email: it-desk@district.org, apiToken: zd-token-123 }',
      '',
    ].join('\n'), '/tmp/x.yaml', {});
    let clock = new Date('2026-11-24T10:00:00Z');
    // district.zendesk.com does not resolve here: the policy check gets a public answer from this resolver
    const resolver = async () => [{ address: '216.198.53.6', family: 4 }];
    const w = createDeliveryWorker({ db: t.db, config, log, now: () => clock, random: () => 0.5, resolver });
    expect(await w.deliverDue()).toMatchObject({ retried: 1 });
    const [d] = (await listDeliveries(t.db)).rows;
    expect(new Date(d!.nextAttemptAt).getTime() - clock.getTime()).toBe(93_000);
    clock = new Date(clock.getTime() + 93_000);
    expect(await w.deliverDue()).toMatchObject({ delivered: 1 });
    w.close();
    expect(creates).toBe(2);
    expect(await rows(t.db.orm, sql`select external_id from ticket_links`)).toEqual([{ external_id: '4242' }]);
  });
});

describe('a worker killed between the desk\'s create and the local commit', () => {
  let dir: string;
  let zd: FakeZendesk;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'rollcall-ticket-crash-'));
    zd = await startFakeZendesk();
  });
  afterAll(async () => {
    await zd.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('leaves exactly one ticket: the next worker finds it by key and links it', async () => {
    const dataDir = path.join(dir, 'data');
    const file = path.join(dir, 'rollcall.yaml');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(file, [
      'server: { logLevel: silent }',
      `database: { dataDir: "${dataDir}" }`,
      'district: { name: Test }',
      'helpdesks:',
      `  - { id: desk, kind: zendesk, baseUrl: "${zd.url}", allowInsecure: true, allowPrivateNetwork: true, email: it-desk@district.org, apiToken: zd-token-123 }`,
      '',
    ].join('\n'));
    let db = await openDatabase({ dataDir });
    await migrate(db);
    const ids = await seed(db);
    const id = await openDiscrepancy(db, ids);
    await db.close();

    // Zendesk's own Idempotency-Key would also catch the repeat for 2 hours; switch it off so that the lookup by
    // external_id is what keeps the ticket single (a retry after the window, or a desk without idempotency).
    zd.idempotencyWindowMs = 0;
    const created = new Promise<void>((resolve) => (zd.holdCreate = { created: resolve }));
    const child = spawnCli(['deliver', '--once', '--config', file]);
    await created;
    child.child.kill('SIGKILL');
    expect((await child.exited).signal).toBe('SIGKILL');
    zd.holdCreate = undefined;
    expect(zd.tickets).toHaveLength(1);

    db = await openDatabase({ dataDir });
    try {
      expect(await rows(db.orm, sql`select * from ticket_links`)).toEqual([]);
      const config = deskConfig(zd.url, '', dataDir);
      const now = new Date();
      const early = createDeliveryWorker({ db, config, log, now: () => now });
      expect(await early.deliverDue()).toMatchObject({ claimed: 0 }); // the dead worker's lease still holds
      early.close();
      const later = new Date(now.getTime() + 6 * 60_000);
      const w = createDeliveryWorker({ db, config, log, now: () => later });
      expect(await w.deliverDue()).toMatchObject({ claimed: 1, delivered: 1 });
      w.close();
      expect(zd.creates).toBe(1);
      expect(zd.tickets).toHaveLength(1);
      const links = await rows<{ external_id: string; discrepancy_id: number }>(db.orm, sql`select external_id, discrepancy_id::int as discrepancy_id from ticket_links`);
      expect(links).toEqual([{ external_id: String(zd.tickets[0]!.id), discrepancy_id: id }]);
      expect((await listDeliveries(db)).rows[0]).toMatchObject({ status: 'delivered', attempt: 2 });
    } finally {
      await db.close();
    }
  });
});
