/**
 * One sync run: one source, one mode. The connector's read is staged and applied in a single transaction
 * under a per-source advisory lock (one run per source across every replica). A read that throws rolls the
 * whole run back, so a truncated file or an upstream outage changes nothing; the failure is recorded.
 */
import { sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { SourceConfig } from '../config/index.js';
import { rows, type Database, type Executor } from '../db/client.js';
import { AppError, ConflictError, errorMessage, NotFoundError, isAppError } from '../errors.js';
import { reconcileAssignments } from '../ledger/assignments.js';
import { applyHeld, LedgerWriter, type WriteResult } from '../ledger/writer.js';
import { createConnectorCtx } from './connector-ctx.js';
import { enqueue } from './outbox.js';

export type RunStatus = 'succeeded' | 'failed' | 'held' | 'dry-run';

export interface RunResult {
  runId: number | null;
  sourceId: string;
  mode: 'full' | 'delta';
  status: RunStatus;
  result?: WriteResult;
  error?: string;
  errorCode?: string;
  durationMs: number;
}

export interface RunDeps {
  db: Database;
  log: Logger;
  domains: string[];
  now?: () => Date;
}

export interface RunOptions {
  mode?: 'full' | 'delta';
  dryRun?: boolean;
  force?: boolean;
  signal?: AbortSignal;
}

class DryRunRollback extends Error {
  constructor(readonly result: WriteResult) {
    super('dry run: rolled back');
  }
}

export async function lockSource(tx: Executor, sourceId: string): Promise<void> {
  const [r] = await rows<{ ok: boolean }>(tx, sql`select pg_try_advisory_xact_lock(hashtextextended(${`rollcall.sync:${sourceId}`}, 0)) as ok`);
  if (!r?.ok) throw new ConflictError('sync_in_progress', `another run of source "${sourceId}" is in progress`, { sourceId });
}

export async function ensureSource(db: Database, source: SourceConfig): Promise<void> {
  await db.orm.execute(sql`insert into sources (id, kind) values (${source.id}, ${source.kind})
    on conflict (id) do update set kind = excluded.kind where sources.kind <> excluded.kind`);
}

export async function runSync(deps: RunDeps, source: SourceConfig, opts: RunOptions = {}): Promise<RunResult> {
  const { db } = deps;
  const started = Date.now();
  const mode = opts.mode ?? 'full';
  const log = deps.log.child({ source: source.id, mode });
  if (mode === 'delta' && !source.connector.supportsDelta) {
    throw new AppError('delta_unsupported', `source "${source.id}" (${source.kind}) has no delta reads; use --mode full`, { status: 400 });
  }
  await ensureSource(db, source);
  const [src] = await rows<{ last_full_at: Date | null; last_delta_at: Date | null }>(db.orm, sql`select last_full_at, last_delta_at from sources where id = ${source.id}`);
  let runId: number | null = null;
  if (!opts.dryRun) {
    const [r] = await rows<{ id: number }>(db.orm, sql`insert into sync_runs (source_id, mode, status) values (${source.id}, ${mode}, 'running') returning id`);
    runId = Number(r!.id);
  }
  const signal = opts.signal ?? new AbortController().signal;
  const ctx = createConnectorCtx(source, log, signal, deps.now);
  const since = mode === 'delta' ? (src?.last_delta_at ?? src?.last_full_at ?? undefined) : undefined;
  log.info({ runId, dryRun: Boolean(opts.dryRun) }, 'sync started');

  try {
    const result = await db.orm.transaction(async (tx) => {
      await lockSource(tx, source.id);
      const writer = new LedgerWriter(tx, { sourceId: source.id, runId, mode, log });
      // One batch is staged while the connector parses the next: the database works on its own core meanwhile.
      let staging: Promise<void> = Promise.resolve();
      for await (const batch of source.connector.read(ctx, { mode, since: since ? new Date(since) : undefined })) {
        signal.throwIfAborted();
        await staging;
        staging = writer.add(batch);
        staging.catch(() => {}); // surfaced by the next await; this only keeps it from being reported unhandled
      }
      await staging;
      const res = await writer.apply({ force: Boolean(opts.force), threshold: source.deletionThreshold, domains: deps.domains });
      if (opts.dryRun) throw new DryRunRollback(res);
      const status = res.held ? 'held' : 'succeeded';
      const stats = { streams: res.streams, devices: res.devices, assignments: res.assignments, heldReason: res.heldReason ?? null };
      await tx.execute(sql`update sync_runs set status = ${status}, finished_at = now(), stats = ${JSON.stringify(stats)}::jsonb,
        held = ${res.held ? JSON.stringify(res.heldIds) : null}::jsonb where id = ${runId}`);
      await tx.execute(mode === 'full'
        ? sql`update sources set last_full_at = now() where id = ${source.id}`
        : sql`update sources set last_delta_at = now() where id = ${source.id}`);
      await enqueue(tx, res.held ? 'sync.held' : 'sync.completed', { runId, sourceId: source.id, mode, status, stats });
      return res;
    });
    const status: RunStatus = result.held ? 'held' : 'succeeded';
    // Counts only (no names or ids): enough for an admin tailing the log to see what the run did.
    log.info({ runId, status, durationMs: Date.now() - started, streams: result.streams, assignments: result.assignments, heldReason: result.heldReason }, 'sync finished');
    return { runId, sourceId: source.id, mode, status, result, durationMs: Date.now() - started };
  } catch (e) {
    if (e instanceof DryRunRollback) {
      return { runId: null, sourceId: source.id, mode, status: 'dry-run', result: e.result, durationMs: Date.now() - started };
    }
    const message = errorMessage(e);
    const code = isAppError(e) ? e.code : 'sync_failed';
    log.error({ runId, code, err: e }, 'sync failed; nothing was changed');
    if (runId !== null) {
      await db.orm.transaction(async (tx) => {
        await tx.execute(sql`update sync_runs set status = 'failed', finished_at = now(), error = ${`[${code}] ${message}`} where id = ${runId}`);
        await enqueue(tx, 'sync.failed', { runId, sourceId: source.id, mode, error: code });
      });
    }
    return { runId, sourceId: source.id, mode, status: 'failed', error: message, errorCode: code, durationMs: Date.now() - started };
  }
}

/** Applies a held run's deactivations. Refused once a later run of the source has succeeded: its read is newer. */
export async function approveRun(deps: RunDeps, runId: number, actor: string): Promise<{ deactivated: number }> {
  return deps.db.orm.transaction(async (tx) => {
    const [run] = await rows<{ source_id: string; status: string; held: Record<string, number[]> | null }>(tx, sql`select source_id, status, held from sync_runs where id = ${runId} for update`);
    if (!run) throw new NotFoundError(`run ${runId} not found`, { runId });
    if (run.status !== 'held') throw new ConflictError('run_not_held', `run ${runId} is ${run.status}, not held`, { runId });
    await lockSource(tx, run.source_id);
    const [later] = await rows<{ id: number }>(tx, sql`select id from sync_runs where source_id = ${run.source_id} and id > ${runId} and status in ('succeeded', 'held', 'approved') limit 1`);
    if (later) throw new ConflictError('run_superseded', `run ${runId} was superseded by run ${later.id}; approve that one or sync again`, { runId });
    const deactivated = await applyHeld(tx, run.held ?? {}, runId, run.source_id);
    await reconcileAssignments(tx, deps.domains, runId, `approve:${run.source_id}`);
    await tx.execute(sql`update sync_runs set status = 'approved', stats = stats || ${JSON.stringify({ approvedBy: actor, approvedDeactivations: deactivated })}::jsonb where id = ${runId}`);
    await enqueue(tx, 'sync.completed', { runId, sourceId: run.source_id, status: 'approved', deactivated });
    return { deactivated };
  });
}
