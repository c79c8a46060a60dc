/**
 * One Database handle over either engine: postgres.js against a real server, or embedded PGlite in a data
 * directory. Callers use drizzle (`orm`) for typed queries and `rows()` for set-based SQL; both engines take
 * the same SQL, which is why the ledger writer stages with `unnest` rather than COPY.
 */
import { chmodSync, closeSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import type { SQL } from 'drizzle-orm';
import { DrizzleQueryError } from 'drizzle-orm/errors';
import { PgDialect, type PgDatabase } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { AppError } from '../errors.js';
import { connectError } from './connect-error.js';
import * as schema from './schema.js';
import { guardTransactions } from './transaction-guard.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the two drivers differ only in their result HKT
export type Orm = PgDatabase<any, typeof schema>;
/** Anything that can run SQL: the database or a transaction. */
export type Executor = Pick<Orm, 'execute'>;
/** A transaction: runs SQL and opens savepoints (`tx.transaction`). */
export type Tx = Parameters<Parameters<Orm['transaction']>[0]>[0];

export interface Database {
  kind: 'postgres' | 'pglite';
  orm: Orm;
  /** postgres.js connection string, for the migration lock's dedicated connection. */
  url?: string;
  close(): Promise<void>;
}

/** Runs SQL and returns its rows, whichever driver shape the result has. */
export async function rows<T = Record<string, unknown>>(ex: Executor, query: SQL): Promise<T[]> {
  const res = (await ex.execute(query)) as unknown;
  if (Array.isArray(res)) return res as T[];
  return ((res as { rows?: T[] }).rows ?? []) as T[];
}

const dialect = new PgDialect();

type PreparingClient = { unsafe(text: string, params: unknown[], opts: { prepare: boolean }): Promise<unknown[]> };

/**
 * rows(), as a named prepared statement when `ex` is the server pool: postgres.js keeps each statement per
 * connection, so PostgreSQL plans it once instead of on every call. For the admin API's hot reads that is most of
 * their server time: the device detail measured 2.5 ms unprepared and 0.4 ms prepared (1,000 calls on one
 * connection, 500k devices). Only for statements whose text is one of a bounded set (values as parameters, never
 * inlined): each distinct text stays cached on each pooled connection. Transactions and the embedded database
 * take the ordinary path.
 */
export async function preparedRows<T = Record<string, unknown>>(ex: Executor, query: SQL): Promise<T[]> {
  const client = (ex as { $client?: Partial<PreparingClient> }).$client;
  if (typeof client?.unsafe !== 'function') return rows<T>(ex, query);
  const { sql: text, params } = dialect.sqlToQuery(query);
  try {
    return (await client.unsafe(text, params, { prepare: true })) as T[];
  } catch (e) {
    // The same error shape drizzle gives, so src/db/query-error.ts scrubs its parameters alike.
    throw new DrizzleQueryError(text, params, e as Error);
  }
}

export interface OpenOptions {
  url?: string;
  /** PGlite data directory; `memory://` (or undefined with url unset) for an in-memory store. */
  dataDir?: string;
  poolSize?: number;
  /** Set when the process should own the data dir exclusively (serve, sync); tests use memory. */
  lock?: boolean;
  /** Give up waiting for a lock held by another session after this long (ms; 0 waits forever). */
  lockTimeoutMs?: number;
  /** Cancel any one statement that runs longer than this (ms; 0 = no limit). */
  statementTimeoutMs?: number;
  /** How long a first connection to the server may take, in seconds (postgres.js connect_timeout). */
  connectTimeoutS?: number;
}

/** Defaults match config/schema.ts; they apply to callers (tests, tools) that open without a config. */
export const DEFAULT_LOCK_TIMEOUT_MS = 10_000;
export const DEFAULT_STATEMENT_TIMEOUT_MS = 900_000;

/** The open options a loaded config asks for. */
export function databaseOptions(db: {
  url?: string; dataDir: string; poolSize: number; lockTimeoutMs: number; statementTimeoutMs: number;
}): OpenOptions {
  return { url: db.url, dataDir: db.dataDir, poolSize: db.poolSize, lock: true, lockTimeoutMs: db.lockTimeoutMs, statementTimeoutMs: db.statementTimeoutMs };
}

export async function openDatabase(opts: OpenOptions): Promise<Database> {
  const lockTimeout = ms(opts.lockTimeoutMs, DEFAULT_LOCK_TIMEOUT_MS);
  const statementTimeout = ms(opts.statementTimeoutMs, DEFAULT_STATEMENT_TIMEOUT_MS);
  if (opts.url) {
    const client = postgres(opts.url, {
      max: opts.poolSize ?? 10,
      onnotice: () => {},
      connect_timeout: opts.connectTimeoutS ?? 10,
      // Bigints come back as JS numbers: ids stay far below 2^53.
      types: { bigint: postgres.BigInt },
      // Startup parameters, so every pooled connection has them: a run blocked behind another session's lock
      // fails after lock_timeout (55P03) instead of hanging the scheduler, and no statement runs unbounded.
      connection: { application_name: 'rollcall', lock_timeout: lockTimeout, statement_timeout: statementTimeout },
    });
    // postgres.js connects lazily; touch the server now so a wrong URL fails here, in one readable line, rather
    // than as a driver stack trace from whichever query happens to come first.
    try {
      await client`select 1`;
    } catch (e) {
      await client.end({ timeout: 1 }).catch(() => {});
      throw connectError(e, opts.url);
    }
    // A transaction whose connection dies must not write to it again: postgres.js would crash the process.
    const orm = drizzlePostgres(guardTransactions(client), { schema }) as unknown as Orm;
    return { kind: 'postgres', orm, url: opts.url, close: once(() => client.end({ timeout: 5 })) };
  }
  const dir = opts.dataDir && opts.dataDir !== 'memory://' ? path.resolve(opts.dataDir) : undefined;
  let release = () => {};
  if (dir) {
    // The store holds student records (FERPA): only the service account may read it. PGlite's filesystem layer
    // creates files 0666 and directories 0777 less the umask, and the usual umask 022 leaves them world-readable
    // (some world-writable), so the process umask is narrowed before PGlite writes anything. It stays narrowed:
    // rollcall writes nothing else that anyone but its own user should read.
    process.umask(0o077);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    // A directory made by an older build (or by hand) is tightened too.
    tightenTree(dir);
    if (opts.lock !== false) release = lockDataDir(dir);
  }
  try {
    const pg = dir ? new PGlite(dir) : new PGlite();
    await pg.waitReady;
    // initdb lays the cluster down with explicit modes (0666) that ignore the umask, and a reopen rewrites a
    // couple of files the same way; files PGlite creates later do follow the umask.
    if (dir) tightenTree(dir);
    // PGlite is one session, so lock waits cannot happen in it today; the same limits keep both engines alike.
    await pg.exec(`set lock_timeout = ${lockTimeout}; set statement_timeout = ${statementTimeout}`);
    const orm = drizzlePglite(pg, { schema }) as unknown as Orm;
    return {
      kind: 'pglite',
      orm,
      close: once(async () => {
        await pg.close();
        if (dir) tightenTree(dir);
        release();
      }),
    };
  } catch (e) {
    release();
    throw new AppError('database_open_failed', `cannot open the embedded database in ${dir ?? 'memory'}: ${(e as Error).message}`, { cause: e });
  }
}

function ms(v: number | undefined, fallback: number): number {
  const n = v ?? fallback;
  if (!Number.isInteger(n) || n < 0) throw new AppError('config_invalid', `database timeouts must be whole milliseconds >= 0, not ${n}`);
  return n;
}

/** chmod 0700 on directories and 0600 on files under (and including) `dir`; symlinks are left alone. */
export function tightenTree(dir: string): void {
  const walk = (p: string) => {
    const st = lstatSync(p);
    if (st.isSymbolicLink()) return;
    if (st.isDirectory()) {
      if ((st.mode & 0o777) !== 0o700) chmodSync(p, 0o700);
      for (const name of readdirSync(p)) walk(path.join(p, name));
    } else if ((st.mode & 0o777) !== 0o600) {
      chmodSync(p, 0o600);
    }
  };
  walk(dir);
}

/** Closing twice (a test's teardown after a shutdown, say) is harmless. */
function once(fn: () => Promise<void>): () => Promise<void> {
  let p: Promise<void> | undefined;
  return () => (p ??= fn());
}

/** PGlite is single-process: a second writer would corrupt the store, so the data dir gets a pid lock file. */
function lockDataDir(dir: string): () => void {
  const file = path.join(dir, 'rollcall.lock');
  for (let tries = 0; tries < 2; tries++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(file, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number(readFileSync(file, 'utf8').trim());
      if (pid && pid !== process.pid && isAlive(pid)) {
        throw new AppError('database_locked', `the embedded database in ${dir} is in use by another rollcall process (pid ${pid}); stop it, or set database.url to share a PostgreSQL server`, { context: { dir, pid } });
      }
      rmSync(file, { force: true }); // stale lock from a process that died
    }
  }
  throw new AppError('database_locked', `cannot lock the embedded database in ${dir}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
