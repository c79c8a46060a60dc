import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import pino, { type Logger } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SourceFormatError } from '../../src/errors.js';
import { createHttpClient } from '../../src/http/client.js';
import type { Batch, Ctx, DeviceRecord, Reject } from '../types.js';
import { resolveColumns } from './columns.js';
import { configSchema, deviceCsv, type DeviceCsvConfig } from './index.js';
import { createMapper } from './mapper.js';
import { isPlaceholderSerial, parseDate, parseDateTime, toPlatform } from './values.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
const GAM = join(FIXTURES, 'gam-cros.csv');
const INTUNE = join(FIXTURES, 'intune-devices.csv');
const GENERIC = join(FIXTURES, 'generic-inventory.csv');
const GENERIC_COLUMNS = {
  assetTag: 'Asset Tag', serial: 'Serial #', manufacturer: 'Make', model: 'Model', platform: 'Device Type',
  userEmail: 'Assigned To', orgUnit: 'Building', status: 'Status', enrolledAt: 'Deployed', lastSyncAt: 'Last Seen',
};

function ctxFor(input: Record<string, unknown>, log: Logger = pino({ level: 'silent' })): Ctx<DeviceCsvConfig> {
  const config = configSchema.parse(input);
  return { config, http: createHttpClient({ name: 'test', log }), log, signal: new AbortController().signal, now: () => new Date() };
}

async function readAll(input: Record<string, unknown>, log?: Logger) {
  const batches: Batch[] = [];
  for await (const b of deviceCsv.read(ctxFor(input, log), { mode: 'full' })) batches.push(b);
  const records: DeviceRecord[] = batches.flatMap((b) => (b.stream === 'devices' ? b.records : []));
  const rejects = batches.flatMap((b) => b.rejects);
  const byId = (id: string) => records.find((r) => r.externalId === id);
  return { batches, records, rejects, byId };
}

const gamId = (n: number) => `b7c1e2f0-4a1d-4f3e-9c2a-1d5e8f0a${String(n).padStart(4, '0')}`;
const intuneId = (n: number) => `d1f0c8a2-7b3e-4c55-9e1a-3f2b6c7d${String(n).padStart(4, '0')}`;

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'device-csv-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});
async function tmpFile(name: string, content: string | Buffer): Promise<string> {
  const p = join(tmp, name);
  await writeFile(p, content);
  return p;
}

