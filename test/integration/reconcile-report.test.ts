/** buildReport over a small seeded ledger on both engines: every section's numbers, the rows, and the filters. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reconcile } from '../../src/reconcile/engine.js';
import { buildReport } from '../../src/reconcile/report.js';
import { suppressDiscrepancy } from '../../src/reconcile/suppress.js';
import { engines, freshDatabase, type TestDb } from '../helpers/db.js';
import { quietLog } from '../helpers/ledger.js';
import { daysAgo, LedgerSeed, live, NOW, reconcileConfig } from '../helpers/reconcile-seed.js';

describe.each(engines)('reconciliation report on %s', (engine) => {
  let t: TestDb;
  const config = reconcileConfig();
  beforeAll(async () => {
    t = await freshDatabase(engine);
    const seed = new LedgerSeed(t.db);
    await seed.reset();
    const a = await seed.person({ id: 'a' });
    const b = await seed.person({ id: 'b' });
    const c = await seed.person({ id: 'c' });
    await seed.person({ id: 'd' });
    await seed.person({ id: 'k2', grades: ['01'] });
    const w = await seed.person({ id: 'w', school: 'wash', grades: ['04'] });
    const teacher = await seed.person({ id: 'teach', role: 'teacher', grades: [] });
    await seed.held('W1', a);
    await seed.held('D1', b, { status: 'disabled' });
    await seed.held('E1', c, { aueDate: '2026-06-01' });
    await seed.held('W2', w, { lastSyncAt: daysAgo(45) });
    await seed.held('W3', w);
    await seed.held('T1', teacher, { lastSyncAt: daysAgo(70) });
    await seed.held('SPARE', null, { lastSyncAt: daysAgo(100) });
    await seed.held('WIN', null, { source: 'intune', aueDate: null }, { platform: 'windows' });
    await seed.held('UNK', null, { userEmail: 'ghost@students.maplewood.example.org' });
    await reconcile(t.db, config, { now: NOW, log: quietLog });
  });
  afterAll(async () => t?.drop());

  it('totals by rule, severity and school', async () => {
    const r = await buildReport(t.db, config, { now: NOW });
    expect(r).toMatchObject({ district: 'Test', asOf: '2026-11-20', generatedAt: NOW.toISOString(), filters: { rule: null, school: null } });
    expect(r.totals.open).toBe(7);
    expect(r.totals.bySeverity).toEqual({ critical: 0, high: 1, medium: 4, low: 2, total: 7 });
    expect(r.totals.byRule.filter((x) => x.total > 0).map((x) => [x.rule, x.total])).toEqual([
      ['student-without-device', 1], ['device-silent', 2], ['past-aue', 1], ['unknown-user', 1], ['multiple-devices', 1], ['disabled-but-assigned', 1],
    ]);
    expect(r.totals.byRule).toHaveLength(11);
    expect(r.totals.bySchool).toEqual([
      { school: 'Lincoln Elementary', critical: 0, high: 1, medium: 3, low: 0, total: 4 },
      { school: 'Washington Middle', critical: 0, high: 0, medium: 0, low: 2, total: 2 },
      { school: null, critical: 0, high: 0, medium: 1, low: 0, total: 1 },
    ]);
  });

  it('coverage counts working devices only; devices per student; AUE horizon; silent buckets', async () => {
    const r = await buildReport(t.db, config, { now: NOW });
    expect(r.coverage).toEqual({
      grades: ['03', '04', '05'], eligible: 5, covered: 2, percent: 40,
      bySchool: [
        { school: 'Lincoln Elementary', eligible: 4, covered: 1, percent: 25 },
        { school: 'Washington Middle', eligible: 1, covered: 1, percent: 100 },
      ],
    });
    expect(r.devicesPerStudent).toEqual([{ devices: '0', students: 2 }, { devices: '1', students: 3 }, { devices: '2', students: 1 }, { devices: '3+', students: 0 }]);
    expect(r.aueHorizon).toEqual({ expired: 1, quarters: [{ quarter: '2030-Q2', devices: 7 }], unknown: 1 });
    expect(r.silentDevices).toEqual([
      { range: '30-60', devices: 1, assigned: 1 },
      { range: '60-90', devices: 1, assigned: 1 },
      { range: '90+', devices: 1, assigned: 0 },
    ]);
  });

  it('lists open discrepancies, most severe first, with holder, school, since and what to do', async () => {
    const r = await buildReport(t.db, config, { now: NOW });
    expect(r.discrepancies.map((x) => [x.severity, x.rule, x.serial])).toEqual([
      ['high', 'past-aue', 'E1'],
      ['medium', 'student-without-device', null],
      ['medium', 'device-silent', 'T1'],
      ['medium', 'unknown-user', 'UNK'],
      ['medium', 'disabled-but-assigned', 'D1'],
      ['low', 'device-silent', 'W2'],
      ['low', 'multiple-devices', 'W2 W3'],
    ]);
    const [aue, nodevice, , unknown] = r.discrepancies;
    expect(aue).toMatchObject({
      assetTag: 'A-E1', person: { name: 'Givenc Familyc', sisId: 'S-c' }, mdmUser: null, school: 'Lincoln Elementary',
      since: NOW.toISOString(), occurrence: 1, note: 'updates ended 2026-06-01', details: { aueDate: '2026-06-01', state: 'expired' },
    });
    expect(aue!.remediation).toMatch(/replacement/);
    expect(nodevice).toMatchObject({ person: { name: 'Givend Familyd', sisId: 'S-d' }, note: 'grade 05, no device' });
    expect(unknown).toMatchObject({ person: null, mdmUser: 'ghost@students.maplewood.example.org', school: null });
  });

  it('filters by rule and by school (identifier), and rejects unknown ones', async () => {
    const byRule = await buildReport(t.db, config, { now: NOW, rule: 'device-silent' });
    expect(byRule.discrepancies.map((x) => x.serial)).toEqual(['T1', 'W2']);
    expect(byRule.totals.byRule.map((x) => x.rule)).toEqual(['device-silent']);
    expect(byRule.totals.open).toBe(2);

    const wash = await buildReport(t.db, config, { now: NOW, school: '201' });
    expect(wash.filters.school).toEqual({ externalId: 'wash', name: 'Washington Middle' });
    expect(wash.discrepancies.map((x) => [x.rule, x.serial])).toEqual([['device-silent', 'W2'], ['multiple-devices', 'W2 W3']]);
    expect(wash.coverage).toMatchObject({ eligible: 1, covered: 1 });
    expect(wash.devicesPerStudent.find((x) => x.devices === '2')!.students).toBe(1);
    expect(wash.aueHorizon).toEqual({ expired: 0, quarters: [{ quarter: '2030-Q2', devices: 2 }], unknown: 0 });
    expect(wash.silentDevices.map((x) => x.devices)).toEqual([1, 0, 0]);

    await expect(buildReport(t.db, config, { rule: 'nope' })).rejects.toMatchObject({ code: 'validation_failed' });
    await expect(buildReport(t.db, config, { school: 'nowhere' })).rejects.toThrow(/no school matches "nowhere"/);
  });

  it('counts a suppressed finding apart and leaves it out of the list', async () => {
    const [silent] = await live(t.db, 'device-silent');
    await suppressDiscrepancy(t.db, silent!.id, { reason: 'out for repair', actor: 'test', now: NOW });
    const r = await buildReport(t.db, config, { now: NOW });
    expect(r.totals).toMatchObject({ open: 6, suppressed: 1 });
    expect(r.discrepancies.find((x) => x.id === silent!.id)).toBeUndefined();
  });
});
