/**
 * The admin pages through app.request on the synced demo district: sign-in and its cookie, CSRF refusals, scope
 * refusals, and the figures the dashboard and report show against the ledger's own numbers.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../../src/db/client.js';
import { SESSION_COOKIE } from '../../src/web/session.js';
import { engines } from '../helpers/db.js';
import { TOKENS, cookieHeader, demoApp, type DemoApp } from '../helpers/web.js';

const csrfOf = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
const form = (f: Record<string, string>) => new URLSearchParams(f).toString();
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

describe.each(engines)('admin pages on %s', (engine) => {
  let d: DemoApp;
  beforeAll(async () => {
    d = await demoApp(engine);
  });
  afterAll(async () => d?.close());

  async function signIn(token: string, host = 'http://localhost'): Promise<string> {
    const page = await d.app.request(`${host}/signin`);
    const jar = cookieHeader(page);
    const res = await d.app.request(`${host}/signin`, { method: 'POST', headers: { ...FORM, cookie: jar }, body: form({ _csrf: csrfOf(await page.text()), token, next: '/' }) });
    expect(res.status).toBe(303);
    return cookieHeader(res, jar);
  }

  it('sends a signed-out browser to the sign-in form, and back where it was going', async () => {
    const res = await d.app.request('/report?rule=past-aue');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/signin?next=%2Freport%3Frule%3Dpast-aue');
    const page = await d.app.request('/signin?next=%2Freport');
    const html = await page.text();
    expect(html).toContain('<label for="token">');
    expect(html).toContain('name="next" value="/report"');
  });

  it('sets an HttpOnly, SameSite=Strict session cookie that does not hold the token, Secure only over https', async () => {
    const page = await d.app.request('/signin');
    const jar = cookieHeader(page);
    const res = await d.app.request('/signin', { method: 'POST', headers: { ...FORM, cookie: jar }, body: form({ _csrf: csrfOf(await page.text()), token: TOKENS.read }) });
    expect(res.status).toBe(303);
    const set = res.headers.getSetCookie().find((c) => c.startsWith(`${SESSION_COOKIE}=`))!;
    expect(set).toMatch(/HttpOnly/);
    expect(set).toMatch(/SameSite=Strict/);
    expect(set).not.toMatch(/Secure/);
    expect(set).not.toContain(TOKENS.read);
    expect(Buffer.from(set.split('=')[1]!.split('.')[0]!, 'base64url').toString()).not.toContain(TOKENS.read);

    const httpsPage = await d.app.request('https://rollcall.example.org/signin');
    const httpsJar = cookieHeader(httpsPage);
    expect(httpsPage.headers.getSetCookie()[0]).toMatch(/Secure/);
    const httpsRes = await d.app.request('https://rollcall.example.org/signin', { method: 'POST', headers: { ...FORM, cookie: httpsJar }, body: form({ _csrf: csrfOf(await httpsPage.text()), token: TOKENS.read }) });
    expect(httpsRes.headers.getSetCookie().find((c) => c.startsWith(`${SESSION_COOKIE}=`))).toMatch(/; Secure/);
  });

  it('refuses a wrong token with 401 and no session', async () => {
    const page = await d.app.request('/signin');
    const jar = cookieHeader(page);
    const res = await d.app.request('/signin', { method: 'POST', headers: { ...FORM, cookie: jar }, body: form({ _csrf: csrfOf(await page.text()), token: 'not-a-token-0123456789' }) });
    expect(res.status).toBe(401);
    expect(res.headers.getSetCookie().some((c) => c.startsWith(`${SESSION_COOKIE}=`))).toBe(false);
    expect(await res.text()).toContain('That token is not one rollcall knows');
  });

  it('refuses a tampered or forged session cookie', async () => {
    const jar = await signIn(TOKENS.admin);
    const value = jar.split('; ').find((c) => c.startsWith(`${SESSION_COOKIE}=`))!.slice(SESSION_COOKIE.length + 1);
    const [body, sig] = value.split('.') as [string, string];
    const payload = JSON.parse(Buffer.from(body, 'base64url').toString()) as { exp: number };
    const longer = Buffer.from(JSON.stringify({ ...payload, exp: payload.exp + 86400 * 365 })).toString('base64url');
    const res = await d.app.request('/', { headers: { cookie: `${SESSION_COOKIE}=${longer}.${sig}` } });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toMatch(/^\/signin/);
  });

  it('refuses form posts without the CSRF token, with another session\'s token, or from another origin', async () => {
    const page = await d.app.request('/signin');
    const jar = cookieHeader(page);
    const token = csrfOf(await page.text());
    const noToken = await d.app.request('/signin', { method: 'POST', headers: { ...FORM, cookie: jar }, body: form({ token: TOKENS.admin }) });
    expect(noToken.status).toBe(403);
    const crossSite = await d.app.request('/signin', { method: 'POST', headers: { ...FORM, cookie: jar, origin: 'https://evil.example' }, body: form({ _csrf: token, token: TOKENS.admin }) });
    expect(crossSite.status).toBe(403);

    const admin = await signIn(TOKENS.admin);
    const other = await signIn(TOKENS.admin);
    const dash = await (await d.app.request('/', { headers: { cookie: other } })).text();
    const held = await d.holdIntune();
    const wrong = await d.app.request(`/runs/${held}/approve`, { method: 'POST', headers: { ...FORM, cookie: admin }, body: form({ _csrf: csrfOf(dash) }) });
    expect(wrong.status).toBe(403);
    expect(await wrong.text()).toContain('Form refused');
    const none = await d.app.request(`/runs/${held}/approve`, { method: 'POST', headers: { ...FORM, cookie: admin }, body: '' });
    expect(none.status).toBe(403);
    const [run] = await rows<{ status: string }>(d.t.db.orm, sql`select status from sync_runs where id = ${held}`);
    expect(run!.status).toBe('held');
  });

  it('applies scopes as the API does: read views, only admin approves', async () => {
    const reader = await signIn(TOKENS.read);
    expect((await d.app.request('/', { headers: { cookie: reader } })).status).toBe(200);
    const [h] = await rows<{ id: number }>(d.t.db.orm, sql`select id from sync_runs where status = 'held' order by id desc limit 1`);
    const dash = await (await d.app.request('/', { headers: { cookie: reader } })).text();
    expect(dash).toContain('an admin token can approve');
    expect(dash).not.toContain(`/runs/${h!.id}/approve`);
    const refused = await d.app.request(`/runs/${h!.id}/approve`, { method: 'POST', headers: { ...FORM, cookie: reader }, body: form({ _csrf: csrfOf(dash) }) });
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain('needs a token with the admin scope; you are signed in as viewer (read)');

    const admin = await signIn(TOKENS.admin);
    const adminDash = await (await d.app.request('/', { headers: { cookie: admin } })).text();
    expect(adminDash).toContain(`Approve run #${h!.id}`);
    const ok = await d.app.request(`/runs/${h!.id}/approve`, { method: 'POST', headers: { ...FORM, cookie: admin }, body: form({ _csrf: csrfOf(adminDash) }) });
    expect(ok.status).toBe(303);
    expect(ok.headers.get('location')).toBe(`/?approved=${h!.id}`);
    const [after] = await rows<{ status: string }>(d.t.db.orm, sql`select status from sync_runs where id = ${h!.id}`);
    expect(after!.status).toBe('approved');
    const [audit] = await rows<{ actor: string; action: string; target: string }>(d.t.db.orm, sql`select actor, action, target from audit_log where action = 'run.approve'`);
    expect(audit).toEqual({ actor: 'it-admin', action: 'run.approve', target: `run:${h!.id}` });
  });

  it('shows the ledger\'s coverage and open findings on the dashboard', async () => {
    const jar = await signIn(TOKENS.read);
    const html = await (await d.app.request('/', { headers: { cookie: jar } })).text();
    const grades = d.config.district.oneToOneGrades;
    const [cov] = await rows<{ eligible: number; covered: number }>(d.t.db.orm, sql`
      select count(*)::int as eligible, count(*) filter (where exists (
        select 1 from assignments a join device_observations o on o.device_id = a.device_id
        where a.person_id = p.id and a.ended_at is null and o.active and o.status not in ('deprovisioned', 'retired', 'wiped', 'deleted', 'disabled')
          and (o.aue_date is null or o.aue_date >= ${d.config.reconcile.asOf!}::date)))::int as covered
      from people p where p.role = 'student' and p.status = 'active' and p.grades && ${sql.param(grades)}::text[]`);
    const [open] = await rows<{ n: number }>(d.t.db.orm, sql`select count(*)::int as n from discrepancies where status = 'open'`);
    expect(html).toContain(`<span data-testid="coverage-eligible">${Number(cov!.eligible).toLocaleString('en-US')}</span>`);
    expect(html).toContain(`<span data-testid="coverage-covered">${Number(cov!.covered).toLocaleString('en-US')}</span>`);
    expect(html).toContain(`<span class="figure" data-testid="open-total">${Number(open!.n).toLocaleString('en-US')}</span>`);
    expect(Number(cov!.eligible)).toBeGreaterThan(1000);
  });

  it('filters the report and downloads it as CSV with a BOM', async () => {
    const jar = await signIn(TOKENS.read);
    const html = await (await d.app.request('/report?rule=past-aue&severity=high', { headers: { cookie: jar } })).text();
    const [n] = await rows<{ n: number }>(d.t.db.orm, sql`select count(*)::int as n from discrepancies where status = 'open' and rule = 'past-aue' and severity = 'high'`);
    expect(html).toContain(`<span data-testid="row-count">${n!.n}</span>`);
    expect(html).toContain('<svg class="chart" id="chart-budget"');
    // The replacement budget, priced here from the ledger and the demo's replacementCost (model first, then platform).
    const all = await (await d.app.request('/report', { headers: { cookie: jar } })).text();
    const aue = await rows<{ model: string | null; platform: string; n: number }>(d.t.db.orm, sql`
      select (select min(o.model) from device_observations o where o.device_id = x.id and o.active) as model, x.platform, count(*)::int as n
      from devices x where x.status = 'active' and (select min(o.aue_date) from device_observations o where o.device_id = x.id and o.active
        and o.status not in ('deprovisioned', 'retired', 'wiped', 'deleted')) < date '2026-10-01' + interval '72 months'
      group by 1, 2`);
    const costs = new Map(Object.entries(d.config.district.replacementCost).map(([k, v]) => [k.toLowerCase(), v]));
    const total = aue.reduce((sum, r) => sum + Number(r.n) * (costs.get((r.model ?? '').toLowerCase()) ?? costs.get(r.platform) ?? 0), 0);
    expect(total).toBeGreaterThan(0);
    expect(all).toContain(`<td class="num" data-testid="budget-total">$${total.toLocaleString('en-US')}</td>`);
    const csv = await d.app.request('/report.csv?rule=past-aue&severity=high', { headers: { cookie: jar } });
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(csv.headers.get('content-disposition')).toMatch(/attachment; filename="rollcall-report-2026-11-01.csv"/);
    const bytes = new Uint8Array(await csv.arrayBuffer());
    expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const lines = new TextDecoder().decode(bytes).trimEnd().split('\r\n');
    expect(lines[0]).toMatch(/^id,severity,rule,serial/);
    expect(lines).toHaveLength(Number(n!.n) + 1);
    const bad = await d.app.request('/report?rule=no-such-rule', { headers: { cookie: jar } });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('unknown rule &quot;no-such-rule&quot;');
  });

  it('shows quarantined records without their raw data unless an admin asks', async () => {
    const reader = await signIn(TOKENS.read);
    const page = await (await d.app.request('/quarantine?raw=1', { headers: { cookie: reader } })).text();
    expect(page).not.toContain('<pre class="raw">');
    const admin = await signIn(TOKENS.admin);
    const withRaw = await d.app.request('/quarantine?raw=1', { headers: { cookie: admin } });
    expect(withRaw.status).toBe(200);
    expect((await d.app.request('/runs', { headers: { cookie: reader } })).status).toBe(200);
  });

  it('shows a device, its holder and timeline, the holder\'s page, and finds both by search', async () => {
    const jar = await signIn(TOKENS.read);
    const [dev] = await rows<{ serial: string; asset_tag: string; person_id: number; family_name: string; given_name: string }>(d.t.db.orm, sql`
      select d.serial, d.asset_tag, p.id as person_id, p.family_name, p.given_name from devices d
      join assignments a on a.device_id = d.id and a.ended_at is null join people p on p.id = a.person_id
      where d.asset_tag is not null order by d.serial limit 1`);
    const page = await d.app.request(`/devices/${encodeURIComponent(dev!.serial.toLowerCase())}`, { headers: { cookie: jar } });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain(`<span data-testid="device-serial">${dev!.serial}</span>`);
    expect(html).toContain(`href="/people/${dev!.person_id}"`);
    expect(html).toMatch(/Assigned to <a href="\/people\/\d+">/);
    const person = await (await d.app.request(`/people/${dev!.person_id}`, { headers: { cookie: jar } })).text();
    expect(person).toContain(`<a href="/devices/${encodeURIComponent(dev!.serial)}">${dev!.serial}</a>`);
    const byTag = await d.app.request(`/search?q=${encodeURIComponent(dev!.asset_tag)}`, { headers: { cookie: jar } });
    expect(byTag.status).toBe(303);
    expect(byTag.headers.get('location')).toBe(`/devices/${encodeURIComponent(dev!.serial)}`);
    const byName = await (await d.app.request(`/search?q=${encodeURIComponent(dev!.family_name)}`, { headers: { cookie: jar } })).text();
    expect(byName).toContain(`href="/people/${dev!.person_id}"`);
    const missing = await d.app.request('/devices/NO-SUCH-SERIAL', { headers: { cookie: jar } });
    expect(missing.status).toBe(404);
    expect(await missing.text()).toContain('<h1>Not found</h1>');
  });

  it('checks a device out and in with a write token; a read token gets no form and a 403', async () => {
    const [dev] = await rows<{ serial: string }>(d.t.db.orm, sql`
      select d.serial from devices d where d.status = 'active' and not exists (select 1 from assignments a where a.device_id = d.id and a.ended_at is null)
      order by d.serial limit 1`);
    const [who] = await rows<{ id: number; email: string; name: string }>(d.t.db.orm, sql`
      select p.id, p.email, concat_ws(' ', coalesce(p.preferred_name, p.given_name), p.family_name) as name from people p
      where p.role = 'student' and p.status = 'active' and p.email is not null order by p.id limit 1`);
    const url = `/devices/${encodeURIComponent(dev!.serial)}`;
    const reader = await signIn(TOKENS.read);
    const readPage = await (await d.app.request(url, { headers: { cookie: reader } })).text();
    expect(readPage).not.toContain('/checkout"');
    const refused = await d.app.request(`${url}/checkout`, { method: 'POST', headers: { ...FORM, cookie: reader }, body: form({ _csrf: csrfOf(readPage), person: who!.email }) });
    expect(refused.status).toBe(403);

    const writer = await signIn(TOKENS.write);
    const page = await (await d.app.request(url, { headers: { cookie: writer } })).text();
    expect(page).toContain(`action="${url}/checkout"`);
    const out = await d.app.request(`${url}/checkout`, { method: 'POST', headers: { ...FORM, cookie: writer }, body: form({ _csrf: csrfOf(page), person: who!.email, reason: 'loaner' }) });
    expect(out.status).toBe(303);
    expect(out.headers.get('location')).toBe(`${url}?done=checkout`);
    const [a] = await rows<{ id: number; person_id: number; origin: string }>(d.t.db.orm, sql`
      select a.id, a.person_id, a.origin from assignments a join devices x on x.id = a.device_id where x.serial = ${dev!.serial} and a.ended_at is null`);
    expect({ person: Number(a!.person_id), origin: a!.origin }).toEqual({ person: Number(who!.id), origin: 'manual' });
    const [audit] = await rows<{ actor: string }>(d.t.db.orm, sql`select actor from audit_log where action = 'assignment.checkout' and target = ${`assignment:${a!.id}`}`);
    expect(audit!.actor).toBe('helpdesk');
    const after = await (await d.app.request(`${url}?done=checkout`, { headers: { cookie: writer } })).text();
    expect(after).toContain(`Checked out to ${who!.name}.`);

    const again = await d.app.request(`${url}/checkout`, { method: 'POST', headers: { ...FORM, cookie: writer }, body: form({ _csrf: csrfOf(after), personId: String(who!.id) }) });
    expect(again.status).toBe(409);
    const back = await d.app.request(`/assignments/${a!.id}/end`, { method: 'POST', headers: { ...FORM, cookie: writer }, body: form({ _csrf: csrfOf(after), reason: 'returned' }) });
    expect(back.status).toBe(303);
    const [ended] = await rows<{ ended_reason: string }>(d.t.db.orm, sql`select ended_reason from assignments where id = ${a!.id}`);
    expect(ended!.ended_reason).toBe('returned');
    const badReason = await d.app.request(`/assignments/${a!.id}/end`, { method: 'POST', headers: { ...FORM, cookie: writer }, body: form({ _csrf: csrfOf(after), reason: 'stolen' }) });
    expect(badReason.status).toBe(400);
  });

  it('signs out: the session cookie is cleared', async () => {
    const jar = await signIn(TOKENS.read);
    const dash = await (await d.app.request('/', { headers: { cookie: jar } })).text();
    const out = await d.app.request('/signout', { method: 'POST', headers: { ...FORM, cookie: jar }, body: form({ _csrf: csrfOf(dash) }) });
    expect(out.status).toBe(303);
    expect(out.headers.get('location')).toBe('/signin?signedout=1');
    expect(out.headers.getSetCookie().find((c) => c.startsWith(`${SESSION_COOKIE}=`))).toMatch(/Max-Age=0/);
  });
});
