/**
 * Applies drizzle-kit's SQL migrations. On a shared server several replicas may start at once, so migration
 * runs on one dedicated connection under a session advisory lock; PGlite is single-process already.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import type { PgliteDatabase } from 'drizzle-orm/pglite';
import { migrationsDir } from '../paths.js';
import { rows, type Database } from './client.js';

/** Arbitrary but fixed: the key every replica contends on while migrating. */
const MIGRATION_LOCK_KEY = 7_301_946_001;

export async function migrate(db: Database): Promise<{ applied: number }> {
  const before = await appliedCount(db);
  if (db.kind === 'pglite') {
    await migratePglite(db.orm as unknown as PgliteDatabase, { migrationsFolder: migrationsDir });
  } else {
    const conn = postgres(db.url!, { max: 1, onnotice: () => {} });
    try {
      await conn`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`;
      await migratePostgres(drizzlePostgres(conn), { migrationsFolder: migrationsDir });
      await conn`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`;
    } finally {
      await conn.end({ timeout: 5 });
    }
  }
  return { applied: (await appliedCount(db)) - before };
}

export function expectedMigrations(): number {
  const journal = JSON.parse(readFileSync(path.join(migrationsDir, 'meta/_journal.json'), 'utf8')) as { entries: unknown[] };
  return journal.entries.length;
}

export async function appliedCount(db: Database): Promise<number> {
  const exists = await rows<{ t: string | null }>(db.orm, sql`select to_regclass('drizzle.__drizzle_migrations')::text as t`);
  if (!exists[0]?.t) return 0;
  const r = await rows<{ n: number | string }>(db.orm, sql`select count(*)::int as n from drizzle.__drizzle_migrations`);
  return Number(r[0]?.n ?? 0);
}

/** Readiness: the database answers and every migration this build ships has been applied. */
export async function migrationStatus(db: Database): Promise<{ applied: number; expected: number; ready: boolean }> {
  const applied = await appliedCount(db);
  const expected = expectedMigrations();
  return { applied, expected, ready: applied >= expected };
}
