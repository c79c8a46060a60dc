import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { strToU8, unzipSync, zipSync } from 'fflate';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { IncompleteReadError, SourceFormatError } from '../../src/errors.js';
import { createHttpClient } from '../../src/http/client.js';
import type { Batch, EnrollmentRecord, OrgRecord, PersonRecord, Reject } from '../types.js';
import { configSchema, onerosterCsv, type OneRosterCsvConfig } from './index.js';
import { parseUserIds } from './mapper.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const local = (name: string) => path.join(here, 'fixtures', name);
// All in the repo (fixtures/README.md says where each comes from), so a clean clone tests itself.
const EDFI = local('edfi-1.1');
const LDAP = local('ldap-1.1');
const MINIMAL_ZIP = local('minimal-1.1.zip');
const V12 = local('v1p2-vendor');

interface LogLine { level: number; msg: string; [k: string]: unknown }

function makeCtx(config: Partial<OneRosterCsvConfig> & { path: string }) {
  const lines: LogLine[] = [];
  const log = pino({ level: 'warn' }, { write: (s: string) => void lines.push(JSON.parse(s) as LogLine) });
  const ctx = {
    config: configSchema.parse(config),
    http: createHttpClient({ name: 'test', log }),
    log,
    signal: new AbortController().signal,
    now: () => new Date(),
  };
  return { ctx, warnings: () => lines.filter((l) => l.level === 40) };
}

async function readAll(config: Partial<OneRosterCsvConfig> & { path: string }) {
  const { ctx, warnings } = makeCtx(config);
  const batches: Batch[] = [];
  for await (const b of onerosterCsv.read(ctx, { mode: 'full' })) batches.push(b);
  const of = (stream: Batch['stream']) => batches.filter((b) => b.stream === stream);
  return {
    batches,
    warnings,
    orgs: batches.flatMap((b): OrgRecord[] => (b.stream === 'orgs' ? b.records : [])),
    people: batches.flatMap((b): PersonRecord[] => (b.stream === 'people' ? b.records : [])),
    enrollments: batches.flatMap((b): EnrollmentRecord[] => (b.stream === 'enrollments' ? b.records : [])),
    rejects: (stream: Batch['stream']) => of(stream).flatMap((b) => b.rejects),
  };
}

/** Error thrown by a read, for asserting on its class and message. */
async function readError(config: { path: string }): Promise<unknown> {
  try {
    await readAll(config);
  } catch (e) {
    return e;
  }
  throw new Error('read did not fail');
}

/** Independent count of a file's data rows and sourcedIds, straight from csv-parse, for the "every row" checks. */
async function sourceIds(set: string, file: string): Promise<string[]> {
  const text = set.endsWith('.zip')
    ? new TextDecoder().decode(unzipSync(new Uint8Array(await readFile(set)))[file])
    : await readFile(path.join(set, file), 'utf8');
  const rows = parse(text, { bom: true, relax_column_count: true, skip_empty_lines: true }) as string[][];
  return rows.slice(1).map((r) => r[0] ?? '');
}

/** Every data row of the file became exactly one record or one reject. */
function expectAllAccounted(ids: string[], records: { externalId: string }[], rejects: Reject[], file: string) {
  const own = rejects.filter((r) => r.location?.startsWith(`${file}:`));
  expect(records.length + own.length).toBe(ids.length);
  expect([...records.map((r) => r.externalId), ...own.map((r) => r.externalId)].sort()).toEqual([...ids].sort());
}

describe('configSchema', () => {
  it('applies defaults and refuses unknown keys', () => {
    expect(configSchema.parse({ path: '/x' })).toEqual({ path: '/x', batchSize: 2000, schoolTypes: ['school'], encoding: 'utf-8' });
    expect(configSchema.parse({ path: '/x', roleMap: { Pupil: 'student' } }).roleMap).toEqual({ pupil: 'student' });
    expect(configSchema.safeParse({ path: '/x', roleMap: { pupil: 'learner' } }).success).toBe(false);
    expect(configSchema.safeParse({ path: '/x', encoding: 'ebcdic' }).success).toBe(false);
    expect(configSchema.safeParse({ path: '/x', batch: 5 }).success).toBe(false);
    expect(configSchema.safeParse({ path: '/x', batchSize: 0 }).success).toBe(false);
  });

  it('describes the connector', () => {
    expect(onerosterCsv.kind).toBe('oneroster-csv');
    expect(onerosterCsv.streams).toEqual(['orgs', 'people', 'enrollments']);
    expect(onerosterCsv.supportsDelta).toBe(true);
  });
});

