/**
 * The admin pages (DESIGN §11): server-rendered with hono/jsx, plain links and forms, no script. Every page
 * needs a signed-in session whose token holds the page's scope, as the API does (read to view, write to check
 * devices out and in, admin to approve); every form post needs the CSRF token (src/web/csrf.ts).
 */
import { sql } from 'drizzle-orm';
import { Hono, type Context } from 'hono';
import { deleteCookie } from 'hono/cookie';
import type { AppDeps, AppEnv } from '../api/app.js';
import { clientAddress } from '../api/auth/failed-auth.js';
import { allows, type Scope } from '../api/auth/tokens.js';
import { httpStatusOf } from '../api/error-shape.js';
import { formatReportCsv } from '../cli/report.js';
import { rows } from '../db/client.js';
import { AppError, NotFoundError, ValidationError } from '../errors.js';
import { listQuarantine, QUARANTINE_OUTCOMES, type QuarantineOutcome } from '../quarantine/list.js';
import { buildReplacementBudget } from '../reconcile/replacement-budget.js';
import { buildReport } from '../reconcile/report.js';
import { rules as allRules } from '../reconcile/rules/index.js';
import { devicesBySyncAge } from '../reconcile/sync-age.js';
import { getDeviceDetail, listDevices } from '../read/devices.js';
import { getPersonDetail, listPeople } from '../read/people.js';
import { listRuns } from '../read/runs.js';
import { recordAudit } from '../audit/record.js';
import { approveHeldRun } from '../sync/pipeline.js';
import { END_REASONS, checkIn, checkOut, type EndReason } from '../ledger/manual-assignments.js';
import { CSRF_FIELD, PRESESSION_COOKIE, csrfFor, csrfValid, presession, presessionId, sameOrigin } from './csrf.js';
import { DashboardPage } from './pages/dashboard.js';
import { ChoosePersonPage } from './pages/choose-person.js';
import { DevicePage } from './pages/device.js';
import { ErrorPage } from './pages/error.js';
import { PersonPage } from './pages/person.js';
import { QuarantinePage } from './pages/quarantine.js';
import { ReportPage, filterRows, type ReportFilters } from './pages/report.js';
import { RunsPage } from './pages/runs.js';
import { SearchPage } from './pages/search.js';
import { SignInPage } from './pages/signin.js';
import { heldRuns, latestRuns } from './run-status.js';
import { endSession, isHttps, readSession, sessionKey, startSession, type Session } from './session.js';
import { APP_CSS } from './styles.js';

type C = Context<AppEnv>;
type PageHandler = (c: C, s: Session, csrf: string) => Response | Promise<Response>;

/** Content-Security-Policy for every page: nothing but our own stylesheet, no script at all, no framing. */
const CSP = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/** Where sign-in may send the browser afterwards: a path on this site, never another host. */
function safeNext(next: unknown): string {
  return typeof next === 'string' && /^\/(?![/\\])/.test(next) ? next : '/';
}

export function render(c: C, node: unknown, status: 200 | 400 | 401 | 403 | 404 | 409 | 429 | 500 | 502 | 503 = 200) {
  c.header('content-security-policy', CSP);
  c.header('x-content-type-options', 'nosniff');
  c.header('referrer-policy', 'same-origin');
  c.header('cache-control', 'no-store');
  return c.html(`<!DOCTYPE html>${String(node)}`, status);
}

