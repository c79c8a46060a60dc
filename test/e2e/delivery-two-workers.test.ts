/**
 * Two `rollcall deliver --once` processes on one PostgreSQL database share 1,000 discrepancy events: every event
 * becomes exactly one help desk ticket (Zendesk stand-in with its Idempotency-Key window off, so a double create
 * would show) and reaches the webhook receiver at least once, always under the same webhook-id.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, rows } from '../../src/db/client.js';
import { migrate } from '../../src/db/migrate.js';
import { scratchDatabaseUrl, serverUrl } from '../helpers/db.js';
import { startFakeZendesk, type FakeZendesk } from '../helpers/fake-zendesk.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { repoRoot, spawnCli } from '../helpers/spawn.js';

const N = 1000;
const secret = `whsec_${Buffer.alloc(32, 5).toString('base64')}`;

describe.skipIf(!serverUrl)('two delivery processes on PostgreSQL', () => {
  let dir: string;
  let zd: FakeZendesk;
  let rx: Receiver;
  let db: { url: string; drop(): Promise<void> };
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'rollcall-two-workers-'));
    zd = await startFakeZendesk();
    zd.idempotencyWindowMs = 0;
    rx = await startReceiver();
    db = await scratchDatabaseUrl();
  });
  afterAll(async () => {
    await zd.close();
    await rx.close();
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`deliver ${N} events: tickets exactly once, webhooks at least once with stable ids`, async () => {
    const d = await openDatabase({ url: db.url, poolSize: 2 });
    await migrate(d);
    await d.orm.execute(sql`insert into devices (serial, platform) select 'SER' || g, 'chromeos' from generate_series(1, ${N}) g`);
    await d.orm.execute(sql`insert into discrepancies (rule, subject_key, device_id, severity, status, occurrence)
      select 'withdrawn-with-device', 'device:' || id, id, 'high', 'open', 1 from devices`);
    await d.orm.execute(sql`insert into outbox (type, payload)
      select 'discrepancy.opened', jsonb_build_object('id', id, 'rule', rule, 'subjectKey', subject_key, 'severity', severity,
        'occurrence', occurrence, 'status', status, 'deviceId', device_id, 'personId', null, 'ticket', true, 'details', '{}'::jsonb)
      from discrepancies order by id`);
    const file = path.join(dir, 'rollcall.yaml');
    writeFileSync(file, [
      'server: { logLevel: warn }',
      `database: { url: "${db.url}", poolSize: 4 }`,
      'district: { name: Test }',
      'webhooks:',
      '  endpoints:',
      `    - { id: hook, url: "${rx.url}", secret: "${secret}", allowInsecure: true, allowPrivateNetwork: true }`,
      'helpdesks:',
      `  - { id: desk, kind: zendesk, baseUrl: "${zd.url}", allowInsecure: true, allowPrivateNetwork: true, email: it-desk@district.org, apiToken: zd-token-123, requestsPerMinute: 2500 }`,
      '',
    ].join('\n'));
    // Two processes, started together (ready/go handshake), plus `rollcall deliver --once` afterwards to show
    // nothing was left behind.
    const procs = [0, 1].map(() => {
      const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'test/helpers/delivery-worker.ts'), file], {
        cwd: repoRoot, env: { PATH: process.env.PATH, HOME: process.env.HOME }, stdio: ['pipe', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const ready = new Promise<void>((resolve) => child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('ready\n')) resolve();
      }));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      return { child, ready, exited, out: () => out, err: () => err };
    });
    await Promise.all(procs.map((p) => p.ready));
    for (const p of procs) p.child.stdin.end('go\n');
    for (const p of procs) expect(await p.exited, p.err()).toBe(0);
    const stats = procs.map((p) => JSON.parse(p.out().trim().split('\n').pop()!) as { claimed: number; delivered: number; retried: number; dead: number });
    // both processes did part of the work, and between them delivered every row once
    expect(stats.every((s) => s.claimed > 0), JSON.stringify(stats)).toBe(true);
    expect(stats.reduce((a, s) => a + s.delivered, 0)).toBe(2 * N);
    expect(stats.reduce((a, s) => a + s.retried + s.dead, 0)).toBe(0);
    const after = spawnCli(['deliver', '--once', '--config', file]);
    expect((await after.exited).code).toBe(0);
    expect(after.stdout().trim()).toBe('attempted 0: delivered 0, to retry 0, dead 0');

    const status = await rows<{ target: string; status: string; n: number }>(d.orm, sql`select target, status, count(*)::int as n from deliveries group by 1, 2 order by 1, 2`);
    expect(status).toEqual([{ target: 'helpdesk:desk', status: 'delivered', n: N }, { target: 'webhook:hook', status: 'delivered', n: N }]);

    // tickets: exactly one per event
    expect(zd.creates).toBe(N);
    expect(new Set(zd.tickets.map((t) => t.external_id)).size).toBe(N);
    const [links] = await rows<{ n: number; keys: number }>(d.orm, sql`select count(*)::int as n, count(distinct idempotency_key)::int as keys from ticket_links`);
    expect(links).toEqual({ n: N, keys: N });

    // webhooks: every event at least once, one webhook-id per event
    const idsByEvent = new Map<number, Set<string>>();
    for (const r of rx.received) {
      const ev = (JSON.parse(r.body) as { data: { id: number } }).data.id;
      idsByEvent.set(ev, (idsByEvent.get(ev) ?? new Set()).add(String(r.headers['webhook-id'])));
    }
    expect(idsByEvent.size).toBe(N);
    expect([...idsByEvent.values()].every((s) => s.size === 1)).toBe(true);
    expect(new Set([...idsByEvent.values()].map((s) => [...s][0])).size).toBe(N);
    await d.close();
  }, 120_000);
});