describe('parseUserIds', () => {
  it('reads the {type:id} list form', () => {
    expect(parseUserIds('{LDAP:12},{LTI:15},{Fed:23}')).toEqual(['LDAP:12', 'LTI:15', 'Fed:23']);
    expect(parseUserIds('')).toEqual([]);
    expect(parseUserIds('LDAP:1, Fed:2')).toEqual(['LDAP:1', 'Fed:2']);
  });
});

describe('Ed-Fi OneRoster 1.1 sample (directory)', () => {
  it('reads 2 orgs, 10 people, 24 enrollments with no rejects, in stream order, all bulk', async () => {
    const r = await readAll({ path: EDFI });
    expect(r.batches.map((b) => b.stream)).toEqual(['orgs', 'people', 'enrollments']);
    expect(r.batches.map((b) => b.checkpoint)).toEqual([
      { file: 'orgs.csv', processingMode: 'bulk' },
      { file: 'users.csv', processingMode: 'bulk' },
      { file: 'enrollments.csv', processingMode: 'bulk' },
    ]);
    expect([r.orgs.length, r.people.length, r.enrollments.length]).toEqual([2, 10, 24]);
    expect([r.rejects('orgs'), r.rejects('people'), r.rejects('enrollments')]).toEqual([[], [], []]);
    expectAllAccounted(await sourceIds(EDFI, 'users.csv'), r.people, [], 'users.csv');
    expectAllAccounted(await sourceIds(EDFI, 'enrollments.csv'), r.enrollments, [], 'enrollments.csv');
    // metadata.* columns are the spec's extension form: no warning for them.
    expect(r.warnings()).toEqual([]);
  });

  it('maps orgs, students, teachers and enrollments', async () => {
    const r = await readAll({ path: EDFI });
    expect(r.orgs).toEqual([
      { externalId: '255901', name: 'Grand Bend ISD', type: 'district', identifier: null, parentExternalId: null, deleted: false, metadata: {} },
      { externalId: '255901001', name: 'Grand Bend High School', type: 'school', identifier: null, parentExternalId: '255901', deleted: false, metadata: {} },
    ]);
    expect(r.people.filter((p) => p.role === 'student')).toHaveLength(8);
    expect(r.people.filter((p) => p.role === 'teacher').map((p) => p.externalId)).toEqual(['207270', '207268']);
    expect(r.people[0]).toEqual({
      externalId: '604863', role: 'student', status: 'active', deleted: false,
      givenName: 'Mary', familyName: 'Archer', preferredName: null, email: 'Mary.Archer@studentgps.org',
      username: 'Mary Archer', sisId: null, userIds: ['Local:863'], grades: ['09'],
      orgExternalIds: ['255901001'], primaryOrgExternalId: '255901001', metadata: {},
    });
    // Teacher rows carry one trailing empty cell past the header: tolerated, and their fields still line up.
    const teacher = r.people.find((p) => p.externalId === '207270');
    expect(teacher).toMatchObject({ givenName: 'Kelley', email: 'Kelley.Christian@studentgps.org', grades: [], userIds: [] });
    expect(r.enrollments.filter((e) => e.primary === true)).toHaveLength(4);
    expect(r.enrollments[0]).toEqual({
      externalId: '6F4283DC-F831-4437-A9A3-E030C7AF0493', personExternalId: '604863',
      classExternalId: '25590100101Trad120ENG112011', schoolExternalId: '255901001', role: 'student',
      primary: null, beginDate: '2020-08-17', endDate: '2020-12-18', deleted: false,
    });
  });

  it('splits into batches of batchSize, each with the checkpoint', async () => {
    const r = await readAll({ path: EDFI, batchSize: 5 });
    const sizes = r.batches.map((b) => `${b.stream}:${b.records.length}`);
    expect(sizes).toEqual([
      'orgs:2', 'people:5', 'people:5', 'enrollments:5', 'enrollments:5', 'enrollments:5', 'enrollments:5', 'enrollments:4',
    ]);
    expect(r.batches.filter((b) => b.stream === 'enrollments').every((b) =>
      (b.checkpoint as { processingMode: string }).processingMode === 'bulk')).toBe(true);
  });
});

