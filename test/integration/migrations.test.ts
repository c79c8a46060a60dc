import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../../src/db/client.js';
import { violatedConstraint } from '../../src/db/pg-error.js';
import { appliedCount, expectedMigrations, migrate, migrationStatus } from '../../src/db/migrate.js';
import { engines, freshDatabase, type TestDb } from '../helpers/db.js';

async function constraintOf(p: Promise<unknown>): Promise<string | undefined> {
  return p.then(() => 'no error', violatedConstraint);
}

describe.each(engines)('migrations and constraints on %s', (engine) => {
  let t: TestDb;
  beforeAll(async () => {
    t = await freshDatabase(engine, { migrate: false });
  });
  afterAll(async () => t?.drop());

  it('apply from empty, then again as a no-op', async () => {
    expect(await appliedCount(t.db)).toBe(0);
    expect((await migrationStatus(t.db)).ready).toBe(false);
    const first = await migrate(t.db);
    expect(first.applied).toBe(expectedMigrations());
    const second = await migrate(t.db);
    expect(second.applied).toBe(0);
    expect((await migrationStatus(t.db)).ready).toBe(true);
    const tables = await rows<{ t: string }>(t.db.orm, sql`select table_name as t from information_schema.tables where table_schema = 'public' order by 1`);
    expect(tables.map((r) => r.t)).toEqual([
      'assignments', 'audit_log', 'deliveries', 'delivery_targets', 'device_observations', 'devices', 'discrepancies', 'enrollments',
      'events', 'orgs', 'outbox', 'people', 'quarantine', 'sources', 'sync_runs', 'ticket_links',
    ]);
  });

  it('rejects a duplicate serial and an unnormalised one', async () => {
    await t.db.orm.execute(sql`insert into devices (serial, platform) values ('5CD123', 'chromeos')`);
    expect(await constraintOf(t.db.orm.execute(sql`insert into devices (serial, platform) values ('5CD123', 'windows')`))).toBe('devices_serial');
    expect(await constraintOf(t.db.orm.execute(sql`insert into devices (serial, platform) values ('5cd 999', 'windows')`))).toBe('devices_serial_normalised');
  });

  it('allows one open assignment per device, any number of closed ones', async () => {
    await t.db.orm.execute(sql`insert into sources (id, kind) values ('sis', 'oneroster-csv')`);
    await t.db.orm.execute(sql`insert into people (source_id, external_id, role, status, content_hash) values ('sis', 'p1', 'student', 'active', 'h'), ('sis', 'p2', 'student', 'active', 'h')`);
    const [dev] = await rows<{ id: number }>(t.db.orm, sql`select id from devices where serial = '5CD123'`);
    const [p1, p2] = await rows<{ id: number }>(t.db.orm, sql`select id from people order by external_id`);
    await t.db.orm.execute(sql`insert into assignments (device_id, person_id, origin, ended_at) values (${dev!.id}, ${p1!.id}, 'mdm', now())`);
    await t.db.orm.execute(sql`insert into assignments (device_id, person_id, origin) values (${dev!.id}, ${p1!.id}, 'mdm')`);
    expect(await constraintOf(t.db.orm.execute(sql`insert into assignments (device_id, person_id, origin) values (${dev!.id}, ${p2!.id}, 'manual')`))).toBe('assignments_one_open_per_device');
  });

  it('keeps (source_id, external_id) unique and one live discrepancy per (rule, subject)', async () => {
    expect(await constraintOf(t.db.orm.execute(sql`insert into people (source_id, external_id, role, status, content_hash) values ('sis', 'p1', 'student', 'active', 'h')`))).toBe('people_source_external');
    await t.db.orm.execute(sql`insert into discrepancies (rule, subject_key, severity, status) values ('past-aue', 'device:X', 'high', 'resolved'), ('past-aue', 'device:X', 'high', 'open')`);
    expect(await constraintOf(t.db.orm.execute(sql`insert into discrepancies (rule, subject_key, severity, status) values ('past-aue', 'device:X', 'high', 'suppressed')`))).toBe('discrepancies_one_live');
  });
});
