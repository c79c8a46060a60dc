/**
 * One measured phase, run in its own process so its peak RSS is its own:
 *   tsx bench/phase.ts <phase> <config.yaml> [tsv-dir]
 * phases: sync (every source in the config, in order), parse (connector reads only, rows discarded; also
 * writes the rows as TSV for the copy floor when tsv-dir is given), copy (COPY the TSV into unlogged tables),
 * reconcile. Prints one JSON line.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { sql } from 'drizzle-orm';
import { pino } from 'pino';
import postgres from 'postgres';
import { loadConfig } from '../src/config/index.js';
import { openDatabase, rows } from '../src/db/client.js';
import { migrate } from '../src/db/migrate.js';
import { createConnectorCtx } from '../src/sync/connector-ctx.js';
import { reconcile } from '../src/reconcile/engine.js';
import { runSync } from '../src/sync/runner.js';

const [phase, configFile, tsvDir] = process.argv.slice(2);
const config = loadConfig({ file: configFile, env: process.env, cwd: process.cwd() });
const log = pino({ level: 'warn' });
/** The writer's step timings (debug `ledger step` lines), summed per step: where the time after the read goes. */
const steps: Record<string, number> = {};
const syncLog = pino({ level: 'debug' }, {
  write(line: string) {
    const l = JSON.parse(line) as { msg?: string; level?: number; step?: string; ms?: number };
    if (l.msg === 'ledger step' && l.step) steps[l.step] = (steps[l.step] ?? 0) + (l.ms ?? 0);
    else if ((l.level ?? 0) >= 40) process.stderr.write(line);
  },
});

const tsvCell = (v: unknown) => (v === null || v === undefined ? '\\N' : String(typeof v === 'object' ? JSON.stringify(v) : v).replace(/[\\\t\n\r]/g, ' '));
const PEOPLE_COLS = ['external_id', 'role', 'status', 'given_name', 'family_name', 'email', 'username', 'sis_id', 'grades', 'school_external_id'];
const DEVICE_COLS = ['external_id', 'serial', 'asset_tag', 'model', 'status', 'user_email', 'org_unit', 'os_version', 'last_sync_at', 'aue_date'];

async function main(): Promise<Record<string, unknown>> {
  const started = performance.now();
  if (phase === 'parse') {
    let records = 0;
    const people = tsvDir ? createWriteStream(path.join(tsvDir, 'people.tsv')) : undefined;
    const devices = tsvDir ? createWriteStream(path.join(tsvDir, 'devices.tsv')) : undefined;
    for (const source of config.sources) {
      const ctx = createConnectorCtx(source, log, new AbortController().signal);
      for await (const b of source.connector.read(ctx, { mode: 'full' })) {
        records += b.records.length;
        if (b.stream === 'people' && people) {
          people.write(b.records.map((r) => [r.externalId, r.role, r.status, r.givenName, r.familyName, r.email, r.username, r.sisId, `{${r.grades.join(',')}}`, r.primaryOrgExternalId].map(tsvCell).join('\t')).join('\n') + (b.records.length ? '\n' : ''));
        }
        if (b.stream === 'devices' && devices) {
          devices.write(b.records.map((r) => [r.externalId, r.serial, r.assetTag, r.model, r.status, r.userEmail, r.orgUnit, r.osVersion, r.lastSyncAt, r.aueDate].map(tsvCell).join('\t')).join('\n') + (b.records.length ? '\n' : ''));
        }
      }
    }
    await Promise.all([people, devices].map((s) => s && new Promise((r) => s.end(r))));
    return { records, ms: performance.now() - started };
  }
  if (phase === 'copy') {
    const url = config.database.url!;
    const sqlc = postgres(url, { max: 1, onnotice: () => {} });
    await sqlc.unsafe(`drop table if exists floor_people, floor_devices`);
    await sqlc.unsafe(`create unlogged table floor_people (${PEOPLE_COLS.map((c) => `${c} ${c === 'grades' ? 'text[]' : 'text'}`).join(', ')})`);
    await sqlc.unsafe(`create unlogged table floor_devices (${DEVICE_COLS.map((c) => `${c} ${c === 'last_sync_at' ? 'timestamptz' : c === 'aue_date' ? 'date' : 'text'}`).join(', ')})`);
    const t0 = performance.now();
    await pipeline(createReadStream(path.join(tsvDir!, 'people.tsv')), await sqlc.unsafe(`copy floor_people from stdin`).writable());
    await pipeline(createReadStream(path.join(tsvDir!, 'devices.tsv')), await sqlc.unsafe(`copy floor_devices from stdin`).writable());
    const ms = performance.now() - t0;
    const [n] = await sqlc`select (select count(*) from floor_people)::int + (select count(*) from floor_devices)::int as n`;
    await sqlc.unsafe(`drop table floor_people, floor_devices`);
    await sqlc.end();
    return { rows: n!.n, ms };
  }
  const db = await openDatabase({ url: config.database.url, dataDir: config.database.dataDir, poolSize: 4 });
  await migrate(db);
  const eventsBefore = Number((await rows<{ n: number }>(db.orm, sql`select count(*)::int as n from events`))[0]!.n);
  const t0 = performance.now();
  const out: Record<string, unknown> = {};
  if (phase === 'sync') {
    let written = 0;
    // Where the time goes: inside the connector's read (fetching, mapping), the runner holding the read between
    // batches (staging into the ledger), and after the read ended (apply, commit).
    const timing = { readMs: 0, heldMs: 0, afterReadMs: 0, readEnded: 0 };
    for (const plain of config.sources) {
      const source = { ...plain, connector: { ...plain.connector, read: timedRead(plain.connector.read.bind(plain.connector), timing) } };
      const r = await runSync({ db, log: syncLog, domains: config.district.domains }, source, { force: true });
      timing.afterReadMs += performance.now() - timing.readEnded;
      if (r.status !== 'succeeded') throw new Error(`${source.id}: ${r.status} ${r.error ?? ''}`);
      for (const s of Object.values(r.result!.streams)) written += s.created + s.updated + s.deactivated + s.reactivated;
      written += r.result!.devices.created + r.result!.devices.updated + r.result!.devices.deactivated + r.result!.devices.reactivated;
      written += r.result!.assignments.started + r.result!.assignments.ended;
    }
    out.rowsWritten = written;
    out.readMs = Math.round(timing.readMs);
    out.heldMs = Math.round(timing.heldMs);
    out.afterReadMs = Math.round(timing.afterReadMs);
    out.steps = steps;
  } else if (phase === 'reconcile') {
    const summary = await reconcile(db, config, { log });
    out.summary = summary;
  } else {
    throw new Error(`unknown phase ${phase}`);
  }
  out.ms = performance.now() - t0;
  out.events = Number((await rows<{ n: number }>(db.orm, sql`select count(*)::int as n from events`))[0]!.n) - eventsBefore;
  await db.close();
  return out;
}

/** The connector's read, timed: time spent inside it vs time its consumer held it between batches. */
function timedRead<A extends unknown[], T>(read: (...args: A) => AsyncIterable<T>, timing: { readMs: number; heldMs: number; readEnded?: number }) {
  return async function* (...args: A): AsyncGenerator<T> {
    const it = read(...args)[Symbol.asyncIterator]();
    for (;;) {
      const t0 = performance.now();
      const next = await it.next();
      const t1 = performance.now();
      timing.readMs += t1 - t0;
      if (next.done) {
        timing.readEnded = t1;
        return;
      }
      yield next.value;
      timing.heldMs += performance.now() - t1;
    }
  };
}

const result = await main();
console.log(JSON.stringify({ phase, ...result, maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024) }));
