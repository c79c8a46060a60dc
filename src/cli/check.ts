/**
 * `rollcall check`: the config is valid (already, by loading it), the database answers and is migrated, and each
 * source and help desk can be reached. Every line says what was checked and, when it failed, what to do; exit 1 if any failed.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { databaseOptions, openDatabase, rows, type Database } from '../db/client.js';
import { describeTarget } from '../db/connect-error.js';
import { migrationStatus } from '../db/migrate.js';
import { errorMessage, isAppError } from '../errors.js';
import { createConnectorCtx, createSinkCtx } from '../sync/connector-ctx.js';
import type { CommandContext } from './context.js';
import { EXIT, type ExitCode } from './exit-codes.js';

export async function checkCommand(ctx: CommandContext): Promise<ExitCode> {
  const { config, io } = ctx;
  io.out(`config ${config.file}: ok (${config.sources.length} source(s), ${config.helpdesks.length} helpdesk(s))`);
  let failed = (await checkDatabase(ctx)) ? 0 : 1;
  for (const source of config.sources) {
    const cctx = createConnectorCtx(source, ctx.log, AbortSignal.timeout(60_000), undefined, config.district.timezone);
    try {
      const r = await source.connector.check(cctx);
      if (!r.ok) failed++;
      io.out(`source ${source.id} (${source.kind}): ${r.ok ? 'ok' : 'FAILED'}: ${r.message}`);
    } catch (e) {
      failed++;
      io.out(`source ${source.id} (${source.kind}): FAILED: ${(e as Error).message}`);
    }
  }
  for (const desk of config.helpdesks) {
    const dctx = createSinkCtx(desk, ctx.log, AbortSignal.timeout(30_000));
    try {
      const r = await desk.sink.check(dctx);
      if (!r.ok) failed++;
      io.out(`helpdesk ${desk.id} (${desk.kind}): ${r.ok ? 'ok' : 'FAILED'}: ${r.message}`);
    } catch (e) {
      failed++;
      io.out(`helpdesk ${desk.id} (${desk.kind}): FAILED: ${errorMessage(e)}`);
    }
  }
  return failed > 0 ? EXIT.failure : EXIT.ok;
}

/** Connects (never migrates: check writes nothing), names the engine and version, compares migrations. */
async function checkDatabase(ctx: CommandContext): Promise<boolean> {
  const { config, io } = ctx;
  const where = config.database.url
    ? (({ host, port, database }) => `PostgreSQL at ${host}:${port}/${database}`)(describeTarget(config.database.url))
    : `embedded in ${config.database.dataDir}`;
  // Check writes nothing: an embedded store that does not exist yet is reported, not created.
  if (!config.database.url && !existsSync(path.resolve(config.database.dataDir))) {
    io.out(`database (${where}): ok (not created yet; serve and every command create and migrate it)`);
    return true;
  }
  let db: Database;
  try {
    db = await openDatabase(databaseOptions(config.database));
  } catch (e) {
    // A running `serve` holds the embedded store: that is the normal state, not a fault of the database.
    if (isAppError(e) && e.code === 'database_locked') {
      io.out(`database (${where}): in use by another rollcall process; not checked`);
      return true;
    }
    io.out(`database (${where}): FAILED: ${errorMessage(e)}`);
    return false;
  }
  try {
    const [v] = await rows<{ v: string }>(db.orm, sql`select current_setting('server_version') as v`);
    const m = await migrationStatus(db);
    io.out(`database (${where}): ok (${db.kind === 'postgres' ? 'PostgreSQL' : 'PGlite'} ${v?.v ?? '?'})`);
    if (m.applied < m.expected) {
      io.out(`migrations: FAILED: ${m.applied} of ${m.expected} applied; run \`rollcall migrate\` (serve migrates at start)`);
      return false;
    }
    io.out(`migrations: ok (${m.applied} of ${m.expected} applied${m.applied > m.expected ? '; the database was migrated by a newer build' : ''})`);
    return true;
  } catch (e) {
    io.out(`database (${where}): FAILED: ${errorMessage(e)}`);
    return false;
  } finally {
    await db.close();
  }
}
