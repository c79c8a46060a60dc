/**
 * `reconcile()`: evaluates every enabled rule over the ledger and turns the difference from the live
 * discrepancies into opens, resolves and recurrences, with their outbox events, in one transaction under an
 * advisory lock (two reconciles never interleave, whichever replica runs them). Running it again on an
 * unchanged ledger writes nothing.
 */
import { sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Config } from '../config/index.js';
import type { Database, Executor } from '../db/client.js';
import { resolveAsOf } from './as-of.js';
import { collectFindings, materializeObservationUsers } from './findings.js';
import { resolveRules } from './rule-config.js';
import { liveCounts, openNew, refreshChanged, resolveGone, wakeSuppressed, type TransitionContext } from './transitions.js';

export type ReconcileConfig = Pick<Config, 'reconcile' | 'district'>;

export interface ReconcileOptions {
  /** The clock (tests pin it). Rules judge against reconcile.asOf when it is set, else this. */
  now?: Date;
  log: Logger;
}

export interface RuleSummary {
  /** First occurrences opened this run. */
  opened: number;
  /** Opened again after an earlier occurrence was resolved. */
  recurred: number;
  /** Suppressed rows woken up because the suppression ended or their details changed. */
  reopened: number;
  resolved: number;
  /** Open before this run and still found. */
  stillOpen: number;
  /** Still found but suppressed, so quiet. */
  suppressed: number;
}

export interface ReconcileSummary extends RuleSummary {
  asOf: string;
  byRule: Record<string, RuleSummary>;
  durationMs: number;
}

const LOCK_KEY = 'rollcall.reconcile';

const zero = (): RuleSummary => ({ opened: 0, recurred: 0, reopened: 0, resolved: 0, stillOpen: 0, suppressed: 0 });

export async function reconcile(db: Database, config: ReconcileConfig, opts: ReconcileOptions): Promise<ReconcileSummary> {
  return db.orm.transaction((tx) => reconcileWithin(tx, config, opts));
}

/** The same, inside a transaction the caller owns (e.g. a sync run that wants its findings in its own commit). */
export async function reconcileWithin(tx: Executor, config: ReconcileConfig, opts: ReconcileOptions): Promise<ReconcileSummary> {
  const started = Date.now();
  const now = opts.now ?? new Date();
  // Checked before anything is written: a typo must fail loudly, not resolve every finding of a rule.
  const rules = resolveRules(config.reconcile);
  const asOf = resolveAsOf(config, now);
  await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${LOCK_KEY}, 0))`);

  const t0 = performance.now();
  const users = await materializeObservationUsers(tx, config.district.domains);
  opts.log.debug({ ms: Math.round(performance.now() - t0) }, 'observation users matched');
  await collectFindings(tx, rules, {
    observationUsers: users,
    asOf: asOf.at,
    asOfDate: asOf.date,
    district: { domains: config.district.domains, oneToOneGrades: config.district.oneToOneGrades },
    reconcile: config.reconcile,
  }, opts.log);

  const enabled = rules.filter((r) => r.enabled);
  const c: TransitionContext = {
    now,
    enabledRules: enabled.map((r) => r.rule.code),
    tickets: Object.fromEntries(rules.map((r) => [r.rule.code, r.ticket])),
  };
  const byRule: Record<string, RuleSummary> = Object.fromEntries(enabled.map((r) => [r.rule.code, zero()]));
  const of = (rule: string) => (byRule[rule] ??= zero());

  const t1 = performance.now();
  for (const r of await resolveGone(tx, c)) of(r.rule).resolved += r.n;
  for (const r of await wakeSuppressed(tx, c)) of(r.rule).reopened += r.n;
  await refreshChanged(tx, c);
  for (const r of await openNew(tx, c)) of(r.rule)[r.recurred ? 'recurred' : 'opened'] += r.n;
  opts.log.debug({ ms: Math.round(performance.now() - t1) }, 'discrepancy transitions applied');
  for (const r of await liveCounts(tx)) {
    const s = of(r.rule);
    if (r.status === 'suppressed') s.suppressed += r.n;
    else s.stillOpen += r.n - s.opened - s.recurred - s.reopened;
  }

  const total = zero();
  for (const s of Object.values(byRule)) for (const k of Object.keys(total) as (keyof RuleSummary)[]) total[k] += s[k];
  const summary: ReconcileSummary = { ...total, asOf: asOf.date, byRule, durationMs: Date.now() - started };
  opts.log.info({ ...total, asOf: asOf.date, durationMs: summary.durationMs }, 'reconcile finished');
  return summary;
}