describe('hand-made OneRoster 1.1 sets', () => {
  it('ldap set: 1 org, 6 people, 6 enrollments, no rejects', async () => {
    const r = await readAll({ path: LDAP });
    expect([r.orgs.length, r.people.length, r.enrollments.length]).toEqual([1, 6, 6]);
    expect([...r.rejects('orgs'), ...r.rejects('people'), ...r.rejects('enrollments')]).toEqual([]);
    expectAllAccounted(await sourceIds(LDAP, 'users.csv'), r.people, [], 'users.csv');
    expectAllAccounted(await sourceIds(LDAP, 'enrollments.csv'), r.enrollments, [], 'enrollments.csv');
  });

  it('ldap set: maps {LDAP:n} userIds, roles, grades and the department-only org', async () => {
    const r = await readAll({ path: LDAP });
    expect(r.orgs[0]).toMatchObject({ externalId: 'org-dept-77', type: 'department', identifier: 'Science', parentExternalId: 'org-sch-77' });
    const ada = r.people.find((p) => p.externalId === 'usr-77-003');
    expect(ada).toMatchObject({
      role: 'parent', status: 'active', userIds: ['LDAP:31', 'LTI:15', 'Fed:23'], grades: ['10'],
      sisId: 'ada.reyes', email: 'ada.reyes@example.edu', orgExternalIds: ['org-dept-77'],
      // The only org is a department, and no school is listed: no primary school to pick.
      primaryOrgExternalId: null,
    });
    expect(r.people.map((p) => p.role)).toEqual(['teacher', 'student', 'parent', 'teacher', 'student', 'student']);
    // Status empty in a bulk file means active; enabledUser=TRUE is read case-insensitively.
    expect(r.people.find((p) => p.externalId === 'usr-77-002')).toMatchObject({ status: 'active', deleted: false, userIds: ['LDAP:12'] });
    expect(r.enrollments[0]).toMatchObject({ role: 'teacher', primary: false, beginDate: '2024-03-15', endDate: '2024-06-15' });
  });

  it('minimal set in a zip with a wrapping folder: empty optional cells as null/[]', async () => {
    const r = await readAll({ path: MINIMAL_ZIP });
    expect([r.orgs.length, r.people.length, r.enrollments.length]).toEqual([1, 6, 6]);
    expect([...r.rejects('orgs'), ...r.rejects('people'), ...r.rejects('enrollments')]).toEqual([]);
    expect(r.people[0]).toMatchObject({ externalId: 'usr-88-001', sisId: 'jo.lind', email: null, userIds: [], grades: [] });
    expect(r.enrollments.every((e) => e.beginDate === null && e.endDate === null && e.primary === null)).toBe(true);
  });
});

describe('OneRoster 1.2 set with vendor mistakes', () => {
  it('keeps the 5 users with D/M/Y dateLastModified, with a warning each naming the field and line', async () => {
    const r = await readAll({ path: V12 });
    expect([r.orgs.length, r.people.length, r.enrollments.length]).toEqual([1, 6, 6]);
    expect(r.rejects('people')).toEqual([]);
    const warnings = r.batches.filter((b) => b.stream === 'people').flatMap((b) => b.warnings ?? []);
    expect(warnings.map((x) => [x.externalId, x.field, x.location])).toEqual([
      ['usr-77-001', 'dateLastModified', 'users.csv:2'],
      ['usr-77-003', 'dateLastModified', 'users.csv:4'],
      ['usr-77-004', 'dateLastModified', 'users.csv:5'],
      ['usr-77-005', 'dateLastModified', 'users.csv:6'],
      ['usr-77-006', 'dateLastModified', 'users.csv:7'],
    ]);
    expect(warnings[4]?.reason).toContain('"15/06/2024"');
    expect(warnings[4]?.raw).toBe('15/06/2024');
    expectAllAccounted(await sourceIds(V12, 'users.csv'), r.people, [], 'users.csv');
    expect(r.rejects('enrollments')).toEqual([]);
  });

  it('takes role and orgs from roles.csv and keeps the misspelt preferred-name headers in metadata', async () => {
    const r = await readAll({ path: V12 });
    expect(r.people.find((p) => p.externalId === 'usr-77-002')).toEqual({
      externalId: 'usr-77-002', role: 'student', status: 'active', deleted: false,
      givenName: 'Tom', familyName: 'Reyes', preferredName: null, email: 'tom.reyes@example.edu',
      username: 'tom.reyes', sisId: 'tom.reyes', userIds: ['LDAP:12'], grades: ['12'],
      orgExternalIds: ['org-dept-77'], primaryOrgExternalId: 'org-dept-77',
      metadata: { prefferedGivenName: 'TJ' },
    });
  });

  it('warns once per file about unknown headers, with header names only', async () => {
    const r = await readAll({ path: V12 });
    const w = r.warnings();
    expect(w.map((l) => [l.file, l.headers])).toEqual([
      ['roles.csv', ['dataLastModified']],
      ['users.csv', ['prefferedGivenName', 'prefferedMiddleName', 'prefferedFamilyName']],
    ]);
    const logged = JSON.stringify(w);
    for (const personal of ['TJ', 'Ro', 'example.edu', 'usr-77', 'Secret']) expect(logged).not.toContain(personal);
  });
});

