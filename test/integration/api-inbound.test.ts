/**
 * POST /api/v1/inbound/{helpdeskId}: a desk's own webhook, verified by its sink (Zendesk signature, iiQ shared
 * secret in a URL-encoded body), ends the assignment of a collected device with reason `returned`.
 */
import { createHmac } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../../src/db/client.js';
import { apiApp, apiConfig, seedLedger, TOKENS, type App, type JsonResponse } from '../helpers/api.js';
import { engines, freshDatabase, type TestDb } from '../helpers/db.js';

const ZD_SIGNING = 'zd-signing-secret-0123456789';
const IIQ_SECRET = 'iiq shared/secret+0123456789';
const GUID = '00000000-0000-0000-0000-00000000000';

const helpdesks = [
  'helpdesks:',
  `  - { id: desk, kind: zendesk, subdomain: district, email: it@maplewood.example.org, apiToken: zd-token-123, inboundSigningSecret: ${ZD_SIGNING} }`,
  `  - { id: iiq, kind: incidentiq, site: district, apiToken: iiq-token, siteId: ${GUID}1, forId: ${GUID}2, issueId: ${GUID}3, locationId: ${GUID}4, inboundSecret: "${IIQ_SECRET}" }`,
  '  - { id: quiet, kind: zendesk, subdomain: district, email: it@maplewood.example.org, apiToken: zd-token-123 }',
].join('\n');

function zendeskCall(body: object, opts: { secret?: string; at?: Date; tamper?: boolean } = {}) {
  const raw = JSON.stringify(body);
  const ts = (opts.at ?? new Date()).toISOString();
  const sig = createHmac('sha256', opts.secret ?? ZD_SIGNING).update(ts + raw).digest('base64');
  return {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-zendesk-webhook-signature': sig, 'x-zendesk-webhook-signature-timestamp': ts },
    body: opts.tamper ? raw.replace('solved', 'closed') : raw,
  };
}

/** iiQ rule webhooks send every string value URL-encoded, the shared secret among them. */
function iiqCall(fields: Record<string, string>, token = IIQ_SECRET) {
  const enc = Object.fromEntries(Object.entries({ ...fields, token }).map(([k, v]) => [k, encodeURIComponent(v)]));
  return { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(enc) };
}

