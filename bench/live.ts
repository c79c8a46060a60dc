/**
 * Live phases (`npm run bench -- --live sis,mdm`): the real connectors against local fakes of the vendors' APIs
 * (live-servers.ts), each page answered after a fixed delay. Each sync runs through phase.ts (its own process,
 * its own fresh database); each is compared with the fetch floor of the same pages (live-fetch.ts, its own
 * process). Vendor hosts whose URLs are fixed in the client libraries (Google, Graph) are routed to the fakes by
 * the connectors' own test preloads, as their e2e tests do.
 */
import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DistrictModel } from './district/model.js';
import { fakeGoogle, fakeGraph, fakeOneRoster, onerosterRecords, SIS_PATH, TENANT, type Fake } from './live-servers.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const GOOGLE_PRELOAD = path.join(root, 'connectors/google-admin/testing/route-google.mjs');
const GRAPH_PRELOAD = path.join(root, 'connectors/intune/fixtures/route-vendors.ts');

export interface LiveOptions {
  which: string[];
  model: DistrictModel;
  work: string;
  log: (m: string) => void;
  /** A fresh database for one sync: its YAML `database:` value, and how to drop it. */
  database: () => Promise<{ yaml: string; drop(): Promise<void> }>;
  sis: { pageSize: number; concurrency: number; delayMs: number };
  google: { devices: number; orgUnits: number; maxResults: number; delayMs: number };
  graph: { devices: number; pageSize: number; delayMs: number };
}

type Json = Record<string, number>;

/**
 * The heap bound the product ships with (Dockerfile ENTRYPOINT, `npm start`): peak RSS is measured as a district
 * runs it. With a 4 GB bound V8 collects lazily and RSS shows garbage, not what the process holds (ADR 0014).
 */
const PRODUCT_NODE_OPTIONS = '--max-old-space-size=512';

/** Runs a bench script in its own process without blocking this one (the fakes answer from here). */
function child(args: string[], env: Record<string, string> = {}): Promise<Json> {
  const { DATABASE_URL: _server, ...base } = process.env;
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', ...args], {
      cwd: root, env: { ...base, NODE_OPTIONS: PRODUCT_NODE_OPTIONS, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`${args.join(' ')} exited ${code}: ${err.slice(-3000)}${out.slice(-1000)}`));
      resolve(JSON.parse(out.trim().split('\n').pop()!) as Json);
    });
  });
}

function config(file: string, db: string, source: string[]): void {
  writeFileSync(file, [
    'server: { logLevel: warn }',
    `database: ${db}`,
    'district: { name: Bench, domains: [maplewood.example.org], oneToOneGrades: ["03","04","05","06","07","08","09","10","11","12"] }',
    'sources:',
    ...source,
    '',
  ].join('\n'));
}

/** The connector's read alone (phase.ts parse: records counted and dropped, no database). */
function readOnly(o: LiveOptions, name: string, source: string[], preload: string[], env: Record<string, string>): Promise<Json> {
  const file = path.join(o.work, `live-${name}-read.yaml`);
  config(file, '{ dataDir: memory:// }', source);
  return child([...preload.flatMap((p) => ['--import', p]), path.join(here, 'phase.ts'), 'parse', file], env);
}

async function measuredSync(o: LiveOptions, name: string, source: string[], preload: string[], env: Record<string, string>): Promise<Json> {
  const db = await o.database();
  const file = path.join(o.work, `live-${name}.yaml`);
  config(file, db.yaml, source);
  try {
    return await child([...preload.flatMap((p) => ['--import', p]), path.join(here, 'phase.ts'), 'sync', file], env);
  } finally {
    await db.drop();
  }
}

const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;

async function sis(o: LiveOptions): Promise<Record<string, unknown>> {
  const data = onerosterRecords(o.model);
  const fake = await fakeOneRoster(data, o.sis.delayMs);
  try {
    const { pageSize, concurrency } = o.sis;
    o.log(`live sis: ${data.users.length} users, ${data.enrollments.length} enrollments, ${data.orgs.length} orgs; pages of ${pageSize}, ${concurrency} at a time, ${o.sis.delayMs} ms each`);
    const fetchFloor = await child([path.join(here, 'live-fetch.ts'), 'sis', fake.base, String(pageSize), String(concurrency)]);
    o.log(`live sis: fetch floor ${JSON.stringify(fetchFloor)}`);
    writeFileSync(path.join(o.work, 'sis-secret'), 'bench-secret\n');
    const sisSource = [
      '  - id: sis',
      '    kind: oneroster-rest',
      '    version: "1.2"',
      `    baseUrl: ${fake.base}${SIS_PATH}`,
      `    auth: { type: oauth2, tokenUrl: "${fake.base}/oauth/token", clientId: rollcall, clientSecretFile: "${path.join(o.work, 'sis-secret')}" }`,
      `    pageSize: ${pageSize}`,
      `    maxConcurrency: ${concurrency}`,
      '    allowInsecure: true',
      '    batchSize: 5000',
    ];
    const read = await readOnly(o, 'sis', sisSource, [], {});
    o.log(`live sis: connector read alone ${JSON.stringify(read)}`);
    fake.pages = 0;
    const sync = await measuredSync(o, 'sis', sisSource, [], {});
    o.log(`live sis: sync ${JSON.stringify(sync)} (${fake.pages} pages)`);
    return {
      users: data.users.length, enrollments: data.enrollments.length, orgs: data.orgs.length, pageSize, concurrency, pageDelayMs: o.sis.delayMs,
      pages: fake.pages, fetch: fetchFloor, read: { ...read, ratio: ratio(read.ms!, fetchFloor.ms!) }, sync, ratio: ratio(sync.ms!, fetchFloor.ms!),
    };
  } finally {
    await fake.close();
  }
}

