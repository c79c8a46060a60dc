/**
 * The Zendesk sink against an msw Zendesk that keeps tickets, honours Idempotency-Key the way the API documents it
 * (a replay answers the same ticket with `x-idempotency-lookup: hit`, other parameters under the same key → 400),
 * and filters `GET /api/v2/tickets?external_id=`. Calls go through the real shared HTTP helper (createSinkCtx).
 */
import { createHmac } from 'node:crypto';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HttpError } from '../../src/errors.js';
import { createSinkCtx } from '../../src/sync/connector-ctx.js';
import type { Ctx, TicketDraft, TicketSink } from '../types.js';
import {
  zdClosedPrevents, zdCouldNotAuthenticate, zdIdempotencyMismatch, zdList, zdMeAgent, zdMeAnonymous, zdRecordInvalid, zdTicket,
} from './fixtures/zendesk-shapes.js';
import { configSchema, zendesk, type ZendeskConfig } from './index.js';

const HOST = 'https://district.zendesk.com';
const TOKEN = 'zd-TOKEN-6f1e2d3c4b5a';
const EMAIL = 'it-desk@district.org';
const SIGNING = 'zd-signing-secret-0a9b8c7d6e5f';
const SHARED = 'inbound-shared-secret-1234567890';

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

const logLines: string[] = [];
const log = pino({ level: 'debug' }, { write: (s: string) => logLines.push(s) });

function ctxFor(extra: Record<string, unknown> = {}): Ctx<ZendeskConfig> {
  const settings = configSchema.parse({ subdomain: 'district', email: EMAIL, apiToken: TOKEN, groupId: 360000000001, ...extra });
  return createSinkCtx({ id: 'desk', kind: 'zendesk', sink: zendesk as TicketSink<unknown>, settings }, log, new AbortController().signal) as Ctx<ZendeskConfig>;
}

const draft: TicketDraft = {
  title: 'Collect device 5CD1234XYZ from a withdrawn student',
  body: 'Student withdrew on 2026-02-27 and still holds Chromebook 5CD1234XYZ (asset A-1001). Collect it.',
  severity: 'high',
  rule: 'withdrawn-with-device',
  subjectKey: 'person:s-1001',
  deviceSerial: '5CD1234XYZ',
};
const KEY = 'withdrawn-with-device:person:s-1001:1';

/** A Zendesk with a ticket store, idempotency keys, and a log of request bodies. */
class FakeZendesk {
  tickets: Record<string, unknown>[] = [];
  keys = new Map<string, { params: string; id: number }>();
  posts: { headers: Headers; body: Record<string, unknown> }[] = [];
  puts: { id: string; body: Record<string, unknown> }[] = [];
  nextId = 35436;
  /** When set, the next create is applied but its response is lost (the socket drops). */
  loseNextResponse = false;

  handlers() {
    return [
      http.post(`${HOST}/api/v2/tickets`, async ({ request }) => {
        expect(request.headers.get('authorization')).toBe(`Basic ${Buffer.from(`${EMAIL}/token:${TOKEN}`).toString('base64')}`);
        const text = await request.text();
        const body = JSON.parse(text) as { ticket: Record<string, unknown> };
        this.posts.push({ headers: request.headers, body });
        const key = request.headers.get('idempotency-key');
        const seen = key ? this.keys.get(key) : undefined;
        if (seen && seen.params !== text) return HttpResponse.json(zdIdempotencyMismatch, { status: 400 });
        if (seen) {
          const t = this.tickets.find((x) => x.id === seen.id)!;
          return HttpResponse.json({ ticket: t }, { status: 201, headers: { 'x-idempotency-lookup': 'hit' } });
        }
        const id = this.nextId++;
        const t = zdTicket(HOST, id, { external_id: body.ticket.external_id, tags: body.ticket.tags, subject: body.ticket.subject, priority: body.ticket.priority });
        this.tickets.push(t);
        if (key) this.keys.set(key, { params: text, id });
        if (this.loseNextResponse) {
          this.loseNextResponse = false;
          return HttpResponse.error();
        }
        return HttpResponse.json({ ticket: t }, { status: 201, headers: { 'x-idempotency-lookup': 'miss', location: `${HOST}/api/v2/tickets/${id}.json` } });
      }),
      http.get(`${HOST}/api/v2/tickets`, ({ request }) => {
        const ext = new URL(request.url).searchParams.get('external_id');
        return HttpResponse.json(zdList(this.tickets.filter((t) => ext === null || t.external_id === ext)), {
          headers: { 'x-rate-limit': '700', 'x-rate-limit-remaining': '699' },
        });
      }),
      http.get(`${HOST}/api/v2/tickets/:id`, ({ params }) => {
        const t = this.tickets.find((x) => String(x.id) === params.id);
        return t ? HttpResponse.json({ ticket: t }) : HttpResponse.json({ error: 'RecordNotFound', description: 'Not found' }, { status: 404 });
      }),
      http.put(`${HOST}/api/v2/tickets/:id`, async ({ params, request }) => {
        const body = (await request.json()) as { ticket: { status?: string } };
        this.puts.push({ id: String(params.id), body });
        const t = this.tickets.find((x) => String(x.id) === params.id);
        if (!t) return HttpResponse.json({ error: 'RecordNotFound', description: 'Not found' }, { status: 404 });
        if (t.status === 'closed') return HttpResponse.json(zdClosedPrevents, { status: 422 });
        if (body.ticket.status) t.status = body.ticket.status;
        return HttpResponse.json({ ticket: t, audit: { id: 1, ticket_id: t.id, events: [] } });
      }),
    ];
  }
}