describe('hand-made fixtures', () => {
  it('delta manifest: processingMode delta, absent orgs not read, tobedeleted → deleted', async () => {
    const r = await readAll({ path: local('delta-1.1') });
    expect(r.batches.map((b) => [b.stream, b.checkpoint])).toEqual([
      ['people', { file: 'users.csv', processingMode: 'delta' }],
      ['enrollments', { file: 'enrollments.csv', processingMode: 'delta' }],
    ]);
    expect(r.orgs).toEqual([]);
    expect(r.people.map((p) => [p.externalId, p.role, p.status, p.deleted])).toEqual([
      ['u-1', 'student', 'active', false],
      ['u-2', 'teacher', 'active', true],
      ['u-4', 'administrator', 'inactive', false],
    ]);
    expect(r.enrollments.map((e) => [e.externalId, e.deleted, e.primary, e.endDate])).toEqual([
      ['e-1', false, false, '2025-06-10'],
      ['e-2', true, true, '2025-06-10'],
      ['e-3', false, null, '2025-06-10'],
      ['e-4', false, null, null],
      ['e-5', false, null, null],
    ]);
  });

  it('delta: tolerates header case/space, keeps ext_ and unknown columns in metadata, warns once', async () => {
    const r = await readAll({ path: local('delta-1.1') });
    expect(r.people[0]).toMatchObject({
      givenName: 'Ann', orgExternalIds: ['s-1', 's-2'], userIds: ['LDAP:101', 'Fed:abc'], grades: ['03', '04'],
      sisId: 'S1001', metadata: { ext_house: 'Red', nickname: 'Annie' },
      // orgs.csv was absent, so no org types are known and no school can be picked.
      primaryOrgExternalId: null,
    });
    expect(r.people[0]?.metadata).not.toHaveProperty('password');
    expect(r.warnings().map((l) => [l.file, l.headers])).toEqual([['users.csv', ['nickname']]]);
  });

  it('delta: an empty status keeps the row (kept-unreadable); a D/M/Y date and a bad boolean are warnings', async () => {
    const r = await readAll({ path: local('delta-1.1') });
    expect(r.rejects('people').map((x) => [x.externalId, x.field, x.location])).toEqual([['u-3', 'status', 'users.csv:4']]);
    expect(r.rejects('people')[0]?.raw).toMatchObject({ password: '[redacted]' });
    expect(r.rejects('enrollments')).toEqual([]);
    const enr = r.batches.filter((b) => b.stream === 'enrollments').flatMap((b) => b.warnings ?? []);
    expect(enr.map((x) => [x.externalId, x.field, x.location])).toEqual([
      ['e-3', 'beginDate', 'enrollments.csv:4'],
      ['e-4', 'primary', 'enrollments.csv:5'],
    ]);
    expect(enr[0]?.reason).toContain('25/12/2019');
    expect(enr[0]?.reason).toContain("column 'beginDate'");
    expect(enr[0]?.raw).toBe('25/12/2019');
    // The record goes on with the field at its default; the ledger keeps the stored value.
    expect(r.enrollments.find((e) => e.externalId === 'e-3')).toMatchObject({ beginDate: null, endDate: '2025-06-10' });
    expect(r.enrollments.find((e) => e.externalId === 'e-4')).toMatchObject({ primary: null });
  });

  it('OneRoster 1.0 without manifest: inactive → deleted, metadata.* kept, read as bulk', async () => {
    const r = await readAll({ path: local('v1p0-inactive') });
    expect(r.batches.map((b) => b.checkpoint)).toEqual([
      { file: 'orgs.csv', processingMode: 'bulk' },
      { file: 'users.csv', processingMode: 'bulk' },
    ]);
    expect(r.orgs.map((o) => [o.externalId, o.deleted])).toEqual([['d-1', false], ['s-1', false], ['s-2', true]]);
    expect(r.orgs[1]).toMatchObject({ parentExternalId: 'd-1', metadata: { 'metadata.classification': 'public', 'metadata.gender': 'mixed', 'metadata.boarding': 'false' } });
    expect(r.people.map((p) => [p.externalId, p.deleted])).toEqual([['p-1', false], ['p-2', true]]);
    // The first org listed is the district; the primary org is the first one that is a school.
    expect(r.people[0]).toMatchObject({ orgExternalIds: ['d-1', 's-1'], primaryOrgExternalId: 's-1' });
    expect(r.warnings().map((l) => [l.file, l.headers])).toEqual([['users.csv', ['userId', 'agents']]]);
  });

  it('1.2 roles.csv: primary role wins, secondary-only users, tobedeleted roles ignored, bad role rows keep the user', async () => {
    const r = await readAll({ path: local('v1p2-roles') });
    expect(r.batches.map((b) => b.stream)).toEqual(['orgs', 'people']);
    expect(r.people.map((p) => [p.externalId, p.role, p.orgExternalIds, p.primaryOrgExternalId])).toEqual([
      // primaryOrgSourcedId (s-2) beats the primary role's org (s-1).
      ['r-1', 'student', ['s-1'], 's-2'],
      // Only secondary roles: the first one's role; the primary org is the first org that is a school.
      ['r-2', 'administrator', ['d-1', 's-2'], 's-2'],
    ]);
    expect(r.people[0]).toMatchObject({ preferredName: 'Evie', userIds: ['SIS:9'], grades: ['05'], metadata: { 'metadata.house': 'Green' } });
    // r-3's role word `counselor` is not a OneRoster role; r-4's only role row has roleType `main`. Both are
    // present but cannot be applied: kept, with their stored rows untouched.
    const rejects = r.rejects('people');
    expect(rejects.map((x) => [x.externalId, x.field, x.location])).toEqual([
      ['r-3', 'role', 'users.csv:4'],
      ['r-4', 'role', 'users.csv:5'],
    ]);
    expect(rejects[0]?.reason).toContain('roleMap');
    expect(rejects[1]?.reason).toContain('roles.csv:7');
    expect(r.warnings()).toEqual([]);
  });

  it('recognises 1.2 user columns in a set without roles.csv, which then needs the role column', async () => {
    const dir = await tmpDir();
    await writeFile(path.join(dir, 'users.csv'),
      'sourcedId,role,orgSourcedIds,preferredGivenName,primaryOrgSourcedId\nx-1,student,"s-1,s-2",Xan,s-2\n');
    const r = await readAll({ path: dir });
    expect(r.people[0]).toMatchObject({ role: 'student', preferredName: 'Xan', orgExternalIds: ['s-1', 's-2'], primaryOrgExternalId: 's-2', metadata: {} });
    expect(r.warnings()).toEqual([]);
    await writeFile(path.join(dir, 'users.csv'), 'sourcedId,givenName\nx-1,Xan\n');
    expect(await readError({ path: dir })).toMatchObject({ message: 'users.csv has no role column' });
  });

  it('schoolTypes decides which org types count as a school', async () => {
    const r = await readAll({ path: LDAP, schoolTypes: ['department'] });
    expect(r.people.every((p) => p.primaryOrgExternalId === 'org-dept-77')).toBe(true);
  });

  it('an unclosed quote at EOF fails the whole read with SourceFormatError naming file and line', async () => {
    const e = await readError({ path: local('truncated-quote') });
    expect(e).toBeInstanceOf(SourceFormatError);
    expect((e as SourceFormatError).message).toBe('users.csv:3: a quoted cell is never closed, so the file looks truncated');
    expect((e as SourceFormatError).context).toEqual({ file: 'users.csv', line: 3, code: 'CSV_QUOTE_NOT_CLOSED' });
  });

  it('a row with too few columns fails the read with the line number', async () => {
    const e = await readError({ path: local('short-row') });
    expect(e).toBeInstanceOf(SourceFormatError);
    expect((e as SourceFormatError).context).toEqual({ file: 'users.csv', line: 3, columns: 6, expected: 10 });
  });

  it('a row with extra non-empty cells fails the read', async () => {
    const dir = await tmpDir();
    await writeFile(path.join(dir, 'users.csv'), 'sourcedId,role\nx-1,student\nx-2,student,surprise\n');
    const e = await readError({ path: dir });
    expect(e).toBeInstanceOf(SourceFormatError);
    expect((e as SourceFormatError).context).toMatchObject({ file: 'users.csv', line: 3 });
  });

  it('a missing required header fails the file, naming the header', async () => {
    const e = await readError({ path: local('missing-sourcedid') });
    expect(e).toBeInstanceOf(SourceFormatError);
    expect((e as SourceFormatError).message).toBe('users.csv has no sourcedId column');
    expect((e as SourceFormatError).context).toEqual({ file: 'users.csv', header: 'sourcedId' });
  });

  it('a bulk file with only a header fails rather than reading as "everyone left"', async () => {
    const e = await readError({ path: local('header-only') });
    expect(e).toBeInstanceOf(SourceFormatError);
    expect((e as SourceFormatError).message).toMatch(/users\.csv has a header but no rows/);
  });

  it('a file the manifest promises but the set lacks is an IncompleteReadError', async () => {
    const e = await readError({ path: local('manifest-missing-file') });
    expect(e).toBeInstanceOf(IncompleteReadError);
  });
});

