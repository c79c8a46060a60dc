/**
 * One delivery worker process for multi-process tests: loads the config file given, prints `ready`, waits for a
 * line on stdin, delivers until nothing is left to claim, prints its round stats as JSON. The handshake makes the
 * processes start together, however long each took to boot.
 */
import { pino } from 'pino';
import { loadConfig } from '../../src/config/index.js';
import { sql } from 'drizzle-orm';
import { databaseOptions, openDatabase, rows } from '../../src/db/client.js';
import { createDeliveryWorker } from '../../src/delivery/worker.js';

const config = loadConfig({ file: process.argv[2], env: {}, cwd: process.cwd() });
const db = await openDatabase(databaseOptions(config.database));
const worker = createDeliveryWorker({ db, config, log: pino({ level: 'warn' }) });
process.stdout.write('ready\n');
await new Promise<void>((resolve) => process.stdin.once('data', () => resolve()));
// A worker that starts while the other holds the outbox batch it is fanning out (SKIP LOCKED) finds nothing due
// yet; `serve` would look again a second later, so this loop does the same until the outbox is all dispatched.
const r = { claimed: 0, delivered: 0, retried: 0, dead: 0 };
for (;;) {
  const round = await worker.deliverDue();
  for (const k of Object.keys(r) as (keyof typeof r)[]) r[k] += round[k];
  const [w] = await rows<{ n: number }>(db.orm, sql`select count(*)::int as n from outbox where dispatched_at is null`);
  if (round.claimed === 0 && Number(w?.n ?? 0) === 0) break;
  if (round.claimed === 0) await new Promise((res) => setTimeout(res, 100));
}
worker.close();
await db.close();
process.stdout.write(`${JSON.stringify(r)}\n`);
