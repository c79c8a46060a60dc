/**
 * Runs sources on their `schedule` (full) and `deltaSchedule` (delta) in the district's time zone, and at start
 * the sources that never synced. Sources that share a cron expression fire as one pipeline (sync them all, then
 * reconcile once); so do the never-synced ones at start. Runs go through one queue per process.
 *
 * Across replicas every process fires, but each run carries a trigger key (the slot's minute, or `first-run`)
 * that the database lets one replica use per source: the others skip quietly (DESIGN §12).
 */
import { sql } from 'drizzle-orm';
import cron, { type ScheduledTask } from 'node-cron';
import PQueue from 'p-queue';
import type { Logger } from 'pino';
import type { Config, SourceConfig } from '../config/index.js';
import { rows, type Database } from '../db/client.js';
import { runPipeline, type PipelineResult } from './pipeline.js';

export interface SchedulerHooks {
  onPipeline?(result: PipelineResult): void;
}

export interface Scheduler {
  /** Queues a pipeline now (the API's "sync now"); resolves when it has run. */
  trigger(sources: SourceConfig[], mode: 'full' | 'delta', reason: string, triggerKey?: string): Promise<PipelineResult | undefined>;
  stop(): Promise<void>;
}

/** The slot a cron fire belongs to (to the second: node-cron schedules can have seconds), the same on every replica. */
export function slotKey(mode: 'full' | 'delta', at: Date): string {
  return `${mode}:${at.toISOString().slice(0, 19)}`;
}

function groupBySchedule(sources: SourceConfig[], pick: (s: SourceConfig) => string | undefined): Map<string, SourceConfig[]> {
  const out = new Map<string, SourceConfig[]>();
  for (const s of sources) {
    const expr = pick(s);
    if (expr) out.set(expr, [...(out.get(expr) ?? []), s]);
  }
  return out;
}

export function startScheduler(db: Database, config: Config, log: Logger, signal: AbortSignal, hooks: SchedulerHooks = {}): Scheduler {
  const queue = new PQueue({ concurrency: 1 });
  const tasks: ScheduledTask[] = [];
  const queued = new Set<string>();
  const slog = log.child({ component: 'scheduler' });
  const enabled = config.sources.filter((s) => s.enabled);

  function trigger(sources: SourceConfig[], mode: 'full' | 'delta', reason: string, triggerKey?: string): Promise<PipelineResult | undefined> {
    const key = `${sources.map((s) => s.id).join(',')}:${mode}`;
    if (queued.has(key)) {
      slog.info({ sources: sources.map((s) => s.id), mode, reason }, 'run already queued; not queueing another');
      return Promise.resolve(undefined);
    }
    queued.add(key);
    return queue.add(async () => {
      queued.delete(key);
      if (signal.aborted) return undefined;
      slog.info({ sources: sources.map((s) => s.id), mode, reason }, 'starting scheduled runs');
      try {
        const result = await runPipeline({ db, config, log }, sources, { mode, signal, triggerKey });
        hooks.onPipeline?.(result);
        return result;
      } catch (e) {
        // A pipeline records its own run failures; what reaches here is the database being unreachable.
        slog.error({ err: { message: (e as Error).message, code: (e as { code?: string }).code } }, 'scheduled runs failed');
        return undefined;
      }
    }) as Promise<PipelineResult | undefined>;
  }

  const opts = { timezone: config.district.timezone, noOverlap: true };
  for (const [expr, group] of groupBySchedule(enabled, (s) => s.schedule)) {
    tasks.push(cron.schedule(expr, () => void trigger(group, 'full', 'schedule', slotKey('full', new Date())), { ...opts, name: `sync:${expr}` }));
  }
  for (const [expr, group] of groupBySchedule(enabled, (s) => s.deltaSchedule)) {
    tasks.push(cron.schedule(expr, () => void trigger(group, 'delta', 'deltaSchedule', slotKey('delta', new Date())), { ...opts, name: `delta:${expr}` }));
  }

  const initial = (async () => {
    const never: SourceConfig[] = [];
    for (const source of enabled) {
      const [r] = await rows<{ last_full_at: Date | null }>(db.orm, sql`select last_full_at from sources where id = ${source.id}`);
      if (!r?.last_full_at) never.push(source);
    }
    if (never.length > 0) void trigger(never, 'full', 'never synced', 'first-run');
  })().catch((e: unknown) => slog.error({ err: { message: (e as Error).message } }, 'could not check which sources need a first run'));

  return {
    trigger,
    async stop() {
      for (const t of tasks) await t.stop();
      queue.clear();
      await initial;
      await queue.onIdle();
    },
  };
}
