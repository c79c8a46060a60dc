/**
 * Runs each source on its `schedule` (full) and `deltaSchedule` (delta) in the district's time zone, and once
 * at start when it has never synced. Runs go through one queue per process; across replicas the per-source
 * advisory lock makes the first one win and the others skip (DESIGN §12).
 */
import { sql } from 'drizzle-orm';
import cron, { type ScheduledTask } from 'node-cron';
import PQueue from 'p-queue';
import type { Logger } from 'pino';
import type { Config, SourceConfig } from '../config/index.js';
import { rows, type Database } from '../db/client.js';
import { runSync, type RunResult } from './runner.js';

export interface SchedulerHooks {
  /** Called after every run that committed (succeeded or held): reconciliation. */
  afterRun?(result: RunResult): Promise<void>;
  onRun?(result: RunResult): void;
}

export interface Scheduler {
  /** Queues a run now (the API's "sync now"); resolves when it has run. */
  trigger(source: SourceConfig, mode: 'full' | 'delta', reason: string): Promise<RunResult | undefined>;
  stop(): Promise<void>;
}

export function startScheduler(db: Database, config: Config, log: Logger, signal: AbortSignal, hooks: SchedulerHooks = {}): Scheduler {
  const queue = new PQueue({ concurrency: 1 });
  const tasks: ScheduledTask[] = [];
  const queued = new Set<string>();
  const slog = log.child({ component: 'scheduler' });

  function trigger(source: SourceConfig, mode: 'full' | 'delta', reason: string): Promise<RunResult | undefined> {
    const key = `${source.id}:${mode}`;
    if (queued.has(key)) {
      slog.info({ source: source.id, mode, reason }, 'run already queued; not queueing another');
      return Promise.resolve(undefined);
    }
    queued.add(key);
    return queue.add(async () => {
      queued.delete(key);
      if (signal.aborted) return undefined;
      slog.info({ source: source.id, mode, reason }, 'starting scheduled run');
      const result = await runSync({ db, log, domains: config.district.domains }, source, { mode, signal });
      hooks.onRun?.(result);
      if (result.errorCode === 'sync_in_progress') slog.info({ source: source.id }, 'another replica is running this source');
      if (result.status === 'succeeded' || result.status === 'held') {
        try {
          await hooks.afterRun?.(result);
        } catch (e) {
          slog.error({ err: e, source: source.id }, 'post-sync step failed');
        }
      }
      return result;
    }) as Promise<RunResult | undefined>;
  }

  for (const source of config.sources.filter((s) => s.enabled)) {
    const opts = { timezone: config.district.timezone, name: `sync:${source.id}`, noOverlap: true };
    if (source.schedule) tasks.push(cron.schedule(source.schedule, () => void trigger(source, 'full', 'schedule'), opts));
    if (source.deltaSchedule) tasks.push(cron.schedule(source.deltaSchedule, () => void trigger(source, 'delta', 'deltaSchedule'), { ...opts, name: `delta:${source.id}` }));
  }

  const initial = (async () => {
    for (const source of config.sources.filter((s) => s.enabled)) {
      const [r] = await rows<{ last_full_at: Date | null }>(db.orm, sql`select last_full_at from sources where id = ${source.id}`);
      if (!r?.last_full_at) void trigger(source, 'full', 'never synced');
    }
  })().catch((e: unknown) => slog.error({ err: e }, 'could not check which sources need a first run'));

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
