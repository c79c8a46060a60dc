/**
 * The Freshservice sink against an msw Freshservice: a ticket store, a Filter Tickets index that can lag behind
 * creates (as a search index does), List Tickets with `include=tags`, notes and status updates.
 */
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HttpError } from '../../src/errors.js';
import { createSinkCtx } from '../../src/sync/connector-ctx.js';
import type { Ctx, TicketDraft, TicketSink } from '../types.js';
import { fsAccessDenied, fsNote, fsTicket, fsValidationFailed } from './fixtures/freshservice-shapes.js';
import { configSchema, freshservice, type FreshserviceConfig } from './index.js';
import { keyTag } from './mapper.js';

const HOST = 'https://district.freshservice.com';
const KEY_SECRET = 'fs-APIKEY-a1b2c3d4e5f6';
const EMAIL = 'it-desk@district.org';
const SHARED = 'inbound-shared-secret-1234567890';
const NOW = new Date('2026-03-02T15:00:00Z');

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

const logLines: string[] = [];
const log = pino({ level: 'debug' }, { write: (s: string) => logLines.push(s) });

function ctxFor(extra: Record<string, unknown> = {}): Ctx<FreshserviceConfig> {
  const settings = configSchema.parse({ subdomain: 'district', email: EMAIL, apiToken: KEY_SECRET, ...extra });
  return createSinkCtx({ id: 'fs', kind: 'freshservice', sink: freshservice as TicketSink<unknown>, settings }, log, new AbortController().signal, () => NOW) as Ctx<FreshserviceConfig>;
}

const draft: TicketDraft = {
  title: 'Collect device 5CD1234XYZ from a withdrawn student',
  body: 'Student withdrew on 2026-02-27.\nStill holds Chromebook 5CD1234XYZ <asset A-1001>.',
  severity: 'high',
  rule: 'withdrawn-with-device',
  subjectKey: 'person:s-1001',
};
const KEY = 'withdrawn-with-device:person:s-1001:1';

class FakeFreshservice {
  tickets: (Record<string, unknown> & { id: number; tags: string[]; indexed: boolean; status: number })[] = [];
  creates: Record<string, unknown>[] = [];
  notes: { id: string; body: Record<string, unknown> }[] = [];
  puts: { id: string; body: Record<string, unknown> }[] = [];
  listQueries: URLSearchParams[] = [];
  /** New tickets reach the filter index only when true (a search index lags behind creates). */
  indexImmediately = true;
  loseNextResponse = false;
  nextId = 1042;

  handlers() {
    const auth = `Basic ${Buffer.from(`${KEY_SECRET}:X`).toString('base64')}`;
    return [
      http.post(`${HOST}/api/v2/tickets`, async ({ request }) => {
        expect(request.headers.get('authorization')).toBe(auth);
        const body = (await request.json()) as Record<string, unknown> & { tags: string[] };
        this.creates.push(body);
        const t = { ...fsTicket(this.nextId++, { subject: body.subject, priority: body.priority, tags: body.tags, created_at: NOW.toISOString(), updated_at: NOW.toISOString() }), indexed: this.indexImmediately } as FakeFreshservice['tickets'][number];
        this.tickets.push(t);
        if (this.loseNextResponse) {
          this.loseNextResponse = false;
          return HttpResponse.error();
        }
        const { indexed: _i, ...out } = t;
        return HttpResponse.json({ ticket: out }, { status: 201 });
      }),
      http.get(`${HOST}/api/v2/tickets/filter`, ({ request }) => {
        const q = new URL(request.url).searchParams.get('query') ?? '';
        const m = /^"tag:'([^']+)'"$/.exec(q);
        if (!m) return HttpResponse.json({ description: 'Validation failed', errors: [{ field: 'query', message: 'Invalid query', code: 'invalid_value' }] }, { status: 400 });
        // Filter answers leave tags out unless embedded.
        const hits = this.tickets.filter((t) => t.indexed && t.tags.includes(m[1]!)).map(({ indexed: _i, tags: _t, ...rest }) => rest);
        return HttpResponse.json({ tickets: hits, total: hits.length });
      }),
      http.get(`${HOST}/api/v2/tickets`, ({ request }) => {
        const q = new URL(request.url).searchParams;
        this.listQueries.push(q);
        const since = Date.parse(q.get('updated_since') ?? '1970-01-01T00:00:00Z');
        const withTags = q.get('include') === 'tags';
        const hits = this.tickets.filter((t) => Date.parse(String(t.updated_at)) >= since)
          .map(({ indexed: _i, tags, ...rest }) => (withTags ? { ...rest, tags } : rest));
        return HttpResponse.json({ tickets: hits });
      }),
      http.post(`${HOST}/api/v2/tickets/:id/notes`, async ({ params, request }) => {
        const body = (await request.json()) as Record<string, unknown>;
        this.notes.push({ id: String(params.id), body });
        return HttpResponse.json(fsNote(19000077001, String(body.body)), { status: 201 });
      }),
      http.put(`${HOST}/api/v2/tickets/:id`, async ({ params, request }) => {
        const body = (await request.json()) as { status: number };
        this.puts.push({ id: String(params.id), body });
        const t = this.tickets.find((x) => String(x.id) === params.id);
        if (!t) return HttpResponse.json({ code: 'access_denied', message: 'You are not authorized to perform this action.' }, { status: 404 });
        t.status = body.status;
        const { indexed: _i, ...out } = t;
        return HttpResponse.json({ ticket: out });
      }),
    ];
  }
}

