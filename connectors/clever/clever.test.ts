/**
 * The Clever connector against msw servers answering like Clever v3.0, through the real shared HTTP helper
 * (createConnectorCtx).
 */
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createConnectorCtx } from '../../src/sync/connector-ctx.js';
import type { Batch, ReadOptions, RecordByStream, SourceConnector } from '../types.js';
import { clever } from './index.js';
import {
  SCHOOL_A, SCHOOL_B, cid, event, page, school, section, student, teacherAndStaff,
} from './fixtures/clever-shapes.js';

/** src/config's SourceConfig, named through createConnectorCtx (connector tests may not import src/config). */
type SourceConfig = Parameters<typeof createConnectorCtx>[0];

const BASE = 'https://clever.example.test';
const TOKEN = 'tok-DISTRICT-SECRET-9f8e7d';
const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

const logLines: string[] = [];
const log = pino({ level: 'debug' }, { write: (s: string) => logLines.push(s) });

/**
 * A `sources[]` entry as src/config hands it over (connector tests may not import the config loader: lint
 * boundary). `tokenFile` is resolved by the loader into `token`, so the connector only ever sees `token`.
 */
function source(extra: Record<string, unknown> = {}): SourceConfig {
  return {
    id: 'clever', kind: 'clever', enabled: true, connector: clever as SourceConnector<unknown>,
    settings: clever.configSchema.parse({ baseUrl: BASE, token: TOKEN, pageSize: 5, ...extra }),
    deletionThreshold: { percent: 10, absolute: 500 },
  };
}

const ctxFor = (s: SourceConfig) => createConnectorCtx(s, log, new AbortController().signal);

async function readAll(s: SourceConfig, opts: ReadOptions = { mode: 'full' }): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const b of s.connector.read(ctxFor(s), opts)) out.push(b);
  return out;
}

const of = <S extends Batch['stream']>(batches: Batch[], stream: S) => batches.filter((b): b is Extract<Batch, { stream: S }> => b.stream === stream);
const recordsOf = <S extends Batch['stream']>(batches: Batch[], stream: S): RecordByStream[S][] =>
  batches.filter((b) => b.stream === stream).flatMap((b) => b.records as RecordByStream[S][]);

/** Serves `objs` as a Clever list: `limit` per page, next links `?limit=&starting_after=<last id>` (relative). */
function list(resource: string, objs: { id: string }[], hits: string[] = []) {
  return http.get(`${BASE}/v3.0/${resource}`, ({ request }) => {
    const u = new URL(request.url);
    hits.push(u.search);
    expect(request.headers.get('authorization')).toBe(`Bearer ${TOKEN}`);
    const limit = Number(u.searchParams.get('limit') ?? 100);
    const after = u.searchParams.get('starting_after');
    const start = after ? objs.findIndex((o) => o.id === after) + 1 : 0;
    const slice = objs.slice(start, start + limit);
    const more = start + limit < objs.length;
    const next = more ? `/v3.0/${resource}?limit=${limit}&starting_after=${slice[slice.length - 1]!.id}` : undefined;
    return HttpResponse.json(page(resource, slice, next));
  });
}

const noEvents = { events: false };
const basics = (users: { id: string }[], hits: string[] = []) => [
  list('schools', [school(1), school(2)]),
  list('users', users, hits),
  list('sections', []),
];

