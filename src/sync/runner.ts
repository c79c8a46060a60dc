/**
 * One sync run: one source, one mode. The connector's read is applied batch by batch in a single transaction
 * under a per-source advisory lock (one run per source across every replica). A read that throws rolls the
 * whole run back, so a truncated file or an upstream outage changes nothing; the failure is recorded.
 *
 * The run row is written only once the lock is held, so a process that loses the race leaves no trace (a
 * `skipped` outcome, no event). While a run holds its lock, any other `running` row of its source belongs to a
 * process that died (kill -9, a crash, a lost connection): it is marked failed with reason `interrupted`.
 * Callers go through src/sync/pipeline.ts, which reconciles once after the runs it was asked for.
 */
import { sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { SourceConfig } from '../config/index.js';
import { rows, type Database } from '../db/client.js';
import { AppError, isAppError } from '../errors.js';
import { LedgerWriter, RereadNeeded, type Plan, type WriteResult } from '../ledger/writer.js';
import { enqueue } from '../outbox/enqueue.js';
import { createConnectorCtx } from './connector-ctx.js';
import { safeError, safeMessage } from './safe-error.js';
import { markInterrupted } from './interrupted.js';
import { enterSyncGate, tryLockSource } from './locks.js';

export type RunStatus = 'succeeded' | 'failed' | 'held' | 'dry-run' | 'skipped';

export interface RunResult {
  runId: number | null;
  sourceId: string;
  mode: 'full' | 'delta';
  status: RunStatus;
  result?: WriteResult;
  error?: string;
  errorCode?: string;
  /** Why a run was skipped (another run of the source holds its lock; the slot already ran elsewhere; outside allowedHours). */
  skipped?: string;
  /** The held run this run approved. */
  approves?: number;
  durationMs: number;
}

export interface RunDeps {
  db: Database;
  log: Logger;
  domains: string[];
  now?: () => Date;
  /** The district's IANA time zone (`district.timezone`), handed to the connector in ctx. */
  timeZone?: string;
}

export interface RunOptions {
  mode?: 'full' | 'delta';
  dryRun?: boolean;
  force?: boolean;
  signal?: AbortSignal;
  /** Runs once per key and source across replicas (a scheduled slot, `first-run`). */
  triggerKey?: string;
  /** Approval of a held run: the re-read must match what was held. */
  approve?: { runId: number; digest: string; plan: Plan };
  /** Called once the run's row exists, with its id (the API answers 202 with it while the run goes on). */
  onStarted?(runId: number): void;
}

/** What a held run stores, so approval can check its re-read against it. */
export interface HeldPlan {
  digest: string;
  plan: Plan;
}

class DryRunRollback extends Error {
  constructor(readonly result: WriteResult) {
    super('dry run: rolled back');
  }
}

export async function ensureSource(db: Database, source: SourceConfig): Promise<void> {
  await db.orm.execute(sql`insert into sources (id, kind) values (${source.id}, ${source.kind})
    on conflict (id) do update set kind = excluded.kind where sources.kind <> excluded.kind`);
}

export function assertModeSupported(source: SourceConfig, mode: 'full' | 'delta'): void {
  if (mode === 'delta' && !source.connector.supportsDelta) {
    throw new AppError('delta_unsupported', `source "${source.id}" (${source.kind}) has no delta reads; use --mode full`);
  }
}

export async function runSync(deps: RunDeps, source: SourceConfig, opts: RunOptions = {}): Promise<RunResult> {
  const { db } = deps;
  const started = Date.now();
  const mode = opts.mode ?? 'full';
  const log = deps.log.child({ source: source.id, mode });
  assertModeSupported(source, mode);
  await ensureSource(db, source);
  const [src] = await rows<{ last_full_at: Date | null; last_delta_at: Date | null; cursor: unknown }>(db.orm, sql`select last_full_at, last_delta_at, cursor from sources where id = ${source.id}`);
  const signal = opts.signal ?? new AbortController().signal;
  const ctx = createConnectorCtx(source, log, signal, deps.now, deps.timeZone);
  const since = mode === 'delta' ? (src?.last_delta_at ?? src?.last_full_at ?? undefined) : undefined;
  const base = { sourceId: source.id, mode, approves: opts.approve?.runId };
  let runId: number | null = null;
  const readOpts = { mode, since: since ? new Date(since) : undefined, cursor: src?.cursor ?? undefined };

  // A source that may not be read now (a full run outside its allowedHours) is skipped, not failed: nothing was
  // tried, so there is no failure to record or announce, and the next slot inside the window reads it.
  const notNow = source.connector.notNow?.(ctx, readOpts);
  if (notNow) {
    log.info({ reason: notNow }, 'sync skipped');
    return { ...base, runId: null, status: 'skipped', skipped: notNow, durationMs: Date.now() - started };
  }

  try {
    const out = await db.orm.transaction(async (tx) => {
      if (!(await tryLockSource(tx, source.id))) return { skipped: `another run of source "${source.id}" is in progress` };
      await enterSyncGate(tx);
      if (!opts.dryRun) {
        // On a server the row is written on its own connection so that it is visible while the run works; the
        // embedded database is one session, so it goes in the run's transaction (and a crash leaves none).
        const ex = db.kind === 'pglite' ? tx : db.orm;
        const [r] = await rows<{ id: number }>(ex, sql`insert into sync_runs (source_id, mode, status, trigger_key)
          values (${source.id}, ${mode}, 'running', ${opts.triggerKey ?? null}) on conflict do nothing returning id`);
        if (!r) return { skipped: `already run for ${opts.triggerKey}` };
        runId = Number(r.id);
        opts.onStarted?.(runId);
        await markInterrupted(tx, source.id, runId);
      }
      log.info({ runId, dryRun: Boolean(opts.dryRun), approves: opts.approve?.runId }, 'sync started');
      let cursor: unknown;
      // Each batch is staged and applied while the connector fetches the next page: the database works on its own
      // core meanwhile, and after the last page only the whole-read steps remain (ADR 0014).
      const readInto = async (writer: LedgerWriter): Promise<LedgerWriter> => {
        cursor = undefined;
        let writing: Promise<void> = Promise.resolve();
        for await (const batch of source.connector.read(ctx, readOpts)) {
          signal.throwIfAborted();
          await writing;
          if (batch.cursor !== undefined) cursor = batch.cursor;
          writing = writer.add(batch);
          writing.catch(() => {}); // surfaced by the next await; this only keeps it from being reported unhandled
        }
        await writing;
        return writer;
      };
      const writerOpts = { sourceId: source.id, runId, mode, log };
      let writer: LedgerWriter;
      try {
        writer = await readInto(new LedgerWriter(tx, writerOpts));
      } catch (e) {
        if (!(e instanceof RereadNeeded)) throw e;
        // Rare (an id read twice with different content): the batches applied so far are rolled back, and the
        // source is read again and applied whole.
        log.warn({ runId, reason: e.reason }, 'reading the source again to apply it whole');
        writer = await readInto(new LedgerWriter(tx, { ...writerOpts, incremental: false }));
      }
      const res = await writer.apply({
        force: Boolean(opts.force || opts.approve), threshold: source.deletionThreshold, domains: deps.domains,
        expect: opts.approve,
      });
      if (opts.dryRun) throw new DryRunRollback(res);
      const status = res.held ? 'held' : 'succeeded';
      const stats = { streams: res.streams, devices: res.devices, assignments: res.assignments, heldReason: res.heldReason ?? null, ...(opts.approve ? { approves: opts.approve.runId } : {}) };
      const held: HeldPlan | null = res.held ? { digest: res.digest, plan: res.plan } : null;
      await tx.execute(sql`update sync_runs set status = ${status}, finished_at = now(), stats = ${JSON.stringify(stats)}::jsonb,
        held = ${held ? JSON.stringify(held) : null}::jsonb where id = ${runId}`);
      if (res.held) {
        await enqueue(tx, 'sync.held', { runId, sourceId: source.id, mode, heldReason: res.heldReason ?? '', stats });
        return { res };
      }
      // The cursor and the source's clock move only with a committed run: a failed or held run leaves them.
      await tx.execute(sql`update sources set ${sql.raw(mode === 'full' ? 'last_full_at' : 'last_delta_at')} = now(),
        cursor = coalesce(${cursor === undefined ? null : JSON.stringify(cursor)}::jsonb, cursor) where id = ${source.id}`);
      if (opts.approve) {
        await tx.execute(sql`update sync_runs set status = 'approved', stats = stats || ${JSON.stringify({ approvedByRun: runId })}::jsonb where id = ${opts.approve.runId}`);
      }
      // Announced only when the ledger changed: an unchanged nightly re-sync writes nothing at all, outbox included
      // (its freshness is in /metrics and the report).
      if (changedLedger(res) || opts.approve) {
        await enqueue(tx, 'sync.completed', { runId, sourceId: source.id, mode, status: 'succeeded', stats, ...(opts.approve ? { approves: opts.approve.runId } : {}) });
      }
      return { res };
    });
    if ('skipped' in out) {
      log.info({ reason: out.skipped }, 'sync skipped');
      return { ...base, runId: null, status: 'skipped', skipped: out.skipped, durationMs: Date.now() - started };
    }
    const result = out.res;
    const status: RunStatus = result.held ? 'held' : 'succeeded';
    // Counts only (no names or ids): enough for an admin tailing the log to see what the run did.
    log.info({ runId, status, durationMs: Date.now() - started, streams: result.streams, assignments: result.assignments, heldReason: result.heldReason }, 'sync finished');
    return { ...base, runId, status, result, durationMs: Date.now() - started };
  } catch (e) {
    if (e instanceof DryRunRollback) {
      return { ...base, runId: null, status: 'dry-run', result: e.result, durationMs: Date.now() - started };
    }
    const message = safeMessage(e);
    const code = isAppError(e) ? e.code : 'sync_failed';
    log.error({ runId, code, error: message }, 'sync failed; nothing was changed');
    log.debug({ runId, err: safeError(e) }, 'sync failure detail');
    runId = await recordFailure(db, log, source.id, mode, runId, code, message);
    return { ...base, runId, status: 'failed', error: message, errorCode: code, durationMs: Date.now() - started };
  }
}

function changedLedger(r: WriteResult): boolean {
  const streams = Object.values(r.streams).reduce((n, st) => n + st.created + st.updated + st.deactivated + st.reactivated, 0);
  const d = r.devices;
  return streams + d.created + d.updated + d.reactivated + d.deactivated + r.assignments.started + r.assignments.ended > 0;
}

/**
 * Marks the run failed, or writes a failed row when its `running` row went with the rolled-back transaction
 * (the embedded database). If the database itself is gone this fails too: the row stays `running` and the next
 * run of the source marks it interrupted.
 */
async function recordFailure(db: Database, log: Logger, sourceId: string, mode: string, runId: number | null, code: string, message: string): Promise<number | null> {
  try {
    return await db.orm.transaction(async (tx) => {
      const error = `[${code}] ${message}`;
      const [r] = await rows<{ id: number }>(tx, sql`
        with upd as (update sync_runs set status = 'failed', finished_at = now(), error = ${error} where id = ${runId} returning id),
        ins as (insert into sync_runs (source_id, mode, status, finished_at, error)
          select ${sourceId}, ${mode}, 'failed', now(), ${error} where not exists (select 1 from upd) returning id)
        select id from upd union all select id from ins`);
      const id = r ? Number(r.id) : runId;
      await enqueue(tx, 'sync.failed', { runId: id, sourceId, mode: mode as 'full' | 'delta', error: code });
      return id;
    });
  } catch (e) {
    log.error({ runId, error: safeMessage(e) }, 'could not record the failed run; the next run marks it interrupted');
    return runId;
  }
}
