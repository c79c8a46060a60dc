/**
 * One delivery worker process for multi-process tests: loads the config file given, prints `ready`, waits for a
 * line on stdin, delivers until nothing is left to claim, prints its round stats as JSON. The handshake makes the
 * processes start together, however long each took to boot.
 */
import { pino } from 'pino';
import { loadConfig } from '../../src/config/index.js';
import { databaseOptions, openDatabase } from '../../src/db/client.js';
import { createDeliveryWorker } from '../../src/delivery/worker.js';

const config = loadConfig({ file: process.argv[2], env: {}, cwd: process.cwd() });
const db = await openDatabase(databaseOptions(config.database));
const worker = createDeliveryWorker({ db, config, log: pino({ level: 'warn' }) });
process.stdout.write('ready\n');
await new Promise<void>((resolve) => process.stdin.once('data', () => resolve()));
const r = await worker.deliverDue();
worker.close();
await db.close();
process.stdout.write(`${JSON.stringify(r)}\n`);
