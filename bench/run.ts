/**
 * `npm run bench [-- --students N --devices M --engines pglite,postgres]`
 *
 * Generates a synthetic district, then on each engine measures: full sync, unchanged re-sync, re-sync after 1%
 * changes, reconcile — wall time, rows and events written, peak RSS (each phase is its own process). In the same
 * run it measures the floor: reading the same files alone, and COPY of the same rows into unlogged tables on
 * the PostgreSQL server (DATABASE_URL). Prints a table and writes bench/results/<date>-<size>.json.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { generateDistrict } from './district/generate.js';
import { writeDistrict } from './district/write.js';
import { runDeliveryBench, type DeliveryBenchResult } from './delivery.js';
import { runLive } from './live.js';
import { mutateDistrict } from './mutate.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const { values } = parseArgs({
  options: {
    students: { type: 'string', default: '10000' },
    devices: { type: 'string' },
    engines: { type: 'string' },
    keep: { type: 'boolean', default: false },
    /** Live phases against local fakes of the vendors' APIs: `sis`, `mdm` or `sis,mdm` (bench/live.ts). */
    live: { type: 'string' },
    /** With --live: skip the file-based phases. */
    'live-only': { type: 'boolean', default: false },
    /** The admin API against a large ledger on PostgreSQL (bench/api.ts), alone. */
    api: { type: 'boolean', default: false },
    'api-devices': { type: 'string', default: '500000' },
    'api-seconds': { type: 'string', default: '30' },
    /** Delivery phase: this many webhook events, 2 worker processes, on DATABASE_URL (bench/delivery.ts). */
    delivery: { type: 'string' },
    /** With --delivery: only the delivery phase. */
    'delivery-only': { type: 'boolean', default: false },
  },
});
if (values.api) {
  if (!process.env.DATABASE_URL) throw new Error('set DATABASE_URL to a PostgreSQL server to bench the API');
  const { runApiBench } = await import('./api.js');
  await runApiBench({
    serverUrl: process.env.DATABASE_URL, devices: Number(values['api-devices']), seconds: Number(values['api-seconds']), keep: values.keep,
    log: (m) => process.stderr.write(`${m}\n`),
  });
  process.exit(0);
}
const students = Number(values.students);
const devices = Number(values.devices ?? Math.round(students * 1.1));
const serverUrl = process.env.DATABASE_URL;
const liveOnly = values['live-only'] && values.live !== undefined;
const engines = liveOnly ? [] : (values.engines ?? (serverUrl ? 'postgres,pglite' : 'pglite')).split(',') as ('postgres' | 'pglite')[];
if (engines.includes('postgres') && !serverUrl) throw new Error('set DATABASE_URL to a PostgreSQL server to bench the postgres engine');

if (values['delivery-only']) {
  if (!serverUrl) throw new Error('set DATABASE_URL to a PostgreSQL server for the delivery phase');
  const r = await runDeliveryBench({ serverUrl, events: Number(values.delivery ?? 10_000), workers: 2, log: (m) => process.stderr.write(`${m}\n`) });
  printDelivery(r);
  const outDir = path.join(here, 'results');
  mkdirSync(outDir, { recursive: true });
  const f = path.join(outDir, `${new Date().toISOString().slice(0, 10)}-delivery-${r.events}.json`);
  writeFileSync(f, `${JSON.stringify({ date: new Date().toISOString(), node: process.version, delivery: r }, null, 2)}\n`);
  console.log(`wrote ${path.relative(root, f)}`);
  process.exit(0);
}

function printDelivery(r: DeliveryBenchResult): void {
  console.log(`\ndelivery: ${r.events} events, ${r.workers} workers on PostgreSQL, local receiver: drained in ${(r.drainMs / 1000).toFixed(2)} s = ${r.fanOutAndDeliverPerSec} deliveries/s`);
  for (const [i, w] of r.perWorker.entries()) console.log(`  worker ${i + 1}: ${w.claimed} claimed, ${w.delivered} delivered in ${(w.ms / 1000).toFixed(2)} s, RSS ${w.rssMb} MB`);
  console.log(`  receiver: ${r.received} requests, ${r.distinctIds} distinct webhook-ids; ${r.deliveredRows} rows delivered`);
}

const work = mkdtempSync(path.join(tmpdir(), 'rollcall-bench-'));
const log = (m: string) => process.stderr.write(`${m}\n`);

function phase(name: string, config: string, extra: string[] = []): Record<string, number> {
  // DATABASE_URL would override the embedded engine's config (as it does for a user): phases get only the file.
  const { DATABASE_URL: _server, ...env } = process.env;
  const out = execFileSync(process.execPath, ['--import', 'tsx', path.join(here, 'phase.ts'), name, config, ...extra], {
    // The heap bound the product ships with (Dockerfile, `npm start`; ADR 0014), so a district's largest file
    // sync is measured as it would run.
    cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, env: { ...env, NODE_OPTIONS: '--max-old-space-size=512' },
  });
  const line = out.trim().split('\n').pop()!;
  return JSON.parse(line) as Record<string, number>;
}

