/**
 * The discrepancy lifecycle on both engines: open → resolve → recur, suppression (held, woken by details or
 * by its end), exactly one outbox event per transition, idempotent re-runs, the advisory lock, and a case
 * through the real sync path.
 */
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { rows } from '../../src/db/client.js';
import { ConfigError } from '../../src/errors.js';
import { reconcile } from '../../src/reconcile/engine.js';
import { suppressDiscrepancy } from '../../src/reconcile/suppress.js';
import { engines, freshDatabase, type TestDb } from '../helpers/db.js';
import { students, tempDir, writeGam, writeRoster } from '../helpers/district-files.js';
import { configWith, quietLog, sync } from '../helpers/ledger.js';
import { daysAgo, LedgerSeed, live, NOW, reconcileConfig } from '../helpers/reconcile-seed.js';

interface OutboxRow {
  type: string;
  payload: Record<string, unknown>;
}

describe.each(engines)('reconcile lifecycle on %s', (engine) => {
  let t: TestDb;
  let seed: LedgerSeed;
  beforeAll(async () => {
    t = await freshDatabase(engine);
    seed = new LedgerSeed(t.db);
  });
  afterAll(async () => t?.drop());
  beforeEach(async () => seed.reset());

  const config = reconcileConfig();
  const run = (now = NOW, c = config) => reconcile(t.db, c, { now, log: quietLog });
  const outbox = async () => rows<OutboxRow>(t.db.orm, sql`select type, payload from outbox order by id`);
  /** Row versions of the reconciler's tables: equal means nothing was inserted, updated or deleted. */
  const fingerprint = async () => rows(t.db.orm, sql`
    select (select string_agg(id::text || ':' || xmin::text, ',' order by id) from discrepancies) as d,
           (select string_agg(id::text || ':' || xmin::text, ',' order by id) from outbox) as o`);
  const history = async (rule: string) => rows<{ status: string; occurrence: number; resolved_reason: string | null }>(t.db.orm, sql`
    select status, occurrence, resolved_reason from discrepancies where rule = ${rule} order by id`);
  const setCompliance = (serial: string, c: string) => seed.exec(sql`
    update device_observations set compliance = ${c} where device_id = (select id from devices where serial = ${serial})`);

  it('opens, resolves when fixed, and recurs as occurrence 2, with one event per transition', async () => {
    const holder = await seed.person({ id: 'ana', role: 'teacher' });
    await seed.held('LAP1', holder, { source: 'intune', compliance: 'noncompliant' }, { platform: 'windows' });

    const first = await run();
    expect(first).toMatchObject({ opened: 1, recurred: 0, resolved: 0, stillOpen: 0 });
    expect(first.byRule.noncompliant).toEqual({ opened: 1, recurred: 0, reopened: 0, resolved: 0, stillOpen: 0, suppressed: 0 });
    const [opened] = await live(t.db, 'noncompliant');

    await setCompliance('LAP1', 'compliant');
    const fixed = await run(new Date(NOW.getTime() + 3_600_000));
    expect(fixed.byRule.noncompliant).toMatchObject({ resolved: 1, stillOpen: 0 });
    expect(await live(t.db, 'noncompliant')).toEqual([]);

    await setCompliance('LAP1', 'noncompliant');
    const again = await run(new Date(NOW.getTime() + 7_200_000));
    expect(again.byRule.noncompliant).toMatchObject({ opened: 0, recurred: 1 });
    expect(await history('noncompliant')).toEqual([
      { status: 'resolved', occurrence: 1, resolved_reason: 'no longer found' },
      { status: 'open', occurrence: 2, resolved_reason: null },
    ]);

    const events = await outbox();
    expect(events.map((e) => [e.type, e.payload.occurrence])).toEqual([
      ['discrepancy.opened', 1], ['discrepancy.resolved', 1], ['discrepancy.opened', 2],
    ]);
    expect(events[0]!.payload).toEqual({
      id: opened!.id, rule: 'noncompliant', subjectKey: 'device:LAP1', severity: 'medium', occurrence: 1, status: 'open',
      deviceId: opened!.device_id, personId: holder, ticket: false,
      details: { serial: 'LAP1', assetTag: 'A-LAP1', sources: ['intune'] },
    });
    expect(events[1]!.payload).toMatchObject({ id: opened!.id, status: 'resolved', resolvedReason: 'no longer found' });
    // Events carry ids, never names or emails.
    expect(JSON.stringify(events)).not.toMatch(/@|Givenana|Familyana/);
    const [d] = await rows<{ opened_at: Date; resolved_at: Date }>(t.db.orm, sql`select opened_at, resolved_at from discrepancies where id = ${opened!.id}`);
    expect(new Date(d!.opened_at).toISOString()).toBe(NOW.toISOString());
    expect(new Date(d!.resolved_at).getTime()).toBe(NOW.getTime() + 3_600_000);
  });

  it('writes nothing when run twice on an unchanged ledger', async () => {
    await seed.held('SILENT', await seed.person({ id: 'a' }), { lastSyncAt: daysAgo(40) });
    await seed.held('DEV', null, { bootMode: 'dev' });
    await seed.person({ id: 'nodevice' });
    const first = await run();
    expect(first.opened).toBe(3);
    const before = await fingerprint();
    const second = await run();
    expect(second).toMatchObject({ opened: 0, recurred: 0, reopened: 0, resolved: 0, stillOpen: 3, suppressed: 0 });
    expect(await fingerprint()).toEqual(before);
    expect(await outbox()).toHaveLength(3);
  });

  it('updates a changed severity or detail in place, without an event', async () => {
    await seed.held('SILENT', await seed.person({ id: 'a' }), { lastSyncAt: daysAgo(40) });
    await run();
    await run(new Date(NOW.getTime() + 25 * 86_400_000));
    const [f] = await live(t.db, 'device-silent');
    expect(f).toMatchObject({ severity: 'medium', occurrence: 1, status: 'open' });
    expect(f!.details.daysSilent).toBe(65);
    expect((await outbox()).map((e) => e.type)).toEqual(['discrepancy.opened']);
  });

  it('keeps a suppressed finding quiet, and wakes it when its details change', async () => {
    const ana = await seed.person({ id: 'ana' });
    // Staff, so that student-without-device stays out of the counts.
    await seed.person({ id: 'ben', role: 'teacher' });
    const cy = await seed.person({ id: 'cy', role: 'teacher' });
    const d = await seed.held('SHARED', ana, { userEmail: 'ana@students.maplewood.example.org', lastSyncAt: daysAgo(40) });
    await seed.observe(d, { source: 'intune', userEmail: 'ben@students.maplewood.example.org', lastSyncAt: daysAgo(45) });
    await run();
    const [conflict] = await live(t.db, 'duplicate-serial-conflict');
    const [silent] = await live(t.db, 'device-silent');
    await suppressDiscrepancy(t.db, conflict!.id, { reason: 'investigating', actor: 'admin', now: NOW });
    await suppressDiscrepancy(t.db, silent!.id, { reason: 'student on leave', actor: 'admin', now: NOW });
    const [audit] = await rows<{ actor: string; action: string; target: string; details: Record<string, unknown> }>(t.db.orm, sql`select actor, action, target, details from audit_log order by id limit 1`);
    expect(audit).toEqual({ actor: 'admin', action: 'discrepancy.suppress', target: `discrepancy:${conflict!.id}`, details: { reason: 'investigating', until: null, previousStatus: 'open' } });
    const events = (await outbox()).length;

    // Days silent drift (a volatile detail): still suppressed, details kept current, no event.
    const later = await run(new Date(NOW.getTime() + 30 * 86_400_000));
    expect(later).toMatchObject({ suppressed: 2, reopened: 0, stillOpen: 0 });
    expect((await live(t.db, 'device-silent'))[0]).toMatchObject({ status: 'suppressed', severity: 'medium' });
    expect((await live(t.db, 'device-silent'))[0]!.details.daysSilent).toBe(70);
    expect(await outbox()).toHaveLength(events);

    // Intune now names another person: the conflict is a different one, so it opens again (same occurrence).
    await seed.exec(sql`update device_observations set user_email = 'cy@students.maplewood.example.org' where source_id = 'intune'`);
    const woke = await run(new Date(NOW.getTime() + 31 * 86_400_000));
    expect(woke.byRule['duplicate-serial-conflict']).toMatchObject({ reopened: 1, suppressed: 0 });
    const [reopened] = await live(t.db, 'duplicate-serial-conflict');
    expect(reopened).toMatchObject({ id: conflict!.id, status: 'open', occurrence: 1 });
    expect(reopened!.details.personIds).toEqual([ana, cy]);
    const last = (await outbox()).slice(events);
    expect(last).toHaveLength(1);
    expect(last[0]).toMatchObject({ type: 'discrepancy.opened', payload: { id: conflict!.id, reopened: true, reason: 'details changed', ticket: true } });
  });

  it('wakes a suppression when its time runs out, and resolves a suppressed finding that goes away', async () => {
    await seed.held('DEV1', null, { bootMode: 'dev' });
    await seed.held('DEV2', null, { bootMode: 'dev' });
    await run();
    const [a, b] = await live(t.db, 'dev-mode');
    const until = new Date(NOW.getTime() + 7 * 86_400_000);
    expect(await suppressDiscrepancy(t.db, a!.id, { until, reason: 'in repair', actor: 'admin', now: NOW }))
      .toEqual({ id: a!.id, rule: 'dev-mode', subjectKey: 'device:DEV1', status: 'suppressed', suppressedUntil: until });
    await suppressDiscrepancy(t.db, b!.id, { reason: 'lab device', actor: 'admin', now: NOW });
    const n = (await outbox()).length;

    expect(await run(new Date(NOW.getTime() + 6 * 86_400_000))).toMatchObject({ suppressed: 2, reopened: 0 });
    expect(await outbox()).toHaveLength(n);

    await seed.exec(sql`update device_observations set boot_mode = 'normal' where device_id = ${b!.device_id}`);
    const s = await run(new Date(NOW.getTime() + 8 * 86_400_000));
    expect(s).toMatchObject({ reopened: 1, resolved: 1, suppressed: 0 });
    expect((await live(t.db, 'dev-mode')).map((f) => [f.subject_key, f.status])).toEqual([['device:DEV1', 'open']]);
    expect((await outbox()).slice(n).map((e) => [e.type, e.payload.subjectKey, e.payload.reason ?? e.payload.resolvedReason])).toEqual([
      ['discrepancy.resolved', 'device:DEV2', 'no longer found'],
      ['discrepancy.opened', 'device:DEV1', 'suppression ended'],
    ]);
  });

  it('refuses to suppress what is missing, resolved, or with an end in the past', async () => {
    await seed.held('DEV1', null, { bootMode: 'dev' });
    await run();
    const [f] = await live(t.db, 'dev-mode');
    await expect(suppressDiscrepancy(t.db, 99999, { reason: 'x', actor: 'a' })).rejects.toMatchObject({ code: 'not_found' });
    await expect(suppressDiscrepancy(t.db, f!.id, { reason: 'x', actor: 'a', until: daysAgo(1), now: NOW })).rejects.toMatchObject({ code: 'validation_failed' });
    await expect(suppressDiscrepancy(t.db, f!.id, { reason: ' ', actor: 'a' })).rejects.toMatchObject({ code: 'validation_failed' });
    await run(NOW, reconcileConfig('{ rules: { dev-mode: { enabled: false } } }'));
    expect(await history('dev-mode')).toEqual([{ status: 'resolved', occurrence: 1, resolved_reason: 'rule disabled' }]);
    await expect(suppressDiscrepancy(t.db, f!.id, { reason: 'x', actor: 'a' })).rejects.toMatchObject({ code: 'discrepancy_resolved' });
  });

  it('rejects bad rule config before writing anything', async () => {
    await seed.held('DEV1', null, { bootMode: 'dev' });
    await run();
    const before = await fingerprint();
    await expect(run(NOW, reconcileConfig('{ rules: { dev-mod: {} } }'))).rejects.toBeInstanceOf(ConfigError);
    await expect(run(NOW, reconcileConfig('{ rules: { device-silent: { staleAfterDays: "soon" } } }'))).rejects.toThrow(/reconcile\.rules\.device-silent\.staleAfterDays/);
    expect(await fingerprint()).toEqual(before);
  });

  it('serialises concurrent reconciles: one opens, the other sees it open', async () => {
    await seed.held('DEV1', null, { bootMode: 'dev' });
    await seed.held('DEV2', null, { bootMode: 'dev' });
    const [a, b] = await Promise.all([run(), run()]);
    expect([a.opened, b.opened].sort()).toEqual([0, 2]);
    expect(await live(t.db, 'dev-mode')).toHaveLength(2);
    expect(await outbox()).toHaveLength(2);
  });
});