async function mdm(o: LiveOptions): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  const keyFile = path.join(o.work, 'google-sa.json');
  const pair = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
  writeFileSync(keyFile, JSON.stringify({
    type: 'service_account', project_id: 'bench', private_key_id: 'bench', private_key: pair.privateKey,
    client_email: 'rollcall-bench@bench.iam.gserviceaccount.com', client_id: '1', token_uri: 'https://oauth2.googleapis.com/token',
  }));
  const g = o.google;
  const google = await fakeGoogle(g.devices, g.orgUnits, g.delayMs);
  try {
    o.log(`live mdm: google ${g.devices} Chromebooks over ${g.orgUnits} org units, pages of ${g.maxResults}, ${g.delayMs} ms each`);
    const fetchFloor = await child([path.join(here, 'live-fetch.ts'), 'google', google.base, String(g.maxResults)]);
    o.log(`live mdm: google sequential fetch floor ${JSON.stringify(fetchFloor)}`);
    const source = (parallel?: number) => [
      '  - id: google',
      '    kind: google-admin',
      `    serviceAccountKeyFile: "${keyFile}"`,
      '    subject: it.admin@maplewood.example.org',
      '    queriesPerMinute: 2400',
      `    maxResults: ${g.maxResults}`,
      '    batchSize: 5000',
      ...(parallel ? [`    parallelOrgUnits: ${parallel}`] : []),
    ];
    const env = { ROLLCALL_TEST_GOOGLE_URL: google.base };
    const readSeq = await readOnly(o, 'google-seq', source(), [GOOGLE_PRELOAD], env);
    o.log(`live mdm: google read alone, parallelOrgUnits off ${JSON.stringify(readSeq)}`);
    const readPar = await readOnly(o, 'google-par', source(4), [GOOGLE_PRELOAD], env);
    o.log(`live mdm: google read alone, parallelOrgUnits 4 ${JSON.stringify(readPar)}`);
    google.pages = 0;
    const sequential = await measuredSync(o, 'google-seq', source(), [GOOGLE_PRELOAD], env);
    const seqPages = google.pages;
    o.log(`live mdm: google sync, parallelOrgUnits off ${JSON.stringify(sequential)} (${seqPages} pages)`);
    google.pages = 0;
    const parallel = await measuredSync(o, 'google-par', source(4), [GOOGLE_PRELOAD], env);
    o.log(`live mdm: google sync, parallelOrgUnits 4 ${JSON.stringify(parallel)} (${google.pages} pages)`);
    out.google = {
      devices: g.devices, orgUnits: g.orgUnits, maxResults: g.maxResults, pageDelayMs: g.delayMs, fetch: fetchFloor,
      sequential: { ...sequential, pages: seqPages, ratio: ratio(sequential.ms!, fetchFloor.ms!), read: { ...readSeq, ratio: ratio(readSeq.ms!, fetchFloor.ms!) } },
      parallel4: { ...parallel, pages: google.pages, ratio: ratio(parallel.ms!, fetchFloor.ms!), read: { ...readPar, ratio: ratio(readPar.ms!, fetchFloor.ms!) } },
    };
  } finally {
    await google.close();
  }
  const m = o.graph;
  const graph: Fake = await fakeGraph(m.devices, m.pageSize, m.delayMs);
  try {
    o.log(`live mdm: graph ${m.devices} Intune devices, pages of ${m.pageSize}, ${m.delayMs} ms each`);
    const fetchFloor = await child([path.join(here, 'live-fetch.ts'), 'graph', graph.base]);
    o.log(`live mdm: graph sequential fetch floor ${JSON.stringify(fetchFloor)}`);
    writeFileSync(path.join(o.work, 'graph-secret'), 'bench-secret\n');
    const intuneSource = [
      '  - id: intune',
      '    kind: intune',
      `    tenantId: ${TENANT}`,
      '    clientId: 99999999-8888-4777-8666-555555555555',
      `    clientSecretFile: "${path.join(o.work, 'graph-secret')}"`,
      '    batchSize: 5000',
    ];
    const graphEnv = { ROLLCALL_TEST_ROUTE_TO: graph.base };
    const read = await readOnly(o, 'intune', intuneSource, [GRAPH_PRELOAD], graphEnv);
    o.log(`live mdm: intune read alone ${JSON.stringify(read)}`);
    graph.pages = 0;
    const sync = await measuredSync(o, 'intune', intuneSource, [GRAPH_PRELOAD], graphEnv);
    o.log(`live mdm: intune sync ${JSON.stringify(sync)} (${graph.pages} pages)`);
    out.intune = { devices: m.devices, pageSize: m.pageSize, pageDelayMs: m.delayMs, fetch: fetchFloor, read: { ...read, ratio: ratio(read.ms!, fetchFloor.ms!) }, sync: { ...sync, pages: graph.pages, ratio: ratio(sync.ms!, fetchFloor.ms!) } };
  } finally {
    await graph.close();
  }
  return out;
}

export async function runLive(o: LiveOptions): Promise<Record<string, unknown>> {
  mkdirSync(o.work, { recursive: true });
  const results: Record<string, unknown> = {};
  if (o.which.includes('sis')) results.sis = await sis(o);
  if (o.which.includes('mdm')) results.mdm = await mdm(o);
  rmSync(path.join(o.work, 'google-sa.json'), { force: true });
  return results;
}