describe('clever full reads', () => {
  it('reads a two-page list through relative next links, as one bulk snapshot', async () => {
    const hits: string[] = [];
    const users = Array.from({ length: 10 }, (_, i) => student(i + 1));
    server.use(...basics(users, hits));
    const batches = await readAll(source(noEvents));
    expect(hits).toHaveLength(2);
    expect(hits[1]).toContain(`starting_after=${users[4]!.id}`);
    const people = recordsOf(batches, 'people');
    expect(people.map((p) => p.externalId)).toEqual(users.map((u) => u.id));
    expect(of(batches, 'people').every((b) => b.processingMode === 'bulk')).toBe(true);
    expect(recordsOf(batches, 'orgs').map((o) => o.externalId)).toEqual([SCHOOL_A, SCHOOL_B]);
    const p = people[0]!;
    expect(p).toMatchObject({
      role: 'student', sisId: 'S1', email: 's1@students.example.org', username: 's1', grades: ['5'],
      primaryOrgExternalId: SCHOOL_A,
    });
    expect(p.userIds).toEqual(expect.arrayContaining(['student_number:10001', 'district_username:s1']));
  });

  it('reads a ten-page list completely', async () => {
    const hits: string[] = [];
    const users = Array.from({ length: 50 }, (_, i) => student(i + 1));
    server.use(...basics(users, hits));
    const people = recordsOf(await readAll(source(noEvents)), 'people');
    expect(hits).toHaveLength(10);
    expect(new Set(people.map((p) => p.externalId)).size).toBe(50);
  });

  it('waits out a 429 that carries only X-RateLimit-Reset (Unix seconds)', async () => {
    let calls = 0;
    let resetMs = 0;
    let secondAt = 0;
    server.use(
      list('schools', [school(1)]), list('sections', []),
      http.get(`${BASE}/v3.0/users`, () => {
        calls++;
        if (calls === 1) {
          // 1-2 s ahead: longer than the connector's 250 ms fallback backoff, so only the header explains the wait.
          const reset = Math.floor(Date.now() / 1000) + 2;
          resetMs = reset * 1000;
          return new HttpResponse('{"error":"rate limit"}', { status: 429, headers: { 'X-RateLimit-Reset': String(reset), 'content-type': 'application/json' } });
        }
        secondAt = Date.now();
        return HttpResponse.json(page('users', [student(1)]));
      }),
    );
    const people = recordsOf(await readAll(source(noEvents)), 'people');
    expect(calls).toBe(2);
    expect(secondAt).toBeGreaterThanOrEqual(resetMs);
    expect(people).toHaveLength(1);
  });

  it('retries a 500 three times, then reads the page', async () => {
    let calls = 0;
    server.use(
      list('schools', [school(1)]), list('sections', []),
      http.get(`${BASE}/v3.0/users`, () => (++calls <= 3
        ? HttpResponse.json({ error: 'internal' }, { status: 500 })
        : HttpResponse.json(page('users', [student(1), student(2)])))),
    );
    const people = recordsOf(await readAll(source(noEvents)), 'people');
    expect(calls).toBe(4);
    expect(people).toHaveLength(2);
  }, 15_000);

  it('fails the read when a page keeps failing (nothing is yielded as a complete snapshot)', async () => {
    server.use(
      list('schools', [school(1)]), list('sections', []),
      http.get(`${BASE}/v3.0/users`, ({ request }) => (new URL(request.url).searchParams.get('starting_after')
        ? HttpResponse.json({ error: 'bad' }, { status: 400 })
        : HttpResponse.json(page('users', [student(1)], `/v3.0/users?limit=5&starting_after=${student(1).id}`)))),
    );
    const batches: Batch[] = [];
    await expect((async () => {
      for await (const b of source(noEvents).connector.read(ctxFor(source(noEvents)), { mode: 'full' })) batches.push(b);
    })()).rejects.toMatchObject({ code: 'http_status' });
    expect(of(batches, 'people')).toHaveLength(0);
  });

  it('waits out a 429 whose body is not JSON', async () => {
    let calls = 0;
    server.use(
      list('schools', [school(1)]), list('sections', []),
      http.get(`${BASE}/v3.0/users`, () => (++calls === 1
        ? new HttpResponse('Too Many Requests', { status: 429, headers: { 'X-RateLimit-Reset': String(Math.floor(Date.now() / 1000)) } })
        : HttpResponse.json(page('users', [student(1)])))),
    );
    expect(recordsOf(await readAll(source(noEvents)), 'people')).toHaveLength(1);
    expect(calls).toBe(2);
  });

  it('fails the read when a next link does not continue after the page\'s last item', async () => {
    server.use(
      list('schools', [school(1)]), list('sections', []),
      http.get(`${BASE}/v3.0/users`, ({ request }) => (new URL(request.url).searchParams.get('starting_after')
        ? HttpResponse.json(page('users', []))
        : HttpResponse.json(page('users', [student(1), student(2)], `/v3.0/users?limit=5&starting_after=${student(9).id}`)))),
    );
    await expect(readAll(source(noEvents))).rejects.toMatchObject({ code: 'incomplete_read' });
  });

  it('fails on HTML instead of a list (the wrong kind of token), and check says so', async () => {
    server.use(list('schools', [school(1)]), http.get(`${BASE}/v3.0/users`, () => HttpResponse.html('<html>login</html>')));
    await expect(readAll(source(noEvents))).rejects.toMatchObject({ code: 'http_bad_body' });
    const s = source(noEvents);
    expect((await s.connector.check(ctxFor(s))).message).toMatch(/other than JSON: is this a district-app token/);
  });

  it('fails the read on a section it cannot read, since its enrollments could not be kept', async () => {
    server.use(list('schools', [school(1)]), list('users', [student(1)]), list('sections', [section(1, [student(1).id], []), { ...section(2, [], []), students: 'nope' } as never]));
    await expect(readAll(source(noEvents))).rejects.toMatchObject({ code: 'source_format' });
  });

  it('makes a teacher+staff user one person with the teacher role', async () => {
    const u = teacherAndStaff(1);
    server.use(...basics([u]));
    const batches = await readAll(source(noEvents));
    const people = recordsOf(batches, 'people');
    expect(people).toHaveLength(1);
    expect(people[0]).toMatchObject({
      externalId: u.id, role: 'teacher', sisId: 'T1', username: 't1', email: 't1@example.org',
      primaryOrgExternalId: SCHOOL_A, metadata: { cleverRoles: 'teacher,staff' },
    });
    expect(people[0]!.orgExternalIds.sort()).toEqual([SCHOOL_A, SCHOOL_B].sort());
    expect(people[0]!.userIds).toEqual(expect.arrayContaining(['teacher_number:901', 'staff_id:STF1', 'district_username:staff1']));
    expect(of(batches, 'people').flatMap((b) => b.rejects)).toEqual([]);
  });

  it('keeps a user with a null email as a person, not a reject', async () => {
    server.use(...basics([student(1, { email: null })]));
    const batches = await readAll(source(noEvents));
    expect(recordsOf(batches, 'people')).toMatchObject([{ externalId: student(1).id, email: null, role: 'student' }]);
    expect(of(batches, 'people').flatMap((b) => b.rejects)).toEqual([]);
  });

  it('maps sections to one enrollment per section x student / teacher', async () => {
    const s1 = student(1);
    const s2 = student(2);
    const t = teacherAndStaff(1);
    server.use(list('schools', [school(1)]), list('users', [s1, s2, t]), list('sections', [section(1, [s1.id, s2.id], [t.id])]));
    const enr = recordsOf(await readAll(source(noEvents)), 'enrollments');
    expect(enr.map((e) => [e.personExternalId, e.role, e.primary])).toEqual([
      [s1.id, 'student', null], [s2.id, 'student', null], [t.id, 'teacher', true],
    ]);
    expect(enr.every((e) => e.classExternalId === cid('5f', 1) && e.schoolExternalId === SCHOOL_A)).toBe(true);
  });
});

