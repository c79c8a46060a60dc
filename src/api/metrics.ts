/**
 * Prometheus metrics. A registry per app instance, so tests and several apps in one process don't collide.
 *
 * The ledger metrics are read from the database at scrape time, not counted in this process: runs happen in
 * other replicas and in one-shot CLI commands too, and a process-local counter would show each replica its own
 * slice (and forget it on restart). Every scrape runs one small set of queries, shared by all the metrics below.
 * Labels are only source ids, rule codes and outcomes: never anything about a person.
 */
import { sql, type SQL } from 'drizzle-orm';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { rows, type Database } from '../db/client.js';
import { rules } from '../reconcile/rules/index.js';

export interface Metrics {
  registry: Registry;
  httpDuration: Histogram<'method' | 'route' | 'status'>;
}

/** The per-stream counters a run's `stats.streams.<stream>` holds; `rollcall_sync_records` has one outcome each. */
export const RECORD_OUTCOMES = ['read', 'created', 'updated', 'unchanged', 'deactivated', 'reactivated', 'rejected', 'kept', 'warnings', 'held'] as const;

interface Snapshot {
  runs: { source: string; outcome: string; n: number }[];
  last: { source: string; seconds: number | null; stats: unknown }[];
  lastRecords: { source: string; stats: unknown }[];
  lastSuccess: { source: string; at: number }[];
  open: { rule: string; n: number }[];
  deliveries: { target: string; status: string; n: number; failures: number; oldest: number | null }[];
}

async function readSnapshot(db: Database): Promise<Snapshot> {
  // Counters must never go down, yet a run's status moves on (running → succeeded, held → approved). So running
  // runs are not counted, and `held` counts every run that was ever held (held and approved alike): each outcome
  // only ever grows.
  const runs = await rows<{ source: string; outcome: string; n: number }>(db.orm, sql`
    select source_id as source, o.outcome, count(*)::int as n
    from sync_runs r
    cross join lateral (values (r.status), (case when r.status = 'approved' then 'held' end)) o(outcome)
    where r.status <> 'running' and o.outcome is not null
    group by 1, 2`);
  // The last run per source through a lateral LIMIT 1 on sync_runs (source_id, started_at): an index probe per
  // source instead of sorting every run the ledger has kept. Runs of one source are serialised by its lock, so the
  // latest started is the latest finished.
  const latest = (where: SQL) => sql`
    from sources s cross join lateral (
      select r.started_at, r.finished_at, r.stats from sync_runs r
      where r.source_id = s.id and r.finished_at is not null and ${where} order by r.started_at desc, r.id desc limit 1
    ) r`;
  const last = await rows<{ source: string; seconds: number | null; stats: unknown }>(db.orm, sql`
    select s.id as source, extract(epoch from r.finished_at - r.started_at)::float8 as seconds ${latest(sql`true`)}`);
  // A failed run rolled back: its counts describe nothing in the ledger, so records come from the last run that
  // committed (succeeded, held or approved).
  const lastRecords = await rows<{ source: string; stats: unknown }>(db.orm, sql`
    select s.id as source, r.stats ${latest(sql`r.status in ('succeeded', 'held', 'approved')`)}`);
  const lastSuccess = await rows<{ source: string; at: number }>(db.orm, sql`
    select s.id as source, extract(epoch from r.finished_at)::float8 as at ${latest(sql`r.status in ('succeeded', 'approved')`)}`);
  const open = await rows<{ rule: string; n: number }>(db.orm, sql`
    select rule, count(*)::int as n from discrepancies where status = 'open' group by rule`);
  // Deliveries per (target, status): the count, failed attempts so far, and for pending rows the age of the oldest.
  // One grouped scan over the deliveries_target_status index.
  const deliveries = await rows<{ target: string; status: string; n: number; failures: number; oldest: number | null }>(db.orm, sql`
    select target, status, count(*)::int as n, coalesce(sum(failures), 0)::float8 as failures,
      extract(epoch from now() - min(created_at) filter (where status = 'pending'))::float8 as oldest
    from deliveries group by 1, 2`);
  return { runs, last, lastRecords, lastSuccess, open, deliveries };
}

/** `stats.streams.*.<outcome>` summed over streams; a missing stream map or key counts 0. */
export function sumRecords(stats: unknown): Record<(typeof RECORD_OUTCOMES)[number], number> {
  const out = Object.fromEntries(RECORD_OUTCOMES.map((k) => [k, 0])) as Record<(typeof RECORD_OUTCOMES)[number], number>;
  const streams = (stats as { streams?: unknown } | null)?.streams;
  if (!streams || typeof streams !== 'object') return out;
  for (const s of Object.values(streams as Record<string, unknown>)) {
    if (!s || typeof s !== 'object') continue;
    for (const k of RECORD_OUTCOMES) {
      const v = Number((s as Record<string, unknown>)[k] ?? 0);
      if (Number.isFinite(v)) out[k] += v;
    }
  }
  return out;
}

