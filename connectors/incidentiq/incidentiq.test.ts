/** The Incident IQ sink against an msw iiQ that keeps assets and tickets the way the API documents them. */
import { randomUUID } from 'node:crypto';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HttpError } from '../../src/errors.js';
import { createSinkCtx } from '../../src/sync/connector-ctx.js';
import type { Ctx, TicketDraft, TicketSink } from '../types.js';
import { iiqAction, iiqAsset, iiqAssetList, iiqBadRequest, iiqCreated, iiqTicket, iiqTicketList } from './fixtures/iiq-shapes.js';
import { configSchema, incidentiq, type IncidentIqConfig } from './index.js';
import { keyMarker } from './mapper.js';

const API = 'https://district.incidentiq.com/api/v1.0';
const TOKEN = 'eyJhbGciOiJIUzI1NiJ9.iiq-TOKEN.sig123';
const SITE = 'bb6cece8-e4f4-e511-a789-005056bb000e';
const FOR = 'e37a604a-2243-e611-a93b-a45e60e682da';
const ISSUE = '11111111-2222-4333-8444-555555555555';
const ISSUE_COLLECT = '66666666-7777-4888-8999-aaaaaaaaaaaa';
const LOC = '7d7b1d2a-0c4b-e711-80c2-0004ffa00050';
const LOC_HS = '9e9b1d2a-0c4b-e711-80c2-0004ffa00051';
const SHARED = 'inbound-shared-secret-1234567890';
const NOW = new Date('2026-03-02T15:00:00Z');

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());
const logLines: string[] = [];
const log = pino({ level: 'debug' }, { write: (s: string) => logLines.push(s) });

const settings = (extra: Record<string, unknown> = {}) => configSchema.parse({
  site: 'district', apiToken: TOKEN, siteId: SITE, forId: FOR, issueId: ISSUE, issues: { 'withdrawn-with-device': ISSUE_COLLECT },
  locationId: LOC, locations: { 'school-hs': LOC_HS }, inboundSecret: SHARED, ...extra,
});
function ctxFor(extra: Record<string, unknown> = {}): Ctx<IncidentIqConfig> {
  return createSinkCtx({ id: 'iiq', kind: 'incidentiq', sink: incidentiq as TicketSink<unknown>, settings: settings(extra) }, log, new AbortController().signal, () => NOW) as Ctx<IncidentIqConfig>;
}

const draft: TicketDraft = {
  title: 'Collect device 5CD1234XYZ', body: 'Student withdrew on 2026-02-27.', severity: 'high',
  rule: 'withdrawn-with-device', subjectKey: 'person:s-1001', deviceSerial: '5cd1234xyz', schoolExternalId: 'school-hs',
};
const KEY = 'withdrawn-with-device:person:s-1001:1';

class FakeIiq {
  assets: Record<string, unknown>[] = [];
  tickets: Record<string, unknown>[] = [];
  creates: Record<string, unknown>[] = [];
  activities: { id: string; body: Record<string, unknown> }[] = [];
  closes: { id: string; body: Record<string, unknown> }[] = [];
  serialLookups: string[] = [];
  loseNextResponse = false;
  handlers() {
    const checkHeaders = (r: Request) => {
      expect(r.headers.get('authorization')).toBe(`Bearer ${TOKEN}`);
      expect(r.headers.get('siteid')).toBe(SITE);
      expect(r.headers.get('client')).toBe('ApiClient');
    };
    return [
      http.get(`${API}/assets/serial/:serial`, ({ params, request }) => {
        checkHeaders(request);
        this.serialLookups.push(String(params.serial));
        const want = String(params.serial).toUpperCase();
        return HttpResponse.json(iiqAssetList(this.assets.filter((a) => String(a.SerialNumber).toUpperCase() === want)));
      }),
      http.post(`${API}/tickets/new`, async ({ request }) => {
        checkHeaders(request);
        const body = (await request.json()) as Record<string, unknown>;
        this.creates.push(body);
        const id = randomUUID();
        const t = iiqTicket(id, String(body.Subject), NOW.toISOString().replace('Z', ''));
        this.tickets.unshift(t);
        if (this.loseNextResponse) {
          this.loseNextResponse = false;
          return HttpResponse.error();
        }
        return HttpResponse.json(iiqCreated(id, t));
      }),
      http.post(`${API}/tickets`, async ({ request }) => {
        checkHeaders(request);
        const q = new URL(request.url).searchParams;
        expect(await request.json()).toEqual({ Schema: 'All', Filters: [] });
        expect(q.get('$o')).toBe('TicketCreatedDate');
        expect(q.get('$d')).toBe('Descending');
        const size = Number(q.get('$s')), p = Number(q.get('$p'));
        return HttpResponse.json(iiqTicketList(this.tickets.slice(p * size, (p + 1) * size), size, p, this.tickets.length));
      }),
      http.post(`${API}/tickets/:id/activities/new`, async ({ params, request }) => {
        this.activities.push({ id: String(params.id), body: (await request.json()) as Record<string, unknown> });
        return HttpResponse.json(iiqAction);
      }),
      http.post(`${API}/tickets/:id/close`, async ({ params, request }) => {
        this.closes.push({ id: String(params.id), body: (await request.json()) as Record<string, unknown> });
        return HttpResponse.json(iiqAction);
      }),
    ];
  }
}

