/**
 * The delivery CLI end to end, in-process, on an embedded database: `deliver --once` sends what the outbox holds
 * to a real local receiver, `deliveries list --status dead` shows a dead one, `deliveries replay` re-queues it,
 * and `webhook-receiver` verifies what it receives.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/client.js';
import { migrate } from '../../src/db/migrate.js';
import { enqueue } from '../../src/outbox/enqueue.js';
import { cliWithConfig } from '../helpers/capture.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { freePort } from '../helpers/spawn.js';

const secret = `whsec_${Buffer.alloc(32, 3).toString('base64')}`;

describe('rollcall deliver / deliveries', () => {
  let dir: string;
  let rx: Receiver;
  let cli: ReturnType<typeof cliWithConfig>;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'rollcall-deliver-'));
    rx = await startReceiver();
    const file = path.join(dir, 'rollcall.yaml');
    writeFileSync(file, [
      'server: { logLevel: silent }',
      `database: { dataDir: "${dir}/data" }`,
      'district: { name: Test }',
      'webhooks:',
      '  endpoints:',
      `    - { id: local, url: "${rx.url}", secret: "${secret}", events: ["sync.*"], allowInsecure: true, allowPrivateNetwork: true }`,
      '',
    ].join('\n'));
    cli = cliWithConfig(file);
    const db = await openDatabase({ dataDir: `${dir}/data` });
    await migrate(db);
    await enqueue(db.orm, 'sync.failed', { runId: 1, sourceId: 'sis', mode: 'full', error: 'x' });
    await enqueue(db.orm, 'sync.failed', { runId: 2, sourceId: 'sis', mode: 'full', error: 'y' });
    await enqueue(db.orm, 'device.created', { deviceId: 1, serial: 'A1', platform: 'chromeos', runId: 1 });
    await db.close();
  });
  afterAll(async () => {
    await rx.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('delivers, lists the dead, replays', async () => {
    rx.answers = [{ status: 204 }, { status: 422, body: '{"error":"unknown source"}' }];
    const first = await cli('deliver', '--once');
    expect(first).toMatchObject({ code: 0 });
    expect(first.out).toBe('attempted 2: delivered 1, to retry 0, dead 1');
    const dead = await cli('deliveries', 'list', '--status', 'dead');
    expect(dead.code).toBe(0);
    expect(dead.out).toMatch(/^id\s+event\s+target\s+status/m);
    expect(dead.out).toMatch(/\d+\s+sync\.failed\s+webhook:local\s+dead\s+1\s+-\s+422\s+answered 422: \{"error":"unknown source"\}/);
    const id = /^\s*(\d+)\s+sync\.failed\s+webhook:local\s+dead/m.exec(dead.out)![1]!;
    expect(await cli('deliveries', 'replay', 'abc')).toMatchObject({ code: 2 });
    expect(await cli('deliveries', 'replay', id)).toMatchObject({ code: 0, out: expect.stringContaining(`delivery ${id} (sync.failed → webhook:local) re-queued`) });
    expect(await cli('deliveries', 'replay', id)).toMatchObject({ code: 1, err: expect.stringContaining('[delivery_not_replayable]') });
    expect((await cli('deliver', '--once')).out).toBe('attempted 1: delivered 1, to retry 0, dead 0');
    expect((await cli('deliveries', 'list', '--status', 'dead')).out).toBe('No deliveries with status dead.');
    expect(rx.received).toHaveLength(3);
    const json = JSON.parse((await cli('deliveries', 'list', '--format', 'json')).out) as { total: number };
    expect(json.total).toBe(2);
    expect(await cli('deliver')).toMatchObject({ code: 2 });
    expect(await cli('deliveries', 'list', '--status', 'lost')).toMatchObject({ code: 2 });
  });

  it('webhook-receiver verifies signatures and drops repeats by webhook-id', async () => {
    const port = await freePort();
    const file = path.join(dir, 'receiver.yaml');
    writeFileSync(file, [
      'server: { logLevel: silent }',
      `database: { dataDir: "${dir}/data2" }`,
      'district: { name: Test }',
      'webhooks:',
      '  endpoints:',
      `    - { id: demo-receiver, url: "http://127.0.0.1:${port}/", secret: "${secret}", allowInsecure: true, allowPrivateNetwork: true }`,
      '',
    ].join('\n'));
    const { webhookReceiverCommand } = await import('../../src/cli/webhook-receiver.js');
    const { buildContext } = await import('../../src/cli/context.js');
    const lines: string[] = [];
    const ctx = buildContext({ env: {}, cwd: process.cwd() }, file, { out: (l) => lines.push(l), err: () => {} }, false);
    const stop = new AbortController();
    const running = webhookReceiverCommand(ctx, {}, stop.signal);
    const { Webhook } = await import('standardwebhooks');
    const body = JSON.stringify({ type: 'sync.failed', timestamp: '2026-11-24T10:00:00.000Z', data: {} });
    const now = new Date();
    const sig = new Webhook(secret).sign('msg_7', now, body);
    const headers = { 'content-type': 'application/json', 'webhook-id': 'msg_7', 'webhook-timestamp': String(Math.floor(now.getTime() / 1000)), 'webhook-signature': sig };
    for (let i = 0; i < 50 && !lines.some((l) => l.startsWith('Receiving')); i++) await new Promise((r) => setTimeout(r, 20));
    expect((await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', headers, body })).status).toBe(204);
    expect((await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', headers, body })).status).toBe(204);
    expect((await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', headers, body: body.replace('failed', 'held') })).status).toBe(401);
    stop.abort();
    expect(await running).toBe(0);
    expect(lines.slice(1).map((l) => l.replace(/^\S+\s+/, ''))).toEqual([
      'msg_7  sync.failed  event at 2026-11-24T10:00:00.000Z',
      'msg_7  sync.failed  event at 2026-11-24T10:00:00.000Z  (duplicate, ignored)',
      'msg_7  REJECTED (signature does not verify)',
    ]);
  });
});