let fs: FakeFreshservice;
beforeEach(() => {
  fs = new FakeFreshservice();
  server.use(...fs.handlers());
  logLines.length = 0;
});

async function failure(p: Promise<unknown>): Promise<HttpError> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  expect(e).toBeInstanceOf(HttpError);
  return e as HttpError;
}

describe('freshservice open / findByKey', () => {
  it('searches by the key tag, then creates with email, subject, HTML description, status 2, priority, source, tags', async () => {
    const ref = await freshservice.open(ctxFor({ groupId: 19000000555 }), draft, KEY);
    expect(ref).toEqual({ externalId: '1042', url: `${HOST}/helpdesk/tickets/1042` });
    expect(fs.creates).toEqual([{
      email: EMAIL,
      subject: draft.title,
      description: 'Student withdrew on 2026-02-27.<br>Still holds Chromebook 5CD1234XYZ &lt;asset A-1001&gt;.',
      status: 2,
      priority: 3,
      source: 2,
      tags: ['rollcall', 'rollcall-rule-withdrawn-with-device', keyTag(KEY)],
      group_id: 19000000555,
    }]);
    expect(keyTag(KEY)).toMatch(/^rollcall-k-[0-9a-f]{32}$/);
  });

  it('a second open with the same key returns the ticket the filter finds: one ticket', async () => {
    const a = await freshservice.open(ctxFor(), draft, KEY);
    const b = await freshservice.open(ctxFor(), draft, KEY);
    expect(b).toEqual(a);
    expect(fs.tickets).toHaveLength(1);
  });

  it('a lost create response while the filter index lags: the recent-tickets listing finds it, no duplicate', async () => {
    fs.indexImmediately = false;
    fs.loseNextResponse = true;
    // Another recent ticket of the desk, with other tags: not ours.
    fs.tickets.push({ ...fsTicket(900, { updated_at: '2026-03-02T14:50:00Z', tags: [keyTag('other:key:1')] }), indexed: true } as never);
    const lost = await failure(freshservice.open(ctxFor(), draft, KEY));
    expect(lost.retryable).toBe(true);
    expect(await freshservice.findByKey!(ctxFor(), KEY)).toEqual({ externalId: '1042', url: `${HOST}/helpdesk/tickets/1042` });
    const again = await freshservice.open(ctxFor(), draft, KEY);
    expect(again.externalId).toBe('1042');
    expect(fs.creates).toHaveLength(1);
    const q = fs.listQueries.at(-1)!;
    expect(Object.fromEntries(q)).toEqual({ email: EMAIL, updated_since: '2026-03-02T14:30:00Z', include: 'tags', per_page: '100' });
    expect(logLines.some((l) => l.includes('not yet in the filter index'))).toBe(true);
  });

  it('findByKey is null when neither the filter nor the recent listing has the key', async () => {
    expect(await freshservice.findByKey!(ctxFor(), KEY)).toBeNull();
  });
});

describe('freshservice comment / resolve', () => {
  it('resolve adds a private note (private: true) then sets status 4', async () => {
    const { externalId } = await freshservice.open(ctxFor(), draft, KEY);
    await freshservice.resolve(ctxFor(), externalId, 'Returned to the\nlibrary.');
    expect(fs.notes).toEqual([{ id: externalId, body: { body: 'Returned to the<br>library.', private: true } }]);
    expect(fs.puts).toEqual([{ id: externalId, body: { status: 4 } }]);
    expect(fs.tickets[0]!.status).toBe(4);
  });

  it('comment is a private note only', async () => {
    await freshservice.comment(ctxFor(), '1042', 'still open');
    expect(fs.notes).toEqual([{ id: '1042', body: { body: 'still open', private: true } }]);
    expect(fs.puts).toEqual([]);
  });
});

