import { readFileSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase, rows } from '../../src/db/client.js';
import { tempDir } from '../helpers/district-files.js';
import { freePort, repoRoot, spawnCli, waitFor, type Spawned } from '../helpers/spawn.js';

const plan = JSON.parse(readFileSync(path.join(repoRoot, 'config/demo/plan.json'), 'utf8')) as {
  counts: { students: number; staff: number; chromebooks: number; windows: number; devices: number };
};

describe('npm start on a fresh checkout (serve with the bundled demo, no config)', () => {
  let proc: Spawned | undefined;
  afterAll(() => proc?.child.kill('SIGKILL'));

  it('syncs the demo district into the embedded database at first start and serves', async () => {
    const dataDir = tempDir('demo-data');
    const port = await freePort();
    proc = spawnCli(['serve'], { env: { ROLLCALL_DATA_DIR: dataDir, PORT: String(port) } });
    expect((await waitFor(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
    const until = Date.now() + 90_000;
    while (!/"msg":"reconcile finished"/.test(proc.stderr()) && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 200));
    }
    proc.child.kill('SIGTERM');
    expect((await proc.exited).code).toBe(0);
    expect(proc.stderr()).not.toMatch(/"level":50/);

    const db = await openDatabase({ dataDir });
    try {
      const [c] = await rows<{ students: number; staff: number; devices: number; observations: number; open: number; runs: number }>(db.orm, sql`
        select (select count(*) from people where role = 'student')::int as students,
               (select count(*) from people where role <> 'student')::int as staff,
               (select count(*) from devices)::int as devices,
               (select count(*) from device_observations)::int as observations,
               (select count(*) from assignments where ended_at is null)::int as open,
               (select count(*) from sync_runs where status = 'succeeded')::int as runs`);
      expect(c).toMatchObject({
        students: plan.counts.students,
        staff: plan.counts.staff,
        devices: plan.counts.devices,
        observations: plan.counts.chromebooks + plan.counts.windows,
        runs: 3,
      });
      expect(c!.open).toBeGreaterThan(plan.counts.students * 0.6);
      // First start syncs every source, then reconciles once: each real finding opens once and none resolves,
      // so delivery is not handed a flood of opened-then-resolved tickets.
      const [o] = await rows<{ opened: number; resolved: number; open: number; started: number }>(db.orm, sql`select
        (select count(*)::int from outbox where type = 'discrepancy.opened') as opened,
        (select count(*)::int from outbox where type = 'discrepancy.resolved') as resolved,
        (select count(*)::int from discrepancies where status = 'open') as open,
        (select count(*)::int from outbox where type = 'assignment.started') - (select count(*)::int from outbox where type = 'assignment.ended') as started`);
      expect(o!.resolved).toBe(0);
      expect(o!.opened).toBe(o!.open);
      expect(o!.open).toBeGreaterThan(0);
      // Every open assignment was announced (a device both MDMs report may change hands between their runs).
      expect(o!.started).toBe(c!.open);
    } finally {
      await db.close();
    }
  });
});
