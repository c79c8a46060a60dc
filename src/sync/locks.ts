/** The advisory locks of sync runs (DESIGN §12). Transaction-scoped: a dead process's locks vanish with its session. */
import { sql } from 'drizzle-orm';
import { rows, type Executor } from '../db/client.js';

const sourceKey = (sourceId: string) => sql`hashtextextended(${`rollcall.sync:${sourceId}`}, 0)`;

/** One run per source across every replica; the loser skips. */
export async function tryLockSource(tx: Executor, sourceId: string): Promise<boolean> {
  const [r] = await rows<{ ok: boolean }>(tx, sql`select pg_try_advisory_xact_lock(${sourceKey(sourceId)}) as ok`);
  return Boolean(r?.ok);
}

/**
 * Every run holds the sync gate shared; the pipeline's reconcile takes it exclusively, and only when it is free,
 * so findings are never computed from a ledger that another process is half-way through writing (ADR 0007).
 */
const SYNC_GATE = sql`hashtextextended('rollcall.sync-gate', 0)`;

export async function enterSyncGate(tx: Executor): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock_shared(${SYNC_GATE})`);
}

export async function tryCloseSyncGate(tx: Executor): Promise<boolean> {
  const [r] = await rows<{ ok: boolean }>(tx, sql`select pg_try_advisory_xact_lock(${SYNC_GATE}) as ok`);
  return Boolean(r?.ok);
}
