/** The report's freshness section over seeded runs, on both engines, and the CLI's exit 1 on a ledger never synced. */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildReport } from '../../src/reconcile/report.js';
import { cliWithConfig } from '../helpers/capture.js';
import { engines, freshDatabase, type TestDb } from '../helpers/db.js';
import { tempDir } from '../helpers/district-files.js';
import { configWith } from '../helpers/ledger.js';

const NOW = new Date('2026-11-24T12:00:00Z');
const config = configWith([
  '  - { id: sis, kind: oneroster-csv, path: /nowhere/roster }',
  '  - { id: gam, kind: device-csv, format: gam, path: /nowhere/gam.csv }',
  '  - { id: intune, kind: device-csv, format: intune, path: /nowhere/intune.csv }',
].join('\n'));

describe.each(engines)('report freshness on %s', (engine) => {
  let t: TestDb;
  beforeAll(async () => {
    t = await freshDatabase(engine);
  });
  afterAll(async () => t?.drop());

  it('says the ledger never synced while no run succeeded', async () => {
    await t.db.orm.execute(sql`insert into sources (id, kind) values ('sis', 'oneroster-csv'), ('gam', 'device-csv'), ('intune', 'device-csv')`);
    await t.db.orm.execute(sql`insert into sync_runs (source_id, mode, status, started_at, finished_at, error) values
      ('sis', 'full', 'failed', '2026-11-24T05:00:00Z', '2026-11-24T05:00:01Z', '[source_format] no manifest.csv'),
      ('gam', 'full', 'held', '2026-11-24T05:00:00Z', '2026-11-24T05:00:10Z', null)`);
    const r = await buildReport(t.db, config, { now: NOW });
    expect(r.everSynced).toBe(false);
    expect(r.freshness[0]).toEqual({
      source: 'sis', kind: 'oneroster-csv', lastSuccessAt: null, ageSeconds: null, age: null,
      lastFailure: { at: '2026-11-24T05:00:01.000Z', error: '[source_format] no manifest.csv' },
    });
  });

  it('gives each configured source its last success, age, and a failure only when it is more recent', async () => {
    await t.db.orm.execute(sql`insert into sync_runs (source_id, mode, status, started_at, finished_at, error) values
      ('sis', 'full', 'succeeded', '2026-11-24T08:59:00Z', '2026-11-24T09:00:00Z', null),
      ('gam', 'full', 'approved', '2026-11-10T05:00:00Z', '2026-11-10T05:00:10Z', null),
      ('gam', 'delta', 'failed', '2026-11-24T11:00:00Z', '2026-11-24T11:00:03Z', '[http_timeout] slow'),
      ('gam', 'delta', 'running', '2026-11-24T11:30:00Z', null, null)`);
    const r = await buildReport(t.db, config, { now: NOW });
    expect(r.everSynced).toBe(true);
    expect(r.freshness).toEqual([
      // sis failed at 05:00 but succeeded at 09:00: the failure is history, not news.
      { source: 'sis', kind: 'oneroster-csv', lastSuccessAt: '2026-11-24T09:00:00.000Z', ageSeconds: 10800, age: '3 h ago', lastFailure: null },
      {
        source: 'gam', kind: 'device-csv', lastSuccessAt: '2026-11-10T05:00:10.000Z', ageSeconds: 1234790, age: '14 days ago',
        lastFailure: { at: '2026-11-24T11:00:03.000Z', error: '[http_timeout] slow' },
      },
      { source: 'intune', kind: 'device-csv', lastSuccessAt: null, ageSeconds: null, age: null, lastFailure: null },
    ]);
  });
});

describe('rollcall report on a ledger that never synced', () => {
  it('says so and exits 1 in every format', async () => {
    const dir = tempDir('fresh');
    const file = path.join(dir, 'rollcall.yaml');
    writeFileSync(file, `district: { name: T }\ndatabase: { dataDir: ${path.join(dir, 'data')} }\nsources:\n  - { id: sis, kind: oneroster-csv, path: roster }\n`);
    const cli = cliWithConfig(file);
    const table = await cli('report');
    expect(table.code).toBe(1);
    expect(table.out).toMatch(/^sis\s+oneroster-csv\s+never\s+-$/m);
    expect(table.out).toContain('This ledger has never synced');
    const json = await cli('report', '--format', 'json');
    expect(json.code).toBe(1);
    expect(JSON.parse(json.out)).toMatchObject({ everSynced: false, freshness: [{ source: 'sis', lastSuccessAt: null }] });
    expect(json.err).toContain('This ledger has never synced');
    const csv = await cli('report', '--format', 'csv');
    expect(csv.code).toBe(1);
    expect(csv.out.split('\n')).toHaveLength(1);
  });
});
