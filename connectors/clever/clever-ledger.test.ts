/**
 * The Clever connector through the real pipeline: config parsed by src/config (tokenFile), runSync, the ledger on
 * an embedded PGlite database, msw answering like Clever v3.0. A full run records the events cursor; a delta run
 * applies a create, an update and a delete from the Events API, moves the cursor, and replaying the same events
 * changes nothing (idempotent).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, type TestDb } from '../../test/helpers/db.js';
import { configWith, count, fingerprint, sync } from '../../test/helpers/ledger.js';
import { cid, event, page, school, section, student } from './fixtures/clever-shapes.js';

const BASE = 'https://clever-ledger.example.test';
const TOKEN = 'tok-LEDGER-SECRET-0a1b2c';
const server = setupServer();
let t: TestDb;
beforeAll(async () => {
  server.listen({ onUnhandledRequest: 'error' });
  t = await freshDatabase('pglite');
});
afterEach(() => server.resetHandlers());
afterAll(async () => {
  server.close();
  await t?.drop();
});

const dir = mkdtempSync(path.join(tmpdir(), 'clever-ledger-'));
const tokenFile = path.join(dir, 'clever-token');
writeFileSync(tokenFile, `${TOKEN}\n`);
// Two people and one explicit delete is 50%: over the default threshold, a small test district would be held.
const config = configWith(`  - id: clever\n    kind: clever\n    baseUrl: ${BASE}\n    tokenFile: ${tokenFile}\n    events: true\n    deletionThreshold: { percent: 100, absolute: 1000 }\n`);

function list(resource: string, objs: { id: string }[]) {
  return http.get(`${BASE}/v3.0/${resource}`, ({ request }) => {
    if (request.headers.get('authorization') !== `Bearer ${TOKEN}`) return new HttpResponse(null, { status: 401 });
    return HttpResponse.json(page(resource, objs));
  });
}

/** Events after `starting_after` (all of them when `replay`, as if the cursor had been lost). */
function events(evs: ReturnType<typeof event>[], replay = false) {
  return http.get(`${BASE}/v3.0/events`, ({ request }) => {
    const after = new URL(request.url).searchParams.get('starting_after');
    const start = after && !replay ? evs.findIndex((e) => e.id === after) + 1 : 0;
    return HttpResponse.json(page('events', evs.slice(start)));
  });
}

const alice = student(1);
const bob = student(2);
const carol = student(3);
const sec = section(1, [alice.id, bob.id], []);
const older = event(1, 'schools.updated', school(1));
const delta = [
  older,
  event(2, 'users.created', carol),
  event(3, 'users.updated', { ...alice, email: 'alice.new@students.example.org' }, { email: alice.email }),
  event(4, 'users.deleted', bob),
  event(5, 'sections.updated', { ...sec, students: [alice.id, carol.id] }, { students: [alice.id, bob.id] }),
];

async function cursor(): Promise<unknown> {
  const r: unknown = await t.db.orm.execute(sql`select cursor from sources where id = 'clever'`);
  // PGlite answers { rows }, postgres.js an array of rows.
  const rowsOf = (r as { rows?: { cursor: unknown }[] }).rows ?? (r as { cursor: unknown }[]);
  return rowsOf[0]?.cursor;
}

describe('clever through runSync and the ledger', () => {
  it('full run, then an events delta with a create, an update and a delete, applied idempotently', async () => {
    server.use(list('schools', [school(1)]), list('users', [alice, bob]), list('sections', [sec]), events([older]));
    const full = await sync(t.db, config, 'clever');
    expect(full.status).toBe('succeeded');
    expect(await count(t.db, 'people', `source_id = 'clever' and deactivated_at is null`)).toBe(2);
    expect(await count(t.db, 'enrollments', `source_id = 'clever' and deactivated_at is null`)).toBe(2);
    expect(await cursor()).toEqual({ lastEventId: older.id });

    server.resetHandlers();
    server.use(events(delta));
    const d = await sync(t.db, config, 'clever', { mode: 'delta' });
    expect(d.error).toBeUndefined();
    expect(d.status).toBe('succeeded');
    expect(await count(t.db, 'people', `source_id = 'clever'`)).toBe(3);
    expect(await count(t.db, 'people', `external_id = '${carol.id}' and deactivated_at is null`)).toBe(1);
    expect(await count(t.db, 'people', `external_id = '${alice.id}' and email = 'alice.new@students.example.org' and deactivated_at is null`)).toBe(1);
    expect(await count(t.db, 'people', `external_id = '${bob.id}' and deactivated_at is not null`)).toBe(1);
    expect(await count(t.db, 'enrollments', `person_external_id = '${bob.id}' and deactivated_at is not null`)).toBe(1);
    expect(await count(t.db, 'enrollments', `source_id = 'clever' and deactivated_at is null`)).toBe(2);
    expect(await count(t.db, 'quarantine', `source_id = 'clever'`)).toBe(0);
    expect(await cursor()).toEqual({ lastEventId: cid('6e', 5) });

    // The same events again (a lost cursor): the ledger ends in the same state, no row changes.
    const before = await fingerprint(t.db);
    server.resetHandlers();
    server.use(events(delta, true));
    expect((await sync(t.db, config, 'clever', { mode: 'delta' })).status).toBe('succeeded');
    const after = await fingerprint(t.db);
    expect({ people: after.people, enrollments: after.enrollments, orgs: after.orgs }).toEqual({ people: before.people, enrollments: before.enrollments, orgs: before.orgs });
  }, 60_000);
});
