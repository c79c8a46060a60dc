import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../../src/db/client.js';
import { startScheduler } from '../../src/sync/scheduler.js';
import type { RunResult } from '../../src/sync/runner.js';
import { freshDatabase, type TestDb } from '../helpers/db.js';
import { students, tempDir, writeRoster } from '../helpers/district-files.js';
import { configWith, quietLog } from '../helpers/ledger.js';

describe('scheduler', () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await freshDatabase('pglite');
  });
  afterAll(async () => t?.drop());

  it('runs a never-synced source at start, then on its cron schedule, and reconciles after each run', async () => {
    const dir = tempDir('sched');
    writeRoster(dir, students(5));
    // Every second (node-cron's six-field form), in the district's time zone.
    const config = configWith(`  - { id: sis, kind: oneroster-csv, path: "${dir}", schedule: "* * * * * *" }`, 'reconcile: {}');
    const runs: RunResult[] = [];
    let after = 0;
    const ac = new AbortController();
    const s = startScheduler(t.db, { ...config, district: { ...config.district, timezone: 'America/Chicago' } }, quietLog, ac.signal, {
      onPipeline: (p) => {
        runs.push(...p.runs);
        if (p.reconcile) after++;
      },
    });
    const until = Date.now() + 15_000;
    while (runs.length < 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    ac.abort();
    await s.stop();
    expect(runs.length).toBeGreaterThanOrEqual(2);
    expect(runs.every((r) => r.status === 'succeeded')).toBe(true);
    expect(after).toBe(runs.length);
    const [first] = await rows<{ created: number }>(t.db.orm, sql`select (stats->'streams'->'people'->>'created')::int as created from sync_runs order by id limit 1`);
    expect(first!.created).toBe(5);
  });
});
