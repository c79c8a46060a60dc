/**
 * Webhook delivery against a real local HTTP server: Standard Webhooks signatures (verified with the
 * `standardwebhooks` package), event filters, the retry schedule on a fake clock, dead letters, replay, 410 and
 * 3-day disabling, redirects refused, expired leases re-taken.
 */
import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { pino } from 'pino';
import { Webhook } from 'standardwebhooks';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/api/metrics.js';
import { webhookEndpointSchema } from '../../src/config/schema.js';
import { rows } from '../../src/db/client.js';
import { claimDue } from '../../src/delivery/claim.js';
import { listDeliveries, replayDelivery } from '../../src/delivery/list.js';
import { createDeliveryWorker, type DeliveryDeps } from '../../src/delivery/worker.js';
import { enqueue } from '../../src/outbox/enqueue.js';
import { engines, freshDatabase, type TestDb } from '../helpers/db.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';

const log = pino({ level: 'silent' });
const secret = () => `whsec_${randomBytes(32).toString('base64')}`;

describe.each(engines)('webhook delivery on %s', (engine) => {
  let t: TestDb;
  let rx: Receiver;
  let clock: Date;
  const s1 = secret();
  const s2 = secret();

  beforeAll(async () => {
    t = await freshDatabase(engine);
  });
  afterAll(async () => {
    await t.drop();
  });
  beforeEach(async () => {
    rx = await startReceiver();
    clock = new Date('2026-11-24T10:00:00Z');
    await t.db.orm.execute(sql`truncate deliveries, delivery_targets, audit_log, outbox restart identity cascade`);
  });
  afterEach(async () => {
    await rx.close();
  });

  function worker(endpoint: Record<string, unknown>, extra: Partial<DeliveryDeps> = {}) {
    // Parsed as allowed, then the flags set as the test asks: the config refuses http:// without allowInsecure
    // already, and the sender must refuse it on its own as well.
    const { allowInsecure, ...rest } = endpoint;
    const parsed = webhookEndpointSchema.parse({ id: 'hook', url: rx.url, allowInsecure: true, allowPrivateNetwork: true, secrets: [s1], ...rest });
    const ep = { ...parsed, allowInsecure: (allowInsecure as boolean | undefined) ?? true };
    return createDeliveryWorker({
      db: t.db, log, config: { webhooks: { endpoints: [ep] }, helpdesks: [], server: {} as DeliveryDeps['config']['server'] },
      now: () => clock, random: () => 0.5, ...extra,
    });
  }
  const failed = (runId: number) => enqueue(t.db.orm, 'sync.failed', { runId, sourceId: 'sis', mode: 'full', error: 'boom' });
  const advance = (ms: number) => (clock = new Date(clock.getTime() + ms));

  it('signs with every active secret; the signatures verify, and fail after tampering', async () => {
    await failed(1);
    const w = worker({ secrets: [s1, s2] });
    const r = await w.deliverDue();
    w.close();
    expect(r).toMatchObject({ claimed: 1, delivered: 1 });
    expect(rx.received).toHaveLength(1);
    const got = rx.received[0]!;
    const headers = got.headers as Record<string, string>;
    expect(headers['webhook-signature']!.split(' ')).toHaveLength(2);
    // standardwebhooks checks webhook-timestamp against Date.now() (5 min tolerance); the message was signed at
    // the fake clock's time, so the library's clock is moved there for the check. The bytes checked are exact.
    const realNow = Date.now;
    Date.now = () => clock.getTime();
    try {
      for (const s of [s1, s2]) {
        const payload = new Webhook(s).verify(got.body, headers) as { type: string; timestamp: string; data: { runId: number } };
        expect(payload.type).toBe('sync.failed');
        expect(payload.data.runId).toBe(1);
        expect(typeof payload.timestamp).toBe('string');
      }
      expect(() => new Webhook(s1).verify(got.body.replace('boom', 'bang'), headers)).toThrow(/signature/i);
      expect(() => new Webhook(secret()).verify(got.body, headers)).toThrow(/signature/i);
    } finally {
      Date.now = realNow;
    }
  });

  it('filters by event type with *', async () => {
    await failed(1);
    await enqueue(t.db.orm, 'sync.held', { runId: 2, sourceId: 'sis', mode: 'full', heldReason: 'threshold', stats: {} });
    await enqueue(t.db.orm, 'device.created', { deviceId: 1, serial: 'ABC', platform: 'chromeos', runId: 2 });
    const w = worker({ events: ['sync.*'] });
    await w.deliverDue();
    w.close();
    expect(rx.received.map((r) => (JSON.parse(r.body) as { type: string }).type).sort()).toEqual(['sync.failed', 'sync.held']);
    expect((await listDeliveries(t.db)).total).toBe(2);
  });

  it('retries 503 and 429 on the schedule, honouring Retry-After, with one webhook-id', async () => {
    await failed(1);
    rx.answers = [{ status: 503 }, { status: 429, headers: { 'retry-after': '600' } }, { status: 200 }];
    const w = worker({});
    expect(await w.deliverDue()).toMatchObject({ claimed: 1, retried: 1 });
    const [d1] = (await listDeliveries(t.db)).rows;
    expect(d1).toMatchObject({ status: 'pending', attempt: 1, lastStatus: 503 });
    expect(new Date(d1!.nextAttemptAt).getTime() - clock.getTime()).toBe(5000); // 5 s, jitter at its midpoint
    advance(4000);
    expect(await w.deliverDue()).toMatchObject({ claimed: 0 });
    advance(1000);
    expect(await w.deliverDue()).toMatchObject({ claimed: 1, retried: 1 });
    const [d2] = (await listDeliveries(t.db)).rows;
    // the second step is 5 min; the receiver asked for 10 min, which wins
    expect(new Date(d2!.nextAttemptAt).getTime() - clock.getTime()).toBe(600_000);
    advance(599_000);
    expect(await w.deliverDue()).toMatchObject({ claimed: 0 });
    advance(1000);
    expect(await w.deliverDue()).toMatchObject({ claimed: 1, delivered: 1 });
    w.close();
    const ids = new Set(rx.received.map((r) => r.headers['webhook-id']));
    expect(rx.received).toHaveLength(3);
    expect(ids.size).toBe(1);
    expect(new Set(rx.received.map((r) => r.headers['webhook-timestamp'])).size).toBe(3);
    expect((await listDeliveries(t.db)).rows[0]).toMatchObject({ status: 'delivered', attempt: 3, failures: 2 });
  });

  it('is dead after the last step of the schedule', async () => {
    await failed(1);
    // run 1 always fails; the endpoint takes every other event, so it is never failing long enough to be disabled
    rx.route = (r) => ((JSON.parse(r.body) as { data: { runId: number } }).data.runId === 1 ? { status: 500 } : { status: 204 });
    const w = worker({});
    for (let i = 0; i < 12; i++) {
      await failed(100 + i);
      await w.deliverDue();
      advance(25 * 3600_000);
    }
    w.close();
    expect(rx.received.filter((r) => r.body.includes('"runId":1,'))).toHaveLength(10);
    const first = (await listDeliveries(t.db, { status: 'dead' })).rows;
    expect(first).toHaveLength(1);
    expect(first[0]).toMatchObject({ outboxId: 1, attempt: 10, failures: 10 });
  });

  it('400 is dead at once; replay sends it again with the same id and is audited', async () => {
    await failed(1);
    rx.answers = [{ status: 400, body: 'bad request: no such field' }];
    const w = worker({});
    expect(await w.deliverDue()).toMatchObject({ claimed: 1, dead: 1 });
    const dead = await listDeliveries(t.db, { status: 'dead' });
    expect(dead.rows[0]).toMatchObject({ lastStatus: 400, attempt: 1 });
    expect(dead.rows[0]!.lastError).toContain('no such field');
    await expect(replayDelivery(t.db, 999, 'admin')).rejects.toMatchObject({ code: 'not_found' });
    const replayed = await replayDelivery(t.db, dead.rows[0]!.id, 'cli:admin', clock);
    expect(replayed).toMatchObject({ status: 'pending', attempt: 0 });
    await expect(replayDelivery(t.db, dead.rows[0]!.id, 'cli:admin')).rejects.toMatchObject({ code: 'delivery_not_replayable' });
    expect(await w.deliverDue()).toMatchObject({ claimed: 1, delivered: 1 });
    w.close();
    expect(rx.received.map((r) => r.headers['webhook-id'])).toEqual(['msg_1', 'msg_1']);
    const audit = await rows<{ actor: string; action: string }>(t.db.orm, sql`select actor, action from audit_log`);
    expect(audit).toEqual([{ actor: 'cli:admin', action: 'delivery.replay' }]);
    const text = await createMetrics(t.db).registry.metrics();
    expect(text).toContain('rollcall_deliveries{target="webhook:hook",status="delivered"} 1');
    expect(text).toContain('rollcall_delivery_failures_total{target="webhook:hook"} 1');
    expect(text).toContain('rollcall_delivery_backlog 0');
  });

  it('shows the backlog and the age of its oldest row on /metrics', async () => {
    await failed(1);
    rx.fallback = { status: 503 };
    const w = worker({});
    await w.deliverDue();
    w.close();
    const text = await createMetrics(t.db).registry.metrics();
    expect(text).toContain('rollcall_deliveries{target="webhook:hook",status="pending"} 1');
    expect(text).toContain('rollcall_delivery_backlog 1');
    expect(text).toMatch(/rollcall_delivery_oldest_pending_seconds\{target="webhook:hook"\} \d/);
  });

  it('410 disables the endpoint: its deliveries wait, audit_log says why', async () => {
    await failed(1);
    await failed(2);
    rx.answers = [{ status: 410 }];
    const w = worker({}, { concurrency: 1, batch: 1 });
    await w.deliverDue();
    expect(rx.received).toHaveLength(1);
    await failed(3);
    await w.deliverDue();
    w.close();
    expect(rx.received).toHaveLength(1);
    const l = await listDeliveries(t.db);
    expect(l.rows.map((r) => r.status).sort()).toEqual(['dead', 'pending', 'pending']);
    const audit = await rows<{ action: string; target: string }>(t.db.orm, sql`select action, target from audit_log`);
    expect(audit).toEqual([{ action: 'webhook.disabled', target: 'webhook:hook' }]);
  });

  it('an endpoint failing for 3 days is disabled', async () => {
    rx.fallback = { status: 502 };
    const w = worker({});
    for (let day = 0; day < 4; day++) {
      await failed(day + 1);
      await w.deliverDue();
      advance(25 * 3600_000);
      await w.deliverDue();
    }
    w.close();
    const [state] = await rows<{ disabled_at: unknown; disabled_reason: string }>(t.db.orm, sql`select disabled_at, disabled_reason from delivery_targets`);
    expect(state!.disabled_reason).toMatch(/over 3 days/);
  });

  it('does not follow a redirect: a 3xx is a failed attempt', async () => {
    await failed(1);
    rx.answers = [{ status: 302, headers: { location: 'http://169.254.169.254/latest/meta-data/' } }];
    const w = worker({});
    expect(await w.deliverDue()).toMatchObject({ retried: 1 });
    w.close();
    expect(rx.received).toHaveLength(1);
    expect((await listDeliveries(t.db)).rows[0]!.lastError).toMatch(/302.*redirects are not followed/);
  });

  it('refuses http:// and private addresses unless allowed, without sending anything', async () => {
    await failed(1);
    const w1 = worker({ allowInsecure: false });
    expect(await w1.deliverDue()).toMatchObject({ dead: 1 });
    w1.close();
    expect((await listDeliveries(t.db)).rows[0]!.lastError).toMatch(/http:\/\/ is refused/);
    await t.db.orm.execute(sql`truncate deliveries, delivery_targets, audit_log, outbox restart identity cascade`);
    await failed(2);
    const w2 = worker({ allowPrivateNetwork: false, url: `http://localhost:${rx.port}/hook` });
    expect(await w2.deliverDue()).toMatchObject({ dead: 1 });
    w2.close();
    expect((await listDeliveries(t.db)).rows[0]!.lastError).toMatch(/loopback/);
    expect(rx.received).toHaveLength(0);
  });

  it('a crashed worker\'s lease runs out and another worker delivers; the stale worker is fenced out', async () => {
    await failed(1);
    const w = worker({});
    // fan out, then a worker claims the row and "dies" (never records anything)
    await w.deliverDue(AbortSignal.abort());
    const lost = await claimDue(t.db, { targets: ['webhook:hook'], owner: 'dead-worker', limit: 10, leaseMs: 60_000, now: clock });
    expect(lost).toHaveLength(1);
    expect(await w.deliverDue()).toMatchObject({ claimed: 0 });
    advance(61_000);
    expect(await w.deliverDue()).toMatchObject({ claimed: 1, delivered: 1 });
    w.close();
    const { recordFailure } = await import('../../src/delivery/outcome.js');
    expect(await recordFailure(t.db, lost[0]!, { kind: 'failed', error: 'late', retryable: true }, clock)).toBeNull();
    expect((await listDeliveries(t.db)).rows[0]).toMatchObject({ status: 'delivered', attempt: 2 });
  });
});