describe('clever events delta', () => {
  const alice = student(1);
  const bob = student(2);
  const carol = student(3);
  const sec = section(1, [alice.id, bob.id], [teacherAndStaff(1).id]);
  const events = [
    event(1, 'users.created', carol),
    event(2, 'users.updated', { ...alice, email: 'alice.new@students.example.org' }, { email: alice.email }),
    event(3, 'users.deleted', bob),
    event(4, 'sections.updated', { ...sec, students: [alice.id, carol.id] }, { students: [alice.id, bob.id] }),
    event(5, 'courses.updated', { id: cid('5b', 1) }),
  ];

  function serveEvents(seen: (string | null)[]) {
    return http.get(`${BASE}/v3.0/events`, ({ request }) => {
      const after = new URL(request.url).searchParams.get('starting_after');
      seen.push(after);
      const start = after ? events.findIndex((e) => e.id === after) + 1 : 0;
      const slice = events.slice(start, start + 3);
      const next = start + 3 < events.length ? `/v3.0/events?limit=3&starting_after=${slice[slice.length - 1]!.id}` : undefined;
      return HttpResponse.json(page('events', slice, next));
    });
  }

  it('applies a create, an update and a delete as delta batches and returns the last event id as cursor', async () => {
    const seen: (string | null)[] = [];
    server.use(serveEvents(seen));
    const batches = await readAll(source(), { mode: 'delta', cursor: { lastEventId: cid('6e', 0) } });
    expect(seen[0]).toBe(cid('6e', 0));
    expect(batches.every((b) => b.processingMode === 'delta')).toBe(true);
    expect(batches.at(-1)!.cursor).toEqual({ lastEventId: cid('6e', 5) });
    const people = recordsOf(batches, 'people');
    expect(people.map((p) => [p.externalId, p.deleted])).toEqual([[carol.id, false], [alice.id, false], [bob.id, true]]);
    expect(people.find((p) => p.externalId === alice.id)!.email).toBe('alice.new@students.example.org');
    const enr = recordsOf(batches, 'enrollments');
    const bobEnr = enr.find((e) => e.personExternalId === bob.id)!;
    expect(bobEnr.deleted).toBe(true);
    expect(enr.filter((e) => !e.deleted).map((e) => e.personExternalId).sort()).toEqual([alice.id, carol.id, teacherAndStaff(1).id].sort());
  });

  it('deactivates a deleted user or school by id even when the event carries no roles or name', async () => {
    const bare = { id: cid('5d', 77), district: 'x', email: null, name: null, roles: {} };
    const evs = [event(1, 'users.deleted', bare), event(2, 'schools.deleted', { id: cid('5c', 7), name: '' })];
    server.use(http.get(`${BASE}/v3.0/events`, () => HttpResponse.json(page('events', evs))));
    const batches = await readAll(source(), { mode: 'delta', cursor: { lastEventId: null } });
    expect(recordsOf(batches, 'people')).toMatchObject([{ externalId: bare.id, deleted: true }]);
    expect(batches.flatMap((b) => b.warnings ?? []).map((w) => w.field).sort()).toEqual(['name', 'role']);
    expect(recordsOf(batches, 'orgs')).toMatchObject([{ externalId: cid('5c', 7), deleted: true }]);
    expect(batches.flatMap((b) => b.rejects)).toEqual([]);
  });

  it('a full read records the newest event id before reading, so the next delta starts there', async () => {
    server.use(serveEvents([]), ...basics([alice]));
    const batches = await readAll(source());
    expect(batches.at(-1)!.cursor).toEqual({ lastEventId: cid('6e', 5) });
  });

  it('a full read still succeeds when the Events API is refused, with a notice and no cursor', async () => {
    server.use(http.get(`${BASE}/v3.0/events`, () => HttpResponse.json({ error: 'events disabled' }, { status: 403 })), ...basics([alice]));
    const batches = await readAll(source(), { mode: 'full', cursor: { lastEventId: cid('6e', 1) } });
    expect(recordsOf(batches, 'people')).toHaveLength(1);
    expect(batches.every((b) => b.cursor === undefined)).toBe(true);
    expect(batches.flatMap((b) => b.notices ?? []).join()).toMatch(/Events API answered 403: no delta cursor was recorded/);
  });

  it('fails a delta whose events call is refused, with a message that says what to do', async () => {
    server.use(http.get(`${BASE}/v3.0/events`, () => HttpResponse.json({ error: 'gone' }, { status: 404 })));
    await expect(readAll(source(), { mode: 'delta', cursor: { lastEventId: cid('6e', 1) } }))
      .rejects.toThrow(/Events API answered 404: events may be disabled for this district or the cursor aged out/);
  });

  it('refuses a delta when events: false, or before any full run', async () => {
    await expect(readAll(source(noEvents), { mode: 'delta', cursor: { lastEventId: null } })).rejects.toMatchObject({ code: 'delta_unsupported' });
    await expect(readAll(source(), { mode: 'delta' })).rejects.toMatchObject({ code: 'delta_unsupported' });
  });
});


