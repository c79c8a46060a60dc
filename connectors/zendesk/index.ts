/**
 * Zendesk Support help desk (https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/).
 *
 * - open: `POST /api/v2/tickets` with `Idempotency-Key: <our key>` and `external_id: <our key>`, tags, private first
 *   comment. Zendesk replays the same ticket for a repeated key for 2 hours (`x-idempotency-lookup: hit`).
 * - findByKey: `GET /api/v2/tickets?external_id=<key>` — the list endpoint, not Search, which lags by minutes.
 * - comment / resolve: `PUT /api/v2/tickets/{id}` with `comment.public: false` set explicitly (the first comment's
 *   visibility otherwise carries over) and, to resolve, `status: solved`. A ticket a technician already closed
 *   (Zendesk refuses updates to closed tickets with 422) or deleted (404) counts as resolved.
 * - inbound: the Zendesk webhook's own signature (`X-Zendesk-Webhook-Signature` = base64 HMAC-SHA256 of
 *   timestamp + body, https://developer.zendesk.com/documentation/webhooks/verifying/) or a bearer shared secret.
 */
import { z } from 'zod';
import { ValidationError, errorMessage } from '../shared/errors.js';
import { header, hmacBase64, jsonObject, safeEqual, sharedSecretOk } from '../shared/inbound.js';
import { checkDeskUrl, deskHttpNeeds, deskKeys, hostLabel, trimSlash } from '../shared/sink-config.js';
import { sinkStatusError, type SinkHttp } from '../shared/sink-http.js';
import type { Ctx, HttpNeeds, InboundRequest, TicketSink } from '../types.js';
import { zdInboundSchema } from './api-types.js';
import { createTicket, getTicket, me, ticketsByExternalId, updateTicket, zendeskErrorText } from './client.js';
import { createBody, firstTicket, inboundEvent, privateComment, ticketRef } from './mapper.js';

export const configSchema = z.strictObject({
  ...deskKeys,
  /** `district` for https://district.zendesk.com. */
  subdomain: hostLabel.optional(),
  /** The agent whose API token is used (`{email}/token:{api_token}` Basic auth). */
  email: z.string().email(),
  /** `apiTokenFile:` reads it from a file (Docker secret). */
  apiToken: z.string().min(1),
  /** Tags on every ticket, beside `rollcall_rule_<rule>`. */
  tags: z.array(z.string().min(1)).default(['rollcall']),
  /** Assign new tickets to this group. */
  groupId: z.number().int().positive().optional(),
  /** The tag a technician adds (or a macro sets) when the device was collected. */
  collectedTag: z.string().min(1).default('rollcall_collected'),
  /** The Zendesk webhook's signing secret (Admin Center › Webhooks › Signing secret); `inboundSigningSecretFile:` too. */
  inboundSigningSecret: z.string().min(1).optional(),
  /** Zendesk allows 700 requests a minute on Enterprise and 200 on Team; stay well below the smallest plan. Raise it for a local proxy or test desk. */
  requestsPerMinute: z.number().int().min(1).max(60_000).default(100),
}).superRefine((c, ctx) => checkDeskUrl(c, ctx, 'subdomain'));
export type ZendeskConfig = z.infer<typeof configSchema>;

/** Signature timestamps older or newer than this are refused (a captured call cannot be replayed later). */
const SIGNATURE_TOLERANCE_MS = 10 * 60_000;

export function zendeskHost(c: ZendeskConfig): string {
  return c.baseUrl ? trimSlash(c.baseUrl) : `https://${c.subdomain}.zendesk.com`;
}

function http(c: ZendeskConfig): HttpNeeds {
  const basic = Buffer.from(`${c.email}/token:${c.apiToken}`).toString('base64');
  return deskHttpNeeds(c, { baseUrl: zendeskHost(c), headers: { authorization: `Basic ${basic}` }, concurrency: 4, timeoutMs: 15_000 });
}

function sinkHttp(ctx: Ctx<ZendeskConfig>): SinkHttp {
  const c = ctx.config;
  return {
    name: 'zendesk', http: ctx.http, signal: ctx.signal, now: ctx.now,
    secrets: [c.apiToken, `${c.email}/token:${c.apiToken}`, c.inboundSecret ?? '', c.inboundSigningSecret ?? ''],
    errorText: zendeskErrorText,
  };
}

