/**
 * The connector contract (connectors/types.ts) as both CSV connectors implement it through connectors/shared:
 * warnings for optional fields, kept rejects for required ones, unsupplied columns, caps, control characters,
 * encodings, the reader's limits and line numbers.
 */
import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deviceCsv } from '../device-csv/index.js';
import { onerosterCsv } from '../oneroster-csv/index.js';
import type { Batch, DeviceRecord, PersonRecord } from '../types.js';
import { SourceFormatError } from './errors.js';
import { readBatches } from './test-helpers.js';

let tmp: string;
let n = 0;
beforeAll(async () => { tmp = await mkdtemp(join(tmpdir(), 'contract-')); });
afterAll(async () => { await rm(tmp, { recursive: true, force: true }); });

/** A roster directory holding only users.csv. */
async function roster(users: string | Buffer): Promise<string> {
  const dir = join(tmp, `r${n++}`);
  await mkdir(dir);
  await writeFile(join(dir, 'users.csv'), users);
  return dir;
}
async function deviceFile(text: string | Buffer): Promise<string> {
  const p = join(tmp, `d${n++}.csv`);
  await writeFile(p, text);
  return p;
}
const people = (bs: Batch[]) => bs.flatMap((b): PersonRecord[] => (b.stream === 'people' ? b.records : []));
const devices = (bs: Batch[]) => bs.flatMap((b): DeviceRecord[] => (b.stream === 'devices' ? b.records : []));
const rejects = (bs: Batch[]) => bs.flatMap((b) => b.rejects);
const warnings = (bs: Batch[]) => bs.flatMap((b) => b.warnings ?? []);
const fail = (p: Promise<unknown>) => p.then(() => { throw new Error('did not fail'); }, (e: unknown) => e);

const USERS = 'sourcedId,role,givenName,enabledUser,grades\n';
const GAM = 'deviceId,serialNumber,status,lastSync,autoUpdateThrough,bootMode,orgUnitPath\n';

describe('optional fields: record kept with the field at its default, plus a FieldWarning', () => {
  it('oneroster: enabledUser=yes and a bad dateLastModified', async () => {
    const bs = await readBatches(onerosterCsv, { path: await roster('sourcedId,role,enabledUser,dateLastModified\nu1,student,yes,Oct 31 2026\n') });
    expect(people(bs)).toMatchObject([{ externalId: 'u1', status: 'active' }]);
    expect(warnings(bs).map((w) => [w.externalId, w.field, w.location])).toEqual([
      ['u1', 'status', 'users.csv:2'], ['u1', 'dateLastModified', 'users.csv:2'],
    ]);
    expect(warnings(bs)[0]!.reason).toContain("column 'enabledUser'");
  });

  it('device-csv: lastSync "Oct 31 2026", AUE "June 2033", unknown bootMode', async () => {
    const bs = await readBatches(deviceCsv, { path: await deviceFile(`${GAM}d1,S1,ACTIVE,Oct 31 2026,June 2033,Recovery,/\n`), format: 'gam' });
    expect(devices(bs)).toMatchObject([{ externalId: 'd1', lastSyncAt: null, aueDate: null, bootMode: null }]);
    expect(warnings(bs).map((w) => w.field)).toEqual(['lastSyncAt', 'aueDate', 'bootMode']);
    expect(warnings(bs)[1]!.reason).toContain("column 'autoUpdateThrough'");
  });
});

describe('required fields: kept-unreadable Reject with externalId', () => {
  it('an unknown role is kept, with a reason pointing at roleMap; roleMap maps it', async () => {
    const dir = await roster(`${USERS}u1,pupil,Ann,true,05\n`);
    const kept = await readBatches(onerosterCsv, { path: dir });
    expect(rejects(kept)).toMatchObject([{ externalId: 'u1', field: 'role', location: 'users.csv:2' }]);
    expect(rejects(kept)[0]!.reason).toContain('roleMap');
    const mapped = await readBatches(onerosterCsv, { path: dir, roleMap: { Pupil: 'student' } });
    expect(people(mapped)).toMatchObject([{ externalId: 'u1', role: 'student' }]);
  });

  it('an empty GAM status and a placeholder serial under a device id are kept', async () => {
    const bs = await readBatches(deviceCsv, { path: await deviceFile(`${GAM}d1,S1,,,,,\nd2,Default string,ACTIVE,,,,\n`), format: 'gam' });
    expect(rejects(bs).map((r) => [r.externalId, r.field])).toEqual([['d1', 'status'], ['d2', 'serial']]);
  });
});

describe('control characters and size caps', () => {
  it('NUL: in the id rejects outright, in the role keeps, in a name warns', async () => {
    const bs = await readBatches(onerosterCsv, { path: await roster(`${USERS}u\u00001,student,Ann,true,\nu2,stu\u0000dent,Bo,true,\nu3,student,A\u0001nn,true,\n`) });
    const rj = rejects(bs);
    expect(rj.map((r) => [r.externalId, r.field])).toEqual([[undefined, 'externalId'], ['u2', 'role']]);
    expect(rj[0]!.reason).toContain('U+0000');
    // raw is jsonb-safe: the NUL is written out, not stored.
    expect(JSON.stringify(rj[0]!.raw)).not.toContain('\\u0000"');
    expect((rj[0]!.raw as Record<string, string>).sourcedId).toBe('u\\u00001');
    expect(people(bs)).toMatchObject([{ externalId: 'u3', givenName: null }]);
    expect(warnings(bs)).toMatchObject([{ externalId: 'u3', field: 'givenName' }]);
  });

  it('over the cap: an id rejects outright, a name keeps the record and names the length, not the content', async () => {
    const long = 'x'.repeat(20_000);
    const bs = await readBatches(onerosterCsv, { path: await roster(`${USERS}${'i'.repeat(400)},student,Ann,true,\nu2,student,${long},true,\n`) });
    const rj = rejects(bs);
    expect(rj.map((r) => [r.externalId, r.field])).toEqual([[undefined, 'externalId'], ['u2', 'givenName']]);
    expect(rj[1]!.reason).toContain('20000 characters');
    expect(rj[1]!.reason).not.toContain('xxxx');
    expect(JSON.stringify(rj[1]!.raw).length).toBeLessThan(2000);
  });
});

