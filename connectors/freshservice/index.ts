/**
 * Freshservice v2 help desk (https://api.freshservice.com/#tickets). Freshservice has no idempotency key, so:
 *
 * - every ticket carries a tag derived from our key (`rollcall-k-<hash>`, mapper.ts `keyTag`);
 * - `open` looks the key up before creating: the Filter Tickets API by that tag, then (because the filter is a
 *   search index and can lag behind a ticket made moments ago) the desk's own recent tickets listed from the
 *   ticket store with tags embedded. Residual risk: a create whose response was lost, retried after the listing
 *   window (`recentWindowMinutes`) yet before the index caught up — the index lag is minutes, the window 30 min;
 * - `findByKey` is the same lookup.
 *
 * resolve = a private note (`private: true` set explicitly) then `status: 4` (Resolved). Basic auth with the API key
 * as user name and `X` as password.
 */
import { z } from 'zod';
import { ValidationError, errorMessage } from '../shared/errors.js';
import { jsonObject, sharedSecretOk } from '../shared/inbound.js';
import { checkDeskUrl, deskHttpNeeds, deskKeys, hostLabel, trimSlash } from '../shared/sink-config.js';
import type { SinkHttp } from '../shared/sink-http.js';
import type { Ctx, HttpNeeds, TicketRef, TicketSink } from '../types.js';
import { FS_STATUS, fsInboundSchema, type FsTicket } from './api-types.js';
import { addNote, createTicket, freshserviceErrorText, me, recentTickets, setStatus, ticketsByTag } from './client.js';
import { createBody, inboundEvent, keyTag, tagQuery, toHtml } from './mapper.js';

export const configSchema = z.strictObject({
  ...deskKeys,
  /** `district` for https://district.freshservice.com. */
  subdomain: hostLabel.optional(),
  /** Requester of every ticket (the IT mailbox); Freshservice requires an email or requester_id. */
  email: z.string().email(),
  /** The API key (`apiTokenFile:` reads it from a file). */
  apiToken: z.string().min(1),
  tags: z.array(z.string().min(1)).default(['rollcall']),
  /** Ticket source code (1 Email, 2 Portal, 3 Phone, …). */
  source: z.number().int().min(1).default(2),
  groupId: z.number().int().positive().optional(),
  /** The tag a technician adds when the device was collected (or the workflow sends `"outcome":"collected"`). */
  collectedTag: z.string().min(1).default('rollcall-collected'),
  /** How far back `open` lists the requester's tickets to cover the filter index lag. */
  recentWindowMinutes: z.number().int().min(1).max(24 * 60).default(30),
  /** Starter plans allow 100 requests a minute account-wide (create ticket 50); stay under half. Raise it for a local proxy or test desk. */
  requestsPerMinute: z.number().int().min(1).max(60_000).default(40),
}).superRefine((c, ctx) => checkDeskUrl(c, ctx, 'subdomain'));
export type FreshserviceConfig = z.infer<typeof configSchema>;

export function freshserviceHost(c: FreshserviceConfig): string {
  return c.baseUrl ? trimSlash(c.baseUrl) : `https://${c.subdomain}.freshservice.com`;
}

function http(c: FreshserviceConfig): HttpNeeds {
  const basic = Buffer.from(`${c.apiToken}:X`).toString('base64');
  return deskHttpNeeds(c, { baseUrl: freshserviceHost(c), headers: { authorization: `Basic ${basic}` }, concurrency: 2, timeoutMs: 15_000 });
}

function sinkHttp(ctx: Ctx<FreshserviceConfig>): SinkHttp {
  const c = ctx.config;
  return {
    name: 'freshservice', http: ctx.http, signal: ctx.signal, now: ctx.now,
    secrets: [c.apiToken, `${c.apiToken}:X`, c.inboundSecret ?? ''],
    errorText: freshserviceErrorText,
  };
}

/** Agent page of a ticket ([U]: the classic `/helpdesk/tickets/{id}` path, which the newer UI also serves). */
function ref(c: FreshserviceConfig, t: FsTicket): TicketRef {
  return { externalId: String(t.id), url: `${freshserviceHost(c)}/helpdesk/tickets/${t.id}` };
}

async function lookup(ctx: Ctx<FreshserviceConfig>, key: string): Promise<TicketRef | null> {
  const s = sinkHttp(ctx);
  const tag = keyTag(key);
  const pick = (list: FsTicket[]) => list.filter((t) => t.tags === undefined || t.tags.includes(tag)).sort((a, b) => a.id - b.id)[0];
  const indexed = pick(await ticketsByTag(s, tagQuery(tag)));
  if (indexed) return ref(ctx.config, indexed);
  const since = new Date(ctx.now().getTime() - ctx.config.recentWindowMinutes * 60_000);
  const recent = pick((await recentTickets(s, ctx.config.email, since)).filter((t) => t.tags !== undefined));
  if (recent) ctx.log.info({ ticket: recent.id }, 'freshservice: ticket found among recent tickets (not yet in the filter index)');
  return recent ? ref(ctx.config, recent) : null;
}

export const freshservice: TicketSink<FreshserviceConfig> = {
  kind: 'freshservice',
  configSchema,
  dedupe: 'lookup',
  http,

  async check(ctx) {
    try {
      const a = await me(sinkHttp(ctx));
      return a.active === false
        ? { ok: false, message: 'freshservice: the API key belongs to an inactive agent' }
        : { ok: true, message: 'freshservice: authenticated as an agent', details: { agentId: a.id } };
    } catch (e) {
      return { ok: false, message: errorMessage(e) };
    }
  },

  async open(ctx, draft, key) {
    const existing = await lookup(ctx, key);
    if (existing) {
      ctx.log.info({ ticket: existing.externalId }, 'freshservice: a ticket already carries this key; not creating another');
      return existing;
    }
    const c = ctx.config;
    const t = await createTicket(sinkHttp(ctx), createBody(draft, key, { email: c.email, source: c.source, tags: c.tags, groupId: c.groupId }));
    return ref(c, t);
  },

  findByKey: lookup,

  async comment(ctx, id, body) {
    await addNote(sinkHttp(ctx), id, { body: toHtml(body), private: true });
  },

  async resolve(ctx, id, note) {
    const s = sinkHttp(ctx);
    // Note first: if the status change fails (a required resolution field), the retry re-adds only a note.
    await addNote(s, id, { body: toHtml(note), private: true });
    await setStatus(s, id, FS_STATUS.resolved);
  },

  verifyInbound(c, req) {
    return sharedSecretOk(req, c.inboundSecret);
  },

  parseInbound(c, req) {
    const parsed = fsInboundSchema.safeParse(jsonObject('freshservice', req.rawBody));
    if (!parsed.success) {
      const field = parsed.error.issues[0]?.path.join('.') || '(body)';
      throw new ValidationError(`freshservice inbound webhook: ${field}: ${parsed.error.issues[0]?.message ?? 'invalid'}`, { sink: 'freshservice', field });
    }
    return inboundEvent(parsed.data, c.collectedTag);
  },
};
