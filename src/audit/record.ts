/**
 * One audit_log row: who (an API token's name, `cli`, `helpdesk:<id>`), did what, to what. Writers that change
 * domain rows write theirs in the same transaction (src/ledger, src/reconcile/suppress.ts); this is for actions
 * whose effect is a run (start a sync, approve a held run), recorded when they are asked for.
 */
import { sql } from 'drizzle-orm';
import type { Executor } from '../db/client.js';

export async function recordAudit(db: Executor, actor: string, action: string, target: string | null, details: Record<string, unknown> = {}): Promise<void> {
  await db.execute(sql`insert into audit_log (actor, action, target, details) values (${actor}, ${action}, ${target}, ${JSON.stringify(details)}::jsonb)`);
}