describe('unsupplied columns', () => {
  it('users.csv without grades: unsupplied on every people batch, and a notice naming file and column', async () => {
    const bs = await readBatches(onerosterCsv, { path: await roster('sourcedId,role,givenName,familyName,enabledUser,email,username,userIds,identifier,preferredGivenName,orgSourcedIds\nu1,student,A,B,true,a@x.org,a,,1,,s1\nu2,student,C,D,true,c@x.org,c,,2,,s1\n'), batchSize: 1 });
    const ps = bs.filter((b) => b.stream === 'people');
    expect(ps.length).toBe(2);
    for (const b of ps) expect(b.unsupplied).toEqual(['grades']);
    expect(ps[0]!.notices).toEqual([expect.stringMatching(/^users\.csv has no grades column/)]);
    expect(people(bs)[0]!.grades).toEqual([]);
  });

  it('a GAM export without lastSync, autoUpdateThrough, orgUnitPath and bootMode', async () => {
    const bs = await readBatches(deviceCsv, { path: await deviceFile('deviceId,serialNumber,status,model\nd1,S1,ACTIVE,Acer C1\n'), format: 'gam' });
    expect(bs[0]!.unsupplied).toEqual(expect.arrayContaining(['lastSyncAt', 'aueDate', 'orgUnit', 'bootMode', 'assetTag']));
    expect(bs[0]!.unsupplied).not.toContain('serial');
    expect(bs[0]!.unsupplied).not.toContain('manufacturer');
    expect(bs[0]!.notices?.[0]).toContain('lastSyncAt');
  });
});

describe('serial under two device ids', () => {
  it('keeps both records and warns on the second, naming the first line', async () => {
    const bs = await readBatches(deviceCsv, { path: await deviceFile(`${GAM}d1,ab 12,ACTIVE,,,,\nd2,AB12,ACTIVE,,,,\n`), format: 'gam' });
    expect(devices(bs).map((d) => d.externalId)).toEqual(['d1', 'd2']);
    expect(warnings(bs)).toMatchObject([{ externalId: 'd2', field: 'serial', location: expect.stringMatching(/:3$/) }]);
    expect(warnings(bs)[0]!.reason).toContain('line 2');
  });
});

describe('the shared reader', () => {
  it('puts a record after a quoted CRLF cell on the same line in both connectors', async () => {
    const users = await roster(`sourcedId,role,givenName\r\nu1,student,"two\r\nlines"\r\nu2,,Bo\r\n`);
    const gam = await deviceFile(`deviceId,serialNumber,status,notes\r\nd1,S1,ACTIVE,"two\r\nlines"\r\nd2,S2,,x\r\n`);
    const r1 = rejects(await readBatches(onerosterCsv, { path: users }));
    const r2 = rejects(await readBatches(deviceCsv, { path: gam, format: 'gam' }));
    expect(r1[0]!.location).toBe('users.csv:4');
    expect(r2[0]!.location).toMatch(/\.csv:4$/);
  });

  it('invalid UTF-8 fails the read with file, line and the encoding option', async () => {
    const bytes = Buffer.concat([Buffer.from(`${USERS}u1,student,Ann,true,\nu2,student,Ana`), Buffer.from([0xef, 0x73]), Buffer.from(',true,\n')]);
    const e = await fail(readBatches(onerosterCsv, { path: await roster(bytes) }));
    expect(e).toBeInstanceOf(SourceFormatError);
    expect((e as Error).message).toMatch(/^users\.csv:3: the file is not valid utf-8 text.*encoding option/);
  });

  it('reads Latin-1 with encoding latin1 or windows-1252', async () => {
    const dir = await roster(Buffer.from(`${USERS}u1,student,Anaïs,true,\n`, 'latin1'));
    for (const encoding of ['latin1', 'windows-1252']) {
      expect(people(await readBatches(onerosterCsv, { path: dir, encoding }))[0]!.givenName).toBe('Anaïs');
    }
    const p = await deviceFile('x');
    await writeFile(p, Buffer.from('Serial number,OS,Device name\nS1,Windows,Anaïs-PC\n', 'latin1'));
    expect(devices(await readBatches(deviceCsv, { path: p, format: 'intune', encoding: 'latin1' }))).toHaveLength(1);
  });

  it('a cell over the record cap fails the read with file and line, without reading it all', async () => {
    const e = await fail(readBatches(onerosterCsv, { path: await roster(`${USERS}u1,student,${'a'.repeat(2 * 1024 * 1024)},true,\n`) }));
    expect(e).toBeInstanceOf(SourceFormatError);
    expect((e as Error).message).toMatch(/^users\.csv:2: a cell or row is over/);
  });

  it('follows a symlinked users.csv', async () => {
    const real = join(tmp, `real${n++}.csv`);
    await writeFile(real, `${USERS}u1,student,Ann,true,\n`);
    const dir = join(tmp, `link${n++}`);
    await mkdir(dir);
    await symlink(real, join(dir, 'users.csv'));
    expect(people(await readBatches(onerosterCsv, { path: dir })).map((p) => p.externalId)).toEqual(['u1']);
  });
});