let iiq: FakeIiq;
beforeEach(() => {
  iiq = new FakeIiq();
  server.use(...iiq.handlers());
  logLines.length = 0;
});
async function failure(p: Promise<unknown>): Promise<HttpError> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  expect(e).toBeInstanceOf(HttpError);
  return e as HttpError;
}

describe('incidentiq open', () => {
  it('attaches the one exact asset and maps ForId, IssueId (per rule), LocationId (per school)', async () => {
    iiq.assets.push(iiqAsset('a1a1a1a1-0000-4000-8000-000000000001', '5CD1234XYZ'));
    const ref = await incidentiq.open(ctxFor(), draft, KEY);
    expect(ref.externalId).toBe(iiq.tickets[0]!.TicketId);
    expect(iiq.serialLookups).toEqual(['5cd1234xyz']);
    expect(iiq.creates).toEqual([{
      Subject: `Collect device 5CD1234XYZ ${keyMarker(KEY)}`,
      IssueDescription: 'Student withdrew on 2026-02-27.',
      ForId: FOR, IssueId: ISSUE_COLLECT, LocationId: LOC_HS,
      Assets: [{ AssetId: 'a1a1a1a1-0000-4000-8000-000000000001' }],
      IsUrgent: false, IsTraining: false, Attachments: [],
    }]);
  });

  it('two exact matches (the list answer): no asset, and the ticket says so', async () => {
    iiq.assets.push(iiqAsset('a1a1a1a1-0000-4000-8000-000000000001', '5CD1234XYZ'), iiqAsset('a1a1a1a1-0000-4000-8000-000000000002', '5cd1234xyz'));
    await incidentiq.open(ctxFor(), { ...draft, schoolExternalId: 'unmapped', rule: 'dev-mode' }, KEY);
    const body = iiq.creates[0]!;
    expect(body.Assets).toEqual([]);
    expect(body.IssueDescription).toBe('Student withdrew on 2026-02-27.\n\n2 Incident IQ assets share serial 5CD1234XYZ; this ticket was opened without an asset (attach the right one).');
    expect(body.IssueId).toBe(ISSUE);
    expect(body.LocationId).toBe(LOC);
  });

  it('no asset (or only a deleted one): no asset, and the ticket says so', async () => {
    iiq.assets.push(iiqAsset('a1a1a1a1-0000-4000-8000-000000000003', '5CD1234XYZ', { IsDeleted: true }));
    await incidentiq.open(ctxFor(), draft, KEY);
    expect(iiq.creates[0]!.Assets).toEqual([]);
    expect(iiq.creates[0]!.IssueDescription).toContain('No Incident IQ asset has serial 5CD1234XYZ; this ticket was opened without an asset.');
  });

  it('after a lost create response, findByKey finds the ticket by its subject marker and open does not create again', async () => {
    for (let i = 0; i < 150; i++) iiq.tickets.push(iiqTicket(randomUUID(), `Other ticket ${i}`, '2026-03-02T14:50:00'));
    iiq.loseNextResponse = true;
    const lost = await failure(incidentiq.open(ctxFor(), draft, KEY));
    expect(lost.retryable).toBe(true);
    const id = String(iiq.tickets[0]!.TicketId);
    expect(await incidentiq.findByKey!(ctxFor(), KEY)).toEqual({ externalId: id });
    expect(await incidentiq.open(ctxFor(), draft, KEY)).toEqual({ externalId: id });
    expect(iiq.creates).toHaveLength(1);
    expect(await incidentiq.findByKey!(ctxFor(), 'other:key:1')).toBeNull();
  });
});

