/** Opening the database: readable connect errors, per-connection timeouts, private data directories, a busy port. */
import { mkdirSync, readdirSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, rows } from '../../src/db/client.js';
import { connectError, redactUrl } from '../../src/db/connect-error.js';
import { migrate } from '../../src/db/migrate.js';
import { isAppError } from '../../src/errors.js';
import { startService } from '../../src/service.js';
import { cliWithConfig } from '../helpers/capture.js';
import { engines, freshDatabase, scratchDatabaseUrl, serverUrl, type TestDb } from '../helpers/db.js';
import { tempDir } from '../helpers/district-files.js';
import { configWith, quietLog, sync } from '../helpers/ledger.js';

async function openError(url: string, connectTimeoutS?: number): Promise<string> {
  try {
    const db = await openDatabase({ url, connectTimeoutS });
    await db.close();
  } catch (e) {
    expect(isAppError(e) && e.code).toBe('database_connect_failed');
    const message = (e as Error).message;
    expect(message).not.toContain('\n');
    return message;
  }
  throw new Error('expected the open to fail');
}

describe('connect errors name the target and the cause, never the password', () => {
  it('connection refused', async () => {
    const m = await openError('postgres://rollcall:s3cret-pw@127.0.0.1:1/ledger');
    expect(m).toBe('cannot connect to PostgreSQL at 127.0.0.1:1, database "ledger": connection refused (ECONNREFUSED): is PostgreSQL running and listening on that host and port? (database.url / DATABASE_URL)');
  });

  it('host not found', async () => {
    const m = await openError('postgres://rollcall:s3cret-pw@nosuchhost.invalid:5432/ledger');
    expect(m).toContain('at nosuchhost.invalid:5432, database "ledger": host "nosuchhost.invalid" not found (ENOTFOUND)');
    expect(m).not.toContain('s3cret');
  });

  it('timeout: a server that accepts and never answers', async () => {
    const silent: Server = createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as { port: number }).port;
    try {
      const started = Date.now();
      const m = await openError(`postgres://rollcall:s3cret-pw@127.0.0.1:${port}/ledger`, 1);
      expect(m).toContain(`at 127.0.0.1:${port}, database "ledger": timed out connecting (CONNECT_TIMEOUT)`);
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      silent.close();
    }
  });

  it('an unknown driver error passes through with the password masked', () => {
    const url = 'postgres://u:p%40ss@h:5432/d';
    const e = connectError(new Error('odd failure mentioning p@ss and p%40ss'), url);
    expect(e.message).toBe('cannot connect to PostgreSQL at h:5432, database "d": odd failure mentioning *** and *** (database.url / DATABASE_URL)');
    expect(redactUrl(url)).toBe('postgres://u:***@h:5432/d');
  });

  it.runIf(serverUrl)('authentication failed and no such database (real server)', async () => {
    const u = new URL(serverUrl!);
    u.password = 'definitely-wrong-pw';
    const auth = await openError(u.toString());
    expect(auth).toContain(`at ${u.hostname}:${u.port}, database "${u.pathname.slice(1)}": authentication failed for user "${u.username}" (28P01)`);
    expect(auth).not.toContain('definitely-wrong-pw');
    const v = new URL(serverUrl!);
    v.pathname = '/rollcall_no_such_db';
    const missing = await openError(v.toString());
    expect(missing).toContain('database "rollcall_no_such_db" does not exist (3D000)');
    expect(missing).not.toContain(new URL(serverUrl!).password);
  });

  it('the CLI prints the one line and exits 1', async () => {
    const dir = tempDir('connect');
    const file = path.join(dir, 'rollcall.yaml');
    writeFileSync(file, 'district: { name: T }\ndatabase: { url: "postgres://rollcall:s3cret-pw@127.0.0.1:1/ledger" }\n');
    const r = await cliWithConfig(file)('report');
    expect(r.code).toBe(1);
    expect(r.err).toBe('rollcall report failed: [database_connect_failed] cannot connect to PostgreSQL at 127.0.0.1:1, database "ledger": connection refused (ECONNREFUSED): is PostgreSQL running and listening on that host and port? (database.url / DATABASE_URL)');
    const check = await cliWithConfig(file)('check');
    expect(check.code).toBe(1);
    expect(check.out).toContain('database (PostgreSQL at 127.0.0.1:1/ledger): FAILED: cannot connect');
    expect(check.out + check.err).not.toContain('s3cret');
  });
});

