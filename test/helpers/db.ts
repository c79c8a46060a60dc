/**
 * Test databases: always an in-memory PGlite, and a real PostgreSQL server too when TEST_DATABASE_URL is set.
 * Each call makes its own database (a fresh PGlite, or a scratch database on the server) so test files can
 * run in parallel without seeing each other's rows.
 */
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { openDatabase, type Database } from '../../src/db/client.js';
import { migrate } from '../../src/db/migrate.js';

export type Engine = 'pglite' | 'postgres';
export const serverUrl = process.env.TEST_DATABASE_URL;
export const engines: Engine[] = serverUrl ? ['pglite', 'postgres'] : ['pglite'];

export interface TestDb {
  db: Database;
  url?: string;
  drop(): Promise<void>;
}

export async function scratchDatabaseUrl(): Promise<{ url: string; drop(): Promise<void> }> {
  if (!serverUrl) throw new Error('TEST_DATABASE_URL is not set');
  const name = `rollcall_t_${randomBytes(6).toString('hex')}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  const u = new URL(serverUrl);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    drop: async () => {
      const a = postgres(serverUrl, { max: 1, onnotice: () => {} });
      await a.unsafe(`drop database if exists ${name} with (force)`);
      await a.end();
    },
  };
}

export async function freshDatabase(engine: Engine, opts: { migrate?: boolean } = {}): Promise<TestDb> {
  if (engine === 'pglite') {
    const db = await openDatabase({ dataDir: 'memory://' });
    if (opts.migrate !== false) await migrate(db);
    return { db, drop: () => db.close() };
  }
  const scratch = await scratchDatabaseUrl();
  const db = await openDatabase({ url: scratch.url, poolSize: 4 });
  if (opts.migrate !== false) await migrate(db);
  return {
    db,
    url: scratch.url,
    drop: async () => {
      await db.close();
      await scratch.drop();
    },
  };
}
