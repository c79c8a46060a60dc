/**
 * The webhook-ticket sink against an msw receiver that verifies every message with the `standardwebhooks`
 * package (raw body, webhook-* headers) and dedupes `ticket.open` by the idempotency key, as the sink requires.
 */
import { randomBytes } from 'node:crypto';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { pino } from 'pino';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HttpError } from '../../src/errors.js';
import { createSinkCtx } from '../../src/sync/connector-ctx.js';
import type { Ctx, TicketDraft, TicketSink } from '../types.js';
import { configSchema, webhookTicket, type WebhookTicketConfig } from './index.js';

const URL_ = 'https://flows.district.org/rollcall/tickets';
const SECRET = `whsec_${randomBytes(32).toString('base64')}`;
const OLD = `whsec_${randomBytes(32).toString('base64')}`;
const SHARED = 'inbound-shared-secret-1234567890';

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());
const logLines: string[] = [];
const log = pino({ level: 'debug' }, { write: (s: string) => logLines.push(s) });

function ctxFor(extra: Record<string, unknown> = { secret: SECRET }): Ctx<WebhookTicketConfig> {
  const settings = configSchema.parse({ url: URL_, inboundSecret: SHARED, ...extra });
  return createSinkCtx({ id: 'flow', kind: 'webhook-ticket', sink: webhookTicket as TicketSink<unknown>, settings }, log, new AbortController().signal) as Ctx<WebhookTicketConfig>;
}

const draft: TicketDraft = {
  title: 'Collect device 5CD1234XYZ', body: 'Student withdrew.', severity: 'medium', rule: 'withdrawn-with-device',
  subjectKey: 'person:s-1001', deviceSerial: '5CD1234XYZ', assetTag: 'A-1001',
};
const KEY = 'withdrawn-with-device:person:s-1001:1';

interface Received { headers: Record<string, string>; raw: string; msg: { type: string; timestamp: string; data: Record<string, unknown> } }

/** A receiver that verifies with each given secret and keeps one ticket per idempotency key. */
class Receiver {
  got: Received[] = [];
  byKey = new Map<string, string>();
  answer = true;
  constructor(private verifyWith: string[]) {}
  handler() {
    return http.post(URL_, async ({ request }) => {
      const raw = await request.text();
      const headers = Object.fromEntries(request.headers.entries());
      for (const s of this.verifyWith) new Webhook(s).verify(raw, headers);
      const msg = JSON.parse(raw) as Received['msg'];
      this.got.push({ headers, raw, msg });
      if (msg.type !== 'ticket.open') return new HttpResponse(null, { status: 204 });
      const key = String(msg.data.idempotencyKey);
      if (!this.byKey.has(key)) this.byKey.set(key, `SN-${1000 + this.byKey.size}`);
      const id = this.byKey.get(key)!;
      return this.answer ? HttpResponse.json({ externalId: id, url: `https://district.service-now.com/incident/${id}` }, { status: 201 }) : new HttpResponse('accepted', { status: 202 });
    });
  }
}

let rx: Receiver;
beforeEach(() => {
  rx = new Receiver([SECRET]);
  server.use(rx.handler());
  logLines.length = 0;
});
async function failure(p: Promise<unknown>): Promise<HttpError> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  expect(e).toBeInstanceOf(HttpError);
  return e as HttpError;
}

