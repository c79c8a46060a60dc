/**
 * "Nothing is lost": what a bad read may and may not do to the ledger, on both databases. The reads come from a
 * memory source that yields exactly the Batch contract (warnings, kept rejects, unsupplied fields, cursors).
 */
import { Writable } from 'node:stream';
import { sql } from 'drizzle-orm';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { rows } from '../../src/db/client.js';
import { parseEvent } from '../../src/outbox/events.js';
import { approveHeldRun } from '../../src/sync/pipeline.js';
import { runSync } from '../../src/sync/runner.js';
import { sweepInterrupted } from '../../src/sync/interrupted.js';
import { engines, freshDatabase, type TestDb } from '../helpers/db.js';
import { configWith, count, fingerprint, quietLog } from '../helpers/ledger.js';
import { chromebook, devices, memorySource, people, student, type MemorySource } from '../helpers/memory-source.js';

const range = (n: number, from = 1) => Array.from({ length: n }, (_, i) => i + from);

describe.each(engines)('trust on %s', (engine) => {
  let t: TestDb;
  let sis: MemorySource;
  let gam: MemorySource;
  const config = configWith('  []');
  const deps = () => ({ db: t.db, log: quietLog, domains: ['maplewood.example.org'] });
  const run = (s: MemorySource, opts = {}) => runSync(deps(), s, opts);

  beforeEach(async () => {
    t = await freshDatabase(engine);
    sis = memorySource('sis', { streams: ['people'] });
    gam = memorySource('gam', { streams: ['devices'] });
    config.sources = [sis, gam];
    config.district.domains = ['maplewood.example.org'];
    sis.next = [people(range(20).map((n) => student(n)))];
    gam.next = [devices(range(20).map((n) => chromebook(n)))];
    expect((await run(sis)).status).toBe('succeeded');
    expect((await run(gam)).status).toBe('succeeded');
    expect(await count(t.db, 'assignments', 'ended_at is null')).toBe(20);
  });
  afterEach(async () => t?.drop());

  const outboxTypes = async (after = 0) =>
    (await rows<{ type: string }>(t.db.orm, sql`select type from outbox where id > ${after} order by id`)).map((r) => r.type);
  const lastOutboxId = async () => Number((await rows<{ m: number }>(t.db.orm, sql`select coalesce(max(id), 0)::int as m from outbox`))[0]!.m);

  it('keeps a record whose id is readable but whose content is not: nothing deactivated, nothing ended', async () => {
    const before = await fingerprint(t.db);
    // 15 of 20 students and 15 of 20 devices unreadable (an M/D/Y date in a required field, a placeholder serial).
    sis.next = [people(range(5).map((n) => student(n)), {
      rejects: range(15, 6).map((n) => ({ externalId: `s${n}`, field: 'role', reason: 'role: unknown value "pupil"', location: `users.csv:${n + 1}`, raw: {} })),
    })];
    gam.next = [devices(range(5).map((n) => chromebook(n)), {
      rejects: range(15, 6).map((n) => ({ externalId: `dev-${n}`, field: 'serial', reason: 'placeholder serial', location: `gam.csv:${n + 1}`, raw: {} })),
    })];
    const r1 = await run(sis);
    const r2 = await run(gam);
    expect(r1).toMatchObject({ status: 'succeeded', result: { streams: { people: { kept: 15, deactivated: 0, unchanged: 5, rejected: 0 } } } });
    expect(r2).toMatchObject({ status: 'succeeded', result: { streams: { devices: { kept: 15, deactivated: 0 } }, assignments: { ended: 0 } } });
    expect(await count(t.db, 'people', "status = 'active' and deactivated_at is null")).toBe(20);
    expect(await count(t.db, 'device_observations', 'active')).toBe(20);
    expect(await count(t.db, 'assignments', 'ended_at is null')).toBe(20);
    const after = await fingerprint(t.db);
    expect({ ...after, quarantine: '' }).toEqual({ ...before, quarantine: '' });
    expect(await count(t.db, 'quarantine', `outcome = 'kept' and run_id = ${r1.runId}`)).toBe(15);
  });

  it('rejects outright only a record with no identity, and that deactivates nothing either when under the threshold', async () => {
    sis.next = [people(range(20).map((n) => student(n)), { rejects: [{ reason: 'sourcedId is empty', field: 'sourcedId', location: 'users.csv:22', raw: {} }] })];
    const r = await run(sis);
    expect(r.result!.streams.people).toMatchObject({ rejected: 1, kept: 0, unchanged: 20 });
    expect(await count(t.db, 'quarantine', "outcome = 'rejected'")).toBe(1);
  });

  it('keeps the stored value of a bad optional field and reports a field warning', async () => {
    const [obs] = await rows<{ last_sync_at: Date; aue_date: string }>(t.db.orm, sql`select last_sync_at, aue_date from device_observations where external_id = 'dev-1'`);
    // lastSync=Oct 31 2026 and an AUE of "June 2033" on every device: the mapper leaves them null and warns.
    gam.next = [devices(range(20).map((n) => chromebook(n, { lastSyncAt: null, aueDate: null })), {
      warnings: range(20).flatMap((n) => [
        { externalId: `dev-${n}`, field: 'lastSyncAt', reason: "lastSyncAt (column 'lastSync'): unrecognised date", location: `gam.csv:${n + 1}` },
        { externalId: `dev-${n}`, field: 'aueDate', reason: "aueDate (column 'autoUpdateThrough'): unrecognised date", location: `gam.csv:${n + 1}` },
      ]),
    })];
    const r = await run(gam);
    expect(r.result!.streams.devices).toMatchObject({ warnings: 40, deactivated: 0, kept: 0 });
    const [after] = await rows<{ last_sync_at: Date; aue_date: string }>(t.db.orm, sql`select last_sync_at, aue_date from device_observations where external_id = 'dev-1'`);
    expect(after).toEqual(obs);
    expect(await count(t.db, 'events', `run_id = ${r.runId}`)).toBe(0);
    expect(await count(t.db, 'quarantine', `outcome = 'warning' and field = 'aueDate' and run_id = ${r.runId}`)).toBe(20);
    // Once the cell is readable again, the new value is written.
    gam.next = [devices(range(20).map((n) => chromebook(n, { aueDate: '2031-06-01' })))];
    const fixed = await run(gam);
    expect(fixed.result!.streams.devices).toMatchObject({ updated: 20 });
    expect(await count(t.db, 'device_observations', "aue_date = '2031-06-01'")).toBe(20);
  });

  it('reads a column missing from the file as not supplied: stored values stay, the run says so', async () => {
    sis.next = [people(range(20).map((n) => student(n, { grades: [] })), { unsupplied: ['grades'], notices: ['users.csv has no grades column; stored grades are kept'] })];
    gam.next = [devices(range(20).map((n) => chromebook(n, { orgUnit: null, bootMode: null, lastSyncAt: null })), { unsupplied: ['orgUnit', 'bootMode', 'lastSyncAt'] })];
    const r1 = await run(sis);
    await run(gam);
    expect(await count(t.db, 'people', "grades = '{05}'")).toBe(20);
    expect(await count(t.db, 'device_observations', "org_unit = '/Students/Lincoln' and boot_mode = 'normal' and last_sync_at is not null")).toBe(20);
    expect(await count(t.db, 'quarantine', `outcome = 'warning' and reason like '%no grades column%' and run_id = ${r1.runId}`)).toBe(1);
    expect(await count(t.db, 'events', "entity in ('person', 'observation') and action = 'update'")).toBe(0);
  });

  it('keeps both records when one serial is listed under two device ids, and deactivates neither', async () => {
    const twin = chromebook(1, { externalId: 'dev-twin', userEmail: null });
    gam.next = [devices([...range(20).map((n) => chromebook(n)), twin], {
      warnings: [{ externalId: 'dev-twin', field: 'serial', reason: 'serial SER00001 is also listed for line 2', location: 'gam.csv:22' }],
    })];
    const r = await run(gam);
    expect(r.result!.streams.devices).toMatchObject({ created: 1, deactivated: 0, warnings: 1 });
    expect(await count(t.db, 'device_observations', "active and device_id = (select id from devices where serial = 'SER00001')")).toBe(2);
    expect(await count(t.db, 'devices', 'deactivated_at is null')).toBe(20);
    expect(await count(t.db, 'assignments', 'ended_at is null')).toBe(20);
    expect((await run(gam)).result!.streams.devices).toMatchObject({ unchanged: 21, deactivated: 0 });
  });

  describe('every deactivation counts against the threshold, and a held run changes nothing', () => {
    const heldCase = async (s: MemorySource, pattern: RegExp) => {
      const before = await fingerprint(t.db);
      const ob = await lastOutboxId();
      const r = await run(s);
      expect(r.status).toBe('held');
      expect(r.result!.heldReason).toMatch(pattern);
      expect({ ...(await fingerprint(t.db)), quarantine: '' }).toEqual({ ...before, quarantine: '' });
      expect(await outboxTypes(ob)).toEqual(['sync.held']);
      return r;
    };
    it('all students tobedeleted', () => heldCase(Object.assign(sis, { next: [people(range(20).map((n) => student(n, { deleted: true })))] }), /people: 20 of 20 would be deactivated/));
    it('all students enabledUser=false', () => heldCase(Object.assign(sis, { next: [people(range(20).map((n) => student(n, { status: 'inactive' })))] }), /people: 20 of 20 would be deactivated/));
    it('all Chromebooks deprovisioned', () => heldCase(Object.assign(gam, { next: [devices(range(20).map((n) => chromebook(n, { status: 'DEPROVISIONED' })))] }), /assignments: 20 of 20 would be ended/));
    it('every sourcedId upper-cased: no duplicates created while held', async () => {
      sis.next = [people(range(20).map((n) => student(n, { externalId: `S${n}` })))];
      await heldCase(sis, /people: 20 of 20 would be deactivated/);
      expect(await count(t.db, 'people')).toBe(20);
      expect(await count(t.db, 'discrepancies')).toBe(0);
    });
  });

  it('approving a held run applies exactly what was held, and refuses when the source changed', async () => {
    sis.next = [people(range(5).map((n) => student(n)))];
    const held = await run(sis);
    expect(held.status).toBe('held');
    sis.next = [people(range(6).map((n) => student(n)))];
    await expect(approveHeldRun({ db: t.db, config, log: quietLog }, held.runId!, 'test')).resolves.toMatchObject({ approved: { status: 'failed', errorCode: 'approval_mismatch' } });
    expect(await count(t.db, 'people', "status = 'active'")).toBe(20);
    sis.next = [people(range(5).map((n) => student(n)))];
    const ob = await lastOutboxId();
    const ok = await approveHeldRun({ db: t.db, config, log: quietLog }, held.runId!, 'test');
    expect(ok.approved).toMatchObject({ status: 'succeeded', approves: held.runId, result: { streams: { people: { deactivated: 15 } } } });
    expect(await count(t.db, 'people', "status = 'active'")).toBe(5);
    const [h] = await rows<{ status: string }>(t.db.orm, sql`select status from sync_runs where id = ${held.runId}`);
    expect(h!.status).toBe('approved');
    const types = await outboxTypes(ob);
    expect(types.filter((x) => x === 'person.deactivated')).toHaveLength(15);
    expect(types).toContain('sync.completed');
  });

  it('writes ledger events to the outbox in the run that makes the change, and none on an unchanged re-sync', async () => {
    let ob = await lastOutboxId();
    // s1's device moves to s2 (s2 keeps their own too); s3 withdraws.
    gam.next = [devices(range(20).map((n) => chromebook(n, n === 1 ? { userEmail: 's2@students.maplewood.example.org' } : {})))];
    const moved = await run(gam);
    const evs = await rows<{ type: string; payload: Record<string, unknown> }>(t.db.orm, sql`select type, payload from outbox where id > ${ob} order by id`);
    expect(evs.map((e) => e.type)).toEqual(['assignment.ended', 'assignment.started', 'sync.completed']);
    for (const e of evs) {
      parseEvent(e.type, e.payload);
      if (e.type.startsWith('assignment.')) expect(e.payload.runId).toBe(moved.runId);
    }
    ob = await lastOutboxId();
    sis.next = [people(range(20).map((n) => student(n, n === 3 ? { status: 'inactive' } : {})))];
    const withdrawn = await run(sis);
    const ev2 = await rows<{ type: string; payload: Record<string, unknown> }>(t.db.orm, sql`select type, payload from outbox where id > ${ob} order by id`);
    expect(ev2.map((e) => e.type)).toEqual(['person.deactivated', 'sync.completed']);
    expect(ev2[0]!.payload).toEqual({ personId: expect.any(Number), sourceId: 'sis', externalId: 's3', role: 'student', reason: 'disabled in the source', runId: withdrawn.runId });
    // No names, emails or SIS ids in ledger event payloads.
    expect(JSON.stringify([...evs, ...ev2])).not.toMatch(/Given|Family|@students|SIS1/);
    ob = await lastOutboxId();
    await run(sis);
    await run(gam);
    expect(await outboxTypes(ob)).toEqual([]);
  });

  it('saves the delta cursor only when the run commits', async () => {
    sis.next = (o) => [people([student(1, { givenName: 'Delta' })], { processingMode: 'delta', cursor: { since: o.cursor ? 'c2' : 'c1' } })];
    await run(sis, { mode: 'delta' });
    const cursor = async () => (await rows<{ cursor: unknown }>(t.db.orm, sql`select cursor from sources where id = 'sis'`))[0]!.cursor;
    expect(await cursor()).toEqual({ since: 'c1' });
    sis.next = () => { throw new Error('upstream answered 503'); };
    expect((await run(sis, { mode: 'delta' })).status).toBe('failed');
    expect(await cursor()).toEqual({ since: 'c1' });
    sis.next = (o) => [people([student(1)], { processingMode: 'delta', cursor: { since: (o.cursor as { since: string }).since === 'c1' ? 'c2' : 'bad' } })];
    expect((await run(sis, { mode: 'delta' })).status).toBe('succeeded');
    expect(sis.reads.at(-1)!.cursor).toEqual({ since: 'c1' });
    expect(await cursor()).toEqual({ since: 'c2' });
    // A delta never deactivates by absence.
    expect(await count(t.db, 'people', "status = 'active'")).toBe(20);
  });

  it('marks a run left running by a dead process as interrupted, at the next run and at start', async () => {
    const stale = async () => Number((await rows<{ id: number }>(t.db.orm, sql`insert into sync_runs (source_id, mode, status) values ('sis', 'full', 'running') returning id`))[0]!.id);
    const a = await stale();
    await run(sis);
    const b = await stale();
    expect(await sweepInterrupted(t.db, quietLog)).toBe(1);
    const rs = await rows<{ id: number; status: string; error: string }>(t.db.orm, sql`select id, status, error from sync_runs where id in (${a}, ${b}) order by id`);
    expect(rs.map((r) => [r.status, r.error.startsWith('[interrupted]')])).toEqual([['failed', true], ['failed', true]]);
    expect((await outboxTypes()).filter((x) => x === 'sync.failed')).toHaveLength(2);
  });

  it('logs a failing run without the personal data or SQL parameters of its input, even at debug', async () => {
    const lines: string[] = [];
    const log = pino({ level: 'debug' }, new Writable({ write(chunk, _e, cb) { lines.push(String(chunk)); cb(); } }));
    // A NUL in a cell that reached the database: PostgreSQL refuses the whole statement.
    sis.next = [people(range(20).map((n) => student(n, { givenName: n === 7 ? 'Ana\u0000is' : `Given${n}` })))];
    const r = await runSync({ ...deps(), log }, sis);
    expect(r.status).toBe('failed');
    const text = lines.join('');
    expect(text).toMatch(/sync failed/);
    // The stack trace is for debugging: only debug lines carry it.
    const parsed = lines.map((l) => JSON.parse(l) as { level: number });
    expect(parsed.filter((l) => l.level > 20 && JSON.stringify(l).includes('"stack"'))).toEqual([]);
    expect(parsed.some((l) => l.level === 20 && JSON.stringify(l).includes('"stack"'))).toBe(true);
    expect(text).not.toMatch(/students\.maplewood|Family\d|Given\d|SIS10/);
    const [run1] = await rows<{ status: string; error: string }>(t.db.orm, sql`select status, error from sync_runs where id = ${r.runId}`);
    expect(run1!.status).toBe('failed');
    expect(run1!.error.includes(String.fromCharCode(0))).toBe(false);
  });
});
