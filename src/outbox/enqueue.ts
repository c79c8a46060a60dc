/**
 * Writing to the outbox. Events are written in the same transaction as the change they report, so an event
 * exists exactly when its change committed. Two ways in:
 * - `enqueue()` for one event built in TypeScript, validated against its schema before it is written;
 * - `outboxInsert()` for set-based writers (ledger, reconciler) that emit one event per changed row inside the
 *   statement that makes the change (a CTE), with the payload built in SQL. Those payloads are checked against
 *   the same schemas by tests (test/integration/outbox-contract.test.ts), not per row at run time.
 */
import { sql, type SQL } from 'drizzle-orm';
import type { Executor } from '../db/client.js';
import { eventSchemas, type EventPayload, type EventType } from './events.js';

export async function enqueue<T extends EventType>(tx: Executor, type: T, payload: EventPayload<T>): Promise<void> {
  const checked = eventSchemas[type].parse(payload);
  await tx.execute(sql`insert into outbox (type, payload) values (${type}, ${JSON.stringify(checked)}::jsonb)`);
}

/** `insert into outbox … select <type>, <payload> from <from>`, for use as a CTE body. */
export function outboxInsert(type: EventType, payload: SQL, from: SQL): SQL {
  return sql`insert into outbox (type, payload) select ${type}::text, ${payload} from ${from} returning 1`;
}