function writeConfig(file: string, dir: string, db: string): void {
  writeFileSync(file, [
    'server: { logLevel: warn }',
    `database: ${db}`,
    'district: { name: Bench, domains: [maplewood.example.org], oneToOneGrades: ["03","04","05","06","07","08","09","10","11","12"] }',
    'reconcile: { asOf: "2026-11-01" }',
    'sources:',
    `  - { id: sis, kind: oneroster-csv, path: "${dir}/oneroster", batchSize: 5000 }`,
    `  - { id: google, kind: device-csv, format: gam, path: "${dir}/devices/gam-cros.csv", batchSize: 5000 }`,
    '',
  ].join('\n'));
}

async function scratchDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `rollcall_bench_${Date.now()}`;
  const admin = postgres(serverUrl!, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  const u = new URL(serverUrl!);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    drop: async () => {
      const a = postgres(serverUrl!, { max: 1, onnotice: () => {} });
      await a.unsafe(`drop database if exists ${name} with (force)`);
      await a.end();
    },
  };
}

log(`generating ${students} students, ${devices} devices in ${work}`);
let t = performance.now();
const model = generateDistrict({ students, devices, asOf: new Date('2026-11-01T00:00:00Z'), plant: false });
const base = path.join(work, 'base');
await writeDistrict(model, base);
const changed = path.join(work, 'changed');
const mutated = await mutateDistrict(base, changed);
log(`generated in ${((performance.now() - t) / 1000).toFixed(1)} s; 1% change touches ${mutated.people} people and ${mutated.devices} devices`);

const results: Record<string, unknown> = { date: new Date().toISOString(), students, devices, node: process.version, engines: {} };
const floor: Record<string, number> = {};
if (!liveOnly) {
  const cfg = path.join(work, 'parse.yaml');
  writeConfig(cfg, base, '{ dataDir: memory:// }');
  const tsv = path.join(work, 'tsv');
  mkdirSync(tsv);
  const p = phase('parse', cfg, [tsv]);
  floor.parseMs = p.ms!;
  floor.parseRssMb = p.maxRssMb!;
  floor.records = p.records!;
  if (serverUrl) {
    const scratch = await scratchDatabase();
    writeConfig(cfg, base, `{ url: "${scratch.url}" }`);
    const c = phase('copy', cfg, [tsv]);
    floor.copyMs = c.ms!;
    floor.copyRows = c.rows!;
    await scratch.drop();
  }
  floor.totalMs = floor.parseMs + (floor.copyMs ?? 0);
  results.floor = floor;
  log(`floor: parse ${floor.parseMs.toFixed(0)} ms${floor.copyMs !== undefined ? `, COPY ${floor.copyMs.toFixed(0)} ms` : ''}`);
}

for (const engine of engines) {
  const scratch = engine === 'postgres' ? await scratchDatabase() : undefined;
  const dataDir = path.join(work, `pglite-${Date.now()}`);
  const db = scratch ? `{ url: "${scratch.url}" }` : `{ dataDir: "${dataDir}" }`;
  const cfgBase = path.join(work, `${engine}-base.yaml`);
  const cfgChanged = path.join(work, `${engine}-changed.yaml`);
  writeConfig(cfgBase, base, db);
  writeConfig(cfgChanged, changed, db);
  const r: Record<string, unknown> = {};
  t = performance.now();
  r.full = phase('sync', cfgBase);
  log(`${engine}: full sync ${JSON.stringify(r.full)}`);
  r.unchanged = phase('sync', cfgBase);
  log(`${engine}: unchanged re-sync ${JSON.stringify(r.unchanged)}`);
  r.changed1pct = phase('sync', cfgChanged);
  log(`${engine}: 1% changed re-sync ${JSON.stringify(r.changed1pct)}`);
  try {
    r.reconcile = phase('reconcile', cfgChanged);
    log(`${engine}: reconcile ${JSON.stringify(r.reconcile)}`);
  } catch (e) {
    log(`${engine}: reconcile not measured: ${(e as Error).message.split('\n')[0]}`);
  }
  (results.engines as Record<string, unknown>)[engine] = r;
  await scratch?.drop();
  rmSync(dataDir, { recursive: true, force: true });
}

if (values.delivery && serverUrl) {
  const r = await runDeliveryBench({ serverUrl, events: Number(values.delivery), workers: 2, log });
  results.delivery = r;
  printDelivery(r);
}

