/** /metrics reads the ledger at scrape time: seeded runs and discrepancies show up with the right labels. */
import { buildTokenRegistry } from '../../src/api/auth/tokens.js';
import { sql } from 'drizzle-orm';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/api/app.js';
import { createMetrics, sumRecords } from '../../src/api/metrics.js';
import { parseConfigText } from '../../src/config/index.js';
import { engines, freshDatabase, type TestDb } from '../helpers/db.js';

/** The sample lines of one metric, as `{labels}` → value. */
function samples(text: string, name: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = new RegExp(`^${name}(\\{[^}]*\\})? (\\S+)$`).exec(line);
    if (m) out[m[1] ?? ''] = Number(m[2]);
  }
  return out;
}

describe('sumRecords', () => {
  it('sums over streams and treats missing keys as 0', () => {
    const r = sumRecords({ streams: { people: { read: 10, created: 2, rejected: 1 }, devices: { read: 5, updated: 3, held: 2 } }, durationMs: 4 });
    expect(r).toEqual({ read: 15, created: 2, updated: 3, unchanged: 0, deactivated: 0, reactivated: 0, rejected: 1, kept: 0, warnings: 0, held: 2 });
    expect(sumRecords({}).read).toBe(0);
    expect(sumRecords(null).read).toBe(0);
  });
});

describe.each(engines)('/metrics from the ledger on %s', (engine) => {
  let t: TestDb;
  beforeAll(async () => {
    t = await freshDatabase(engine);
    const ex = (q: ReturnType<typeof sql>) => t.db.orm.execute(q);
    await ex(sql`insert into sources (id, kind) values ('sis', 'oneroster-csv'), ('google', 'device-csv')`);
    await ex(sql`insert into sync_runs (source_id, mode, status, started_at, finished_at, stats, error) values
      ('sis', 'full', 'succeeded', '2026-11-20T05:00:00Z', '2026-11-20T05:00:30Z', '{"streams":{"people":{"read":100,"created":100}}}', null),
      ('sis', 'full', 'failed',    '2026-11-21T05:00:00Z', '2026-11-21T05:00:02Z', '{}', '[incomplete_read] short'),
      ('sis', 'full', 'approved',  '2026-11-22T05:00:00Z', '2026-11-22T05:01:00Z', '{"streams":{"people":{"read":90,"unchanged":80,"deactivated":10},"orgs":{"read":3,"unchanged":3}}}', null),
      ('sis', 'full', 'failed',    '2026-11-23T05:00:00Z', '2026-11-23T05:00:05Z', '{}', '[http_timeout] slow'),
      ('google', 'full', 'held',   '2026-11-23T06:00:00Z', '2026-11-23T06:00:12Z', '{"streams":{"devices":{"read":50,"held":7,"warnings":2}}}', null),
      ('google', 'delta', 'running', '2026-11-24T06:00:00Z', null, '{}', null)`);
    await ex(sql`insert into discrepancies (rule, subject_key, severity, status) values
      ('device-silent', 'd:1', 'medium', 'open'), ('device-silent', 'd:2', 'medium', 'open'),
      ('unknown-user', 'd:3', 'low', 'open'), ('past-aue', 'd:4', 'high', 'resolved'), ('dev-mode', 'd:5', 'high', 'suppressed')`);
  });
  afterAll(async () => t?.drop());

  const scrape = async () => {
    const app = createApp({
      config: parseConfigText('district: { name: T }', '/tmp/t.yaml', {}),
      db: t.db, log: pino({ level: 'silent' }), metrics: createMetrics(t.db), version: '0.0.0', tokens: buildTokenRegistry({ api: { tokens: [] } }),
    });
    const res = await app.request('/metrics');
    expect(res.status).toBe(200);
    return res.text();
  };

  it('counts runs, the last run per source, open discrepancies and the last success', async () => {
    const text = await scrape();
    expect(samples(text, 'rollcall_ledger_up')).toEqual({ '': 1 });
    expect(samples(text, 'rollcall_sync_runs_total')).toEqual({
      '{source="sis",outcome="succeeded"}': 1,
      '{source="sis",outcome="failed"}': 2,
      '{source="sis",outcome="approved"}': 1,
      '{source="sis",outcome="held"}': 1, // the approved run was held first
      '{source="google",outcome="held"}': 1,
    });
    expect(samples(text, 'rollcall_sync_run_duration_seconds')).toEqual({ '{source="sis"}': 5, '{source="google"}': 12 });
    const records = samples(text, 'rollcall_sync_records');
    // sis: the failed run of the 23rd committed nothing; the counts are the approved run's, summed over streams.
    expect(records['{source="sis",outcome="read"}']).toBe(93);
    expect(records['{source="sis",outcome="unchanged"}']).toBe(83);
    expect(records['{source="sis",outcome="deactivated"}']).toBe(10);
    expect(records['{source="sis",outcome="created"}']).toBe(0);
    expect(records['{source="google",outcome="held"}']).toBe(7);
    expect(records['{source="google",outcome="warnings"}']).toBe(2);
    const open = samples(text, 'rollcall_discrepancies_open');
    expect(open['{rule="device-silent"}']).toBe(2);
    expect(open['{rule="unknown-user"}']).toBe(1);
    expect(open['{rule="past-aue"}']).toBe(0);
    expect(open['{rule="dev-mode"}']).toBe(0);
    expect(samples(text, 'rollcall_last_successful_sync_timestamp_seconds')).toEqual({
      '{source="sis"}': Date.parse('2026-11-22T05:01:00Z') / 1000,
    });
  });

  it('reads the ledger once per scrape, and afresh on the next one', async () => {
    const metrics = createMetrics(t.db);
    const first = samples(await metrics.registry.metrics(), 'rollcall_discrepancies_open')['{rule="unknown-user"}'];
    await t.db.orm.execute(sql`insert into discrepancies (rule, subject_key, severity, status) values ('unknown-user', 'd:9', 'low', 'open')`);
    const second = samples(await metrics.registry.metrics(), 'rollcall_discrepancies_open')['{rule="unknown-user"}'];
    expect(second).toBe(first! + 1);
    await t.db.orm.execute(sql`delete from discrepancies where subject_key = 'd:9'`);
  });

  it('follows the ledger between scrapes (another replica or a CLI run wrote it)', async () => {
    await t.db.orm.execute(sql`insert into sync_runs (source_id, mode, status, started_at, finished_at, stats) values
      ('google', 'full', 'succeeded', '2026-11-24T07:00:00Z', '2026-11-24T07:00:03Z', '{"streams":{"devices":{"read":51}}}')`);
    const text = await scrape();
    expect(samples(text, 'rollcall_sync_runs_total')['{source="google",outcome="succeeded"}']).toBe(1);
    expect(samples(text, 'rollcall_sync_run_duration_seconds')['{source="google"}']).toBe(3);
    expect(samples(text, 'rollcall_last_successful_sync_timestamp_seconds')['{source="google"}']).toBe(Date.parse('2026-11-24T07:00:03Z') / 1000);
  });
});

describe('/metrics when the database is gone', () => {
  it('still answers, with rollcall_ledger_up 0', async () => {
    const t = await freshDatabase('pglite');
    const metrics = createMetrics(t.db);
    await t.drop();
    const text = await metrics.registry.metrics();
    expect(samples(text, 'rollcall_ledger_up')).toEqual({ '': 0 });
    expect(samples(text, 'rollcall_sync_runs_total')).toEqual({});
  });
});