async function update(ctx: Ctx<ZendeskConfig>, id: string, body: string, solve: boolean): Promise<void> {
  const s = sinkHttp(ctx);
  const res = await updateTicket(s, id, privateComment(body, solve));
  if (res.status < 400) return;
  if (res.status === 404 && solve) {
    ctx.log.warn({ ticket: id }, 'zendesk: the ticket is gone (deleted); nothing left to resolve');
    return;
  }
  if (res.status === 422 && solve) {
    // "Status: closed prevents ticket update": a technician closed it first, which is what resolving wants.
    const t = await getTicket(s, id);
    if (t && t.status === 'closed') {
      ctx.log.info({ ticket: id }, 'zendesk: ticket already closed; resolve is done');
      return;
    }
  }
  throw sinkStatusError(s, { method: 'PUT', path: `/api/v2/tickets/${id}` }, res);
}

function signatureOk(secret: string, req: InboundRequest, now: Date): boolean {
  const sig = header(req, 'x-zendesk-webhook-signature');
  const ts = header(req, 'x-zendesk-webhook-signature-timestamp');
  if (!sig || !ts) return false;
  const at = Date.parse(ts);
  if (Number.isNaN(at) || Math.abs(now.getTime() - at) > SIGNATURE_TOLERANCE_MS) return false;
  return safeEqual(sig.trim(), hmacBase64(secret, ts + req.rawBody));
}

/** Either the Zendesk signature (when a signing secret is configured) or the shared secret lets a call in. */
function verifyInbound(c: ZendeskConfig, req: InboundRequest, now: Date): boolean {
  if (c.inboundSigningSecret && signatureOk(c.inboundSigningSecret, req, now)) return true;
  return sharedSecretOk(req, c.inboundSecret);
}

export const zendesk: TicketSink<ZendeskConfig> = {
  kind: 'zendesk',
  configSchema,
  dedupe: 'idempotency-key',
  http,

  async check(ctx) {
    try {
      const u = await me(sinkHttp(ctx));
      if (u.id === null) return { ok: false, message: 'zendesk: the credentials were not accepted (anonymous user)' };
      const agent = u.role === 'agent' || u.role === 'admin';
      return agent
        ? { ok: true, message: `zendesk: authenticated as ${u.role}`, details: { role: u.role } }
        : { ok: false, message: `zendesk: the API user has role ${u.role ?? 'unknown'}; tickets need an agent or admin` };
    } catch (e) {
      return { ok: false, message: errorMessage(e) };
    }
  },

  async open(ctx, draft, key) {
    const { ticket, replayed } = await createTicket(sinkHttp(ctx), createBody(draft, key, { tags: ctx.config.tags, groupId: ctx.config.groupId }), key);
    if (replayed) ctx.log.info({ ticket: ticket.id }, 'zendesk: idempotency key replayed; existing ticket returned');
    return ticketRef(ticket, zendeskHost(ctx.config));
  },

  async findByKey(ctx, key) {
    const tickets = await ticketsByExternalId(sinkHttp(ctx), key);
    const first = firstTicket(tickets, key);
    if (tickets.length > 1) ctx.log.warn({ count: tickets.length, chosen: first?.id }, 'zendesk: several tickets carry the same external_id; using the first created');
    return first ? ticketRef(first, zendeskHost(ctx.config)) : null;
  },

  async comment(ctx, id, body) {
    await update(ctx, id, body, false);
  },

  async resolve(ctx, id, note) {
    await update(ctx, id, note, true);
  },

  verifyInbound,

  parseInbound(c, req) {
    const parsed = zdInboundSchema.safeParse(jsonObject('zendesk', req.rawBody));
    if (!parsed.success) {
      const field = parsed.error.issues[0]?.path.join('.') || '(body)';
      throw new ValidationError(`zendesk inbound webhook: ${field}: ${parsed.error.issues[0]?.message ?? 'invalid'}`, { sink: 'zendesk', field });
    }
    return inboundEvent(parsed.data, c.collectedTag);
  },
};