describe('incidentiq comment / resolve / errors', () => {
  it('resolve posts a private comment activity, then closes with the Resolved reason', async () => {
    await incidentiq.resolve(ctxFor(), 'c8aef633-a009-48b1-9187-15621defbba8', 'Device returned.');
    expect(iiq.activities).toEqual([{ id: 'c8aef633-a009-48b1-9187-15621defbba8', body: {
      TicketId: 'c8aef633-a009-48b1-9187-15621defbba8',
      ActivityItems: [{ $type: 'Spark.Shared.Models.TicketActivityComment, Spark.Shared', TicketActivityTypeId: 6, Comments: 'Device returned.' }],
      IsPublic: false, WaitForResponse: false, TicketWasUpdated: false,
    } }]);
    expect(iiq.closes).toEqual([{ id: 'c8aef633-a009-48b1-9187-15621defbba8', body: { CloseReasonTypeId: 'C98AE44E-ADA0-4AE7-AE30-817785C00002' } }]);
  });

  it('429 with Retry-After and 500 are retryable; 400 is final with iiQ\'s text and no token', async () => {
    server.use(http.post(`${API}/tickets/:id/close`, () => new HttpResponse(null, { status: 429, headers: { 'retry-after': '120' } })));
    const r = await failure(incidentiq.resolve(ctxFor(), 'c8aef633-a009-48b1-9187-15621defbba8', 'x'));
    expect(r).toMatchObject({ retryable: true, httpStatus: 429 });
    expect(r.context.retryAfterMs).toBe(120_000);
    server.use(http.get(`${API}/assets/serial/:s`, () => HttpResponse.json({ StatusCode: 'Error', Message: 'An error occurred' }, { status: 500 })));
    expect(await failure(incidentiq.open(ctxFor(), draft, KEY))).toMatchObject({ retryable: true, httpStatus: 500 });
    server.use(http.post(`${API}/tickets/new`, () => HttpResponse.json(iiqBadRequest, { status: 400 })), http.get(`${API}/assets/serial/:s`, () => HttpResponse.json(iiqAssetList([]))));
    const e = await failure(incidentiq.open(ctxFor(), draft, KEY));
    expect(e.retryable).toBe(false);
    expect(e.message).toBe('incidentiq: POST tickets/new answered 400: BadRequest: Ticket could not be submitted: (IssueId is not valid for this site)');
    expect(JSON.stringify([e.message, e.context]) + logLines.join('')).not.toContain(TOKEN);
  });
});

describe('incidentiq inbound', () => {
  const cfg = settings();
  it('accepts the shared secret from the template token (URL-encoded) or a header; refuses missing or wrong ones', () => {
    const body = (token: string) => JSON.stringify({ ticketId: 'c8aef633-a009-48b1-9187-15621defbba8', status: 'Closed', outcome: 'collected', token });
    expect(incidentiq.verifyInbound(cfg, { headers: {}, rawBody: body(encodeURIComponent(SHARED)) }, NOW)).toBe(true);
    expect(incidentiq.verifyInbound(cfg, { headers: { authorization: `Bearer ${SHARED}` }, rawBody: body('') }, NOW)).toBe(true);
    expect(incidentiq.verifyInbound(cfg, { headers: {}, rawBody: body('wrong-secret-000000000000') }, NOW)).toBe(false);
    expect(incidentiq.verifyInbound(cfg, { headers: {}, rawBody: '{"ticketId":"x","status":"Closed"}' }, NOW)).toBe(false);
    expect(incidentiq.verifyInbound(settings({ inboundSecret: undefined }), { headers: {}, rawBody: body(SHARED) }, NOW)).toBe(false);
  });

  it('decodes URL-encoded values; closed + outcome collected → collected', () => {
    const raw = JSON.stringify({ ticketId: 'c8aef633-a009-48b1-9187-15621defbba8', ticketNumber: '39181', subject: 'Collect%20device%205CD1234XYZ%20%5Brc%3Aabc%5D', status: 'Closed%20-%20Resolved', outcome: 'collected' });
    expect(incidentiq.parseInbound(cfg, { headers: {}, rawBody: raw })).toEqual({
      externalId: 'c8aef633-a009-48b1-9187-15621defbba8', idempotencyKey: null, status: 'Closed - Resolved', outcome: 'collected',
    });
    const plus = JSON.stringify({ ticketId: 'x', status: 'In+Progress', outcome: 'collected' });
    expect(incidentiq.parseInbound(cfg, { headers: {}, rawBody: plus })).toMatchObject({ status: 'In Progress', outcome: 'other' });
    expect(() => incidentiq.parseInbound(cfg, { headers: {}, rawBody: '{"status":"Closed"}' })).toThrow(/ticketId/);
  });
});