if (values.live) {
  results.live = await runLive({
    which: values.live.split(','), model, work: path.join(work, 'live'), log,
    database: async () => {
      if (serverUrl) {
        const s = await scratchDatabase();
        return { yaml: `{ url: "${s.url}" }`, drop: s.drop };
      }
      const dir = path.join(work, `live-pglite-${Date.now()}`);
      return { yaml: `{ dataDir: "${dir}" }`, drop: async () => rmSync(dir, { recursive: true, force: true }) };
    },
    // 100 ms a page; pages of 1,000 (the connector allows up to 10,000), 2 in flight (its default).
    sis: { pageSize: 1000, concurrency: 2, delayMs: 100 },
    // 100k Chromebooks over 20 org units at the full size (one per student), 150 ms a page of 200 (the default).
    google: { devices: students, orgUnits: 20, maxResults: 200, delayMs: 150 },
    // 20k Intune devices at the full size, 1,000 a page, 150 ms a page.
    graph: { devices: Math.round(students / 5), pageSize: 1000, delayMs: 150 },
  });
}

const rowsOut: string[][] = [['engine', 'phase', 'wall s', 'x floor', 'rows written', 'events', 'peak RSS MB']];
for (const [engine, r] of Object.entries(results.engines as Record<string, Record<string, Record<string, number>>>)) {
  for (const [name, p] of Object.entries(r)) {
    rowsOut.push([engine, name, (p.ms! / 1000).toFixed(2), name === 'reconcile' ? '' : (p.ms! / floor.totalMs!).toFixed(2), String(p.rowsWritten ?? ''), String(p.events ?? ''), String(p.maxRssMb)]);
  }
}
const widths = rowsOut[0]!.map((_, i) => Math.max(...rowsOut.map((r) => r[i]!.length)));
if (!liveOnly) console.log(`\n${students} students, ${devices} devices; floor = parse ${(floor.parseMs! / 1000).toFixed(2)} s${floor.copyMs !== undefined ? ` + COPY ${(floor.copyMs / 1000).toFixed(2)} s` : ''} = ${(floor.totalMs! / 1000).toFixed(2)} s (parse peak RSS ${floor.parseRssMb} MB)`);
if (!liveOnly) for (const r of rowsOut) console.log(r.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  '));
const outDir = path.join(here, 'results');
mkdirSync(outDir, { recursive: true });
const file = path.join(outDir, `${new Date().toISOString().slice(0, 10)}-${students}.json`);
if (results.live) printLive(results.live as Record<string, Record<string, Record<string, unknown>>>);
// --live-only adds its `live` key to the day's results for this size, keeping the file-based figures there.
const previous = liveOnly && existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown> : undefined;
writeFileSync(file, `${JSON.stringify(previous ? { ...previous, live: results.live, liveDate: results.date } : results, null, 2)}\n`);
console.log(`\nwrote ${path.relative(root, file)}`);
if (!values.keep) rmSync(work, { recursive: true, force: true });

function printLive(live: Record<string, Record<string, Record<string, unknown>>>): void {
  const t: string[][] = [['live phase', 'sync s', 'x floor', 'in read s', 'after read s', 'read alone s', 'x floor', 'fetch floor s', 'pages', 'peak RSS MB']];
  const s = (ms: unknown) => (typeof ms === 'number' ? (ms / 1000).toFixed(2) : '');
  const row = (name: string, p: Record<string, unknown> | undefined, read: Record<string, unknown> | undefined, fetchMs: number, pages: unknown) => {
    if (!p) return;
    const ms = p.ms as number;
    t.push([name, s(ms), (ms / fetchMs).toFixed(2), s(p.readMs), s(p.afterReadMs), s(read?.ms), read ? ((read.ms as number) / fetchMs).toFixed(2) : '',
      s(fetchMs), String(pages ?? ''), String(p.maxRssMb)]);
  };
  const sis = live.sis as Record<string, unknown> | undefined;
  if (sis) row('oneroster-rest', sis.sync as Record<string, unknown>, sis.read as Record<string, unknown>, (sis.fetch as Record<string, number>).ms!, sis.pages);
  const google = live.mdm?.google as Record<string, Record<string, unknown>> | undefined;
  if (google) {
    row('google-admin', google.sequential, google.sequential!.read as Record<string, unknown>, google.fetch!.ms as number, google.sequential!.pages);
    row('google-admin parallelOrgUnits 4', google.parallel4, google.parallel4!.read as Record<string, unknown>, google.fetch!.ms as number, google.parallel4!.pages);
  }
  const intune = live.mdm?.intune as Record<string, Record<string, unknown>> | undefined;
  if (intune) row('intune', intune.sync, intune.read as Record<string, unknown>, intune.fetch!.ms as number, intune.sync!.pages);
  const w = t[0]!.map((_, i) => Math.max(...t.map((r) => r[i]!.length)));
  console.log('');
  for (const r of t) console.log(r.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  '));
}
