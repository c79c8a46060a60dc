/**
 * Delivery benchmark: N outbox events (sync.failed, ~200-byte payloads) to one local webhook receiver by W worker
 * processes sharing one PostgreSQL database. Measures deliveries per second and the backlog drain time (first
 * claim to last delivery), and checks that every event arrived with one stable webhook-id. The receiver answers
 * 204 at once, so the figure is rollcall's own cost: fan-out, claims, signing, HTTP, recording.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { openDatabase, rows } from '../src/db/client.js';
import { migrate } from '../src/db/migrate.js';
import { sql } from 'drizzle-orm';

const here = path.dirname(fileURLToPath(import.meta.url));

export interface DeliveryBenchResult {
  events: number;
  workers: number;
  drainMs: number;
  fanOutAndDeliverPerSec: number;
  perWorker: { claimed: number; delivered: number; ms: number; rssMb: number }[];
  received: number;
  distinctIds: number;
  deliveredRows: number;
}

export async function runDeliveryBench(o: { serverUrl: string; events: number; workers: number; log: (m: string) => void }): Promise<DeliveryBenchResult> {
  const name = `rollcall_bench_dlv_${Date.now()}`;
  const admin = postgres(o.serverUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  const u = new URL(o.serverUrl);
  u.pathname = `/${name}`;
  const url = u.toString();
  let received = 0;
  const ids = new Set<string>();
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      received++;
      ids.add(String(req.headers['webhook-id']));
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const receiverUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`;
  const secret = `whsec_${Buffer.alloc(32, 1).toString('base64')}`;
  try {
    const db = await openDatabase({ url, poolSize: 2 });
    await migrate(db);
    await db.orm.execute(sql`insert into outbox (type, payload)
      select 'sync.failed', jsonb_build_object('runId', g, 'sourceId', 'sis', 'mode', 'full', 'error', 'incomplete_read: users.csv ended after ' || g || ' rows')
      from generate_series(1, ${o.events}) g`);
    o.log(`delivery: ${o.events} events in the outbox; starting ${o.workers} worker processes`);
    const procs = Array.from({ length: o.workers }, () => {
      const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'delivery-worker.ts'), url, receiverUrl, secret, '32'], {
        cwd: path.resolve(here, '..'), stdio: ['pipe', 'pipe', 'inherit'],
      });
      let out = '';
      const ready = new Promise<void>((resolve) => child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('ready\n')) resolve();
      }));
      const done = new Promise<string>((resolve, reject) => child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`worker exited ${code}`)))));
      return { child, ready, done };
    });
    await Promise.all(procs.map((p) => p.ready));
    for (const p of procs) p.child.stdin.end('go\n');
    const outs = await Promise.all(procs.map((p) => p.done));
    const stats = outs.map((s) => JSON.parse(s.trim().split('\n').pop()!) as { start: number; end: number; claimed: number; delivered: number; rssMb: number });
    const drainMs = Math.max(...stats.map((s) => s.end)) - Math.min(...stats.map((s) => s.start));
    const [d] = await rows<{ n: number }>(db.orm, sql`select count(*)::int as n from deliveries where status = 'delivered'`);
    await db.close();
    return {
      events: o.events, workers: o.workers, drainMs,
      fanOutAndDeliverPerSec: Math.round(o.events / (drainMs / 1000)),
      perWorker: stats.map((s) => ({ claimed: s.claimed, delivered: s.delivered, ms: s.end - s.start, rssMb: s.rssMb })),
      received, distinctIds: ids.size, deliveredRows: Number(d?.n ?? 0),
    };
  } finally {
    server.close();
    const a = postgres(o.serverUrl, { max: 1, onnotice: () => {} });
    await a.unsafe(`drop database if exists ${name} with (force)`);
    await a.end();
  }
}
