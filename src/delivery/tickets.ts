/**
 * Help desk deliveries: `discrepancy.opened` opens one ticket, `discrepancy.resolved` comments on it privately and
 * resolves it. One discrepancy occurrence is exactly one ticket:
 * - the idempotency key is (rule, subject_key, occurrence), so a recurrence (occurrence 2) is a new ticket and a
 *   repeat of the same occurrence is not;
 * - `ticket_links` records the ticket under (helpdesk, key), and is read before anything is sent;
 * - a worker can die after the desk created the ticket and before the link committed. The retry (attempt > 1) then
 *   asks the desk for the key first (`findByKey`: Zendesk external_id, Freshservice tag search) and links what it
 *   finds; Zendesk's Idempotency-Key covers the same gap for two hours, and a `receiver` sink dedupes by key.
 */
import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Ctx, HttpNeeds } from '../../connectors/types.js';
import type { HelpdeskConfig } from '../config/index.js';
import { rows, type Database } from '../db/client.js';
import type { HttpClient } from '../http/client.js';
import { checkOutboundUrl, type Resolver } from '../http/url-policy.js';
import type { Claimed } from './claim.js';
import type { Outcome } from './outcome.js';
import { ticketDraft, type DiscrepancyEvent } from './ticket-text.js';

/** Zendesk keeps Idempotency-Key and external_id up to 255 characters; long subject keys are hashed to fit. */
export function ticketKey(rule: string, subjectKey: string, occurrence: number): string {
  const plain = `rollcall:${rule}:${subjectKey}:${occurrence}`;
  if (plain.length <= 200 && /^[\x20-\x7e]+$/.test(plain)) return plain;
  return `rollcall:${rule}:${createHash('sha256').update(subjectKey).digest('hex').slice(0, 32)}:${occurrence}`;
}

export interface SinkTarget {
  helpdesk: HelpdeskConfig;
  needs: HttpNeeds;
  http: HttpClient;
  ctx(signal: AbortSignal): Ctx<unknown>;
}

interface Link { id: number; external_id: string; state: string }

async function findLink(db: Database, helpdeskId: string, key: string): Promise<Link | undefined> {
  const [l] = await rows<Link>(db.orm, sql`select id, external_id, state from ticket_links where helpdesk_id = ${helpdeskId} and idempotency_key = ${key}`);
  return l;
}

async function insertLink(db: Database, d: DiscrepancyEvent, helpdeskId: string, key: string, ref: { externalId: string; url?: string }): Promise<void> {
  await db.orm.execute(sql`
    insert into ticket_links (discrepancy_id, helpdesk_id, external_id, url, state, idempotency_key)
    values (${d.id}, ${helpdeskId}, ${ref.externalId}, ${ref.url ?? null}, 'open', ${key})
    on conflict (helpdesk_id, idempotency_key) do nothing`);
}

/** Whether the `discrepancy.opened` delivery of this occurrence to this desk is still waiting. */
async function openStillPending(db: Database, target: string, d: DiscrepancyEvent): Promise<boolean> {
  const [r] = await rows<{ n: number }>(db.orm, sql`
    select count(*)::int as n from deliveries dl join outbox o on o.id = dl.outbox_id
    where dl.target = ${target} and dl.status = 'pending' and o.type = 'discrepancy.opened'
      and o.payload->>'id' = ${String(d.id)} and (o.payload->>'occurrence')::int = ${d.occurrence}`);
  return Number(r?.n ?? 0) > 0;
}

export async function deliverTicket(
  db: Database, s: SinkTarget, c: Claimed, signal: AbortSignal, opts: { publicUrl?: string; resolver?: Resolver },
): Promise<Outcome> {
  const d = c.payload as DiscrepancyEvent & { resolvedReason?: string };
  const key = ticketKey(d.rule, d.subjectKey, d.occurrence);
  const sink = s.helpdesk.sink;
  const ctx = s.ctx(signal);
  await checkOutboundUrl(`helpdesk ${s.helpdesk.id}`, s.needs.baseUrl, {
    allowInsecure: s.needs.allowInsecure ?? false, allowPrivateNetwork: s.needs.allowPrivateNetwork ?? false,
  }, opts.resolver);
  const link = await findLink(db, s.helpdesk.id, key);

  if (c.type === 'discrepancy.opened') {
    if (link) return { kind: 'delivered', note: `ticket ${link.external_id} already open for ${key}` };
    if (c.attempt > 1 && sink.findByKey) {
      const found = await sink.findByKey(ctx, key);
      if (found) {
        await insertLink(db, d, s.helpdesk.id, key, found);
        return { kind: 'delivered', note: `found ticket ${found.externalId} from an earlier attempt` };
      }
    }
    const draft = await ticketDraft(db, d, s.helpdesk, opts.publicUrl);
    const ref = await sink.open(ctx, draft, key);
    await insertLink(db, d, s.helpdesk.id, key, ref);
    return { kind: 'delivered', note: `opened ticket ${ref.externalId}` };
  }

  // discrepancy.resolved
  let l = link;
  if (!l) {
    if (await openStillPending(db, c.target, d)) {
      return { kind: 'failed', error: 'the ticket for this discrepancy is not open yet; resolving after it opens', retryable: true };
    }
    const found = sink.findByKey ? await sink.findByKey(ctx, key) : null;
    if (!found) return { kind: 'delivered', note: `no ticket was opened for ${key}; nothing to resolve` };
    await insertLink(db, d, s.helpdesk.id, key, found);
    l = await findLink(db, s.helpdesk.id, key);
  }
  if (!l) return { kind: 'delivered', note: `no ticket for ${key}` };
  if (l.state === 'resolved') return { kind: 'delivered', note: `ticket ${l.external_id} already resolved` };
  const note = `Resolved in rollcall (${d.resolvedReason ?? 'resolved'}) on ${c.eventAt.toISOString().slice(0, 10)}: ${d.rule} no longer applies. Closed automatically.`;
  await sink.resolve(ctx, l.external_id, note);
  await db.orm.execute(sql`update ticket_links set state = 'resolved' where id = ${l.id}`);
  return { kind: 'delivered', note: `resolved ticket ${l.external_id}` };
}
