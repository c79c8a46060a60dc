import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../../src/db/client.js';
import { approveHeldRun } from '../../src/sync/pipeline.js';
import { engines, freshDatabase, type TestDb } from '../helpers/db.js';
import { students, tempDir, writeGam, writeRoster } from '../helpers/district-files.js';
import { configWith, count, fingerprint, quietLog, sync } from '../helpers/ledger.js';
import { repoRoot } from '../helpers/spawn.js';

const fixtures = path.resolve(repoRoot, 'connectors/oneroster-csv/fixtures');

describe.each(engines)('ledger on %s', (engine) => {
  let t: TestDb;
  beforeAll(async () => {
    t = await freshDatabase(engine);
  });
  afterAll(async () => t?.drop());

  describe('public OneRoster fixtures', () => {
    const sets = [
      { id: 'edfi', path: `${fixtures}/edfi-1.1`, orgs: 2, people: 10, enrollments: 24, rejected: 0 },
      { id: 'ldap', path: `${fixtures}/ldap-1.1`, orgs: 1, people: 6, enrollments: 6, rejected: 0 },
      { id: 'minimal', path: `${fixtures}/minimal-1.1.zip`, orgs: 1, people: 6, enrollments: 6, rejected: 0 },
      { id: 'v12', path: `${fixtures}/v1p2-vendor`, orgs: 1, people: 6, enrollments: 6, rejected: 0 },
    ];
    const config = configWith(sets.map((s) => `  - { id: ${s.id}, kind: oneroster-csv, path: "${s.path}" }`).join('\n'));

    it.each(sets)('ingests $id with exact counts, quarantining what it rejects', async (s) => {
      const r = await sync(t.db, config, s.id);
      expect(r.status).toBe('succeeded');
      expect(r.result!.streams.orgs).toMatchObject({ created: s.orgs, rejected: 0 });
      // A rejected row that names its id is kept (present, not applied), not rejected outright.
      expect(r.result!.streams.people).toMatchObject({ created: s.people, rejected: 0, kept: s.rejected, read: s.people + s.rejected });
      expect(r.result!.streams.enrollments).toMatchObject({ created: s.enrollments });
      expect(await count(t.db, 'people', `source_id = '${s.id}'`)).toBe(s.people);
      expect(await count(t.db, 'orgs', `source_id = '${s.id}'`)).toBe(s.orgs);
      expect(await count(t.db, 'enrollments', `source_id = '${s.id}'`)).toBe(s.enrollments);
      expect(await count(t.db, 'quarantine', `source_id = '${s.id}' and outcome <> 'warning'`)).toBe(s.rejected);
      expect(await count(t.db, 'events', `run_id = ${r.runId} and action = 'create'`)).toBe(s.orgs + s.people + s.enrollments);
    });

    it('names the field and line of each D/M/Y date in the 1.2 set, applied with a field warning', async () => {
      const q = await rows<{ field: string; location: string; reason: string; external_id: string }>(t.db.orm, sql`select field, location, reason, external_id from quarantine
        where source_id = 'v12' and outcome = 'warning' and field = 'dateLastModified' order by location`);
      expect(q).toHaveLength(5);
      for (const r of q) {
        expect(r.field).toBe('dateLastModified');
        expect(r.location).toMatch(/^users\.csv:\d+$/);
        expect(r.external_id).toBeTruthy();
      }
    });

    it('re-syncing an unchanged export writes no rows and no events', async () => {
      const before = await fingerprint(t.db);
      const eventsBefore = await count(t.db, 'events');
      for (const s of sets) {
        const r = await sync(t.db, config, s.id);
        expect(r.result!.streams.people).toMatchObject({ created: 0, updated: 0, deactivated: 0, unchanged: s.people });
      }
      const after = await fingerprint(t.db);
      // Rejects are quarantined again on every read (that is the report of this run), nothing else changes.
      expect({ ...after, quarantine: '' }).toEqual({ ...before, quarantine: '' });
      expect(await count(t.db, 'events')).toBe(eventsBefore);
    });

    it('links people to their school and orgs to their parent', async () => {
      const [p] = await rows<{ user_ids: string[] }>(t.db.orm, sql`select user_ids from people where source_id = 'v12' and external_id = 'usr-77-002'`);
      expect(p!.user_ids).toEqual(['LDAP:12']);
      const linked = await rows<{ school: string | null; n: number }>(t.db.orm, sql`
        select o.name as school, count(*)::int as n from people p left join orgs o on o.id = p.school_id
        where p.source_id = 'edfi' group by o.name order by o.name`);
      expect(linked.every((r) => r.school !== null)).toBe(true);
      const [child] = await rows<{ n: number }>(t.db.orm, sql`select count(*)::int as n from orgs c join orgs p on p.id = c.parent_id where c.source_id = 'edfi'`);
      expect(child!.n).toBe(1);
    });
  });

  describe('a roster over time', () => {
    const dir = tempDir('roster');
    const config = configWith(`  - { id: sis, kind: oneroster-csv, path: "${dir}", deletionThreshold: { percent: 30, absolute: 100 } }`);

    it('deactivates a student whose row disappears, with an event, and reactivates them on return', async () => {
      writeRoster(dir, students(10));
      expect((await sync(t.db, config, 'sis')).status).toBe('succeeded');
      expect(await count(t.db, 'people', "source_id = 'sis' and status = 'active'")).toBe(10);

      writeRoster(dir, students(10).filter((s) => s.id !== 's4'));
      const gone = await sync(t.db, config, 'sis');
      expect(gone.status).toBe('succeeded');
      expect(gone.result!.streams.people).toMatchObject({ deactivated: 1, unchanged: 9 });
      const [p] = await rows<{ id: number; status: string; deactivated_at: Date | null }>(t.db.orm, sql`select id, status, deactivated_at from people where source_id = 'sis' and external_id = 's4'`);
      expect(p!.status).toBe('inactive');
      expect(p!.deactivated_at).not.toBeNull();
      expect(await count(t.db, 'events', `entity = 'person' and entity_id = ${p!.id} and action = 'deactivate' and run_id = ${gone.runId}`)).toBe(1);

      writeRoster(dir, students(10));
      const back = await sync(t.db, config, 'sis');
      expect(back.result!.streams.people).toMatchObject({ reactivated: 1, unchanged: 9 });
      const [p2] = await rows<{ status: string; deactivated_at: Date | null }>(t.db.orm, sql`select status, deactivated_at from people where id = ${p!.id}`);
      expect(p2).toEqual({ status: 'active', deactivated_at: null });
      const history = await rows<{ action: string }>(t.db.orm, sql`select action from events where entity = 'person' and entity_id = ${p!.id} order by id`);
      expect(history.map((h) => h.action)).toEqual(['create', 'deactivate', 'reactivate']);
    });

    it('records a field diff when a record changes', async () => {
      writeRoster(dir, students(10).map((s) => (s.id === 's2' ? { ...s, grade: '06', given: 'Renamed' } : s)));
      const r = await sync(t.db, config, 'sis');
      expect(r.result!.streams.people).toMatchObject({ updated: 1, unchanged: 9 });
      const [e] = await rows<{ diff: Record<string, unknown> }>(t.db.orm, sql`select diff from events where run_id = ${r.runId} and entity = 'person'`);
      expect(e!.diff).toEqual({ grades: { from: ['05'], to: ['06'] }, given_name: { from: 'Givens2', to: 'Renamed' } });
    });

    it('holds a full run that would drop 40% of students, and --force applies it', async () => {
      writeRoster(dir, students(10));
      await sync(t.db, config, 'sis');
      writeRoster(dir, [...students(6), { id: 's99' }]);
      const held = await sync(t.db, config, 'sis');
      expect(held.status).toBe('held');
      expect(held.result!.heldReason).toMatch(/people: 4 of 10 would be deactivated/);
      // A held run changes nothing: not even its creates are applied.
      expect(held.result!.streams.people).toMatchObject({ held: 4 });
      expect(await count(t.db, 'people', "source_id = 'sis' and status = 'active'")).toBe(10);
      expect(await count(t.db, 'people', "source_id = 'sis' and external_id = 's99'")).toBe(0);
      const [run] = await rows<{ status: string }>(t.db.orm, sql`select status from sync_runs where id = ${held.runId}`);
      expect(run!.status).toBe('held');

      const forced = await sync(t.db, config, 'sis', { force: true });
      expect(forced.status).toBe('succeeded');
      expect(forced.result!.streams.people).toMatchObject({ deactivated: 4 });
      expect(await count(t.db, 'people', "source_id = 'sis' and status = 'active'")).toBe(7);
      // The older held run can no longer be approved: a newer read replaced it.
      await expect(approveHeldRun({ db: t.db, config, log: quietLog }, held.runId!, 'test')).rejects.toThrow(/superseded/);
    });

    it('applies a held run when it is approved', async () => {
      writeRoster(dir, students(10));
      await sync(t.db, config, 'sis');
      writeRoster(dir, students(5));
      const held = await sync(t.db, config, 'sis');
      expect(held.status).toBe('held');
      const r = await approveHeldRun({ db: t.db, config, log: quietLog }, held.runId!, 'test');
      expect(r.approved).toMatchObject({ status: 'succeeded', approves: held.runId });
      expect(r.approved.result!.streams.people).toMatchObject({ deactivated: 5 });
      expect(await count(t.db, 'people', "source_id = 'sis' and status = 'active'")).toBe(5);
      await expect(approveHeldRun({ db: t.db, config, log: quietLog }, held.runId!, 'test')).rejects.toThrow(/is approved, not held/);
    });

    it('fails a truncated or malformed file and deactivates nothing', async () => {
      writeRoster(dir, students(10));
      await sync(t.db, config, 'sis');
      const before = await fingerprint(t.db);
      const good = 'sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,role,username,userIds,givenName,familyName,middleName,identifier,email,sms,phone,agentSourcedIds,grades,password\n' +
        's1,,2026-08-01T00:00:00Z,true,lin,student,s1,{LDAP:s1},A,B,,S1,s1@x.org,,,,05,\n';
      for (const broken of [`${good}s2,,2026-08-01T00:00:00Z,true,lin,student,s2,{LDAP:s2},"Unclosed`, `${good}s2,,2026-08-01\n`]) {
        writeRoster(dir, [], { usersCsv: broken });
        const r = await sync(t.db, config, 'sis');
        expect(r.status).toBe('failed');
        expect(r.errorCode).toBe('source_format');
        expect(r.error).toMatch(/users\.csv/);
        expect(await fingerprint(t.db)).toEqual(before);
      }
      const [run] = await rows<{ status: string; error: string }>(t.db.orm, sql`select status, error from sync_runs where source_id = 'sis' order by id desc limit 1`);
      expect(run!.status).toBe('failed');
      expect(run!.error).toMatch(/^\[source_format\]/);
    });

    it('changes nothing on a dry run', async () => {
      writeRoster(dir, students(10));
      await sync(t.db, config, 'sis');
      const before = await fingerprint(t.db);
      const runsBefore = await count(t.db, 'sync_runs');
      writeRoster(dir, [...students(9), { id: 's77' }]);
      const r = await sync(t.db, config, 'sis', { dryRun: true });
      expect(r.status).toBe('dry-run');
      expect(r.result!.streams.people).toMatchObject({ created: 1, deactivated: 1 });
      expect(await fingerprint(t.db)).toEqual(before);
      expect(await count(t.db, 'sync_runs')).toBe(runsBefore);
    });
  });

  describe('devices and assignments', () => {
    const dir = tempDir('devices');
    const gam = path.join(dir, 'gam.csv');
    const config = configWith([
      `  - { id: sis2, kind: oneroster-csv, path: "${path.join(dir, 'roster')}" }`,
      `  - { id: gam, kind: device-csv, format: gam, path: "${gam}" }`,
    ].join('\n'));

    it('moves a device from one user to another: one assignment closes, another opens', async () => {
      writeRoster(path.join(dir, 'roster'), [{ id: 'ana', email: 'ana@students.maplewood.example.org' }, { id: 'ben', email: 'ben@students.maplewood.example.org' }]);
      await sync(t.db, config, 'sis2');
      writeGam(gam, [{ id: 'g1', serial: ' pf3 kx9a1 ', user: 'Ana@students.maplewood.example.org' }, { id: 'g2', serial: 'PF3KX9A2' }]);
      const first = await sync(t.db, config, 'gam');
      expect(first.result!.devices.created).toBe(2);
      expect(first.result!.assignments).toMatchObject({ started: 1, ended: 0 });

      writeGam(gam, [{ id: 'g1', serial: 'PF3KX9A1', user: 'ben@students.maplewood.example.org' }, { id: 'g2', serial: 'PF3KX9A2' }]);
      const moved = await sync(t.db, config, 'gam');
      expect(moved.result!.assignments).toMatchObject({ started: 1, ended: 1 });
      const history = await rows<{ who: string; ended_at: Date | null; ended_reason: string | null }>(t.db.orm, sql`
        select p.external_id as who, a.ended_at, a.ended_reason from assignments a
        join devices d on d.id = a.device_id join people p on p.id = a.person_id
        where d.serial = 'PF3KX9A1' order by a.id`);
      expect(history.map((h) => [h.who, h.ended_at === null, h.ended_reason])).toEqual([
        ['ana', false, 'mdm-user-changed'],
        ['ben', true, null],
      ]);
      const again = await sync(t.db, config, 'gam');
      expect(again.result!.assignments).toMatchObject({ started: 0, ended: 0 });
    });

    it('merges the same serial from two MDMs into one device and deactivates what no MDM reports', async () => {
      const intune = path.join(dir, 'intune.csv');
      writeFileSync(intune, 'Device ID,Device name,Serial number,OS,Primary user UPN,Last check-in\nabc-1,LAB-1,pf3kx9a2,Windows,,2026-11-20 10:00:00.0000000\n');
      const both = configWith([
        `  - { id: gam, kind: device-csv, format: gam, path: "${gam}", deletionThreshold: { percent: 50, absolute: 10 } }`,
        `  - { id: intune, kind: device-csv, format: intune, path: "${intune}" }`,
      ].join('\n'));
      const r = await sync(t.db, both, 'intune');
      expect(r.result!.devices).toMatchObject({ created: 0 });
      expect(await count(t.db, 'device_observations', "device_id = (select id from devices where serial = 'PF3KX9A2')")).toBe(2);

      writeGam(gam, [{ id: 'g1', serial: 'PF3KX9A1', user: 'ben@students.maplewood.example.org' }]);
      const after = await sync(t.db, both, 'gam');
      expect(after.result!.streams.devices).toMatchObject({ deactivated: 1 });
      // Still reported by Intune, so the device itself stays active.
      const [d] = await rows<{ status: string }>(t.db.orm, sql`select status from devices where serial = 'PF3KX9A2'`);
      expect(d!.status).toBe('active');
    });
  });
});