describe.each(engines)('inbound help desk webhooks on %s', (engine) => {
  let t: TestDb;
  let app: App;
  let seeded: Awaited<ReturnType<typeof seedLedger>>;
  const iiqTicket = 'a1b2c3d4-0000-4000-8000-000000000042';

  const state = async () => ({
    assignments: await rows<{ serial: string; person_id: number; ended_reason: string | null; open: boolean }>(t.db.orm, sql`
      select d.serial, a.person_id::int as person_id, a.ended_reason, a.ended_at is null as open from assignments a join devices d on d.id = a.device_id order by a.id`),
    audit: await rows<{ actor: string; action: string; target: string; details: Record<string, unknown> }>(t.db.orm,
      sql`select actor, action, target, details from audit_log order by id`),
    events: await rows<{ actor: string; action: string; diff: Record<string, unknown> }>(t.db.orm,
      sql`select actor, action, diff from events where entity = 'assignment' and action = 'end' order by id`),
    outbox: await rows<{ payload: Record<string, unknown> }>(t.db.orm, sql`select payload from outbox where type = 'assignment.ended' order by id`),
  });

  beforeAll(async () => {
    t = await freshDatabase(engine);
    seeded = await seedLedger(t.db);
    app = apiApp(t.db, apiConfig(helpdesks));
    // The worker's ticket_links: Ana's device on Zendesk (ticket 101), Ben's on Incident IQ.
    await t.db.orm.execute(sql`insert into ticket_links (discrepancy_id, helpdesk_id, external_id, state, idempotency_key)
      values (${seeded.discrepancyId}, 'desk', '101', 'open', 'device-silent:device:1:1')`);
    const [d] = await rows<{ id: number }>(t.db.orm, sql`insert into discrepancies (rule, subject_key, device_id, person_id, severity, status)
      values ('withdrawn-with-device', 'person:ben', (select id from devices where serial = '5CD5555AAA'), ${seeded.ben}, 'high', 'open') returning id`);
    await t.db.orm.execute(sql`insert into ticket_links (discrepancy_id, helpdesk_id, external_id, state, idempotency_key)
      values (${Number(d!.id)}, 'iiq', ${iiqTicket}, 'open', 'withdrawn-with-device:person:ben:1')`);
  });
  afterAll(async () => t?.drop());
  const post = (path: string, init: RequestInit) => app.request(path, init) as Promise<JsonResponse>;

  const zdSolved = { ticket_id: '101', external_id: 'device-silent:device:1:1', status: 'solved', tags: 'rollcall rollcall_collected' };

  it('401 and nothing changes: unknown desk, unsigned, tampered, wrong secret, stale signature, desk without a secret, an API token', async () => {
    const before = await state();
    const attempts: Array<[string, RequestInit]> = [
      ['/api/v1/inbound/nowhere', zendeskCall(zdSolved)],
      ['/api/v1/inbound/desk', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(zdSolved) }],
      ['/api/v1/inbound/desk', zendeskCall(zdSolved, { tamper: true })],
      ['/api/v1/inbound/desk', zendeskCall(zdSolved, { secret: 'another-secret-0123456789' })],
      ['/api/v1/inbound/desk', zendeskCall(zdSolved, { at: new Date(Date.now() - 60 * 60_000) })],
      ['/api/v1/inbound/quiet', zendeskCall(zdSolved)],
      ['/api/v1/inbound/desk', { method: 'POST', headers: { authorization: `Bearer ${TOKENS.admin}`, 'content-type': 'application/json' }, body: JSON.stringify(zdSolved) }],
      ['/api/v1/inbound/iiq', iiqCall({ ticketId: iiqTicket, status: 'Closed - Resolved', outcome: 'collected' }, 'wrong-secret-0123456789')],
      ['/api/v1/inbound/iiq', { method: 'POST', headers: { 'content-type': 'application/json' }, body: 'not json' }],
    ];
    for (const [path, init] of attempts) {
      const res = await post(path, init);
      expect(res.status, path).toBe(401);
      expect((await res.json()).error.code).toBe('unauthorized');
    }
    expect(await state()).toEqual(before);
  });

  it('a verified call that is not a collected close answers 202 and changes nothing; a verified bad body is 400 naming the field', async () => {
    const before = await state();
    const open = await post('/api/v1/inbound/desk', zendeskCall({ ...zdSolved, status: 'open' }));
    expect(open.status).toBe(202);
    expect(await open.json()).toEqual({ result: 'ignored', ticket: '101', reason: 'not-collected' });
    const other = await post('/api/v1/inbound/desk', zendeskCall({ ...zdSolved, ticket_id: '999', external_id: null }));
    expect(other.status).toBe(202);
    expect((await other.json()).reason).toBe('unknown-ticket');
    const bad = await post('/api/v1/inbound/desk', zendeskCall({ ticket_id: '101' }));
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.message).toMatch(/status/);
    expect(await state()).toEqual(before);
  });

  it('Zendesk: solved with the collected tag ends Ana\'s assignment as returned (history, outbox, audit_log); a repeat changes nothing', async () => {
    const res = await post('/api/v1/inbound/desk', zendeskCall(zdSolved));
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toMatchObject({ result: 'returned', ticket: '101', assignmentId: expect.any(Number) });
    const s = await state();
    expect(s.assignments.find((a) => a.serial === '5CD1234XYZ')).toEqual({ serial: '5CD1234XYZ', person_id: seeded.ana, ended_reason: 'returned', open: false });
    expect(s.events).toEqual([{ actor: 'helpdesk:desk', action: 'end', diff: expect.objectContaining({ personId: seeded.ana, reason: 'returned', note: 'ticket 101' }) }]);
    expect(s.outbox.map((o) => o.payload)).toEqual([expect.objectContaining({ assignmentId: body.assignmentId, personId: seeded.ana, reason: 'returned' })]);
    expect(s.audit).toEqual([{ actor: 'helpdesk:desk', action: 'assignment.helpdesk-return', target: `assignment:${body.assignmentId}`,
      details: { serial: '5CD1234XYZ', personId: seeded.ana, reason: 'returned', note: 'ticket 101' } }]);

    const again = await post('/api/v1/inbound/desk', zendeskCall(zdSolved));
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ result: 'already-returned', ticket: '101' });
    // Found by our idempotency key alone (Zendesk echoes external_id), still nothing more.
    const byKey = await post('/api/v1/inbound/desk', zendeskCall({ ...zdSolved, ticket_id: '555' }));
    expect(byKey.status).toBe(200);
    expect(await state()).toEqual(s);
  });

  it('Incident IQ: URL-encoded "Closed - Resolved" + collected ends Ben\'s assignment as returned; a repeat changes nothing', async () => {
    const call = iiqCall({ ticketId: iiqTicket, status: 'Closed - Resolved', outcome: 'collected' });
    expect(call.body).toContain('Closed%20-%20Resolved');
    const res = await post('/api/v1/inbound/iiq', call);
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toMatchObject({ result: 'returned', ticket: iiqTicket });
    const s = await state();
    expect(s.assignments.filter((a) => a.serial === '5CD5555AAA')).toEqual([
      { serial: '5CD5555AAA', person_id: seeded.cy, ended_reason: 'mdm-user-changed', open: false },
      { serial: '5CD5555AAA', person_id: seeded.ben, ended_reason: 'returned', open: false },
    ]);
    expect(s.audit.at(-1)).toEqual({ actor: 'helpdesk:iiq', action: 'assignment.helpdesk-return', target: `assignment:${body.assignmentId}`,
      details: { serial: '5CD5555AAA', personId: seeded.ben, reason: 'returned', note: `ticket ${iiqTicket}` } });

    const again = await post('/api/v1/inbound/iiq', iiqCall({ ticketId: iiqTicket, status: 'Closed - Resolved', outcome: 'collected' }));
    expect(again.status).toBe(200);
    expect((await again.json()).result).toBe('already-returned');
    expect(await state()).toEqual(s);
  });

  it('a later holder of the same device is never ended by a replayed call', async () => {
    await t.db.orm.execute(sql`insert into assignments (device_id, person_id, origin, started_at)
      values ((select id from devices where serial = '5CD1234XYZ'), ${seeded.ana}, 'manual', now() + interval '1 second')`);
    const before = await state();
    const again = await post('/api/v1/inbound/desk', zendeskCall(zdSolved));
    expect(again.status).toBe(200);
    expect((await again.json()).result).toBe('already-returned');
    expect(await state()).toEqual(before);
  });

  it('the body size limit applies before verification', async () => {
    const huge = { ...zdSolved, padding: 'x'.repeat(2_000_000) };
    const res = await post('/api/v1/inbound/desk', zendeskCall(huge));
    expect(res.status).toBe(413);
  });
});