export function createMetrics(db?: Database): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'rollcall_' });
  const httpDuration = new Histogram({
    name: 'rollcall_http_request_duration_seconds',
    help: 'Admin API request duration by route',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  if (db) registerLedgerMetrics(registry, db);
  return { registry, httpDuration };
}

function registerLedgerMetrics(registry: Registry, db: Database): void {
  // One read per scrape: registry.metrics() calls every collect() synchronously before awaiting any, so they all
  // share the promise in flight. It is dropped as soon as it settles, so the next scrape reads the ledger afresh.
  let pending: Promise<Snapshot | null> | undefined;
  const snapshot = () =>
    (pending ??= readSnapshot(db)
      .then((s) => s, () => null) // an unreachable database shows as rollcall_ledger_up 0, not as a failed scrape
      .finally(() => (pending = undefined)));

  new Gauge({
    name: 'rollcall_ledger_up',
    help: '1 when the ledger database answered the metrics queries of this scrape, else 0',
    registers: [registry],
    async collect() {
      this.set((await snapshot()) ? 1 : 0);
    },
  });
  new Counter({
    name: 'rollcall_sync_runs_total',
    help: 'Finished sync runs by source and outcome (succeeded, failed, held, approved; held includes runs approved since), from the ledger',
    labelNames: ['source', 'outcome'],
    registers: [registry],
    async collect() {
      const s = await snapshot();
      this.reset();
      for (const r of s?.runs ?? []) this.inc({ source: r.source, outcome: r.outcome }, Number(r.n));
    },
  });
  // A gauge of the last finished run rather than a histogram: the ledger keeps every run, but a histogram
  // rebuilt from a window of recent runs would not be cumulative across scrapes, which histogram_quantile and
  // rate() assume. Alert on it directly (a run that took far longer than usual) or graph it over time.
  new Gauge({
    name: 'rollcall_sync_run_duration_seconds',
    help: 'Wall-clock duration of the last finished sync run of each source (any outcome)',
    labelNames: ['source'],
    registers: [registry],
    async collect() {
      const s = await snapshot();
      this.reset();
      for (const r of s?.last ?? []) if (r.seconds !== null) this.set({ source: r.source }, Number(r.seconds));
    },
  });
  new Gauge({
    name: 'rollcall_sync_records',
    help: 'Records of the last committed sync run of each source by outcome, summed over streams',
    labelNames: ['source', 'outcome'],
    registers: [registry],
    async collect() {
      const s = await snapshot();
      this.reset();
      for (const r of s?.lastRecords ?? []) {
        for (const [outcome, n] of Object.entries(sumRecords(r.stats))) this.set({ source: r.source, outcome }, n);
      }
    },
  });
  new Gauge({
    name: 'rollcall_discrepancies_open',
    help: 'Open discrepancies by rule (every known rule is listed, 0 when none are open)',
    labelNames: ['rule'],
    registers: [registry],
    async collect() {
      const s = await snapshot();
      this.reset();
      if (!s) return;
      for (const r of rules) this.set({ rule: r.code }, 0);
      for (const r of s.open) this.set({ rule: r.rule }, Number(r.n));
    },
  });
  new Gauge({
    name: 'rollcall_deliveries',
    help: 'Deliveries by target (webhook:<id>, helpdesk:<id>) and status (pending = backlog, delivered, dead), from the ledger',
    labelNames: ['target', 'status'],
    registers: [registry],
    async collect() {
      const s = await snapshot();
      this.reset();
      for (const r of s?.deliveries ?? []) this.set({ target: r.target, status: r.status }, Number(r.n));
    },
  });
  new Counter({
    name: 'rollcall_delivery_failures_total',
    help: 'Failed delivery attempts by target (retried or dead), from the ledger',
    labelNames: ['target'],
    registers: [registry],
    async collect() {
      const s = await snapshot();
      this.reset();
      const by = new Map<string, number>();
      for (const r of s?.deliveries ?? []) by.set(r.target, (by.get(r.target) ?? 0) + Number(r.failures));
      for (const [target, n] of by) this.inc({ target }, n);
    },
  });
  new Gauge({
    name: 'rollcall_delivery_backlog',
    help: 'Pending deliveries over all targets (due now or waiting for a retry)',
    registers: [registry],
    async collect() {
      const s = await snapshot();
      this.set((s?.deliveries ?? []).filter((r) => r.status === 'pending').reduce((a, r) => a + Number(r.n), 0));
    },
  });
  new Gauge({
    name: 'rollcall_delivery_oldest_pending_seconds',
    help: 'Age of the oldest pending delivery by target, seconds; alert when it grows',
    labelNames: ['target'],
    registers: [registry],
    async collect() {
      const s = await snapshot();
      this.reset();
      for (const r of s?.deliveries ?? []) if (r.status === 'pending' && r.oldest !== null) this.set({ target: r.target }, Number(r.oldest));
    },
  });
  new Gauge({
    name: 'rollcall_last_successful_sync_timestamp_seconds',
    help: 'When the last successful (succeeded or approved) sync run of each source finished, Unix seconds; alert on time() minus this',
    labelNames: ['source'],
    registers: [registry],
    async collect() {
      const s = await snapshot();
      this.reset();
      for (const r of s?.lastSuccess ?? []) this.set({ source: r.source }, Number(r.at));
    },
  });
}
