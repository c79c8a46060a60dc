/**
 * `webhook-ticket`: any other desk (ServiceNow, Jira Service Management behind a flow) through one signed JSON
 * POST per action — `ticket.open`, `ticket.comment`, `ticket.resolve` — signed with Standard Webhooks (the
 * `standardwebhooks` package; one `v1` signature per secret during a rotation).
 *
 * Dedupe is the receiver's: rollcall cannot look a ticket up on a system it only posts to, so there is no
 * `findByKey`. After a crash between the POST and the local commit the delivery worker sends `ticket.open` again
 * with the same idempotency key, carried as `data.idempotencyKey` and as the `webhook-id` header; the receiver
 * must answer the ticket it already made for that key. Its 2xx answer may carry `{externalId, url}`; without one
 * the idempotency key itself names the ticket.
 *
 * Inbound: the receiver's callback, signed with Standard Webhooks by one of the same secrets (or carrying the
 * shared `inboundSecret`).
 */
import { Webhook } from 'standardwebhooks';
import { z } from 'zod';
import { ValidationError } from '../shared/errors.js';
import { header, jsonObject, sharedSecretOk } from '../shared/inbound.js';
import { deskKeys } from '../shared/sink-config.js';
import type { SinkHttp } from '../shared/sink-http.js';
import type { Ctx, HttpNeeds, InboundRequest, TicketSink } from '../types.js';
import { inboundSchema, openAnswerSchema, type TicketMessage } from './api-types.js';
import { receiverErrorText, send } from './client.js';
import { inboundEvent, openMessage } from './mapper.js';

const whsec = z.string().regex(/^whsec_[A-Za-z0-9+/=]{16,}$/, 'expected a Standard Webhooks secret, whsec_ followed by base64');

export const configSchema = z.strictObject({
  allowInsecure: deskKeys.allowInsecure,
  allowPrivateNetwork: deskKeys.allowPrivateNetwork,
  inboundSecret: deskKeys.inboundSecret,
  /** Where the signed POSTs go. */
  url: z.string().url(),
  /** `whsec_…` (`secretFile:` reads it); during a rotation give `secrets: [new, old]` instead. */
  secret: whsec.optional(),
  secrets: z.array(whsec).min(1).optional(),
  /** The receiver should answer fast; Standard Webhooks recommends 15–30 s. */
  timeoutSeconds: z.number().int().min(1).max(30).default(15),
}).superRefine((c, ctx) => {
  if (!c.secret === !c.secrets) ctx.addIssue({ code: 'custom', path: ['secret'], message: 'give exactly one of secret, secretFile or secrets' });
  if (!c.allowInsecure && !c.url.startsWith('https://')) {
    ctx.addIssue({ code: 'custom', path: ['url'], message: 'an http:// url is refused (ticket text names students); set allowInsecure: true for a local receiver' });
  }
});
export type WebhookTicketConfig = z.infer<typeof configSchema>;

const secretsOf = (c: WebhookTicketConfig): string[] => c.secrets ?? (c.secret ? [c.secret] : []);

function http(c: WebhookTicketConfig): HttpNeeds {
  return {
    baseUrl: new URL(c.url).origin,
    concurrency: 4,
    timeoutMs: c.timeoutSeconds * 1000,
    allowInsecure: c.allowInsecure,
    allowPrivateNetwork: c.allowPrivateNetwork,
  };
}

function sinkHttp(ctx: Ctx<WebhookTicketConfig>): SinkHttp {
  return {
    name: 'webhook-ticket', http: ctx.http, signal: ctx.signal, now: ctx.now,
    secrets: [...secretsOf(ctx.config), ...secretsOf(ctx.config).map((s) => s.slice('whsec_'.length)), ctx.config.inboundSecret ?? ''],
    errorText: receiverErrorText,
  };
}

async function post(ctx: Ctx<WebhookTicketConfig>, m: TicketMessage) {
  return send(sinkHttp(ctx), ctx.config.url, secretsOf(ctx.config), m);
}

function signedByUs(c: WebhookTicketConfig, req: InboundRequest): boolean {
  const h = { 'webhook-id': header(req, 'webhook-id') ?? '', 'webhook-timestamp': header(req, 'webhook-timestamp') ?? '', 'webhook-signature': header(req, 'webhook-signature') ?? '' };
  if (!h['webhook-id'] || !h['webhook-timestamp'] || !h['webhook-signature']) return false;
  for (const s of secretsOf(c)) {
    try {
      new Webhook(s).verify(req.rawBody, h);
      return true;
    } catch {
      // next secret (a rotation), then the shared secret
    }
  }
  return false;
}

export const webhookTicket: TicketSink<WebhookTicketConfig> = {
  kind: 'webhook-ticket',
  configSchema,
  dedupe: 'receiver',
  http,

  async check(ctx) {
    // Nothing to ask a receiver without making a ticket: check the configuration only.
    return { ok: true, message: `webhook-ticket: will POST signed messages to ${new URL(ctx.config.url).origin} with ${secretsOf(ctx.config).length} secret(s)` };
  },

  async open(ctx, draft, key) {
    const res = await post(ctx, openMessage(draft, key, ctx.now()));
    let answer: z.infer<typeof openAnswerSchema> = {};
    try {
      const parsed = openAnswerSchema.safeParse(res.body ? JSON.parse(res.body) : {});
      if (parsed.success) answer = parsed.data;
    } catch {
      // a non-JSON 2xx is a plain acknowledgement
    }
    return { externalId: answer.externalId === undefined ? key : String(answer.externalId), ...(answer.url ? { url: answer.url } : {}) };
  },

  async comment(ctx, externalId, body) {
    await post(ctx, { type: 'ticket.comment', timestamp: ctx.now().toISOString(), data: { externalId, body, private: true } });
  },

  async resolve(ctx, externalId, note) {
    await post(ctx, { type: 'ticket.resolve', timestamp: ctx.now().toISOString(), data: { externalId, note, private: true } });
  },

  verifyInbound(c, req) {
    const signed = signedByUs(c, req);
    const shared = sharedSecretOk(req, c.inboundSecret);
    return signed || shared;
  },

  parseInbound(_c, req) {
    const obj = jsonObject('webhook-ticket', req.rawBody);
    const data = obj.data && typeof obj.data === 'object' && !Array.isArray(obj.data) ? obj.data : obj;
    const parsed = inboundSchema.safeParse(data);
    if (!parsed.success) {
      const field = parsed.error.issues[0]?.path.join('.') || '(body)';
      throw new ValidationError(`webhook-ticket inbound webhook: ${field}: ${parsed.error.issues[0]?.message ?? 'invalid'}`, { sink: 'webhook-ticket', field });
    }
    return inboundEvent(parsed.data);
  },
};
