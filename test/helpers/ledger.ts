/** Reading the ledger back in tests: counts, and a fingerprint that changes when any domain row is written. */
import { sql } from 'drizzle-orm';
import { pino } from 'pino';
import { parseConfigText, type Config, type SourceConfig } from '../../src/config/index.js';
import { rows, type Database } from '../../src/db/client.js';
import { runSync, type RunOptions } from '../../src/sync/runner.js';

export const DOMAIN_TABLES = ['orgs', 'people', 'enrollments', 'devices', 'device_observations', 'assignments', 'events', 'quarantine'] as const;

export const quietLog = pino({ level: 'silent' });

export function configWith(sourcesYaml: string, extra = ''): Config {
  return parseConfigText(`district: { name: Test, domains: [maplewood.example.org] }\n${extra}\nsources:\n${sourcesYaml}`, '/tmp/rollcall-test.yaml', {});
}

export function source(config: Config, id: string): SourceConfig {
  const s = config.sources.find((x) => x.id === id);
  if (!s) throw new Error(`no source ${id}`);
  return s;
}

export function sync(db: Database, config: Config, id: string, opts: RunOptions = {}) {
  return runSync({ db, log: quietLog, domains: config.district.domains }, source(config, id), opts);
}

export async function count(db: Database, table: string, where = 'true'): Promise<number> {
  const [r] = await rows<{ n: number }>(db.orm, sql.raw(`select count(*)::int as n from ${table} where ${where}`));
  return Number(r!.n);
}

/** Row versions (xmin) of every domain row: equal fingerprints mean no row was inserted, updated or deleted. */
export async function fingerprint(db: Database): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const t of DOMAIN_TABLES) {
    const [r] = await rows<{ f: string | null }>(db.orm, sql.raw(`select string_agg(id::text || ':' || xmin::text, ',' order by id) as f from ${t}`));
    out[t] = r?.f ?? '';
  }
  return out;
}