let zd: FakeZendesk;
beforeEach(() => {
  zd = new FakeZendesk();
  server.use(...zd.handlers());
  logLines.length = 0;
});

async function failure(p: Promise<unknown>): Promise<HttpError> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  expect(e).toBeInstanceOf(HttpError);
  return e as HttpError;
}

describe('zendesk open / findByKey', () => {
  it('creates with Idempotency-Key and external_id = our key, tags, a private first comment, and the agent URL', async () => {
    const ref = await zendesk.open(ctxFor(), draft, KEY);
    expect(ref).toEqual({ externalId: '35436', url: `${HOST}/agent/tickets/35436` });
    expect(zd.posts).toHaveLength(1);
    expect(zd.posts[0]!.headers.get('idempotency-key')).toBe(KEY);
    expect(zd.posts[0]!.body).toEqual({
      ticket: {
        subject: draft.title,
        comment: { body: draft.body, public: false },
        external_id: KEY,
        tags: ['rollcall', 'rollcall_rule_withdrawn-with-device'],
        priority: 'high',
        group_id: 360000000001,
      },
    });
  });

  it('a replayed key answers the same ticket (x-idempotency-lookup: hit): one ticket', async () => {
    const a = await zendesk.open(ctxFor(), draft, KEY);
    const b = await zendesk.open(ctxFor(), draft, KEY);
    expect(b.externalId).toBe(a.externalId);
    expect(zd.tickets).toHaveLength(1);
    expect(logLines.some((l) => l.includes('idempotency key replayed'))).toBe(true);
  });

  it('after a lost create response, findByKey finds the ticket by external_id and no second ticket is made', async () => {
    zd.loseNextResponse = true;
    const lost = await failure(zendesk.open(ctxFor(), draft, KEY));
    expect(lost.code).toBe('http_network');
    expect(lost.retryable).toBe(true);
    expect(zd.tickets).toHaveLength(1);
    const found = await zendesk.findByKey!(ctxFor(), KEY);
    expect(found).toEqual({ externalId: '35436', url: `${HOST}/agent/tickets/35436` });
    expect(await zendesk.findByKey!(ctxFor(), 'withdrawn-with-device:person:s-1001:2')).toBeNull();
    expect(zd.tickets).toHaveLength(1);
  });

  it('several tickets with one external_id (Zendesk does not enforce uniqueness): the first created', async () => {
    zd.tickets.push(zdTicket(HOST, 50, { external_id: KEY }), zdTicket(HOST, 42, { external_id: KEY }), zdTicket(HOST, 7, { external_id: 'other' }));
    expect((await zendesk.findByKey!(ctxFor(), KEY))?.externalId).toBe('42');
  });

  it('reusing a key with other parameters is a final 400 with Zendesk\'s text', async () => {
    await zendesk.open(ctxFor(), draft, KEY);
    const e = await failure(zendesk.open(ctxFor(), { ...draft, title: 'changed' }, KEY));
    expect(e.retryable).toBe(false);
    expect(e.httpStatus).toBe(400);
    expect(e.message).toContain("IdempotentRequestError Request parameters don't match the given idempotency key");
  });
});

