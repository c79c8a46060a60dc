/**
 * Recording what an attempt did, fenced by (id, attempt): a worker whose lease ran out and whose row another
 * worker has taken since records nothing (the other worker's result stands). Failures follow DESIGN §8:
 * retry on the schedule (src/delivery/schedule.ts) unless the failure is final, then `dead`.
 */
import { sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import { rows, type Database } from '../db/client.js';
import { AppError } from '../errors.js';
import { retryDelayMs } from './schedule.js';
import { at } from './sql.js';

export type Outcome =
  | { kind: 'delivered'; status?: number; note?: string }
  | { kind: 'failed'; status?: number; error: string; retryable: boolean; retryAfterMs?: number; disable?: string };

/** 4xx answers that say "not now" rather than "never": retried like 5xx (Standard Webhooks, RFC 9110). */
const RETRYABLE_4XX = new Set([408, 409, 425, 429]);

export function retryableStatus(status: number): boolean {
  return status >= 500 || status < 400 || RETRYABLE_4XX.has(status);
}

/** Any thrown error as an outcome: AppError's `retryable`, `httpStatus` and `context.retryAfterMs` are read. */
export function failureOf(e: unknown): Outcome & { kind: 'failed' } {
  if (e instanceof AppError) {
    const status = (e as AppError & { httpStatus?: number }).httpStatus;
    const retryAfter = e.context?.retryAfterMs;
    return {
      kind: 'failed', status, error: e.message, retryable: status !== undefined && status >= 400 ? retryableStatus(status) : e.retryable,
      ...(typeof retryAfter === 'number' ? { retryAfterMs: retryAfter } : {}),
    };
  }
  const msg = e instanceof Error ? `${e.name === 'Error' ? '' : `${e.name}: `}${e.message}` : String(e);
  return { kind: 'failed', error: msg.slice(0, 500), retryable: true };
}

export interface Attempted {
  id: number;
  attempt: number;
}

/** Marks a batch delivered in one statement. Returns how many rows this worker still held. */
export async function recordDelivered(db: Database, done: readonly (Attempted & { status?: number; note?: string })[], now: Date): Promise<number> {
  if (done.length === 0) return 0;
  const got = await rows<{ id: number }>(db.orm, sql`
    update deliveries d set status = 'delivered', delivered_at = ${at(now)}, lease_until = null, lease_owner = null,
      last_status = u.status, last_error = u.note
    from unnest(${sql.param(done.map((d) => d.id))}::bigint[], ${sql.param(done.map((d) => d.attempt))}::int[],
      ${sql.param(done.map((d) => d.status ?? null))}::int[], ${sql.param(done.map((d) => d.note ?? null))}::text[]) as u(id, attempt, status, note)
    where d.id = u.id and d.attempt = u.attempt and d.status = 'pending'
    returning d.id`);
  return got.length;
}

/** Records one failed attempt: pending with the next time, or dead. Returns the new status, or null if fenced out. */
export async function recordFailure(
  db: Database, a: Attempted, f: Outcome & { kind: 'failed' }, now: Date, random: () => number = Math.random,
): Promise<'pending' | 'dead' | null> {
  const delay = f.retryable ? retryDelayMs(a.attempt, f.retryAfterMs, random) : null;
  const status = delay === null ? 'dead' : 'pending';
  const next = new Date(now.getTime() + (delay ?? 0));
  const got = await rows<{ id: number }>(db.orm, sql`
    update deliveries set status = ${status}, next_attempt_at = ${at(next)}, lease_until = null, lease_owner = null,
      failures = failures + 1, last_status = ${f.status ?? null}::int, last_error = ${f.error.slice(0, 1000)}
    where id = ${a.id} and attempt = ${a.attempt} and status = 'pending'
    returning id`);
  return got.length > 0 ? status : null;
}

/** An endpoint failing longer than this is disabled (Standard Webhooks: notify and disable after prolonged failure). */
export const DISABLE_AFTER_MS = 3 * 24 * 3600 * 1000;

/** The target answered: it is healthy again. Cheap when it already was (no row changes). */
export async function markHealthy(db: Database, target: string): Promise<void> {
  await db.orm.execute(sql`update delivery_targets set failing_since = null where target = ${target} and failing_since is not null`);
}

/**
 * The target failed. Disables it when asked to (410 Gone) or when it has failed for DISABLE_AFTER_MS, logging a
 * `webhook.disabled` event and writing audit_log. Returns whether it is now disabled.
 */
export async function markFailing(db: Database, log: Logger, target: string, now: Date, disable?: string): Promise<boolean> {
  const [row] = await rows<{ failing_since: string | Date }>(db.orm, sql`
    insert into delivery_targets (target, failing_since) values (${target}, ${at(now)})
    on conflict (target) do update set failing_since = coalesce(delivery_targets.failing_since, excluded.failing_since)
    returning failing_since`);
  const since = new Date(row!.failing_since);
  const reason = disable ?? (now.getTime() - since.getTime() >= DISABLE_AFTER_MS ? `failing since ${since.toISOString()} (over 3 days)` : undefined);
  if (!reason) return false;
  const changed = await rows<{ target: string }>(db.orm, sql`
    update delivery_targets set disabled_at = ${at(now)}, disabled_reason = ${reason}
    where target = ${target} and disabled_at is null returning target`);
  if (changed.length > 0) {
    log.error({ event: 'webhook.disabled', target, reason }, 'webhook endpoint disabled; its deliveries wait until `rollcall deliveries enable` (see docs/DESIGN.md §8)');
    await db.orm.execute(sql`insert into audit_log (at, actor, action, target, details)
      values (${at(now)}, 'delivery', 'webhook.disabled', ${target}, ${JSON.stringify({ reason })}::jsonb)`);
  }
  return true;
}
