/** `rollcall quarantine`: the latest committed run of each source by default, filters, formats, no raw by default. */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatQuarantineCsv, formatQuarantineTable } from '../../src/cli/quarantine.js';
import { openDatabase, type Database } from '../../src/db/client.js';
import { migrate } from '../../src/db/migrate.js';
import { listQuarantine } from '../../src/quarantine/list.js';
import { cliWithConfig } from '../helpers/capture.js';
import { engines, freshDatabase, type TestDb } from '../helpers/db.js';
import { tempDir } from '../helpers/district-files.js';

async function seed(db: Database): Promise<void> {
  const ex = (q: ReturnType<typeof sql>) => db.orm.execute(q);
  await ex(sql`insert into sources (id, kind) values ('sis', 'oneroster-csv'), ('google', 'device-csv')`);
  // ids 1..4: sis old run, sis latest committed, sis failed later, google latest
  await ex(sql`insert into sync_runs (id, source_id, mode, status, started_at, finished_at) overriding system value values
    (1, 'sis', 'full', 'succeeded', '2026-11-20T05:00:00Z', '2026-11-20T05:01:00Z'),
    (2, 'sis', 'full', 'held', '2026-11-21T05:00:00Z', '2026-11-21T05:01:00Z'),
    (3, 'google', 'full', 'succeeded', '2026-11-21T06:00:00Z', '2026-11-21T06:01:00Z'),
    (4, 'sis', 'full', 'failed', '2026-11-22T05:00:00Z', '2026-11-22T05:00:01Z')`);
  await ex(sql`insert into quarantine (run_id, source_id, stream, outcome, external_id, reason, field, location, raw) values
    (1, 'sis', 'people', 'rejected', 'u-old', 'old reject', 'sourcedId', 'users.csv:9', '{"email":"old@maplewood.example.org"}'),
    (2, 'sis', 'people', 'rejected', null, 'no sourcedId', 'sourcedId', 'users.csv:14', '{"givenName":"Ada","email":"ada@maplewood.example.org"}'),
    (2, 'sis', 'people', 'kept', 'u-7', 'role "alien" is not a OneRoster role', 'role', 'users.csv:21', '{"role":"alien"}'),
    (2, 'sis', 'people', 'warning', 'u-8', 'grades: "13" is not a grade; kept the stored value', 'grades', 'users.csv:22', null),
    (3, 'google', 'devices', 'rejected', 'cros-1', 'no serial number', 'serialNumber', 'gam-cros.csv:3', '{"annotatedUser":"bo@maplewood.example.org"}')`);
}

describe.each(engines)('quarantine listing on %s', (engine) => {
  let t: TestDb;
  beforeAll(async () => {
    t = await freshDatabase(engine);
    await seed(t.db);
  });
  afterAll(async () => t?.drop());

  it('defaults to the latest committed run of each source, newest run first, without raw', async () => {
    const l = await listQuarantine(t.db);
    expect(l.runs.map((r) => [r.id, r.sourceId])).toEqual([[3, 'google'], [2, 'sis']]);
    expect(l.total).toBe(4);
    expect(l.rows.map((r) => [r.runId, r.outcome, r.location])).toEqual([
      [3, 'rejected', 'gam-cros.csv:3'], [2, 'rejected', 'users.csv:14'], [2, 'kept', 'users.csv:21'], [2, 'warning', 'users.csv:22'],
    ]);
    expect(l.rows.every((r) => !('raw' in r))).toBe(true);
    const table = formatQuarantineTable(l);
    expect(table).toContain('Run 2 (sis, full, held, started 2026-11-21T05:00:00.000Z): 1 rejected, 1 kept, 1 warning');
    expect(table).toMatch(/2 +sis +people +kept +users\.csv:21 +u-7 +role +role "alien" is not a OneRoster role/);
    expect(table).not.toContain('@maplewood');
    expect(formatQuarantineCsv(l).split('\n')[0]).toBe('run_id,source,stream,outcome,location,external_id,field,reason,at');
  });

  it('filters by run, source and outcome; limits; shows raw only when asked', async () => {
    expect((await listQuarantine(t.db, { source: 'sis' })).runs.map((r) => r.id)).toEqual([2]);
    const old = await listQuarantine(t.db, { runId: 1, raw: true });
    expect(old.rows).toEqual([expect.objectContaining({ externalId: 'u-old', raw: { email: 'old@maplewood.example.org' } })]);
    const kept = await listQuarantine(t.db, { outcome: 'kept' });
    expect(kept.rows.map((r) => r.externalId)).toEqual(['u-7']);
    expect(kept.runs.find((r) => r.id === 3)?.counts).toEqual({ rejected: 0, kept: 0, warning: 0 });
    const limited = await listQuarantine(t.db, { limit: 2 });
    expect(limited.rows).toHaveLength(2);
    expect(formatQuarantineTable(limited)).toContain('Showing 2 of 4; use --limit to see more.');
    await expect(listQuarantine(t.db, { runId: 99 })).rejects.toThrow('there is no run 99');
    await expect(listQuarantine(t.db, { runId: 3, source: 'sis' })).rejects.toThrow('run 3 is not a run of source "sis"');
    const failed = await listQuarantine(t.db, { runId: 4 });
    expect(formatQuarantineTable(failed)).toContain('Nothing was quarantined.');
  });
});

describe('rollcall quarantine (CLI)', () => {
  let file: string;
  beforeAll(async () => {
    const dir = tempDir('quarantine');
    const db = await openDatabase({ dataDir: path.join(dir, 'data') });
    await migrate(db);
    await seed(db);
    await db.close();
    file = path.join(dir, 'rollcall.yaml');
    writeFileSync(file, `district: { name: T }\ndatabase: { dataDir: ${path.join(dir, 'data')} }\n`);
  });

  it('prints the table, csv and json; --raw adds the record; exit 0', async () => {
    const cli = cliWithConfig(file);
    const table = await cli('quarantine');
    expect(table.code).toBe(0);
    expect(table.out).toContain('users.csv:14');
    expect(table.out).not.toContain('ada@');
    const json = await cli('quarantine', '--format', 'json', '--outcome', 'rejected');
    const parsed = JSON.parse(json.out) as { rows: { externalId: string | null; raw?: unknown }[]; total: number };
    expect(parsed.total).toBe(2);
    expect(parsed.rows.some((r) => 'raw' in r)).toBe(false);
    const raw = await cli('quarantine', '--run', '2', '--outcome', 'rejected', '--format', 'csv', '--raw');
    expect(raw.out.split('\n')).toHaveLength(2);
    expect(raw.out).toContain('ada@maplewood.example.org');
    expect((await cli('quarantine', '--source', 'nosuch')).out).toBe('Source "nosuch" has no committed run yet, so nothing was quarantined.');
    expect((await cli('quarantine', '--outcome', 'lost')).code).toBe(2);
    expect((await cli('quarantine', '--limit', '0')).code).toBe(2);
    const help = await cli('quarantine', '--help');
    expect(help.out).toContain('--raw adds the source record');
  });
});