describe.each(engines)('timeouts on %s', (engine) => {
  it('every connection carries lock_timeout and statement_timeout', async () => {
    const t = engine === 'pglite' ? null : await scratchDatabaseUrl();
    const db = await openDatabase(t ? { url: t.url, lockTimeoutMs: 1500, statementTimeoutMs: 0 } : { dataDir: 'memory://', lockTimeoutMs: 1500, statementTimeoutMs: 0 });
    try {
      const [r] = await rows<{ l: string; s: string }>(db.orm, sql`select current_setting('lock_timeout') as l, current_setting('statement_timeout') as s`);
      expect(r).toEqual({ l: '1500ms', s: '0' });
    } finally {
      await db.close();
      await t?.drop();
    }
  });
});

describe.runIf(serverUrl)('a sync behind another session\'s lock (real server)', () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await freshDatabase('postgres');
  });
  afterAll(async () => t?.drop());

  it('fails after lockTimeoutMs instead of hanging', async () => {
    const db = await openDatabase({ url: t.url!, poolSize: 2, lockTimeoutMs: 300 });
    const other = postgres(t.url!, { max: 1, onnotice: () => {} });
    const dir = tempDir('locked');
    writeFileSync(path.join(dir, 'cros.csv'), 'deviceId,serialNumber,status\n');
    const config = configWith(`  - { id: google, kind: device-csv, format: gam, path: ${path.join(dir, 'cros.csv')} }`);
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const locker = other.begin(async (tx) => {
      await tx`lock table sync_runs in access exclusive mode`;
      await held;
    });
    try {
      await new Promise((r) => setTimeout(r, 100));
      const started = Date.now();
      const r = await sync(db, config, 'google');
      // 55P03 lock_not_available: the run fails (it cannot even record itself) and says why, without parameters.
      expect(r.status).toBe('failed');
      expect(r.error).toMatch(/lock timeout \(SQLSTATE 55P03\)/);
      const waited = Date.now() - started;
      expect(waited).toBeGreaterThanOrEqual(250);
      expect(waited).toBeLessThan(5000);
      // The CLI says what happened and which key bounds it, in one line without the query's parameters.
      const file = path.join(dir, 'rollcall.yaml');
      writeFileSync(file, `district: { name: T }\ndatabase: { url: "${t.url}", lockTimeoutMs: 300 }\nsources:\n  - { id: google, kind: device-csv, format: gam, path: ${path.join(dir, 'cros.csv')} }\n`);
      const cli = await cliWithConfig(file)('sync');
      expect(cli.code).toBe(1);
      expect(cli.out).toContain('error: canceling statement due to lock timeout (SQLSTATE 55P03): waited longer than database.lockTimeoutMs for a lock another session holds; try again once it is released');
    } finally {
      release();
      await locker;
      await other.end();
      await db.close();
    }
  });
});