describe.each(engines)('reconcile after real syncs on %s', (engine) => {
  let t: TestDb;
  beforeAll(async () => {
    t = await freshDatabase(engine);
  });
  afterAll(async () => t?.drop());

  it('opens withdrawn-with-device when the SIS withdraws a student, and resolves it when they return', async () => {
    const dir = tempDir('reconcile');
    const gam = path.join(dir, 'gam.csv');
    const config = configWith([
      `  - { id: sis, kind: oneroster-csv, path: "${path.join(dir, 'roster')}", deletionThreshold: { percent: 50, absolute: 10 } }`,
      `  - { id: gam, kind: device-csv, format: gam, path: "${gam}" }`,
    ].join('\n'));
    const run = () => reconcile(t.db, config, { now: NOW, log: quietLog });
    writeRoster(path.join(dir, 'roster'), students(3));
    await sync(t.db, config, 'sis');
    writeGam(gam, students(3).map((s, i) => ({ id: `g${i}`, serial: `SER${i}`, user: `${s.id}@students.maplewood.example.org` })));
    await sync(t.db, config, 'gam');
    expect((await run()).opened).toBe(0);

    writeRoster(path.join(dir, 'roster'), students(3).map((s) => (s.id === 's2' ? { ...s, enabled: false } : s)));
    await sync(t.db, config, 'sis');
    const withdrawn = await run();
    expect(withdrawn.byRule['withdrawn-with-device']).toMatchObject({ opened: 1 });
    expect((await live(t.db)).map((f) => [f.rule, f.subject_key, f.details.sisId])).toEqual([['withdrawn-with-device', 'device:SER1', 'Ss2']]);

    writeRoster(path.join(dir, 'roster'), students(3));
    await sync(t.db, config, 'sis');
    expect((await run()).byRule['withdrawn-with-device']).toMatchObject({ resolved: 1 });
    expect(await live(t.db)).toEqual([]);
  });
});
