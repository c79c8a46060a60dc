/** Events for webhooks and tickets are written to the outbox in the same transaction as the change they report. */
import { sql } from 'drizzle-orm';
import type { Executor } from '../db/client.js';

export async function enqueue(tx: Executor, type: string, payload: Record<string, unknown>): Promise<void> {
  await tx.execute(sql`insert into outbox (type, payload) values (${type}, ${JSON.stringify(payload)}::jsonb)`);
}