describe('zip layout', () => {
  it('finds files in a subfolder by basename and ignores __MACOSX entries', async () => {
    const src = local('v1p2-roles');
    const entries: Record<string, Uint8Array> = { '__MACOSX/export/._users.csv': strToU8('junk') };
    for (const f of await readdir(src)) entries[`export/${f}`] = new Uint8Array(await readFile(path.join(src, f)));
    const zip = path.join(await tmpDir(), 'roster.zip');
    await writeFile(zip, zipSync(entries));
    const fromZip = await readAll({ path: zip });
    const fromDir = await readAll({ path: src });
    expect(fromZip.people).toEqual(fromDir.people);
    expect(fromZip.orgs).toHaveLength(3);
  });

  it('a truncated zip fails with SourceFormatError', async () => {
    const whole = await readFile(MINIMAL_ZIP);
    const zip = path.join(await tmpDir(), 'cut.zip');
    await writeFile(zip, whole.subarray(0, Math.floor(whole.length / 2)));
    expect(await readError({ path: zip })).toBeInstanceOf(SourceFormatError);
  });

  it('refuses a zip with two same-named files at the same depth', async () => {
    const zip = path.join(await tmpDir(), 'twice.zip');
    await writeFile(zip, zipSync({ 'a/users.csv': strToU8('sourcedId,role\nx,student\n'), 'b/users.csv': strToU8('sourcedId,role\ny,student\n') }));
    expect(await readError({ path: zip })).toBeInstanceOf(SourceFormatError);
  });
});

