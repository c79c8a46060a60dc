/**
 * `rollcall serve` on PostgreSQL when the database goes away under it: a backend terminated mid-sync used to
 * crash the process from inside postgres.js (see src/db/transaction-guard.ts). Real server only: PGlite has no
 * connections to lose.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDistrict } from '../../bench/district/generate.js';
import { writeDistrict } from '../../bench/district/write.js';
import { scratchDatabaseUrl, serverUrl } from '../helpers/db.js';
import { freePort, runCliToEnd, spawnCli, waitFor, type Spawned } from '../helpers/spawn.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

function writeConfig(dir: string, port: number, url: string, sources: string): string {
  const file = path.join(dir, 'rollcall.yaml');
  writeFileSync(file, `server: { port: ${port}, host: 127.0.0.1, shutdownTimeoutMs: 5000 }
database: { url: "${url}" }
district: { name: Test, domains: [maplewood.example.org] }
${sources}`);
  return file;
}

describe.skipIf(!serverUrl)('serve on PostgreSQL losing its database connection (needs TEST_DATABASE_URL: a real server)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'rollcall-connloss-'));
  const drops: Array<() => Promise<void>> = [];
  const procs: Spawned[] = [];
  let admin: postgres.Sql;

  beforeAll(async () => {
    admin = postgres(serverUrl!, { max: 1, onnotice: () => {} });
    // 30,000 students (33,000 users, ~31,000 enrollments): the first full sync runs for several seconds here,
    // long enough to terminate its backend while it stages.
    await writeDistrict(generateDistrict({ students: 30_000, devices: 10, seed: 7, asOf: new Date('2026-11-01T00:00:00Z') }), path.join(dir, 'district'));
  });
  afterAll(async () => {
    for (const p of procs) p.child.kill('SIGKILL');
    await Promise.all(procs.map((p) => p.exited));
    for (const drop of drops) await drop();
    await admin?.end();
  });

  it('fails the run cleanly, stays up, commits nothing partial, and the next run succeeds', async () => {
    const scratch = await scratchDatabaseUrl();
    drops.push(scratch.drop);
    const dbName = new URL(scratch.url).pathname.slice(1);
    const port = await freePort();
    const config = writeConfig(dir, port, scratch.url,
      `sources:\n  - { id: sis, kind: oneroster-csv, path: ${path.join(dir, 'district/oneroster')}, schedule: "0 5 1 1 *" }\n`);
    const proc = spawnCli(['serve'], { env: { ROLLCALL_CONFIG: config } });
    procs.push(proc);
    expect((await waitFor(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    const db = postgres(scratch.url, { max: 1, onnotice: () => {} });
    try {
      // The first run starts by itself ("never synced"); wait until it is writing inside its transaction.
      const runId = await until('a running sync', async () => {
        const [r] = await db<{ id: number }[]>`select id from sync_runs where status = 'running'`;
        return r?.id;
      });
      await until('the sync to be staging rows', async () => {
        const [r] = await admin`select count(*)::int as n from pg_stat_activity
          where datname = ${dbName} and application_name = 'rollcall' and xact_start is not null and query ilike '%stage_%'`;
        return r!.n > 0;
      });
      const killed = await admin`select pg_terminate_backend(pid) from pg_stat_activity
        where datname = ${dbName} and application_name = 'rollcall' and pid <> pg_backend_pid()`;
      expect(killed.length).toBeGreaterThan(0);

      const status = await until('the run to finish', async () => {
        const [r] = await db<{ status: string }[]>`select status from sync_runs where id = ${runId}`;
        return r?.status !== 'running' ? r?.status : undefined;
      }, 20_000).catch(() => 'running');
      // Normally 'failed'. If the termination also hit the connection that records the failure the row can stay
      // 'running'; it must never say the run succeeded.
      expect(['failed', 'running']).toContain(status);
      expect(status).not.toBe('succeeded');
      const [people] = await db`select count(*)::int as n from people`;
      expect(people!.n).toBe(0);
      await sleep(500); // the crash came from a deferred write a tick after the failure
      expect(proc.child.exitCode).toBeNull();
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
      expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
      expect(proc.stderr()).not.toContain('TypeError');

      const second = await runCliToEnd(['sync', '--source', 'sis'], { env: { ROLLCALL_CONFIG: config } });
      expect(second.stderr).not.toContain('"level":50');
      expect(second.code).toBe(0);
      const [after] = await db`select count(*)::int as n from people`;
      expect(after!.n).toBeGreaterThan(30_000);
      const [last] = await db<{ status: string }[]>`select status from sync_runs order by id desc limit 1`;
      expect(last!.status).toBe('succeeded');
      expect(proc.child.exitCode).toBeNull();
    } finally {
      await db.end();
    }
  }, 120_000);

  it('answers /readyz 503 quickly while its database refuses connections, and 200 once it accepts them again', async () => {
    const scratch = await scratchDatabaseUrl();
    drops.push(async () => {
      await admin.unsafe(`alter database ${new URL(scratch.url).pathname.slice(1)} allow_connections true`).catch(() => {});
      await scratch.drop();
    });
    const dbName = new URL(scratch.url).pathname.slice(1);
    const port = await freePort();
    const proc = spawnCli(['serve'], { env: { ROLLCALL_CONFIG: writeConfig(dir, port, scratch.url, '') } });
    procs.push(proc);
    await waitFor(`http://127.0.0.1:${port}/healthz`);
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);

    await admin.unsafe(`alter database ${dbName} allow_connections false`);
    await admin`select pg_terminate_backend(pid) from pg_stat_activity where datname = ${dbName} and pid <> pg_backend_pid()`;
    for (let i = 0; i < 3; i++) {
      const t0 = Date.now();
      const res = await fetch(`http://127.0.0.1:${port}/readyz`);
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ status: 'not_ready', database: 'unreachable' });
      expect(Date.now() - t0).toBeLessThan(1500);
    }
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);

    await admin.unsafe(`alter database ${dbName} allow_connections true`);
    await until('readiness to come back', async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200, 10_000);
    expect(proc.child.exitCode).toBeNull();
    expect(proc.stderr()).not.toContain(scratch.url);
  }, 60_000);
});