describe('webhook-ticket outbound', () => {
  it('open posts a signed {type, timestamp, data} with the key as data.idempotencyKey and webhook-id', async () => {
    const ref = await webhookTicket.open(ctxFor(), draft, KEY);
    expect(ref).toEqual({ externalId: 'SN-1000', url: 'https://district.service-now.com/incident/SN-1000' });
    const m = rx.got[0]!;
    expect(m.headers['webhook-id']).toBe(KEY);
    expect(m.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/=]+$/);
    expect(m.msg).toMatchObject({ type: 'ticket.open', data: { idempotencyKey: KEY, title: draft.title, deviceSerial: '5CD1234XYZ', assetTag: 'A-1001', requesterEmail: null } });
  });

  it('a re-sent open (after a crash) carries the same webhook-id and the receiver answers the same ticket', async () => {
    const a = await webhookTicket.open(ctxFor(), draft, KEY);
    const b = await webhookTicket.open(ctxFor(), draft, KEY);
    expect(b).toEqual(a);
    expect(rx.got.map((g) => g.headers['webhook-id'])).toEqual([KEY, KEY]);
    expect(rx.byKey.size).toBe(1);
    expect(webhookTicket.findByKey).toBeUndefined();
    expect(webhookTicket.dedupe).toBe('receiver');
  });

  it('a receiver that answers no id: the key names the ticket', async () => {
    rx.answer = false;
    expect(await webhookTicket.open(ctxFor(), draft, KEY)).toEqual({ externalId: KEY });
  });

  it('signs with every secret during a rotation; each verifies alone', async () => {
    rx = new Receiver([SECRET, OLD]);
    server.use(rx.handler());
    await webhookTicket.resolve(ctxFor({ secrets: [SECRET, OLD] }), 'SN-1000', 'Returned.');
    const m = rx.got[0]!;
    expect(m.headers['webhook-signature']!.split(' ')).toHaveLength(2);
    expect(m.msg).toMatchObject({ type: 'ticket.resolve', data: { externalId: 'SN-1000', note: 'Returned.', private: true } });
  });

  it('a tampered body or a wrong secret fails standardwebhooks verification', async () => {
    await webhookTicket.comment(ctxFor(), 'SN-1000', 'first');
    const m = rx.got[0]!;
    expect(() => new Webhook(SECRET).verify(m.raw.replace('first', 'fir5t'), m.headers)).toThrow(WebhookVerificationError);
    expect(() => new Webhook(OLD).verify(m.raw, m.headers)).toThrow(WebhookVerificationError);
    expect(m.msg.data).toEqual({ externalId: 'SN-1000', body: 'first', private: true });
    await webhookTicket.comment(ctxFor(), 'SN-1000', 'first');
    expect(rx.got[1]!.headers['webhook-id']).toBe(m.headers['webhook-id']);
  });

  it('429 (Retry-After) and 503 are retryable, 400 is final; no secret in the error', async () => {
    server.use(http.post(URL_, () => new HttpResponse('slow down', { status: 429, headers: { 'retry-after': '10' } })));
    const a = await failure(webhookTicket.open(ctxFor(), draft, KEY));
    expect(a).toMatchObject({ retryable: true, httpStatus: 429 });
    expect(a.context.retryAfterMs).toBe(10_000);
    server.use(http.post(URL_, () => new HttpResponse('down', { status: 503 })));
    expect(await failure(webhookTicket.open(ctxFor(), draft, KEY))).toMatchObject({ retryable: true, httpStatus: 503 });
    server.use(http.post(URL_, () => new HttpResponse(`bad payload; secret was ${SECRET}`, { status: 400 })));
    const c = await failure(webhookTicket.open(ctxFor(), draft, KEY));
    expect(c.retryable).toBe(false);
    expect(c.message).toContain('answered 400: bad payload; secret was [redacted]');
    expect(JSON.stringify([c.message, c.context]) + logLines.join('')).not.toContain(SECRET.slice(6));
  });

  it('config: one of secret or secrets, whsec_ format, https unless allowInsecure', () => {
    expect(configSchema.safeParse({ url: URL_ }).success).toBe(false);
    expect(configSchema.safeParse({ url: URL_, secret: 'plain' }).success).toBe(false);
    expect(configSchema.safeParse({ url: 'http://127.0.0.1:9000/t', secret: SECRET }).success).toBe(false);
    expect(configSchema.safeParse({ url: 'http://127.0.0.1:9000/t', secret: SECRET, allowInsecure: true }).success).toBe(true);
  });
});

describe('webhook-ticket inbound', () => {
  const cfg = configSchema.parse({ url: URL_, secret: SECRET, inboundSecret: SHARED });
  const body = JSON.stringify({ type: 'ticket.closed', timestamp: new Date().toISOString(), data: { externalId: 'SN-1000', idempotencyKey: KEY, status: 'Closed', outcome: 'collected' } });
  const signed = (raw: string, secret = SECRET) => {
    const id = 'msg_inbound_1';
    const now = new Date();
    return { 'webhook-id': id, 'webhook-timestamp': String(Math.floor(now.getTime() / 1000)), 'webhook-signature': new Webhook(secret).sign(id, now, raw) };
  };

  it('accepts a Standard Webhooks signature or the shared secret; rejects unsigned, tampered and wrong-key calls', () => {
    const now = new Date();
    expect(webhookTicket.verifyInbound(cfg, { headers: signed(body), rawBody: body }, now)).toBe(true);
    expect(webhookTicket.verifyInbound(cfg, { headers: signed(body), rawBody: body.replace('SN-1000', 'SN-1001') }, now)).toBe(false);
    expect(webhookTicket.verifyInbound(cfg, { headers: signed(body, OLD), rawBody: body }, now)).toBe(false);
    expect(webhookTicket.verifyInbound(cfg, { headers: {}, rawBody: body }, now)).toBe(false);
    expect(webhookTicket.verifyInbound(cfg, { headers: { 'x-rollcall-token': SHARED }, rawBody: body }, now)).toBe(true);
  });

  it('reads the enveloped or flat callback', () => {
    expect(webhookTicket.parseInbound(cfg, { headers: {}, rawBody: body })).toEqual({ externalId: 'SN-1000', idempotencyKey: KEY, status: 'Closed', outcome: 'collected' });
    expect(webhookTicket.parseInbound(cfg, { headers: {}, rawBody: '{"externalId":7,"status":"In Progress","outcome":"collected"}' }))
      .toEqual({ externalId: '7', idempotencyKey: null, status: 'In Progress', outcome: 'other' });
    expect(() => webhookTicket.parseInbound(cfg, { headers: {}, rawBody: '{"status":"Closed"}' })).toThrow(/externalId/);
  });
});
