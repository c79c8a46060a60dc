/**
 * The delivery worker: fan out new outbox events, claim what is due, call out with no transaction open, record
 * each outcome. `deliverDue` runs until nothing is due now (`rollcall deliver --once`, tests); `startDeliveryWorker`
 * repeats it while `serve` runs, waiting `pollMs` when idle. Any number of workers (processes, replicas) can run
 * against one PostgreSQL: claims skip each other's locked rows; on PGlite there is one process and one connection,
 * and no statement spans a network call.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Config } from '../config/index.js';
import { rows, type Database } from '../db/client.js';
import { createHttpClient } from '../http/client.js';
import { sleep } from '../http/retry.js';
import type { Resolver } from '../http/url-policy.js';
import { claimDue, type Claimed } from './claim.js';
import { fanOut } from './fan-out.js';
import { failureOf, markFailing, markHealthy, recordDelivered, recordFailure, retryableStatus, type Outcome } from './outcome.js';
import { checkTemplates } from './ticket-text.js';
import { configuredTargets, type Target } from './targets.js';
import { deliverTicket, type SinkTarget } from './tickets.js';
import { createSender, type Sender } from './webhook-send.js';
import { signedHeaders, signers, webhookBody, webhookId } from './webhook-sign.js';

export interface DeliveryDeps {
  db: Database;
  config: Pick<Config, 'webhooks' | 'helpdesks' | 'server'>;
  log: Logger;
  now?: () => Date;
  random?: () => number;
  /** Names this worker in leases: host:pid:random by default. */
  owner?: string;
  resolver?: Resolver;
  /** Webhook requests in flight at once per worker. */
  concurrency?: number;
  /** Rows claimed per round. */
  batch?: number;
  webhookLeaseMs?: number;
  ticketLeaseMs?: number;
  /** Webhook request timeout (15 s). */
  webhookTimeoutMs?: number;
}

export interface RoundStats {
  claimed: number;
  delivered: number;
  retried: number;
  dead: number;
}

/** Webhook attempts time out after 15 s; a lease of 60 s leaves room for recording the result. */
export const WEBHOOK_LEASE_MS = 60_000;
/** A help desk call makes one attempt of at most 30 s each (a find, a create): 5 minutes is ample. */
export const TICKET_LEASE_MS = 5 * 60_000;

export interface DeliveryWorker {
  deliverDue(signal?: AbortSignal): Promise<RoundStats>;
  close(): void;
}

