/**
 * "A run and what follows it", in one place (ADR 0007). The CLI (`sync`, `approve`), the scheduler and the API
 * call this; none of them wires runs and reconciliation together itself.
 *
 * Several sources due together are synced one after another, rosters first, and reconciled once at the end: a
 * roster reconciled before its devices exist would open a `student-without-device` finding for every student
 * and resolve them a moment later, and every one of those would become a ticket and a webhook.
 */
import { sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Config, SourceConfig } from '../config/index.js';
import { rows, type Database } from '../db/client.js';
import { ConflictError, NotFoundError } from '../errors.js';
import { reconcileWithin, type ReconcileSummary } from '../reconcile/engine.js';
import { tryCloseSyncGate } from './locks.js';
import { runSync, type HeldPlan, type RunOptions, type RunResult } from './runner.js';

export interface PipelineDeps {
  db: Database;
  config: Config;
  log: Logger;
  now?: () => Date;
}

export interface PipelineResult {
  runs: RunResult[];
  /** Null when nothing changed, or when another process is mid-sync (it reconciles when it finishes). */
  reconcile: ReconcileSummary | null;
  reconcileSkipped?: string;
}

export type PipelineOptions = Omit<RunOptions, 'approve'> & {
  /** Called after each run, before the next starts (the CLI prints it). */
  onRun?(r: RunResult): void;
};

/** Rosters before device sources, so assignments can match the people they name in the same pipeline. */
function rosterFirst(sources: SourceConfig[]): SourceConfig[] {
  const isRoster = (s: SourceConfig) => s.connector.streams.includes('people');
  return [...sources.filter(isRoster), ...sources.filter((s) => !isRoster(s))];
}

export async function runPipeline(deps: PipelineDeps, sources: SourceConfig[], opts: PipelineOptions = {}): Promise<PipelineResult> {
  const runs: RunResult[] = [];
  for (const source of rosterFirst(sources)) {
    if (opts.signal?.aborted) break;
    const r = await runSync(runDeps(deps), source, opts);
    opts.onRun?.(r);
    runs.push(r);
  }
  return { runs, ...(await reconcileAfter(deps, runs)) };
}

/**
 * `rollcall approve` / `POST /runs/{id}/approve`: re-reads the held run's source and applies it only if the read
 * and what it would do are exactly what was held; otherwise nothing changes and the caller is told why.
 */
export async function approveHeldRun(deps: PipelineDeps, runId: number, actor: string): Promise<PipelineResult & { approved: RunResult }> {
  const [run] = await rows<{ source_id: string; mode: 'full' | 'delta'; status: string; held: HeldPlan | null }>(deps.db.orm,
    sql`select source_id, mode, status, held from sync_runs where id = ${runId}`);
  if (!run) throw new NotFoundError(`run ${runId} not found`, { runId });
  if (run.status !== 'held' || !run.held?.digest) throw new ConflictError('run_not_held', `run ${runId} is ${run.status}, not held`, { runId });
  const [later] = await rows<{ id: number }>(deps.db.orm, sql`select id from sync_runs where source_id = ${run.source_id} and id > ${runId} and status in ('succeeded', 'held', 'approved') limit 1`);
  if (later) throw new ConflictError('run_superseded', `run ${runId} was superseded by run ${later.id}; approve that one or sync again`, { runId });
  const source = deps.config.sources.find((s) => s.id === run.source_id);
  if (!source) throw new NotFoundError(`run ${runId} belongs to source "${run.source_id}", which is no longer configured`, { runId });
  deps.log.info({ runId, actor, source: source.id }, 'approving held run');
  const approved = await runSync(runDeps(deps), source, { mode: run.mode, approve: { runId, ...run.held } });
  return { approved, runs: [approved], ...(await reconcileAfter(deps, [approved])) };
}

function runDeps(deps: PipelineDeps) {
  return { db: deps.db, log: deps.log, domains: deps.config.district.domains, now: deps.now, timeZone: deps.config.district.timezone };
}

async function reconcileAfter(deps: PipelineDeps, runs: RunResult[]): Promise<Omit<PipelineResult, 'runs'>> {
  // A held, failed, skipped or dry run changed nothing in the ledger: the findings are as they were.
  if (!runs.some((r) => r.status === 'succeeded')) return { reconcile: null };
  const out = await deps.db.orm.transaction(async (tx) => {
    if (!(await tryCloseSyncGate(tx))) return null;
    return reconcileWithin(tx, deps.config, { log: deps.log, now: deps.now?.() });
  });
  if (!out) {
    const why = 'another process is syncing; it reconciles when it finishes';
    deps.log.info(why);
    return { reconcile: null, reconcileSkipped: why };
  }
  return { reconcile: out };
}
