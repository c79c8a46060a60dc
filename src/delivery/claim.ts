/**
 * Claiming due deliveries. One statement locks up to `limit` due rows that no live lease holds (SKIP LOCKED, so
 * workers on other connections or replicas take other rows instead of waiting), stamps a lease and counts the
 * attempt, and returns each row with its event. It commits on its own: no transaction is open while the worker
 * calls out, and a worker that dies mid-call leaves a lease that simply runs out, after which any worker takes
 * the row again. `attempt` doubles as the fencing token: an outcome is recorded only while the row still has the
 * attempt this worker claimed.
 *
 * The locking SELECT is a MATERIALIZED CTE, so it runs exactly once: as a plain `IN (subquery)` the planner may
 * rescan it inside a join, and a rescan with SKIP LOCKED can return other rows than the first scan did.
 */
import { sql } from 'drizzle-orm';
import { rows, type Database } from '../db/client.js';
import { at } from './sql.js';

export interface Claimed {
  id: number;
  outboxId: number;
  target: string;
  attempt: number;
  type: string;
  payload: unknown;
  eventAt: Date;
}

export interface ClaimOptions {
  targets: readonly string[];
  owner: string;
  limit: number;
  leaseMs: number;
  now: Date;
}

export async function claimDue(db: Database, o: ClaimOptions): Promise<Claimed[]> {
  if (o.targets.length === 0 || o.limit <= 0) return [];
  const leaseUntil = new Date(o.now.getTime() + o.leaseMs);
  const got = await rows<{ id: number; outbox_id: number; target: string; attempt: number; type: string; payload: unknown; created_at: string | Date }>(db.orm, sql`
    with picked as materialized (
      select id from deliveries
      where status = 'pending' and next_attempt_at <= ${at(o.now)} and (lease_until is null or lease_until < ${at(o.now)})
        and target = any(${sql.param([...o.targets])}::text[])
      order by next_attempt_at, id
      limit ${o.limit}
      for update skip locked
    ), c as (
      update deliveries d set lease_until = ${at(leaseUntil)}, lease_owner = ${o.owner}, attempt = d.attempt + 1, last_attempt_at = ${at(o.now)}
      where d.id in (select id from picked)
      returning d.id, d.outbox_id, d.target, d.attempt
    )
    select c.id, c.outbox_id, c.target, c.attempt, o.type, o.payload, o.created_at
    from c join outbox o on o.id = c.outbox_id
    order by c.id`);
  return got.map((r) => ({
    id: Number(r.id), outboxId: Number(r.outbox_id), target: r.target, attempt: Number(r.attempt), type: r.type, payload: r.payload,
    eventAt: new Date(r.created_at),
  }));
}