export function createDeliveryWorker(deps: DeliveryDeps): DeliveryWorker {
  const { db, config, log } = deps;
  checkTemplates(config.helpdesks);
  const now = deps.now ?? (() => new Date());
  const random = deps.random ?? Math.random;
  const owner = deps.owner ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  const batch = deps.batch ?? 200;
  const concurrency = deps.concurrency ?? 32;
  const targets = configuredTargets(config);
  const senders = new Map<string, { sender: Sender; keys: ReturnType<typeof signers> }>();
  const sinks = new Map<string, SinkTarget>();
  for (const t of targets) {
    if (t.kind === 'webhook') {
      senders.set(t.id, {
        sender: createSender(`webhook ${t.endpoint.id}`, t.endpoint, deps.webhookTimeoutMs),
        keys: signers(t.endpoint.secrets),
      });
    } else {
      sinks.set(t.id, sinkTarget(t, log, now));
    }
  }

  async function enabledTargets(): Promise<Target[]> {
    const off = await rows<{ target: string }>(db.orm, sql`select target from delivery_targets where disabled_at is not null`);
    const disabled = new Set(off.map((r) => r.target));
    return targets.filter((t) => !disabled.has(t.id));
  }

  async function webhook(c: Claimed, signal: AbortSignal): Promise<Outcome> {
    const t = targets.find((x) => x.id === c.target);
    const s = senders.get(c.target);
    if (!t || t.kind !== 'webhook' || !s) return { kind: 'failed', error: `target ${c.target} is not configured`, retryable: true };
    const body = webhookBody(c.type, c.eventAt, c.payload);
    const headers = signedHeaders({ id: webhookId(c.id), body, at: now() }, s.keys);
    try {
      const r = await s.sender.send(t.endpoint.url, headers, body, signal);
      if (r.status >= 200 && r.status < 300) return { kind: 'delivered', status: r.status };
      const gone = r.status === 410;
      return {
        kind: 'failed', status: r.status, retryable: !gone && retryableStatus(r.status), retryAfterMs: r.retryAfterMs,
        error: `answered ${r.status}${r.status >= 300 && r.status < 400 ? ' (redirects are not followed)' : ''}${r.bodyStart ? `: ${r.bodyStart.replace(/\s+/g, ' ').slice(0, 200)}` : ''}`,
        ...(gone ? { disable: 'answered 410 Gone' } : {}),
      };
    } catch (e) {
      return failureOf(e);
    }
  }

  async function record(c: Claimed, o: Outcome, delivered: (Claimed & { status?: number; note?: string })[], stats: RoundStats): Promise<void> {
    if (o.kind === 'delivered') {
      delivered.push({ ...c, status: o.status, note: o.note });
      return;
    }
    const status = await recordFailure(db, c, o, now(), random);
    if (status === 'dead') stats.dead++;
    else if (status === 'pending') stats.retried++;
    log.warn({ delivery: c.id, target: c.target, type: c.type, attempt: c.attempt, status: o.status, outcome: status, error: o.error }, 'delivery attempt failed');
    if (c.target.startsWith('webhook:')) await markFailing(db, log, c.target, now(), o.disable);
  }

  async function runWebhooks(claimed: Claimed[], signal: AbortSignal, stats: RoundStats): Promise<void> {
    const delivered: (Claimed & { status?: number; note?: string })[] = [];
    let next = 0;
    const lane = async () => {
      while (next < claimed.length) {
        const c = claimed[next++]!;
        await record(c, await webhook(c, signal), delivered, stats);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, claimed.length) }, lane));
    // Awaited first: `stats.delivered += await …` would read the counter before the await and lose the
    // increments the concurrent webhook and ticket lanes make meanwhile.
    const recorded = await recordDelivered(db, delivered, now());
    stats.delivered += recorded;
    for (const t of new Set(delivered.map((d) => d.target))) await markHealthy(db, t);
  }

  /** Tickets go one at a time per desk, in event order, so an opened ticket precedes its resolve. */
  async function runTickets(claimed: Claimed[], signal: AbortSignal, stats: RoundStats): Promise<void> {
    const byDesk = new Map<string, Claimed[]>();
    for (const c of claimed) byDesk.set(c.target, [...(byDesk.get(c.target) ?? []), c]);
    await Promise.all([...byDesk].map(async ([target, list]) => {
      const s = sinks.get(target);
      for (const c of list) {
        const delivered: (Claimed & { status?: number; note?: string })[] = [];
        let o: Outcome;
        try {
          o = s ? await deliverTicket(db, s, c, signal, { publicUrl: config.server.publicUrl, resolver: deps.resolver }) : { kind: 'failed', error: `target ${target} is not configured`, retryable: true };
        } catch (e) {
          o = failureOf(e);
        }
        await record(c, o, delivered, stats);
        const recorded = await recordDelivered(db, delivered, now());
        stats.delivered += recorded;
      }
    }));
  }

  async function deliverDue(signal: AbortSignal = new AbortController().signal): Promise<RoundStats> {
    const stats: RoundStats = { claimed: 0, delivered: 0, retried: 0, dead: 0 };
    if (targets.length === 0) return stats;
    await fanOut(db, targets, now());
    for (;;) {
      if (signal.aborted) break;
      // Re-read each round: an endpoint disabled by the previous round (410) gets nothing more.
      const live = await enabledTargets();
      const hooks = live.filter((t) => t.kind === 'webhook').map((t) => t.id);
      const desks = live.filter((t) => t.kind === 'helpdesk').map((t) => t.id);
      const w = await claimDue(db, { targets: hooks, owner, limit: batch, leaseMs: deps.webhookLeaseMs ?? WEBHOOK_LEASE_MS, now: now() });
      const k = await claimDue(db, { targets: desks, owner, limit: Math.min(batch, 50), leaseMs: deps.ticketLeaseMs ?? TICKET_LEASE_MS, now: now() });
      if (w.length + k.length === 0) break;
      stats.claimed += w.length + k.length;
      await Promise.all([runWebhooks(w, signal, stats), runTickets(k, signal, stats)]);
    }
    return stats;
  }

  return {
    deliverDue,
    close() {
      for (const s of senders.values()) s.sender.close();
    },
  };
}

function sinkTarget(t: Target & { kind: 'helpdesk' }, log: Logger, now: () => Date): SinkTarget {
  const h = t.helpdesk;
  const child = log.child({ helpdesk: h.id, kind: h.kind });
  const needs = h.sink.http(h.settings, { fetch: globalThis.fetch, log: child, now });
  const http = createHttpClient({
    name: `${h.kind}:${h.id}`, log: child, baseUrl: needs.baseUrl, auth: needs.auth, concurrency: needs.concurrency ?? 2,
    intervalCap: needs.rate?.requests, intervalMs: needs.rate?.intervalMs, timeoutMs: needs.timeoutMs, maxAttempts: 1,
  });
  return { helpdesk: h, needs, http, ctx: (signal) => ({ config: h.settings, http, log: child, signal, now }) };
}

/** Runs `deliverDue` until the signal aborts; a failed round (database down) is logged and retried. */
export function startDeliveryWorker(deps: DeliveryDeps & { pollMs?: number }, signal: AbortSignal): { stop(): Promise<void> } {
  const worker = createDeliveryWorker(deps);
  const pollMs = deps.pollMs ?? 1000;
  const done = (async () => {
    while (!signal.aborted) {
      try {
        const r = await worker.deliverDue(signal);
        if (r.claimed > 0) deps.log.info(r, 'delivery round');
      } catch (e) {
        deps.log.error({ err: e }, 'delivery round failed; retrying');
      }
      await sleep(pollMs, signal).catch(() => {});
    }
    worker.close();
  })();
  return { stop: () => done };
}
