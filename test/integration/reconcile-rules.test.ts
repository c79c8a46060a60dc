/**
 * Each rule on both engines: it fires on the case, stays quiet on the near miss, and its options (or the
 * common enabled / severity keys) change the outcome. Ledger states are seeded directly; the clock is fixed.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/index.js';
import { reconcile } from '../../src/reconcile/engine.js';
import { engines, freshDatabase, type TestDb } from '../helpers/db.js';
import { quietLog } from '../helpers/ledger.js';
import { daysAgo, DOMAIN, LedgerSeed, live, NOW, reconcileConfig, subjects } from '../helpers/reconcile-seed.js';

describe.each(engines)('reconcile rules on %s', (engine) => {
  let t: TestDb;
  let seed: LedgerSeed;
  beforeAll(async () => {
    t = await freshDatabase(engine);
    seed = new LedgerSeed(t.db);
  });
  afterAll(async () => t?.drop());
  beforeEach(async () => seed.reset());

  const run = (config: Config = reconcileConfig(), now = NOW) => reconcile(t.db, config, { now, log: quietLog });

  describe('withdrawn-with-device', () => {
    it('fires for an inactive person holding a device, not for a returned device or an active holder', async () => {
      const gone = await seed.person({ id: 'gone', status: 'inactive' });
      const returned = await seed.person({ id: 'returned', status: 'inactive' });
      const here = await seed.person({ id: 'here' });
      await seed.held('SER1', gone);
      const d2 = await seed.held('SER2', null);
      await seed.assign(d2, returned, { ended: true });
      await seed.held('SER3', here);
      await run();
      const [f, ...rest] = await live(t.db, 'withdrawn-with-device');
      expect(rest).toEqual([]);
      expect(f).toMatchObject({ subject_key: 'device:SER1', severity: 'high', person_id: gone, status: 'open', occurrence: 1 });
      expect(f!.details).toEqual({ serial: 'SER1', assetTag: 'A-SER1', sisId: 'S-gone', school: 'lin', origin: 'manual' });
    });

    it('takes a pinned severity, and resolves everything as "rule disabled" when disabled', async () => {
      await seed.held('SER1', await seed.person({ id: 'gone', status: 'inactive' }));
      await run(reconcileConfig('{ rules: { withdrawn-with-device: { severity: critical } } }'));
      expect((await live(t.db, 'withdrawn-with-device'))[0]!.severity).toBe('critical');
      const s = await run(reconcileConfig('{ rules: { withdrawn-with-device: { enabled: false } } }'));
      expect(s.byRule['withdrawn-with-device']).toMatchObject({ resolved: 1 });
      expect(await live(t.db, 'withdrawn-with-device')).toEqual([]);
    });
  });

  describe('student-without-device', () => {
    it('fires for an active 1:1-grade student with no open assignment, and no one else', async () => {
      await seed.person({ id: 'none' });
      await seed.person({ id: 'k2', grades: ['01'] });
      await seed.person({ id: 'left', status: 'inactive' });
      await seed.person({ id: 'teacher', role: 'teacher', grades: [] });
      await seed.held('SER1', await seed.person({ id: 'has' }));
      const ended = await seed.person({ id: 'ended' });
      await seed.assign(await seed.held('SER2', null), ended, { ended: true });
      await run();
      expect(await subjects(t.db, 'student-without-device')).toEqual(['person:sis:ended', 'person:sis:none']);
      const [f] = await live(t.db, 'student-without-device');
      expect(f).toMatchObject({ severity: 'medium', device_id: null });
      expect(f!.details).toEqual({ sisId: 'S-ended', school: 'lin', grades: ['05'] });
    });

    it('honours exemptSchools (sourcedId or identifier) and exemptGrades', async () => {
      await seed.person({ id: 'lin5' });
      await seed.person({ id: 'lin3', grades: ['03'] });
      await seed.person({ id: 'wash5', school: 'wash' });
      const only = async (opts: string) => {
        await run(reconcileConfig(`{ rules: { student-without-device: ${opts} } }`));
        return subjects(t.db, 'student-without-device');
      };
      expect(await only('{}')).toEqual(['person:sis:lin3', 'person:sis:lin5', 'person:sis:wash5']);
      expect(await only('{ exemptSchools: ["101"] }')).toEqual(['person:sis:wash5']);
      expect(await only('{ exemptSchools: [wash], exemptGrades: ["05"] }')).toEqual(['person:sis:lin3']);
    });
  });

  describe('device-silent', () => {
    it('fires for an assigned device silent past the threshold; severity rises at twice it', async () => {
      const s = await seed.person({ id: 's' });
      await seed.held('SILENT31', s, { lastSyncAt: daysAgo(31) });
      await seed.held('SILENT61', await seed.person({ id: 's2' }), { lastSyncAt: daysAgo(61) });
      await seed.held('RECENT29', await seed.person({ id: 's3' }), { lastSyncAt: daysAgo(29) });
      await seed.held('SPARE', null, { lastSyncAt: daysAgo(100) });
      await seed.held('NEVER', await seed.person({ id: 's4' }), { lastSyncAt: null });
      // One MDM stale, the other fresh: the device is talking.
      const both = await seed.held('BOTH', await seed.person({ id: 's5' }), { lastSyncAt: daysAgo(90) });
      await seed.observe(both, { source: 'intune', lastSyncAt: daysAgo(2) });
      // A deprovisioned observation's last sync says nothing about the device now.
      const dep = await seed.held('DEPROV', await seed.person({ id: 's6' }), { lastSyncAt: daysAgo(3) });
      await seed.observe(dep, { source: 'intune', status: 'retired', lastSyncAt: daysAgo(1) });
      await run();
      const found = await live(t.db, 'device-silent');
      expect(found.map((f) => [f.subject_key, f.severity, f.details.daysSilent])).toEqual([
        ['device:SILENT31', 'low', 31],
        ['device:SILENT61', 'medium', 61],
      ]);
      expect(found[0]!.details).toMatchObject({ platform: 'chromeos', thresholdDays: 30, lastSyncAt: daysAgo(31).toISOString().replace('.000', '') });
      expect(found[0]!.person_id).toBe(s);
    });

    it('takes staleAfterDays, per-platform thresholds and mediumAfterDays from its options', async () => {
      await seed.held('CROS20', await seed.person({ id: 'a' }), { lastSyncAt: daysAgo(20) });
      await seed.held('WIN20', await seed.person({ id: 'b' }), { lastSyncAt: daysAgo(20), source: 'intune' }, { platform: 'windows' });
      await run(reconcileConfig('{ rules: { device-silent: { platforms: { windows: 14 } } } }'));
      expect(await subjects(t.db, 'device-silent')).toEqual(['device:WIN20']);
      await run(reconcileConfig('{ staleAfterDays: 10, rules: { device-silent: { mediumAfterDays: 15 } } }'));
      expect((await live(t.db, 'device-silent')).map((f) => [f.subject_key, f.severity])).toEqual([['device:CROS20', 'medium'], ['device:WIN20', 'medium']]);
      await run(reconcileConfig('{ staleAfterDays: 10, rules: { device-silent: { staleAfterDays: 25 } } }'));
      expect(await subjects(t.db, 'device-silent')).toEqual([]);
    });
  });

  describe('past-aue', () => {
    it('grades expiry: expired high, within 90 days medium, within the warning window low, beyond it nothing', async () => {
      await seed.held('EXPIRED', null, { aueDate: '2026-06-01' });
      await seed.held('SOON', await seed.person({ id: 'a' }), { aueDate: '2027-01-15' });
      await seed.held('LATER', null, { aueDate: '2027-04-01' });
      await seed.held('BEYOND', null, { aueDate: '2027-06-30' });
      await seed.held('TODAY', null, { aueDate: '2026-11-20' });
      await seed.held('GONE', null, { aueDate: '2025-06-01', status: 'deprovisioned' });
      await seed.held('NOAUE', null, { aueDate: null });
      await run();
      const found = await live(t.db, 'past-aue');
      expect(found.map((f) => [f.subject_key, f.severity, f.details.state, f.details.daysLeft])).toEqual([
        ['device:EXPIRED', 'high', 'expired', -172],
        ['device:LATER', 'low', 'warning', 132],
        ['device:SOON', 'medium', 'warning', 56],
        ['device:TODAY', 'medium', 'warning', 0],
      ]);
      expect(found[0]!.details).toMatchObject({ aueDate: '2026-06-01', serial: 'EXPIRED' });
    });

    it('takes warningDays and mediumWithinDays, and judges as of reconcile.asOf when set', async () => {
      await seed.held('EXPIRED', null, { aueDate: '2026-06-01' });
      await seed.held('SOON', null, { aueDate: '2027-01-15' });
      await run(reconcileConfig('{ rules: { past-aue: { warningDays: 0 } } }'));
      expect(await subjects(t.db, 'past-aue')).toEqual(['device:EXPIRED']);
      await run(reconcileConfig('{ rules: { past-aue: { mediumWithinDays: 30 } } }'));
      expect((await live(t.db, 'past-aue')).map((f) => f.severity)).toEqual(['high', 'low']);
      await run(reconcileConfig('{ asOf: "2026-03-01" }'));
      expect((await live(t.db, 'past-aue')).map((f) => [f.subject_key, f.details.state])).toEqual([['device:EXPIRED', 'warning']]);
    });
  });

  describe('wrong-school', () => {
    const map = '{ "/Students": wash, "/Students/Lincoln": "101", "/Staff/": lin }';
    it('fires when the longest mapped OU prefix names another school than the holder\'s', async () => {
      const lin = await seed.person({ id: 'lin' });
      await seed.held('RIGHT', lin, { orgUnit: '/Students/Lincoln/Grade 5' });
      await seed.held('EXACT', await seed.person({ id: 'lin2' }), { orgUnit: '/Students/Lincoln' });
      await seed.held('WRONG', await seed.person({ id: 'lin3' }), { orgUnit: '/Students/Washington' });
      await seed.held('SEGMENT', await seed.person({ id: 'lin4' }), { orgUnit: '/Students/Lincolnwood' });
      await seed.held('STAFF', await seed.person({ id: 'wash1', school: 'wash' }), { orgUnit: '/Staff/IT' });
      await seed.held('NOSCHOOL', await seed.person({ id: 'x', school: null }), { orgUnit: '/Students/Washington' });
      await seed.held('UNMAPPED', await seed.person({ id: 'lin5' }), { orgUnit: '/Carts' });
      await seed.held('NOBODY', null, { orgUnit: '/Students/Washington' });
      await run(reconcileConfig(`{ ouSchoolMap: ${map} }`));
      const found = await live(t.db, 'wrong-school');
      expect(found.map((f) => f.subject_key)).toEqual(['device:SEGMENT', 'device:STAFF', 'device:WRONG']);
      expect(found[2]!.details).toEqual({ serial: 'WRONG', assetTag: 'A-WRONG', orgUnit: '/Students/Washington', ouSchool: 'wash', holderSchool: 'lin', sisId: 'S-lin3' });
    });

    it('finds nothing without a map', async () => {
      await seed.held('WRONG', await seed.person({ id: 'lin3' }), { orgUnit: '/Students/Washington' });
      await run(reconcileConfig(`{ ouSchoolMap: ${map} }`));
      expect(await subjects(t.db, 'wrong-school')).toEqual(['device:WRONG']);
      await run();
      expect(await subjects(t.db, 'wrong-school')).toEqual([]);
    });
  });

  describe('duplicate-serial-conflict', () => {
    it('fires when two MDMs name different users, not for the same user in another case', async () => {
      const ana = await seed.person({ id: 'ana' });
      const ben = await seed.person({ id: 'ben' });
      const d1 = await seed.held('CONFLICT', ana, { userEmail: `ana@${DOMAIN}` });
      await seed.observe(d1, { source: 'intune', userEmail: `ben@${DOMAIN}` });
      const d2 = await seed.held('SAME', ben, { userEmail: `ben@${DOMAIN}` });
      await seed.observe(d2, { source: 'intune', userEmail: `BEN@${DOMAIN.toUpperCase()}` });
      const d3 = await seed.held('ONEUSER', ben, { userEmail: `ben@${DOMAIN}` });
      await seed.observe(d3, { source: 'intune', userEmail: null });
      // Two observations in one source (a re-enrolment) are not two MDMs disagreeing.
      const d4 = await seed.held('ONESOURCE', null, { userEmail: `ana@${DOMAIN}` });
      await seed.observe(d4, { userEmail: `ben@${DOMAIN}` });
      await run();
      const found = await live(t.db, 'duplicate-serial-conflict');
      expect(found.map((f) => [f.subject_key, f.severity])).toEqual([['device:CONFLICT', 'high']]);
      expect(found[0]!.details).toEqual({ serial: 'CONFLICT', assetTag: 'A-CONFLICT', sources: ['gam', 'intune'], personIds: [ana, ben].sort((a, b) => a - b) });
      await run(reconcileConfig('{ rules: { duplicate-serial-conflict: { enabled: false } } }'));
      expect(await subjects(t.db, 'duplicate-serial-conflict')).toEqual([]);
    });
  });

  describe('unknown-user', () => {
    it('fires for an MDM user that matches no person by email, username or userId', async () => {
      await seed.person({ id: 'ana' });
      await seed.person({ id: 'bo', email: 'robert@other.example.org', username: 'bo' });
      await seed.person({ id: 'cy', email: null, username: null, userIds: ['LDAP:cyrus'] });
      await seed.held('BYEMAIL', null, { userEmail: `ana@${DOMAIN}` });
      await seed.held('BYUSERNAME', null, { userEmail: `bo@${DOMAIN}` });
      await seed.held('BYUSERID', null, { userEmail: `cyrus@${DOMAIN}` });
      await seed.held('TYPO', null, { userEmail: `anaa@${DOMAIN}` });
      await seed.held('OUTSIDER', null, { userEmail: 'someone@gmail.example.com' });
      await seed.held('RECENTIN', null, { recentUsers: ['guest@gmail.example.com', `zed@${DOMAIN}`] });
      await seed.held('RECENTOUT', null, { recentUsers: ['guest@gmail.example.com'] });
      await seed.held('NOBODY', null);
      await run();
      expect(await subjects(t.db, 'unknown-user')).toEqual(['device:OUTSIDER', 'device:RECENTIN', 'device:TYPO']);
      const [f] = await live(t.db, 'unknown-user');
      expect(f!.details).toEqual({ serial: 'OUTSIDER', assetTag: 'A-OUTSIDER', sources: ['gam'] });
      expect(f!.severity).toBe('medium');
    });

    it('leaves ignored users and domains alone', async () => {
      await seed.held('SVC', null, { userEmail: 'svc-lab@maplewood.example.org' });
      await seed.held('VENDOR', null, { userEmail: 'tech@vendor.example.com' });
      await run(reconcileConfig('{ rules: { unknown-user: { ignoreUsers: ["SVC-lab@maplewood.example.org", "@vendor.example.com"] } } }'));
      expect(await subjects(t.db, 'unknown-user')).toEqual([]);
      await run();
      expect(await subjects(t.db, 'unknown-user')).toEqual(['device:SVC', 'device:VENDOR']);
    });
  });

  describe('multiple-devices', () => {
    it('fires for an active student holding more than allowed, not for staff or a single device', async () => {
      const two = await seed.person({ id: 'two' });
      await seed.held('A1', two);
      await seed.held('A2', two);
      await seed.held('B1', await seed.person({ id: 'one' }));
      const teacher = await seed.person({ id: 'teach', role: 'teacher' });
      await seed.held('T1', teacher);
      await seed.held('T2', teacher);
      const left = await seed.person({ id: 'left', status: 'inactive' });
      await seed.held('L1', left);
      await seed.held('L2', left);
      await run();
      const found = await live(t.db, 'multiple-devices');
      expect(found.map((f) => [f.subject_key, f.severity, f.person_id])).toEqual([['person:sis:two', 'low', two]]);
      expect(found[0]!.details).toEqual({ sisId: 'S-two', school: 'lin', count: 2, serials: ['A1', 'A2'] });
      await run(reconcileConfig('{ rules: { multiple-devices: { maxDevicesPerStudent: 2 } } }'));
      expect(await subjects(t.db, 'multiple-devices')).toEqual([]);
    });
  });

  describe('disabled-but-assigned', () => {
    it('fires when every live observation of an assigned device is disabled', async () => {
      await seed.held('LOST', await seed.person({ id: 'a' }), { status: 'disabled' });
      await seed.held('SPARE', null, { status: 'disabled' });
      const mixed = await seed.held('MIXED', await seed.person({ id: 'b' }), { status: 'disabled' });
      await seed.observe(mixed, { source: 'intune', status: 'active' });
      const retired = await seed.held('RETIREDTOO', await seed.person({ id: 'c' }), { status: 'disabled' });
      await seed.observe(retired, { source: 'intune', status: 'retired' });
      await run();
      expect(await subjects(t.db, 'disabled-but-assigned')).toEqual(['device:LOST', 'device:RETIREDTOO']);
      await run(reconcileConfig('{ rules: { disabled-but-assigned: { severity: low, ticket: true } } }'));
      expect((await live(t.db, 'disabled-but-assigned')).map((f) => f.severity)).toEqual(['low', 'low']);
    });
  });

  describe('noncompliant', () => {
    it('fires for a live noncompliant observation, assigned or not', async () => {
      const holder = await seed.person({ id: 'a', role: 'teacher' });
      await seed.held('BAD', holder, { source: 'intune', compliance: 'noncompliant' }, { platform: 'windows' });
      await seed.held('LAB', null, { source: 'intune', compliance: 'noncompliant' }, { platform: 'windows' });
      await seed.held('GOOD', null, { source: 'intune', compliance: 'compliant' }, { platform: 'windows' });
      await seed.held('WIPED', null, { source: 'intune', compliance: 'noncompliant', status: 'wiped' }, { platform: 'windows' });
      await seed.held('STALE', null, { source: 'intune', compliance: 'noncompliant', active: false }, { platform: 'windows' });
      await run();
      const found = await live(t.db, 'noncompliant');
      expect(found.map((f) => [f.subject_key, f.severity, f.person_id])).toEqual([['device:BAD', 'medium', holder], ['device:LAB', 'medium', null]]);
      expect(found[0]!.details).toEqual({ serial: 'BAD', assetTag: 'A-BAD', sources: ['intune'] });
      await run(reconcileConfig('{ rules: { noncompliant: { severity: high } } }'));
      expect((await live(t.db, 'noncompliant')).map((f) => f.severity)).toEqual(['high', 'high']);
    });
  });

  describe('dev-mode', () => {
    it('fires for a live observation in developer mode', async () => {
      await seed.held('DEV', await seed.person({ id: 'a' }), { bootMode: 'dev' });
      await seed.held('CART', null, { bootMode: 'dev' });
      await seed.held('NORMAL', null, { bootMode: 'normal' });
      await seed.held('DEPROV', null, { bootMode: 'dev', status: 'deprovisioned' });
      await run();
      expect((await live(t.db, 'dev-mode')).map((f) => [f.subject_key, f.severity])).toEqual([['device:CART', 'high'], ['device:DEV', 'high']]);
      await run(reconcileConfig('{ rules: { dev-mode: { enabled: false } } }'));
      expect(await subjects(t.db, 'dev-mode')).toEqual([]);
    });
  });
});