export function webRoutes(deps: AppDeps) {
  const { config, db, log, tokens } = deps;
  const key = sessionKey(config.server.sessionSecret);
  const district = config.district.name;
  const secure = (c: C) => isHttps(c, config.server.publicUrl);
  const r = new Hono<AppEnv>();

  const errorPage = (c: C, status: 400 | 401 | 403 | 404 | 409 | 500 | 502 | 503, title: string, message: string, s: Session | null = null) =>
    render(c, <ErrorPage status={status} title={title} message={message} session={s} csrf={s ? csrfFor(key, s.sid) : ''} district={district} requestId={c.get('requestId')} />, status);

  /** A page needing `need`: signed in (else to the sign-in form), the CSRF token on posts, then the scope. */
  const page = (need: Scope, h: PageHandler) => async (c: C) => {
    const s = readSession(c, key, tokens);
    if (!s) {
      if (c.req.method === 'GET') {
        const u = new URL(c.req.url);
        return c.redirect(`/signin?next=${encodeURIComponent(u.pathname + u.search)}`, 303);
      }
      return errorPage(c, 401, 'Signed out', 'Your session has ended. Sign in again and repeat what you were doing.');
    }
    const csrf = csrfFor(key, s.sid);
    if (c.req.method === 'POST') {
      const body = await c.req.parseBody();
      if (!sameOrigin(c) || !csrfValid(key, s.sid, body[CSRF_FIELD])) {
        log.warn({ requestId: c.get('requestId'), path: c.req.path, actor: s.identity.name }, 'form post refused: CSRF check failed');
        return errorPage(c, 403, 'Form refused', 'This form was not sent from a rollcall page of your current session. Reload the page and try again.', s);
      }
    }
    if (!allows(s.identity.scope, need)) {
      return errorPage(c, 403, 'Not allowed', `This needs a token with the ${need} scope; you are signed in as ${s.identity.name} (${s.identity.scope}).`, s);
    }
    return h(c, s, csrf);
  };

  r.get('/assets/app.css', (c) => {
    c.header('content-type', 'text/css; charset=utf-8');
    c.header('cache-control', 'public, max-age=3600');
    return c.body(APP_CSS);
  });

  r.get('/signin', (c) => {
    const next = safeNext(c.req.query('next'));
    if (readSession(c, key, tokens)) return c.redirect(next, 303);
    const pid = presession(c, secure(c));
    return render(c, <SignInPage district={district} csrf={csrfFor(key, `pre:${pid}`)} next={next} noTokens={tokens.empty} signedOut={c.req.query('signedout') === '1'} />, tokens.empty ? 503 : 200);
  });

  r.post('/signin', async (c) => {
    const body = await c.req.parseBody();
    const pid = presessionId(c);
    if (!sameOrigin(c) || !csrfValid(key, pid ? `pre:${pid}` : undefined, body[CSRF_FIELD])) {
      return errorPage(c, 403, 'Form refused', 'The sign-in form expired or came from another site. Open the sign-in page again.');
    }
    const next = safeNext(body.next);
    const addr = clientAddress(c);
    const wait = deps.failedAuth?.retryAfter(addr) ?? 0;
    if (wait > 0) {
      c.header('Retry-After', String(wait));
      log.warn({ requestId: c.get('requestId') }, 'page sign-in refused: too many unknown tokens from this address');
      return render(c, <SignInPage district={district} csrf={csrfFor(key, `pre:${pid}`)} next={next} noTokens={tokens.empty} error={`Too many sign-ins with an unknown token from this address. Try again in ${wait} seconds.`} />, 429);
    }
    const identity = tokens.resolve(typeof body.token === 'string' ? body.token.trim() : null);
    if (!identity) {
      deps.failedAuth?.failed(addr);
      log.info({ requestId: c.get('requestId') }, 'page sign-in refused: unknown token');
      return render(c, <SignInPage district={district} csrf={csrfFor(key, `pre:${pid}`)} next={next} noTokens={tokens.empty} error="That token is not one rollcall knows. Check it against the api.tokens list in the config." />, 401);
    }
    startSession(c, key, (body.token as string).trim(), secure(c));
    deleteCookie(c, PRESESSION_COOKIE, { path: '/', secure: secure(c), httpOnly: true, sameSite: 'Strict' });
    log.info({ actor: identity.name, scope: identity.scope }, 'signed in to the pages');
    return c.redirect(next, 303);
  });

  r.post('/signout', page('read', (c) => {
    endSession(c, secure(c));
    return c.redirect('/signin?signedout=1', 303);
  }));

  r.get('/', page('read', async (c, s, csrf) => {
    const now = new Date();
    const report = await buildReport(db, config, { now });
    const latest = await latestRuns(db);
    const held = await heldRuns(db);
    const approved = Number(c.req.query('approved'));
    const flash = Number.isInteger(approved) && approved > 0 ? { kind: 'ok' as const, text: `Run #${approved} was approved and applied.` } : undefined;
    return render(c, <DashboardPage session={s} csrf={csrf} report={report} latest={latest} held={held} now={now} flash={flash} />);
  }));

  const reportFilters = (c: C): ReportFilters => ({
    school: c.req.query('school')?.trim() ?? '',
    rule: c.req.query('rule')?.trim() ?? '',
    severity: c.req.query('severity')?.trim() ?? '',
    q: c.req.query('q')?.trim() ?? '',
  });
  const loadReport = async (f: ReportFilters) => {
    if (f.severity && !['low', 'medium', 'high', 'critical'].includes(f.severity)) {
      throw new ValidationError(`unknown severity "${f.severity}"; expected low, medium, high or critical`);
    }
    const report = await buildReport(db, config, { ...(f.rule ? { rule: f.rule } : {}), ...(f.school ? { school: f.school } : {}) });
    return { report, rows: filterRows(report.discrepancies, f.severity, f.q) };
  };

  r.get('/report', page('read', async (c, s, csrf) => {
    const f = reportFilters(c);
    const { report, rows: shown } = await loadReport(f);
    const schoolId = report.filters.school?.externalId;
    const budget = await buildReplacementBudget(db, config, schoolId ? { schoolExternalId: schoolId } : {});
    const syncAge = await devicesBySyncAge(db, config, schoolId ? { schoolExternalId: schoolId } : {});
    const schools = await rows<{ external_id: string; name: string }>(db.orm, sql`select external_id, name from orgs where type = 'school' and status = 'active' order by name, external_id`);
    const qs = new URLSearchParams(Object.entries(f).filter(([, v]) => v !== '')).toString();
    return render(c, <ReportPage session={s} csrf={csrf} report={report} rows={shown} filters={f}
      schools={schools.map((x) => ({ externalId: x.external_id, name: x.name }))} rules={allRules.map((x) => ({ code: x.code, title: x.title }))}
      budget={budget} syncAge={syncAge} csvHref={`/report.csv${qs ? `?${qs}` : ''}`} />);
  }));

  r.get('/report.csv', page('read', async (c) => {
    const { report, rows: shown } = await loadReport(reportFilters(c));
    // UTF-8 with a byte-order mark: without it Excel reads the file as the machine's code page and mangles accents.
    const body = `\uFEFF${formatReportCsv({ ...report, discrepancies: shown }).replace(/\n/g, '\r\n')}\r\n`;
    c.header('content-type', 'text/csv; charset=utf-8');
    c.header('content-disposition', `attachment; filename="rollcall-report-${report.asOf}.csv"`);
    c.header('cache-control', 'no-store');
    return c.body(body);
  }));

  r.get('/runs', page('read', async (c, s, csrf) => {
    const source = c.req.query('source')?.trim() ?? '';
    const cursor = c.req.query('cursor') || undefined;
    const list = await listRuns(db.orm, { limit: 50, ...(source ? { source } : {}), ...(cursor ? { cursor } : {}) });
    const held = new Set((await heldRuns(db)).map((h) => h.id));
    const older = list.nextCursor ? `/runs?${new URLSearchParams({ ...(source ? { source } : {}), cursor: list.nextCursor }).toString()}` : null;
    return render(c, <RunsPage session={s} csrf={csrf} district={district} runs={list.data} held={held} source={source} sources={config.sources.map((x) => x.id)} now={new Date()} older={older} />);
  }));

  r.post('/runs/:id/approve', page('admin', async (c, s) => {
    const id = Number(c.req.param('id'));
    if (!Number.isInteger(id) || id <= 0) return errorPage(c, 400, 'No such run', `"${c.req.param('id')}" is not a run id.`, s);
    const out = await approveHeldRun({ db, config, log }, id, `pages:${s.identity.name}`);
    await recordAudit(db.orm, s.identity.name, 'run.approve', `run:${id}`, { approvingRun: out.approved.runId, status: out.approved.status, via: 'pages' });
    if (out.approved.status !== 'succeeded') {
      return errorPage(c, 409, `Run #${id} was not approved`, `Nothing was applied: ${out.approved.error ?? out.approved.skipped ?? out.approved.status}.`, s);
    }
    return c.redirect(`/?approved=${id}`, 303);
  }));

  r.get('/quarantine', page('read', async (c, s, csrf) => {
    const runText = c.req.query('run')?.trim() ?? '';
    const source = c.req.query('source')?.trim() ?? '';
    const outcome = c.req.query('outcome')?.trim() ?? '';
    if (runText && !/^\d+$/.test(runText)) throw new ValidationError(`run must be a run id (a number), not "${runText}"`);
    if (outcome && !QUARANTINE_OUTCOMES.includes(outcome as QuarantineOutcome)) throw new ValidationError(`outcome must be one of ${QUARANTINE_OUTCOMES.join(', ')}`);
    // The raw record is the source's own row: only an admin sees it, and only on asking.
    const raw = c.req.query('raw') === '1' && allows(s.identity.scope, 'admin');
    const list = await listQuarantine(db, {
      ...(runText ? { runId: Number(runText) } : {}), ...(source ? { source } : {}), ...(outcome ? { outcome: outcome as QuarantineOutcome } : {}), raw,
    });
    const u = new URL(c.req.url);
    u.searchParams.set('raw', '1');
    return render(c, <QuarantinePage session={s} csrf={csrf} district={district} list={list} filters={{ run: runText, source, outcome, raw }}
      sources={config.sources.map((x) => x.id)} rawHref={`/quarantine?${u.searchParams.toString()}`} />);
  }));

  r.get('/devices/:serial', page('read', async (c, s, csrf) => {
    const device = await getDeviceDetail(db.orm, c.req.param('serial') ?? '');
    const done = c.req.query('done');
    const flash = done === 'checkout' ? `Checked out to ${device.holder?.name ?? device.holder?.email ?? 'the person chosen'}.` : done === 'checkin' ? 'Checked in.' : undefined;
    return render(c, <DevicePage session={s} csrf={csrf} district={district} device={device} flash={flash} />);
  }));

  /** Check-out: `personId` (from the chooser), or `person` text that must match exactly one active person. */
  r.post('/devices/:serial/checkout', page('write', async (c, s, csrf) => {
    const device = await getDeviceDetail(db.orm, c.req.param('serial') ?? '');
    const body = await c.req.parseBody();
    const reason = typeof body.reason === 'string' ? body.reason.trim().slice(0, 200) : '';
    let personId = typeof body.personId === 'string' && /^\d+$/.test(body.personId) ? Number(body.personId) : null;
    if (personId === null) {
      const typed = typeof body.person === 'string' ? body.person.trim() : '';
      if (!typed) throw new ValidationError('person: type a name, email or SIS id');
      const found = await listPeople(db.orm, { q: typed, status: 'active', limit: 20 });
      if (found.data.length === 0) throw new NotFoundError(`no active person matches "${typed}"`);
      if (found.data.length > 1) {
        return render(c, <ChoosePersonPage session={s} csrf={csrf} district={district} serial={device.serial} typed={typed} people={found.data} reason={reason} />);
      }
      personId = found.data[0]!.id;
    }
    await checkOut(db, { serial: device.serial, personId, actor: s.identity.name, ...(reason ? { reason } : {}) });
    return c.redirect(`/devices/${encodeURIComponent(device.serial)}?done=checkout`, 303);
  }));

  r.post('/assignments/:id/end', page('write', async (c, s) => {
    const id = Number(c.req.param('id'));
    if (!Number.isSafeInteger(id) || id <= 0) throw new NotFoundError(`no assignment with id "${c.req.param('id')}"`);
    const body = await c.req.parseBody();
    const reason = typeof body.reason === 'string' ? body.reason : '';
    if (!(END_REASONS as readonly string[]).includes(reason)) throw new ValidationError(`reason: expected one of ${END_REASONS.join(', ')}`);
    const note = typeof body.note === 'string' && body.note.trim() ? body.note.trim().slice(0, 500) : undefined;
    const rec = await checkIn(db, { assignmentId: id, reason: reason as EndReason, actor: s.identity.name, ...(note ? { note } : {}) });
    return c.redirect(`/devices/${encodeURIComponent(rec.serial)}?done=checkin`, 303);
  }));

  r.get('/people/:id', page('read', async (c, s, csrf) => {
    const id = Number(c.req.param('id'));
    if (!Number.isSafeInteger(id) || id <= 0) throw new NotFoundError(`no person with id "${c.req.param('id')}"`);
    const person = await getPersonDetail(db.orm, id);
    return render(c, <PersonPage session={s} csrf={csrf} district={district} person={person} />);
  }));

  r.get('/search', page('read', async (c, s, csrf) => {
    const q = c.req.query('q')?.trim() ?? '';
    if (!q) return render(c, <SearchPage session={s} csrf={csrf} district={district} q="" devices={[]} people={[]} more={{ devices: false, people: false }} />);
    const devices = await listDevices(db.orm, { q, limit: 25 });
    const people = await listPeople(db.orm, { q, limit: 25 });
    // One device and no one else: a scanned serial or asset tag goes straight to its page.
    if (devices.data.length === 1 && people.data.length === 0) return c.redirect(`/devices/${encodeURIComponent(devices.data[0]!.serial)}`, 303);
    return render(c, <SearchPage session={s} csrf={csrf} district={district} q={q} devices={devices.data} people={people.data}
      more={{ devices: devices.nextCursor !== null, people: people.nextCursor !== null }} />);
  }));

  r.onError((err, c) => {
    const s = readSession(c, key, tokens);
    if (err instanceof AppError) {
      const status = httpStatusOf(err.code) as 400 | 404 | 409 | 500 | 502 | 503;
      if (status >= 500) log.error({ err, requestId: c.get('requestId') }, 'page failed');
      return errorPage(c, status, status === 400 ? 'Check the filters' : status === 404 ? 'Not found' : 'Could not do that', err.message, s);
    }
    log.error({ err, requestId: c.get('requestId') }, 'page failed');
    return errorPage(c, 500, 'Something went wrong', 'The page could not be built. The log has the details under this request id.', s);
  });
  return r;
}
