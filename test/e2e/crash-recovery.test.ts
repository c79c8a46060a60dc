/**
 * kill -9 in the middle of a sync. On a server the run's row is visible while it works, so the next start finds it
 * `running` with its lock free and marks it failed (interrupted). On the embedded database the row is written in
 * the run's own transaction, so a crash leaves nothing behind at all. Either way the next run proceeds.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase, rows, type Database } from '../../src/db/client.js';
import { scratchDatabaseUrl, serverUrl } from '../helpers/db.js';
import { students, tempDir, writeRoster } from '../helpers/district-files.js';
import { freePort, runCliToEnd, spawnCli, waitFor, type Spawned } from '../helpers/spawn.js';

function setup(): { dir: string; config: string } {
  const dir = tempDir('crash');
  writeRoster(path.join(dir, 'roster'), students(30000)); // a few seconds of work: time to be killed in
  const config = path.join(dir, 'rollcall.yaml');
  writeFileSync(config, ['district: { name: Crash, domains: [maplewood.example.org] }', 'sources:', `  - { id: sis, kind: oneroster-csv, path: roster }`, ''].join('\n'));
  return { dir, config };
}

async function until(cond: () => Promise<boolean> | boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const runs = (db: Database) => rows<{ id: number; status: string; error: string | null }>(db.orm, sql`select id, status, error from sync_runs order by id`);

describe('a sync killed with SIGKILL', () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c().catch(() => {});
  });

  it.skipIf(!serverUrl)('on PostgreSQL: the next start marks it interrupted, and the next run succeeds (skipped without TEST_DATABASE_URL)', async () => {
    const { config } = setup();
    const scratch = await scratchDatabaseUrl();
    cleanup.push(scratch.drop);
    const env = { DATABASE_URL: scratch.url, ROLLCALL_CONFIG: config, LOG_LEVEL: 'info' };
    const db = await openDatabase({ url: scratch.url, poolSize: 2 });
    cleanup.push(() => db.close());
    const sync = spawnCli(['sync'], { env });
    await until(async () => (await rows(db.orm, sql`select to_regclass('sync_runs')::text as t`).then((r) => Boolean((r[0] as { t: string | null }).t)))
      && (await runs(db)).some((r) => r.status === 'running'), 60_000, 'the run to start');
    sync.child.kill('SIGKILL');
    expect((await sync.exited).signal).toBe('SIGKILL');
    expect((await runs(db)).map((r) => r.status)).toEqual(['running']);
    expect(Number((await rows<{ n: number }>(db.orm, sql`select count(*)::int as n from people`))[0]!.n)).toBe(0);

    const port = await freePort();
    const serve: Spawned = spawnCli(['serve'], { env: { ...env, PORT: String(port) } });
    cleanup.push(async () => serve.child.kill('SIGKILL'));
    expect((await waitFor(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    await until(async () => (await runs(db)).some((r) => r.status === 'succeeded'), 120_000, 'the first-run sync');
    serve.child.kill('SIGTERM');
    await serve.exited;
    const after = await runs(db);
    expect(after[0]).toMatchObject({ status: 'failed', error: expect.stringMatching(/^\[interrupted\]/) });
    expect(after.slice(1).map((r) => r.status)).toEqual(['succeeded']);
    expect(Number((await rows<{ n: number }>(db.orm, sql`select count(*)::int as n from outbox where type = 'sync.failed' and payload->>'error' = 'interrupted'`))[0]!.n)).toBe(1);
  });

  it('on the embedded database: the crash leaves no run behind and the next run succeeds', async () => {
    const { dir, config } = setup();
    const env = { ROLLCALL_DATA_DIR: path.join(dir, 'data'), ROLLCALL_CONFIG: config, LOG_LEVEL: 'info' };
    const sync = spawnCli(['sync'], { env });
    await until(() => /"msg":"sync started"/.test(sync.stderr()), 60_000, 'the run to start');
    await new Promise((r) => setTimeout(r, 500));
    sync.child.kill('SIGKILL');
    expect((await sync.exited).signal).toBe('SIGKILL');
    const again = await runCliToEnd(['sync'], { env });
    expect(again.code).toBe(0);
    const db = await openDatabase({ dataDir: env.ROLLCALL_DATA_DIR });
    try {
      expect((await runs(db)).map((r) => r.status)).toEqual(['succeeded']);
    } finally {
      await db.close();
    }
  });
});