describe('gam print cros export', () => {
  it('maps every row, rejects the one without a serial', async () => {
    const { batches, records, rejects, byId } = await readAll({ path: GAM, format: 'gam' });
    expect(batches).toHaveLength(1);
    expect(batches[0]!.checkpoint).toEqual({ processingMode: 'bulk', file: GAM });
    expect(records).toHaveLength(9);
    expect(rejects).toHaveLength(1);

    expect(byId(gamId(1))).toEqual({
      externalId: gamId(1),
      serial: 'PF3KX9A1',
      assetTag: 'LUSD-10231',
      model: 'Lenovo 300e Chromebook Gen 3',
      manufacturer: 'Lenovo',
      platform: 'chromeos',
      status: 'active',
      userEmail: 'maya.okafor@students.lincolnusd.org',
      recentUsers: ['maya.okafor@students.lincolnusd.org', 'sub.teacher03@lincolnusd.org'],
      orgUnit: '/Students/Lincoln Elementary/Grade 5',
      orgUnitId: null, // GAM prints it only when asked for; this export left it out
      annotatedLocation: 'Lincoln ES Rm 114',
      notes: null,
      macAddress: 'a4:c3:f0:12:34:01',
      osVersion: '129.0.6668.99',
      lastSyncAt: '2026-10-02T14:03:11.123Z',
      enrolledAt: '2024-08-12T15:20:44.000Z',
      aueDate: '2028-06-30', // autoUpdateExpiration as epoch ms (midnight Pacific)
      compliance: null,
      bootMode: 'normal',
      deleted: false,
    });
    // DISABLED, and GAM printed the AUE as a date; the multi-line note did not break the row.
    expect(byId(gamId(2))).toMatchObject({ status: 'disabled', aueDate: '2027-06-30', serial: 'PF3KX9A2' });
    // Developer mode; autoUpdateThrough (2031) wins over the deprecated autoUpdateExpiration (2029).
    expect(byId(gamId(3))).toMatchObject({
      bootMode: 'dev', aueDate: '2031-06-30', manufacturer: 'HP', userEmail: null,
      recentUsers: ['aiden.cho@students.lincolnusd.org', 'noah.perez@students.lincolnusd.org'],
    });
    expect(byId(gamId(4))).toMatchObject({ status: 'deprovisioned', aueDate: '2026-06-01', recentUsers: [] });
    expect(byId(gamId(5))).toMatchObject({
      status: 'provisioned', lastSyncAt: null, bootMode: null, osVersion: null, aueDate: '2034-06-30', manufacturer: 'Acer',
    });
    // Annotated user trimmed and lower-cased; unmanaged recent user kept, the one without email skipped.
    expect(byId(gamId(7))).toMatchObject({
      userEmail: 'jamal.reed@students.lincolnusd.org',
      recentUsers: ['jamal.reed@students.lincolnusd.org', 'guest.kid2019@gmail.com'],
      manufacturer: 'ASUS',
    });
    // Serial trimmed but otherwise as given; a local offset converted to UTC.
    expect(byId(gamId(8))).toMatchObject({
      serial: 'NXHPKAA0021234567', status: 'inactive', lastSyncAt: '2026-03-02T17:15:27.000Z', aueDate: '2029-06-30',
    });
    // Free-text annotatedUser is not an email; model without a known OEM gives no manufacturer.
    expect(byId(gamId(9))).toMatchObject({ userEmail: null, manufacturer: null, aueDate: null, recentUsers: [] });
    expect(byId(gamId(10))).toMatchObject({ bootMode: 'normal', orgUnit: '/', lastSyncAt: '2026-10-02T07:59:59.000Z' });

    const [reject] = rejects as [Reject];
    expect(reject).toMatchObject({
      externalId: gamId(6),
      field: 'serial',
      reason: "serial (column 'serialNumber'): empty; a device without a serial cannot be matched",
      // Line 8, not 7: row 2's quoted note spans lines 3-4.
      location: 'gam-cros.csv:8',
    });
    expect((reject.raw as Record<string, string>).annotatedAssetId).toBe('LUSD-10240');
  });

  it('batches by batchSize, each batch a bulk checkpoint', async () => {
    const { batches } = await readAll({ path: GAM, format: 'gam', batchSize: 4 });
    expect(batches.map((b) => b.records.length + b.rejects.length)).toEqual([4, 4, 2]);
    for (const b of batches) expect(b).toMatchObject({ stream: 'devices', checkpoint: { processingMode: 'bulk', file: GAM } });
  });

  it('fails when a required column is missing, naming file and column', async () => {
    const text = await readFile(GAM, 'utf8');
    const p = await tmpFile('no-serial.csv', text.replace('serialNumber', 'serialNo'));
    const err = await readAll({ path: p, format: 'gam' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SourceFormatError);
    expect((err as SourceFormatError).message).toBe(
      "no-serial.csv: required column 'serialNumber' for serial is missing from the gam export header",
    );
    expect((err as SourceFormatError).context).toMatchObject({ file: p, column: 'serialNumber', field: 'serial' });
  });

  it('fails on a truncated file (unclosed quote at EOF) with file and line', async () => {
    const text = await readFile(GAM, 'utf8');
    // Cut inside row 2's quoted multi-line note, as an interrupted download would.
    const p = await tmpFile('cut.csv', text.slice(0, text.indexOf('Parent notified')));
    const err = await readAll({ path: p, format: 'gam' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SourceFormatError);
    expect((err as SourceFormatError).code).toBe('source_format');
    expect((err as SourceFormatError).message).toMatch(/^cut\.csv:\d+: a quoted cell is never closed, so the file looks truncated$/);
    expect((err as SourceFormatError).context).toMatchObject({ file: 'cut.csv', path: p, code: 'CSV_QUOTE_NOT_CLOSED' });
  });

  it('fails on a row with the wrong number of cells, even after earlier batches were yielded', async () => {
    const lines = (await readFile(GAM, 'utf8')).trimEnd().split('\n');
    const last = lines.pop()!;
    const p = await tmpFile('short.csv', [...lines, last.slice(0, last.lastIndexOf(','))].join('\n') + '\n');
    const seen: Batch[] = [];
    const err = await (async () => {
      for await (const b of deviceCsv.read(ctxFor({ path: p, format: 'gam', batchSize: 3 }), { mode: 'full' })) seen.push(b);
    })().catch((e: unknown) => e);
    expect(seen.length).toBe(3); // the caller gets no "done": a full read must be complete or throw
    expect(err).toBeInstanceOf(SourceFormatError);
    expect((err as SourceFormatError).message).toContain('short.csv:12: the row has 22 cells and the header 23');
    expect((err as SourceFormatError).context).toMatchObject({ file: 'short.csv', path: p, line: 12, columns: 22, expected: 23 });
  });

  it('collects recentUsers in N order, not header order, and rejects a repeated deviceId', () => {
    const header = ['deviceId', 'serialNumber', 'status', 'recentUsers.10.email', 'recentUsers.2.email', 'recentUsers.0.email'];
    const columns = resolveColumns(header, { format: 'gam' }, '/x/cros.csv');
    expect(columns.recentUsers).toEqual(['recentUsers.0.email', 'recentUsers.2.email', 'recentUsers.10.email']);
    const mapper = createMapper({ format: 'gam', file: 'cros.csv', columns, dateFormat: 'iso' });
    const row = {
      deviceId: 'd1', serialNumber: 'S1', status: 'ACTIVE',
      'recentUsers.10.email': 'c@x.org', 'recentUsers.2.email': 'B@x.org', 'recentUsers.0.email': 'a@x.org',
    };
    const first = mapper.map(row, 2);
    expect(first.ok && first.record.recentUsers).toEqual(['a@x.org', 'b@x.org', 'c@x.org']);
    const again = mapper.map({ ...row, serialNumber: 'S2' }, 3);
    expect(again).toEqual({
      ok: false,
      reject: {
        externalId: 'd1', field: 'externalId', location: 'cros.csv:3',
        reason: "externalId (column 'deviceId'): same device as line 2; kept the first",
        raw: { ...row, serialNumber: 'S2' },
      },
    });
    expect(mapper.stats.duplicates).toBe(1);
  });

  it('keeps the record with unknown enum values and unparsable dates at null, warning per field and column', () => {
    const columns = resolveColumns(['deviceId', 'serialNumber', 'status', 'bootMode', 'lastSync'], { format: 'gam' }, '/x/c.csv');
    const mapper = createMapper({ format: 'gam', file: 'c.csv', columns, dateFormat: 'iso' });
    const out = mapper.map({ deviceId: 'd9', serialNumber: 'S9', status: 'ACTIVE', bootMode: 'Recovery', lastSync: 'yesterday' }, 5);
    expect(out).toMatchObject({ ok: true, record: { externalId: 'd9', lastSyncAt: null, bootMode: null, status: 'active' } });
    expect(out.ok && out.warnings).toEqual([
      { externalId: 'd9', field: 'lastSyncAt', location: 'c.csv:5', raw: 'yesterday', reason: "lastSyncAt (column 'lastSync'): unrecognised date 'yesterday'" },
      { externalId: 'd9', field: 'bootMode', location: 'c.csv:5', raw: 'Recovery', reason: "bootMode (column 'bootMode'): unrecognised value 'Recovery'" },
    ]);
  });
});

describe('intune device export', () => {
  it('maps the export; a placeholder serial is kept-unreadable, an ambiguous date a warning', async () => {
    const { records, rejects, byId, batches } = await readAll({ path: INTUNE, format: 'intune' });
    expect(records).toHaveLength(7);
    expect(rejects).toHaveLength(1);

    expect(byId(intuneId(101))).toEqual({
      externalId: intuneId(101),
      serial: 'JX7R2K3',
      assetTag: null,
      model: 'Latitude 3140',
      manufacturer: 'Dell Inc.',
      platform: 'windows',
      status: 'active',
      userEmail: 'dana.whitfield@lincolnusd.org', // from "Primary user UPN", lower-cased
      recentUsers: [],
      orgUnit: null,
      orgUnitId: null,
      annotatedLocation: null,
      notes: null,
      macAddress: null,
      osVersion: '10.0.22631.4169',
      lastSyncAt: '2026-10-02T14:03:11.000Z',
      enrolledAt: '2024-08-05T16:22:10.000Z',
      aueDate: null,
      compliance: 'compliant',
      bootMode: null,
      deleted: false,
    });
    // iPad with US-locale dates that are unambiguous (28 and 15 cannot be months).
    expect(byId(intuneId(102))).toMatchObject({
      platform: 'ios', model: 'iPad (9th generation)', manufacturer: 'Apple',
      lastSyncAt: '2026-09-28T07:45:02.000Z', enrolledAt: '2025-08-15T10:12:00.000Z',
      userEmail: 'sofia.nunez@students.lincolnusd.org',
    });
    expect(byId(intuneId(104))).toMatchObject({ compliance: 'noncompliant', platform: 'windows' });
    expect(byId(intuneId(105))).toMatchObject({ compliance: 'noncompliant', platform: 'macos' }); // in grace period
    expect(byId(intuneId(106))).toMatchObject({
      platform: 'android', status: 'retired', compliance: 'unknown', userEmail: null, manufacturer: 'samsung',
    });
    // Shared cart iPad: no primary user, serial trimmed, 0001-01-01 "never checked in" is null.
    expect(byId(intuneId(108))).toMatchObject({
      platform: 'ios', serial: 'GG7XQ2ABJF8K', userEmail: null, lastSyncAt: null, enrolledAt: '2026-09-29T18:02:17.000Z',
    });

    expect(rejects.map(({ raw: _raw, ...r }) => r)).toEqual([
      {
        externalId: intuneId(103),
        field: 'serial',
        reason: "serial (column 'Serial number'): placeholder 'Default string' is not a usable serial (VM or whitebox PC?)",
        location: 'intune-devices.csv:4',
      },
    ]);
    // The ambiguous date leaves lastSyncAt at null (the ledger keeps the stored value) and says why.
    expect(byId(intuneId(107))).toMatchObject({ lastSyncAt: null, platform: 'windows' });
    expect(batches.flatMap((b) => b.warnings ?? []).map(({ raw: _raw, ...w }) => w)).toEqual([
      {
        externalId: intuneId(107),
        field: 'lastSyncAt',
        reason:
          "lastSyncAt (column 'Last check-in'): ambiguous date '10/2/2026 2:03:11 PM' (month/day or day/month?); " +
          "set dateFormat to 'mdy' or 'dmy'",
        location: 'intune-devices.csv:8',
      },
    ]);
  });

  it("reads locale dates as month-first with dateFormat 'mdy'", async () => {
    const { records, rejects, byId } = await readAll({ path: INTUNE, format: 'intune', dateFormat: 'mdy' });
    expect(records).toHaveLength(7);
    expect(rejects.map((r) => r.field)).toEqual(['serial']);
    expect(byId(intuneId(107))).toMatchObject({
      lastSyncAt: '2026-10-02T14:03:11.000Z', userEmail: 'priya.raman@students.lincolnusd.org', platform: 'windows',
    });
  });

  it('accepts the unlocalised Graph export names, case-insensitively, and falls back to the serial as id', async () => {
    const p = await tmpFile(
      'graph-export.csv',
      'serialnumber,DeviceName,OS,OSVersion,UPN,LastContact,CreatedDate,CompliantState,DeviceState\r\n' +
        'PC0AB12C,LAB-01,Windows,10.0.22631.4169,Teacher.One@LincolnUSD.org,2026-10-02 14:03:11.0000000,' +
        '2025-08-01 12:00:00.0000000,Not compliant,Wipe pending\r\n',
    );
    const { records, rejects } = await readAll({ path: p, format: 'intune' });
    expect(rejects).toEqual([]);
    expect(records).toEqual([
      expect.objectContaining({
        externalId: 'PC0AB12C', serial: 'PC0AB12C', platform: 'windows', userEmail: 'teacher.one@lincolnusd.org',
        lastSyncAt: '2026-10-02T14:03:11.000Z', enrolledAt: '2025-08-01T12:00:00.000Z',
        compliance: 'noncompliant', status: 'wiped',
      }),
    ]);
  });

  it('reads a UTF-16LE file with BOM (Excel "Unicode text")', async () => {
    const text = 'Device ID,Serial number,OS\r\nabc,SER1,Windows\r\n';
    const p = await tmpFile('utf16.csv', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]));
    const { records } = await readAll({ path: p, format: 'intune' });
    expect(records).toEqual([expect.objectContaining({ externalId: 'abc', serial: 'SER1', platform: 'windows' })]);
  });

  it('needs the OS column unless platform is configured', async () => {
    const p = await tmpFile('no-os.csv', 'Device ID,Serial number\r\nabc,SER123\r\n');
    const err = await readAll({ path: p, format: 'intune' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SourceFormatError);
    expect((err as Error).message).toContain("required column 'OS'");
    const { records } = await readAll({ path: p, format: 'intune', platform: 'windows' });
    expect(records).toEqual([expect.objectContaining({ externalId: 'abc', serial: 'SER123', platform: 'windows' })]);
  });
});

describe('generic export', () => {
  it('maps through the configured columns', async () => {
    const { records, rejects, byId, batches } = await readAll({ path: GENERIC, format: 'generic', columns: GENERIC_COLUMNS });
    expect(records).toHaveLength(6); // the trailing ",,,," rows Excel leaves are skipped, not rejected
    expect(rejects).toHaveLength(1);
    expect(byId('PF3KX9A1')).toEqual({
      externalId: 'PF3KX9A1', // defaults to the serial
      serial: 'PF3KX9A1',
      assetTag: 'LUSD-10231',
      model: '300e Chromebook Gen 3',
      manufacturer: 'Lenovo',
      platform: 'chromeos',
      status: 'in use',
      userEmail: 'maya.okafor@students.lincolnusd.org',
      recentUsers: [],
      orgUnit: 'Lincoln Elementary',
      orgUnitId: null,
      annotatedLocation: null,
      notes: null,
      macAddress: null,
      osVersion: null,
      lastSyncAt: '2026-10-02T14:03:00.000Z',
      enrolledAt: '2024-07-30T00:00:00.000Z',
      aueDate: null,
      compliance: null,
      bootMode: null,
      deleted: false,
    });
    expect(byId('JX7R2K3')).toMatchObject({
      platform: 'windows', status: 'active', enrolledAt: '2024-07-30T00:00:00.000Z', lastSyncAt: '2026-09-28T00:00:00.000Z',
    });
    expect(byId('DMPXK2LQJF8J')).toMatchObject({ platform: 'ios', status: 'spare', userEmail: null, lastSyncAt: null });
    expect(byId('HXKQ7K3')).toMatchObject({ status: 'retired' });
    expect(byId('X9ZR1100234')).toMatchObject({ platform: 'other', manufacturer: 'IPEVO' });

    // 'TBD' in Last Seen: the device is applied without lastSyncAt, and a warning says why.
    expect(byId('X7YK00412')).toMatchObject({ lastSyncAt: null });
    expect(batches.flatMap((b) => b.warnings ?? [])).toEqual([{
      externalId: 'X7YK00412',
      field: 'lastSyncAt',
      reason: "lastSyncAt (column 'Last Seen'): unrecognised date 'TBD'",
      location: 'generic-inventory.csv:6',
      raw: 'TBD',
    }]);
    expect(rejects.map(({ raw: _raw, ...r }) => r)).toEqual([
      {
        field: 'serial',
        reason: "serial (column 'Serial #'): placeholder 'N/A' is not a usable serial (VM or whitebox PC?)",
        location: 'generic-inventory.csv:7',
      },
    ]);
  });

  it('uses the configured platform as the fallback and fails on a configured column that is absent', async () => {
    const { byId } = await readAll({
      path: GENERIC, format: 'generic', platform: 'chromeos', columns: { ...GENERIC_COLUMNS, platform: undefined },
    });
    expect(byId('JX7R2K3')?.platform).toBe('chromeos');
    const err = await readAll({ path: GENERIC, format: 'generic', columns: { serial: 'Serial Number' } }).catch((e) => e);
    expect(err).toBeInstanceOf(SourceFormatError);
    expect((err as Error).message).toBe(
      "generic-inventory.csv: required column 'Serial Number' for serial is missing from the generic export header",
    );
  });
});

describe('file-level failures', () => {
  it.each([
    ['header only', 'deviceId,serialNumber,status\n', 'the export has a header but no device rows'],
    ['empty', '', 'the file is empty'],
    ['zip', Buffer.from([0x50, 0x4b, 0x03, 0x04, 0, 0]), 'this is a zip archive'],
  ])('%s file is a SourceFormatError', async (name, content, message) => {
    const p = await tmpFile(`${name.replace(' ', '-')}.csv`, content);
    const err = await readAll({ path: p, format: 'gam' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SourceFormatError);
    expect((err as Error).message).toContain(message);
  });

  it('a missing file is a SourceFormatError, and check() reports it', async () => {
    const path = join(tmp, 'nope.csv');
    await expect(readAll({ path, format: 'gam' })).rejects.toThrow("nope.csv: cannot read the export (ENOENT)");
    const res = await deviceCsv.check(ctxFor({ path, format: 'gam' }));
    expect(res).toMatchObject({ ok: false, message: 'nope.csv: cannot read the export (ENOENT)' });
  });
});

describe('abort', () => {
  it('stops reading when the signal aborts', async () => {
    const ac = new AbortController();
    const ctx = { ...ctxFor({ path: GAM, format: 'gam', batchSize: 2 }), signal: ac.signal };
    const seen: Batch[] = [];
    const err = await (async () => {
      for await (const b of deviceCsv.read(ctx, { mode: 'full' })) {
        seen.push(b);
        ac.abort(new Error('shutdown'));
      }
    })().catch((e: unknown) => e);
    expect(seen).toHaveLength(1);
    expect((err as Error).message).toBe('shutdown');
  });
});

describe('check', () => {
  it('reports format and the columns found, without counting rows', async () => {
    expect(await deviceCsv.check(ctxFor({ path: INTUNE, format: 'intune' }))).toEqual({
      ok: true,
      message: 'intune-devices.csv: intune export, 11 fields mapped',
      details: {
        format: 'intune',
        file: 'intune-devices.csv',
        headerColumns: 24,
        columns: {
          externalId: 'Device ID', serial: 'Serial number', model: 'Model', manufacturer: 'Manufacturer', platform: 'OS',
          status: 'Device state', userEmail: 'Primary user UPN | Primary user email address', osVersion: 'OS version',
          lastSyncAt: 'Last check-in', enrolledAt: 'Enrollment date', compliance: 'Compliance',
        },
      },
    });
    const gam = await deviceCsv.check(ctxFor({ path: GAM, format: 'gam' }));
    expect(gam).toMatchObject({ ok: true, details: { recentUserColumns: 3, columns: { aueDate: 'autoUpdateThrough | autoUpdateExpiration' } } });
  });

  it('reports a missing required column as not ok', async () => {
    const res = await deviceCsv.check(ctxFor({ path: GENERIC, format: 'gam' }));
    expect(res).toMatchObject({ ok: false, details: { column: 'deviceId', format: 'gam' } });
  });
});

describe('config', () => {
  it('applies defaults and the connector contract', () => {
    expect(configSchema.parse({ path: GAM, format: 'gam' })).toEqual({ path: GAM, format: 'gam', batchSize: 2000, dateFormat: 'iso', encoding: 'utf-8' });
    expect(deviceCsv).toMatchObject({ kind: 'device-csv', streams: ['devices'], supportsDelta: false });
  });

  it.each([
    ['generic without columns.serial', { path: GENERIC, format: 'generic', columns: { model: 'Model' } }],
    ['relative path', { path: 'exports/cros.csv', format: 'gam' }],
    ['unknown key', { path: GAM, format: 'gam', delimiter: ';' }],
    ['unknown canonical field', { path: GAM, format: 'gam', columns: { serialNumber: 'Serial' } }],
    ['bad format', { path: GAM, format: 'jamf' }],
  ])('rejects %s', (_name, input) => {
    expect(configSchema.safeParse(input).success).toBe(false);
  });
});

describe('values', () => {
  it.each([
    ['2026-10-02T14:03:11.123Z', 'iso', '2026-10-02T14:03:11.123Z'],
    ['2026-10-02 14:03:11.0000000', 'iso', '2026-10-02T14:03:11.000Z'],
    ['2026-10-02T16:03:11+02:00', 'iso', '2026-10-02T14:03:11.000Z'],
    ['10/2/2026 2:03:11 PM', 'mdy', '2026-10-02T14:03:11.000Z'],
    ['2/10/2026 14:03', 'dmy', '2026-10-02T14:03:00.000Z'],
    ['02.10.2026 14:03:11', 'dmy', '2026-10-02T14:03:11.000Z'],
    ['13/10/2026', 'iso', '2026-10-13T00:00:00.000Z'],
    ['10/13/26 12:05 AM', 'iso', '2026-10-13T00:05:00.000Z'],
    ['0001-01-01 00:00:00.0000000', 'iso', null],
  ] as const)('parseDateTime(%s, %s)', (raw, order, want) => {
    expect(parseDateTime(raw, order)).toEqual({ ok: true, value: want });
  });

  it('refuses impossible and ambiguous dates', () => {
    expect(parseDateTime('2/30/2026', 'mdy')).toEqual({ ok: false, reason: "invalid date '2/30/2026'" });
    expect(parseDateTime('4/5/2026', 'iso').ok).toBe(false);
    expect(parseDateTime('13/10/2026', 'mdy').ok).toBe(false);
  });

  it('reads AUE as epoch ms, date or timestamp', () => {
    expect(parseDate('1845961200000', 'iso')).toEqual({ ok: true, value: '2028-06-30' });
    expect(parseDate('2027-06-30', 'iso')).toEqual({ ok: true, value: '2027-06-30' });
    expect(parseDate('2031-06-30T00:00:00Z', 'iso')).toEqual({ ok: true, value: '2031-06-30' });
    expect(parseDate('0', 'iso')).toEqual({ ok: true, value: null });
  });

  it('knows placeholder serials and platforms', () => {
    for (const s of ['0', '000000', 'Default string', 'To be filled by O.E.M.', 'System Serial Number', ' N/A ', '-']) {
      expect(isPlaceholderSerial(s)).toBe(true);
    }
    expect(isPlaceholderSerial('PF3KX9A1')).toBe(false);
    expect(['Windows', 'iOS/iPadOS', 'iPadOS', 'macOS', 'AndroidEnterprise', 'Chromebook', 'Linux'].map(toPlatform)).toEqual([
      'windows', 'ios', 'ios', 'macos', 'android', 'chromeos', null,
    ]);
  });
});

describe('logging', () => {
  it('logs counts and column names, never emails or names', async () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _enc, cb) => { lines.push(String(chunk)); cb(); } });
    const log = pino({ level: 'debug' }, sink);
    await readAll({ path: GAM, format: 'gam' }, log);
    await readAll({ path: INTUNE, format: 'intune' }, log);
    await readAll({ path: GENERIC, format: 'generic', columns: GENERIC_COLUMNS }, log);
    const all = lines.join('');
    expect(lines.length).toBeGreaterThanOrEqual(6);
    expect(all).toContain('"rows":10');
    expect(all).not.toMatch(/@|Whitfield|Okafor|Alvarez/);
  });
});
