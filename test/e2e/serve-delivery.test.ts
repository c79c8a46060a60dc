/** `rollcall serve` runs the delivery worker: an event waiting in the outbox reaches a local receiver, signed. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Webhook } from 'standardwebhooks';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/client.js';
import { migrate } from '../../src/db/migrate.js';
import { enqueue } from '../../src/outbox/enqueue.js';
import { startReceiver } from '../helpers/receiver.js';
import { freePort, spawnCli, waitFor, type Spawned } from '../helpers/spawn.js';

const secret = `whsec_${Buffer.alloc(32, 8).toString('base64')}`;

describe('rollcall serve delivers', () => {
  let proc: Spawned | undefined;
  afterAll(() => proc?.child.kill('SIGKILL'));

  it('sends the outbox to a webhook endpoint and shows it on /metrics', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rollcall-serve-dlv-'));
    const rx = await startReceiver();
    const dataDir = path.join(dir, 'data');
    const db = await openDatabase({ dataDir });
    await migrate(db);
    await enqueue(db.orm, 'sync.failed', { runId: 7, sourceId: 'sis', mode: 'full', error: 'boom' });
    await db.close();
    const port = await freePort();
    const config = path.join(dir, 'rollcall.yaml');
    writeFileSync(config, [
      `server: { port: ${port}, host: 127.0.0.1, shutdownTimeoutMs: 5000 }`,
      `database: { dataDir: ${dataDir} }`,
      'district: { name: Test }',
      'webhooks:',
      '  endpoints:',
      `    - { id: local, url: "${rx.url}", secret: "${secret}", allowInsecure: true, allowPrivateNetwork: true }`,
      '',
    ].join('\n'));
    proc = spawnCli(['serve'], { env: { ROLLCALL_CONFIG: config } });
    await waitFor(`http://127.0.0.1:${port}/healthz`);
    for (let i = 0; i < 100 && rx.received.length === 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(rx.received).toHaveLength(1);
    const got = rx.received[0]!;
    const payload = new Webhook(secret).verify(got.body, got.headers as Record<string, string>) as { type: string; data: { runId: number } };
    expect(payload).toMatchObject({ type: 'sync.failed', data: { runId: 7 } });
    let metrics = '';
    for (let i = 0; i < 50 && !metrics.includes('status="delivered"} 1'); i++) {
      metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(metrics).toContain('rollcall_deliveries{target="webhook:local",status="delivered"} 1');
    proc.child.kill('SIGTERM');
    expect((await proc.exited).code).toBe(0);
    await rx.close();
  });
});