describe('the embedded data directory is private', () => {
  function loose(root: string): string[] {
    const out: string[] = [];
    const walk = (p: string) => {
      const st = statSync(p);
      if ((st.mode & 0o077) !== 0) out.push(`${path.relative(root, p) || '.'} ${(st.mode & 0o777).toString(8)}`);
      if (st.isDirectory()) for (const n of readdirSync(p)) walk(path.join(p, n));
    };
    walk(root);
    return out;
  }

  it('is created 0700 with 0600 files, and an existing loose one is tightened on open', async () => {
    process.umask(0o022); // what a default shell gives the daemon
    const dir = path.join(tempDir('perm'), 'data');
    const db = await openDatabase({ dataDir: dir });
    await migrate(db);
    await db.orm.execute(sql`insert into sources (id, kind) values ('sis', 'oneroster-csv')`);
    await db.close();
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(loose(dir)).toEqual([]);
    expect(readdirSync(dir).length).toBeGreaterThan(5);

    // An older build left it open: loosen it, reopen, and everything is private again.
    process.umask(0o022);
    chmodSync(dir, 0o777);
    mkdirSync(path.join(dir, 'stray'), { mode: 0o755 });
    writeFileSync(path.join(dir, 'stray', 'notes'), 'x', { mode: 0o666 });
    chmodSync(path.join(dir, 'stray', 'notes'), 0o666);
    expect(loose(dir).length).toBeGreaterThan(0);
    const again = await openDatabase({ dataDir: dir });
    await again.orm.execute(sql`insert into sources (id, kind) values ('google', 'device-csv')`);
    await again.close();
    expect(loose(dir)).toEqual([]);
  });
});

describe('serving on a busy port', () => {
  it('fails with one line naming the port, and the CLI exits 1 without a stack trace', async () => {
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    const port = (busy.address() as { port: number }).port;
    try {
      const config = configWith('  []', `server: { port: ${port}, host: 127.0.0.1 }\ndatabase: { dataDir: "memory://" }`);
      await expect(startService(config, quietLog)).rejects.toThrow(`port ${port} on 127.0.0.1 is already in use; set server.port or PORT`);
      const dir = tempDir('busy');
      const file = path.join(dir, 'rollcall.yaml');
      writeFileSync(file, `district: { name: T }\nserver: { port: ${port}, host: 127.0.0.1 }\ndatabase: { dataDir: ${path.join(dir, 'data')} }\n`);
      const r = await cliWithConfig(file)('serve');
      expect(r.code).toBe(1);
      expect(r.err).toBe(`rollcall serve failed: [port_in_use] port ${port} on 127.0.0.1 is already in use; set server.port or PORT`);
    } finally {
      busy.close();
    }
  });
});

describe.each(engines)('rollcall check tests the database on %s', (engine) => {
  it('reports the engine, its version and the migrations, and exits 1 when migrations are pending', async () => {
    const dir = tempDir('check');
    const scratch = engine === 'postgres' ? await scratchDatabaseUrl() : null;
    const dbYaml = scratch ? `{ url: "${scratch.url}" }` : `{ dataDir: ${path.join(dir, 'data')} }`;
    const file = path.join(dir, 'rollcall.yaml');
    writeFileSync(file, `district: { name: T }\ndatabase: ${dbYaml}\n`);
    try {
      if (!scratch) {
        const fresh = await cliWithConfig(file)('check');
        expect(fresh.out).toContain('not created yet');
        expect(fresh.code).toBe(0);
      }
      // An empty (unmigrated) database: pending.
      const empty = await openDatabase(scratch ? { url: scratch.url } : { dataDir: path.join(dir, 'data') });
      await empty.close();
      const pending = await cliWithConfig(file)('check');
      expect(pending.out).toMatch(engine === 'postgres' ? /database \(PostgreSQL at .*\): ok \(PostgreSQL 1\d/ : /database \(embedded in .*\): ok \(PGlite 1\d/);
      expect(pending.out).toMatch(/migrations: FAILED: 0 of \d+ applied; run `rollcall migrate`/);
      expect(pending.code).toBe(1);
      expect((await cliWithConfig(file)('migrate')).code).toBe(0);
      const ok = await cliWithConfig(file)('check');
      expect(ok.out).toMatch(/migrations: ok \((\d+) of \1 applied\)/);
      expect(ok.code).toBe(0);
    } finally {
      await scratch?.drop();
    }
  });
});
