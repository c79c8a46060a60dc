/** Opens (and migrates) the configured database for a one-shot command, and always closes it. */
import type { Config } from '../config/index.js';
import { databaseOptions, openDatabase, type Database } from '../db/client.js';
import { migrate } from '../db/migrate.js';

export async function withDatabase<T>(config: Config, fn: (db: Database) => Promise<T>): Promise<T> {
  const db = await openDatabase(databaseOptions(config.database));
  try {
    await migrate(db);
    return await fn(db);
  } finally {
    await db.close();
  }
}