describe('clever check', () => {
  it('answers "authenticated, N users visible" and says whether deltas are possible', async () => {
    server.use(list('users', [student(1), student(2)]), http.get(`${BASE}/v3.0/events`, () => HttpResponse.json(page('events', []))));
    const s = source();
    const r = await s.connector.check(ctxFor(s));
    expect(r).toMatchObject({ ok: true });
    expect(r.message).toBe('authenticated, 2 users visible; Events API reachable: delta runs enabled');
    const off = source(noEvents);
    expect((await off.connector.check(ctxFor(off))).message).toBe('authenticated, 2 users visible; events: false, so full runs only (delta runs are refused)');
  });

  it('says full runs only when the Events API is refused', async () => {
    server.use(list('users', [student(1)]), http.get(`${BASE}/v3.0/events`, () => HttpResponse.json({ error: 'events disabled' }, { status: 403 })));
    const s = source();
    const r = await s.connector.check(ctxFor(s));
    expect(r.ok).toBe(true);
    expect(r.message).toContain('Events API unavailable (403): full runs only');
  });

  it('names a refused token exactly, without the token', async () => {
    server.use(http.get(`${BASE}/v3.0/users`, () => HttpResponse.json({ error: 'invalid token' }, { status: 401 })));
    const s = source();
    const r = await s.connector.check(ctxFor(s));
    expect(r).toEqual({ ok: false, message: 'Clever refused the token (401): wrong or revoked district token' });
  });

  it('refuses an http:// base URL unless allowInsecure', () => {
    const bad = clever.configSchema.safeParse({ baseUrl: 'http://clever.example.test', token: 'x' });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.message).toMatch(/http:\/\/ baseUrl is refused/);
    expect(clever.configSchema.safeParse({ baseUrl: 'http://localhost:8080', token: 'x', allowInsecure: true }).success).toBe(true);
  });
});

describe('secrets', () => {
  it('never writes the token to a debug log or an error message', async () => {
    logLines.length = 0;
    let n = 0;
    server.use(
      list('schools', [school(1)]), list('sections', []),
      http.get(`${BASE}/v3.0/users`, () => (++n === 1
        ? new HttpResponse(null, { status: 429, headers: { 'X-RateLimit-Reset': String(Math.floor(Date.now() / 1000)) } })
        : HttpResponse.json({ error: 'nope' }, { status: 401 }))),
    );
    const err = await readAll(source(noEvents)).catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(Error);
    expect(logLines.length).toBeGreaterThan(0);
    const all = [...logLines, (err as Error).message, JSON.stringify(err), String((err as Error).stack)].join('\n');
    expect(all).not.toContain(TOKEN);
    expect(all).not.toContain('DISTRICT-SECRET');
  });
});