describe('zendesk comment / resolve', () => {
  it('resolve sends a private comment with public:false set explicitly and status solved', async () => {
    const { externalId } = await zendesk.open(ctxFor(), draft, KEY);
    await zendesk.resolve(ctxFor(), externalId, 'The device was returned; closing.');
    expect(zd.puts).toEqual([{ id: externalId, body: { ticket: { comment: { body: 'The device was returned; closing.', public: false }, status: 'solved' } } }]);
    expect(Object.hasOwn((zd.puts[0]!.body.ticket as { comment: object }).comment, 'public')).toBe(true);
    expect(zd.tickets[0]!.status).toBe('solved');
  });

  it('comment is private and leaves the status alone', async () => {
    const { externalId } = await zendesk.open(ctxFor(), draft, KEY);
    await zendesk.comment(ctxFor(), externalId, 'Still unresolved after 7 days.');
    expect(zd.puts[0]!.body).toEqual({ ticket: { comment: { body: 'Still unresolved after 7 days.', public: false } } });
    expect(zd.tickets[0]!.status).toBe('new');
  });

  it('a ticket a technician already closed (422 "closed prevents ticket update") counts as resolved', async () => {
    zd.tickets.push(zdTicket(HOST, 99, { status: 'closed', external_id: KEY }));
    await zendesk.resolve(ctxFor(), '99', 'note');
    expect(zd.puts).toHaveLength(1);
  });

  it('a comment on a closed ticket is a final 422 with the vendor text', async () => {
    zd.tickets.push(zdTicket(HOST, 99, { status: 'closed' }));
    const e = await failure(zendesk.comment(ctxFor(), '99', 'note'));
    expect(e.retryable).toBe(false);
    expect(e.message).toContain('Status: closed prevents ticket update');
  });
});

describe('zendesk errors', () => {
  it('429 is retryable and surfaces Retry-After in context.retryAfterMs', async () => {
    server.use(http.post(`${HOST}/api/v2/tickets`, () => new HttpResponse('Too Many Requests', { status: 429, headers: { 'retry-after': '37' } })));
    const e = await failure(zendesk.open(ctxFor(), draft, KEY));
    expect(e.retryable).toBe(true);
    expect(e.httpStatus).toBe(429);
    expect(e.context.retryAfterMs).toBe(37_000);
  });

  it('5xx is retryable (one attempt: the delivery worker owns the schedule)', async () => {
    let calls = 0;
    server.use(http.put(`${HOST}/api/v2/tickets/:id`, () => {
      calls++;
      return HttpResponse.json({ error: 'ServiceUnavailable' }, { status: 503 });
    }));
    const e = await failure(zendesk.resolve(ctxFor(), '1', 'note'));
    expect(e.retryable).toBe(true);
    expect(e.httpStatus).toBe(503);
    expect(calls).toBe(1);
  });

  it('422 is final, keeps Zendesk\'s text, and names neither the token nor an e-mail address', async () => {
    server.use(http.post(`${HOST}/api/v2/tickets`, () => HttpResponse.json(zdRecordInvalid, { status: 422 })));
    const e = await failure(zendesk.open(ctxFor(), draft, KEY));
    expect(e.retryable).toBe(false);
    expect(e.message).toBe('zendesk: POST /api/v2/tickets answered 422: RecordInvalid Record validation errors (requester: Requester: Email is not properly formatted ([email]))');
    expect(JSON.stringify({ m: e.message, c: e.context })).not.toContain(EMAIL);
  });

  it('401 is final and the message carries no credential', async () => {
    server.use(http.post(`${HOST}/api/v2/tickets`, () => HttpResponse.json(zdCouldNotAuthenticate, { status: 401 })));
    const e = await failure(zendesk.open(ctxFor(), draft, KEY));
    expect(e.retryable).toBe(false);
    expect(e.message).toContain("Couldn't authenticate you");
    const all = JSON.stringify({ m: e.message, c: e.context }) + logLines.join('');
    expect(all).not.toContain(TOKEN);
    expect(all).not.toContain(Buffer.from(`${EMAIL}/token:${TOKEN}`).toString('base64'));
  });

  it('check: an agent passes, an anonymous user (credentials refused) fails', async () => {
    server.use(http.get(`${HOST}/api/v2/users/me`, () => HttpResponse.json(zdMeAgent)));
    expect((await zendesk.check(ctxFor())).ok).toBe(true);
    server.use(http.get(`${HOST}/api/v2/users/me`, () => HttpResponse.json(zdMeAnonymous)));
    expect(await zendesk.check(ctxFor())).toMatchObject({ ok: false, message: expect.stringContaining('anonymous') });
  });
});

