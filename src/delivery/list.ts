/**
 * Reading and re-queueing deliveries: plain functions the CLI (`rollcall deliveries ...`) and the admin API share.
 * Nothing here shows a payload: a delivery row names its event type and target, and its last error.
 */
import { sql, type SQL } from 'drizzle-orm';
import { rows, type Database } from '../db/client.js';
import { AppError, NotFoundError, ValidationError } from '../errors.js';

export const DELIVERY_STATUSES = ['pending', 'delivered', 'dead'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export interface DeliveryFilter {
  status?: DeliveryStatus;
  target?: string;
  /** Newest first, at most this many (default 100, at most 1000). */
  limit?: number;
  /** Only rows with an id below this (paging, newest first). */
  beforeId?: number;
}

export interface DeliveryRow {
  id: number;
  outboxId: number;
  type: string;
  target: string;
  status: DeliveryStatus;
  attempt: number;
  failures: number;
  nextAttemptAt: string;
  lastAttemptAt: string | null;
  deliveredAt: string | null;
  lastStatus: number | null;
  lastError: string | null;
  createdAt: string;
}

export interface DeliveryList {
  rows: DeliveryRow[];
  /** Rows matching the filter, all pages. */
  total: number;
}

const iso = (v: string | Date | null): string | null => (v === null ? null : new Date(v).toISOString());

export async function listDeliveries(db: Database, filter: DeliveryFilter = {}): Promise<DeliveryList> {
  const limit = filter.limit ?? 100;
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new ValidationError('limit must be a whole number from 1 to 1000', { field: 'limit' });
  if (filter.status && !(DELIVERY_STATUSES as readonly string[]).includes(filter.status)) {
    throw new ValidationError(`status must be one of ${DELIVERY_STATUSES.join(', ')}`, { field: 'status' });
  }
  const conds: SQL[] = [sql`true`];
  if (filter.status) conds.push(sql`d.status = ${filter.status}`);
  if (filter.target) conds.push(sql`d.target = ${filter.target}`);
  const where = sql.join(conds, sql` and `);
  const page = filter.beforeId ? sql`${where} and d.id < ${filter.beforeId}` : where;
  const got = await rows<{
    id: number; outbox_id: number; type: string; target: string; status: DeliveryStatus; attempt: number; failures: number;
    next_attempt_at: string | Date; last_attempt_at: string | Date | null; delivered_at: string | Date | null;
    last_status: number | null; last_error: string | null; created_at: string | Date;
  }>(db.orm, sql`
    select d.id, d.outbox_id, o.type, d.target, d.status, d.attempt, d.failures, d.next_attempt_at, d.last_attempt_at,
      d.delivered_at, d.last_status, d.last_error, d.created_at
    from deliveries d join outbox o on o.id = d.outbox_id
    where ${page} order by d.id desc limit ${limit}`);
  const [count] = await rows<{ n: number }>(db.orm, sql`select count(*)::int as n from deliveries d where ${where}`);
  return {
    total: Number(count?.n ?? 0),
    rows: got.map((r) => ({
      id: Number(r.id), outboxId: Number(r.outbox_id), type: r.type, target: r.target, status: r.status, attempt: Number(r.attempt),
      failures: Number(r.failures), nextAttemptAt: iso(r.next_attempt_at)!, lastAttemptAt: iso(r.last_attempt_at),
      deliveredAt: iso(r.delivered_at), lastStatus: r.last_status === null ? null : Number(r.last_status), lastError: r.last_error,
      createdAt: iso(r.created_at)!,
    })),
  };
}

/**
 * Re-queues a dead delivery (or a delivered one, to send it again) to be attempted now, with a fresh retry
 * schedule; the webhook-id stays the same, so a receiver that already has it can drop the copy. Writes audit_log.
 * A pending delivery is refused: it is already queued.
 */
export async function replayDelivery(db: Database, id: number, actor: string, now: Date = new Date()): Promise<DeliveryRow> {
  const at = sql`${now.toISOString()}::timestamptz`;
  await db.orm.transaction(async (tx) => {
    const [cur] = await rows<{ status: string; target: string }>(tx, sql`select status, target from deliveries where id = ${id} for update`);
    if (!cur) throw new NotFoundError(`delivery ${id} does not exist`, { delivery: id });
    if (cur.status === 'pending') {
      throw new AppError('delivery_not_replayable', `delivery ${id} is already pending; it will be attempted on its schedule`, { context: { delivery: id } });
    }
    await tx.execute(sql`update deliveries set status = 'pending', attempt = 0, next_attempt_at = ${at}, lease_until = null,
      lease_owner = null, delivered_at = null where id = ${id}`);
    await tx.execute(sql`insert into audit_log (at, actor, action, target, details)
      values (${at}, ${actor}, 'delivery.replay', ${`delivery:${id}`}, ${JSON.stringify({ from: cur.status, target: cur.target })}::jsonb)`);
  });
  return (await listDeliveries(db, { beforeId: id + 1, limit: 1 })).rows[0]!;
}

/** Re-enables a disabled target (after 410 or 3 days of failures); its waiting deliveries flow again. */
export async function enableTarget(db: Database, target: string, actor: string, now: Date = new Date()): Promise<boolean> {
  const got = await rows<{ target: string }>(db.orm, sql`
    update delivery_targets set disabled_at = null, disabled_reason = null, failing_since = null
    where target = ${target} and disabled_at is not null returning target`);
  if (got.length === 0) return false;
  await db.orm.execute(sql`insert into audit_log (at, actor, action, target, details)
    values (${now.toISOString()}::timestamptz, ${actor}, 'webhook.enabled', ${target}, '{}'::jsonb)`);
  return true;
}

export interface TargetState {
  target: string;
  failingSince: string | null;
  disabledAt: string | null;
  disabledReason: string | null;
}

export async function targetStates(db: Database): Promise<TargetState[]> {
  const got = await rows<{ target: string; failing_since: string | Date | null; disabled_at: string | Date | null; disabled_reason: string | null }>(db.orm, sql`
    select target, failing_since, disabled_at, disabled_reason from delivery_targets where failing_since is not null or disabled_at is not null order by target`);
  return got.map((r) => ({ target: r.target, failingSince: iso(r.failing_since), disabledAt: iso(r.disabled_at), disabledReason: r.disabled_reason }));
}
