/**
 * One Database handle over either engine: postgres.js against a real server, or embedded PGlite in a data
 * directory. Callers use drizzle (`orm`) for typed queries and `rows()` for set-based SQL; both engines take
 * the same SQL, which is why the ledger writer stages with `unnest` rather than COPY.
 */
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import type { SQL } from 'drizzle-orm';
import type { PgDatabase } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { AppError } from '../errors.js';
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

export interface OpenOptions {
  url?: string;
  /** PGlite data directory; `memory://` (or undefined with url unset) for an in-memory store. */
  dataDir?: string;
  poolSize?: number;
  /** Set when the process should own the data dir exclusively (serve, sync); tests use memory. */
  lock?: boolean;
}

export async function openDatabase(opts: OpenOptions): Promise<Database> {
  if (opts.url) {
    const client = postgres(opts.url, {
      max: opts.poolSize ?? 10,
      onnotice: () => {},
      // Bigints come back as JS numbers: ids stay far below 2^53.
      types: { bigint: postgres.BigInt },
      connection: { application_name: 'rollcall' },
    });
    // A transaction whose connection dies must not write to it again: postgres.js would crash the process.
    const orm = drizzlePostgres(guardTransactions(client), { schema }) as unknown as Orm;
    return { kind: 'postgres', orm, url: opts.url, close: once(() => client.end({ timeout: 5 })) };
  }
  const dir = opts.dataDir && opts.dataDir !== 'memory://' ? path.resolve(opts.dataDir) : undefined;
  let release = () => {};
  if (dir) {
    mkdirSync(dir, { recursive: true });
    if (opts.lock !== false) release = lockDataDir(dir);
  }
  try {
    const pg = dir ? new PGlite(dir) : new PGlite();
    await pg.waitReady;
    const orm = drizzlePglite(pg, { schema }) as unknown as Orm;
    return {
      kind: 'pglite',
      orm,
      close: once(async () => {
        await pg.close();
        release();
      }),
    };
  } catch (e) {
    release();
    throw new AppError('database_open_failed', `cannot open the embedded database in ${dir ?? 'memory'}: ${(e as Error).message}`, { cause: e });
  }
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