describe('check', () => {
  it('reports what a directory and a zip hold', async () => {
    const dir = await onerosterCsv.check(makeCtx({ path: EDFI }).ctx);
    expect(dir.ok).toBe(true);
    expect(dir.details).toMatchObject({ kind: 'directory', version: '1.1', plan: { orgs: 'bulk', users: 'bulk', enrollments: 'bulk' } });
    const zip = await onerosterCsv.check(makeCtx({ path: MINIMAL_ZIP }).ctx);
    expect(zip.ok).toBe(true);
    expect(zip.details).toMatchObject({ kind: 'zip', version: '1.1', plan: { users: 'bulk' } });
    const v12 = await onerosterCsv.check(makeCtx({ path: V12 }).ctx);
    expect(v12.details).toMatchObject({ kind: 'directory', version: '1.2', plan: { roles: 'bulk' } });
    expect(v12.message).toContain('roles.csv (bulk)');
  });

  it('fails for a missing path, a folder without users.csv or manifest, and a promised file that is missing', async () => {
    expect((await onerosterCsv.check(makeCtx({ path: path.join(here, 'no-such-dir') }).ctx)).ok).toBe(false);
    const empty = await onerosterCsv.check(makeCtx({ path: await tmpDir() }).ctx);
    expect(empty).toMatchObject({ ok: false, message: expect.stringContaining('users.csv') });
    const missing = await onerosterCsv.check(makeCtx({ path: local('manifest-missing-file') }).ctx);
    expect(missing).toMatchObject({ ok: false, message: expect.stringContaining('users.csv') });
  });
});

const tmpDirs: string[] = [];
async function tmpDir(): Promise<string> {
  const d = await mkdtemp(path.join(os.tmpdir(), 'oneroster-csv-'));
  tmpDirs.push(d);
  return d;
}
afterAll(async () => {
  await Promise.all(tmpDirs.map((d) => rm(d, { recursive: true, force: true })));
});
