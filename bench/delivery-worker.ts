/**
 * One delivery worker process for the delivery benchmark (bench/delivery.ts): opens the database, builds the
 * worker for one webhook endpoint, prints `ready`, waits for `go` on stdin, delivers until nothing is left to
 * claim, and prints its timings as one JSON line.
 */
import { pino } from 'pino';
import { parseConfigText } from '../src/config/index.js';
import { openDatabase } from '../src/db/client.js';
import { createDeliveryWorker } from '../src/delivery/worker.js';

const [dbUrl, receiverUrl, secret, concurrency] = process.argv.slice(2);
const config = parseConfigText([
  'district: { name: Bench }',
  'webhooks:',
  '  endpoints:',
  `    - { id: bench, url: "${receiverUrl}", secret: "${secret}", allowInsecure: true, allowPrivateNetwork: true }`,
  '',
].join('\n'), 'bench-delivery.yaml', {});
const db = await openDatabase({ url: dbUrl!, poolSize: 4 });
const worker = createDeliveryWorker({ db, config, log: pino({ level: 'warn' }), concurrency: Number(concurrency ?? 32) });
process.stdout.write('ready\n');
await new Promise<void>((resolve) => process.stdin.once('data', () => resolve()));
const start = Date.now();
const r = await worker.deliverDue();
const end = Date.now();
worker.close();
await db.close();
process.stdout.write(`${JSON.stringify({ start, end, ...r, rssMb: Math.round(process.memoryUsage().rss / 1048576) })}\n`);