describe('zendesk inbound', () => {
  const body = JSON.stringify({ ticket_id: '35436', external_id: KEY, status: 'Solved', tags: 'rollcall rollcall_collected' });
  const now = new Date('2026-03-02T15:00:00Z');
  const ts = '2026-03-02T14:59:30Z';
  const sign = (b: string, t = ts, secret = SIGNING) => createHmac('sha256', secret).update(t + b).digest('base64');
  const cfg = configSchema.parse({ subdomain: 'district', email: EMAIL, apiToken: TOKEN, inboundSigningSecret: SIGNING, inboundSecret: SHARED });

  it('accepts the Zendesk signature and rejects unsigned, tampered, wrong-secret and stale calls', () => {
    const ok = { 'X-Zendesk-Webhook-Signature': sign(body), 'X-Zendesk-Webhook-Signature-Timestamp': ts };
    expect(zendesk.verifyInbound(cfg, { headers: ok, rawBody: body }, now)).toBe(true);
    expect(zendesk.verifyInbound(cfg, { headers: {}, rawBody: body }, now)).toBe(false);
    expect(zendesk.verifyInbound(cfg, { headers: ok, rawBody: body.replace('Solved', 'Closed') }, now)).toBe(false);
    expect(zendesk.verifyInbound(cfg, { headers: { ...ok, 'X-Zendesk-Webhook-Signature': sign(body, ts, 'other-secret') }, rawBody: body }, now)).toBe(false);
    const old = '2026-03-02T14:30:00Z';
    expect(zendesk.verifyInbound(cfg, { headers: { 'x-zendesk-webhook-signature': sign(body, old), 'x-zendesk-webhook-signature-timestamp': old }, rawBody: body }, now)).toBe(false);
  });

  it('accepts the shared secret as a bearer token, refuses a wrong one, and refuses everything with no secret configured', () => {
    expect(zendesk.verifyInbound(cfg, { headers: { authorization: `Bearer ${SHARED}` }, rawBody: body }, now)).toBe(true);
    expect(zendesk.verifyInbound(cfg, { headers: { authorization: `Bearer ${SHARED}x` }, rawBody: body }, now)).toBe(false);
    const none = configSchema.parse({ subdomain: 'district', email: EMAIL, apiToken: TOKEN });
    expect(zendesk.verifyInbound(none, { headers: { authorization: 'Bearer ' }, rawBody: body }, now)).toBe(false);
  });

  it('reads a solved ticket tagged rollcall_collected as collected; other closes are "other"', () => {
    expect(zendesk.parseInbound(cfg, { headers: {}, rawBody: body })).toEqual({ externalId: '35436', idempotencyKey: KEY, status: 'Solved', outcome: 'collected' });
    const untagged = JSON.stringify({ ticket_id: 35436, external_id: '', status: 'solved', tags: 'rollcall' });
    expect(zendesk.parseInbound(cfg, { headers: {}, rawBody: untagged })).toEqual({ externalId: '35436', idempotencyKey: null, status: 'solved', outcome: 'other' });
    const open = JSON.stringify({ ticket_id: '1', status: 'Open', tags: ['rollcall_collected'] });
    expect(zendesk.parseInbound(cfg, { headers: {}, rawBody: open }).outcome).toBe('other');
    expect(() => zendesk.parseInbound(cfg, { headers: {}, rawBody: '{"status":"solved"}' })).toThrow(/ticket_id/);
    expect(() => zendesk.parseInbound(cfg, { headers: {}, rawBody: 'not json' })).toThrow(/not JSON/);
  });
});

describe('zendesk config', () => {
  it('needs exactly one of subdomain or baseUrl, and refuses http:// unless allowInsecure', () => {
    expect(configSchema.safeParse({ email: EMAIL, apiToken: TOKEN }).success).toBe(false);
    expect(configSchema.safeParse({ subdomain: 'a', baseUrl: 'https://x.test', email: EMAIL, apiToken: TOKEN }).success).toBe(false);
    expect(configSchema.safeParse({ subdomain: 'evil.com/x', email: EMAIL, apiToken: TOKEN }).success).toBe(false);
    expect(configSchema.safeParse({ baseUrl: 'http://127.0.0.1:8080', email: EMAIL, apiToken: TOKEN }).success).toBe(false);
    const ok = configSchema.parse({ baseUrl: 'http://127.0.0.1:8080/', email: EMAIL, apiToken: TOKEN, allowInsecure: true, allowPrivateNetwork: true });
    const needs = zendesk.http(ok, { fetch, log, now: () => new Date() });
    expect(needs).toMatchObject({ baseUrl: 'http://127.0.0.1:8080', allowInsecure: true, allowPrivateNetwork: true });
  });
});