describe('freshservice errors', () => {
  it('429 retryable with Retry-After surfaced; 5xx retryable', async () => {
    server.use(http.get(`${HOST}/api/v2/tickets/filter`, () => HttpResponse.json({ message: 'You have exceeded the limit of requests per minute' }, { status: 429, headers: { 'retry-after': '45' } })));
    const e = await failure(freshservice.open(ctxFor(), draft, KEY));
    expect(e).toMatchObject({ retryable: true, httpStatus: 429 });
    expect(e.context.retryAfterMs).toBe(45_000);
    expect(fs.creates).toHaveLength(0);
    server.use(http.post(`${HOST}/api/v2/tickets/:id/notes`, () => new HttpResponse('Bad Gateway', { status: 502 })));
    expect(await failure(freshservice.comment(ctxFor(), '1', 'x'))).toMatchObject({ retryable: true, httpStatus: 502 });
  });

  it('400 validation is final with the vendor text, no e-mail address and no key', async () => {
    server.use(http.post(`${HOST}/api/v2/tickets`, () => HttpResponse.json(fsValidationFailed, { status: 400 })));
    const e = await failure(freshservice.open(ctxFor(), draft, KEY));
    expect(e.retryable).toBe(false);
    expect(e.message).toBe('freshservice: POST /api/v2/tickets answered 400: Validation failed (email: There is no contact matching the given email [email])');
    server.use(http.post(`${HOST}/api/v2/tickets/:id/notes`, () => HttpResponse.json(fsAccessDenied, { status: 403 })));
    const d = await failure(freshservice.comment(ctxFor(), '1', 'x'));
    expect(d.retryable).toBe(false);
    expect(d.message).toContain('access_denied You are not authorized');
    const all = JSON.stringify([e.message, e.context, d.message, d.context]) + logLines.join('');
    expect(all).not.toContain(KEY_SECRET);
    expect(all).not.toContain(Buffer.from(`${KEY_SECRET}:X`).toString('base64'));
  });
});

describe('freshservice inbound', () => {
  const cfg = configSchema.parse({ subdomain: 'district', email: EMAIL, apiToken: KEY_SECRET, inboundSecret: SHARED });

  it('accepts the shared secret (Bearer or X-Rollcall-Token) and refuses unsigned or wrong calls', () => {
    const rawBody = '{"ticket_id":"1042","status":"Resolved","tags":"rollcall,rollcall-collected"}';
    expect(freshservice.verifyInbound(cfg, { headers: { Authorization: `Bearer ${SHARED}` }, rawBody }, NOW)).toBe(true);
    expect(freshservice.verifyInbound(cfg, { headers: { 'X-Rollcall-Token': SHARED }, rawBody }, NOW)).toBe(true);
    expect(freshservice.verifyInbound(cfg, { headers: {}, rawBody }, NOW)).toBe(false);
    expect(freshservice.verifyInbound(cfg, { headers: { 'x-rollcall-token': SHARED.slice(0, -1) }, rawBody }, NOW)).toBe(false);
  });

  it('reads a resolved ticket tagged collected (or outcome: collected) as collected; display ids become numbers', () => {
    expect(freshservice.parseInbound(cfg, { headers: {}, rawBody: '{"ticket_id":"#INC-1042","status":"Resolved","tags":"rollcall, rollcall-collected"}' }))
      .toEqual({ externalId: '1042', idempotencyKey: null, status: 'Resolved', outcome: 'collected' });
    expect(freshservice.parseInbound(cfg, { headers: {}, rawBody: '{"ticket_id":1042,"status":5,"outcome":"collected"}' }).outcome).toBe('collected');
    expect(freshservice.parseInbound(cfg, { headers: {}, rawBody: '{"ticket_id":1042,"status":"Open","outcome":"collected"}' }).outcome).toBe('other');
    expect(freshservice.parseInbound(cfg, { headers: {}, rawBody: '{"ticket_id":1042,"status":"Closed","tags":"rollcall"}' }).outcome).toBe('other');
    expect(() => freshservice.parseInbound(cfg, { headers: {}, rawBody: '{"status":"Closed"}' })).toThrow(/ticket_id/);
  });
});
