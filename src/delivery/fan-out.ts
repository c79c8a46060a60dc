/**
 * Outbox → deliveries: one `deliveries` row per (event, target that wants it), then the event is marked
 * dispatched, all in one short transaction with no I/O in it. Several workers can fan out at once: each locks its
 * own batch of events (SKIP LOCKED), and the (outbox_id, target) unique index makes a repeat harmless.
 * An event is matched against the targets configured when it is fanned out; an endpoint added later receives
 * events from then on.
 */
import { sql } from 'drizzle-orm';
import { rows, type Database } from '../db/client.js';
import { at } from './sql.js';
import { wants, type Target } from './targets.js';

export const FAN_OUT_BATCH = 1000;

/** Fans out one batch; returns how many events it dispatched (0 when none were waiting). */
export async function fanOutBatch(db: Database, targets: readonly Target[], now: Date, limit = FAN_OUT_BATCH): Promise<{ events: number; deliveries: number }> {
  return db.orm.transaction(async (tx) => {
    const events = await rows<{ id: number; type: string; payload: unknown }>(tx, sql`
      select id, type, payload from outbox where dispatched_at is null order by id limit ${limit} for update skip locked`);
    if (events.length === 0) return { events: 0, deliveries: 0 };
    const outboxIds: number[] = [];
    const targetIds: string[] = [];
    for (const e of events) {
      for (const t of targets) {
        if (!wants(t, e.type, e.payload)) continue;
        outboxIds.push(Number(e.id));
        targetIds.push(t.id);
      }
    }
    if (outboxIds.length > 0) {
      await tx.execute(sql`
        insert into deliveries (outbox_id, target, next_attempt_at, created_at)
        select o, t, ${at(now)}, ${at(now)} from unnest(${sql.param(outboxIds)}::bigint[], ${sql.param(targetIds)}::text[]) as x(o, t)
        on conflict (outbox_id, target) do nothing`);
    }
    await tx.execute(sql`update outbox set dispatched_at = ${at(now)} where id = any(${sql.param(events.map((e) => Number(e.id)))}::bigint[])`);
    return { events: events.length, deliveries: outboxIds.length };
  });
}

/** Fans out until nothing is waiting. */
export async function fanOut(db: Database, targets: readonly Target[], now: Date): Promise<{ events: number; deliveries: number }> {
  const total = { events: 0, deliveries: 0 };
  for (;;) {
    const r = await fanOutBatch(db, targets, now);
    total.events += r.events;
    total.deliveries += r.deliveries;
    if (r.events < FAN_OUT_BATCH) return total;
  }
}
