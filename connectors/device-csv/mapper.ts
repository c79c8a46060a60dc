/**
 * One raw export row -> a canonical DeviceRecord, or a Reject saying which field, from which column, and why.
 * A bad row never stops the read; only file-level problems do (client.ts / columns.ts).
 */
import { deviceRecordSchema, type DeviceRecord, type Platform, type Reject } from '../types.js';
import type { RawRow } from './api-types.js';
import type { CanonicalField, Format, ResolvedColumns } from './columns.js';
import {
  intuneStatus, isPlaceholderSerial, manufacturerFromModel, parseDate, parseDateTime, toBootMode, toCompliance,
  toEmail, toPlatform, type DateOrder, type Parsed,
} from './values.js';

export interface MapperOptions {
  format: Format;
  /** File name used in reject locations (`devices.csv:12`). */
  file: string;
  columns: ResolvedColumns;
  /** Fallback when the row says nothing about the platform. */
  platform?: Platform;
  dateFormat: DateOrder;
}

/** Counts for the end-of-read log line. Only counts and vendor enum values: never emails or names. */
export interface MapperStats {
  userEmailNotEmail: number;
  recentUsersNotEmail: number;
  duplicates: number;
  unknownDeviceStates: Set<string>;
}

export type MapOutcome = { ok: true; record: DeviceRecord } | { ok: false; reject: Reject };

interface Issue {
  field: string;
  reason: string;
}

const MAX_REPORTED_STATES = 20;

export function createMapper(opts: MapperOptions) {
  const stats: MapperStats = { userEmailNotEmail: 0, recentUsersNotEmail: 0, duplicates: 0, unknownDeviceStates: new Set() };
  // externalId -> line of first sighting. Two rows with one id would make the ledger upsert the device twice
  // in one batch, and nobody can say which row is right.
  const seen = new Map<string, number>();
  const cols = opts.columns.fields;
  const columnOf = (field: string): string => cols[field as CanonicalField]?.[0] ?? field;

  function map(row: RawRow, line: number): MapOutcome {
    const issues: Issue[] = [];
    const fail = (field: string, column: string, reason: string) =>
      issues.push({ field, reason: `${field} (column '${column}'): ${reason}` });
    // First non-empty cell among the field's columns; empty strings are "no value".
    const cell = (field: CanonicalField): { value: string; column: string } | null => {
      for (const column of cols[field] ?? []) {
        const value = (row[column] ?? '').trim();
        if (value !== '') return { value, column };
      }
      return null;
    };
    const text = (field: CanonicalField) => cell(field)?.value ?? null;
    const parsed = <T>(field: CanonicalField, parse: (raw: string) => Parsed<T | null>): T | null => {
      const c = cell(field);
      if (!c) return null;
      const r = parse(c.value);
      if (!r.ok) fail(field, c.column, r.reason);
      return r.ok ? r.value : null;
    };
    const enumOf = <T>(field: CanonicalField, to: (raw: string) => T | undefined): T | null =>
      parsed(field, (raw) => {
        const v = to(raw);
        return v === undefined ? { ok: false, reason: `unrecognised value '${raw}'` } : { ok: true, value: v };
      });

    // Kept as given apart from trimming: the ledger owns serial normalisation.
    const serialCell = cell('serial');
    let serial: string | null = null;
    if (!serialCell) fail('serial', columnOf('serial'), 'empty; a device without a serial cannot be matched');
    else if (isPlaceholderSerial(serialCell.value)) {
      fail('serial', serialCell.column, `placeholder '${serialCell.value}' is not a usable serial (VM or whitebox PC?)`);
    } else serial = serialCell.value;

    const externalId = text('externalId') ?? serial;
    const model = text('model');
    const platformCell = cell('platform');
    const platform =
      (platformCell && toPlatform(platformCell.value)) ?? opts.platform ?? (opts.format === 'gam' ? 'chromeos' : 'other');

    const userCell = cell('userEmail');
    const userEmail = userCell ? toEmail(userCell.value) : null;
    if (userCell && !userEmail) stats.userEmailNotEmail++;

    const candidate = {
      externalId,
      serial,
      assetTag: text('assetTag'),
      model,
      manufacturer: text('manufacturer') ?? (opts.format === 'gam' && model ? manufacturerFromModel(model) : null),
      platform,
      status: status(cell('status'), fail),
      userEmail,
      recentUsers: recentUsers(row),
      orgUnit: text('orgUnit'),
      osVersion: text('osVersion'),
      lastSyncAt: parsed('lastSyncAt', (raw) => parseDateTime(raw, opts.dateFormat)),
      enrolledAt: parsed('enrolledAt', (raw) => parseDateTime(raw, opts.dateFormat)),
      aueDate: parsed('aueDate', (raw) => parseDate(raw, opts.dateFormat)),
      compliance: enumOf('compliance', toCompliance),
      bootMode: enumOf('bootMode', toBootMode),
      deleted: false,
    };
    if (issues.length > 0) return reject(issues, externalId, line, row);

    // The canonical schema is the last word: whatever it refuses is quarantined under the field it names.
    const checked = deviceRecordSchema.safeParse(candidate);
    if (!checked.success) {
      return reject(
        checked.error.issues.map((i) => {
          const field = String(i.path[0] ?? 'record');
          return { field, reason: `${field} (column '${columnOf(field)}'): ${i.message}` };
        }),
        externalId, line, row,
      );
    }
    const record = checked.data;
    const firstLine = seen.get(record.externalId);
    if (firstLine !== undefined) {
      stats.duplicates++;
      const column = cols.externalId ? columnOf('externalId') : columnOf('serial');
      return reject(
        [{ field: 'externalId', reason: `externalId (column '${column}'): same device as line ${firstLine}; kept the first` }],
        record.externalId, line, row,
      );
    }
    seen.set(record.externalId, line);
    return { ok: true, record };
  }

  function status(c: { value: string; column: string } | null, fail: (f: string, c: string, r: string) => void): string | null {
    if (opts.format === 'intune') {
      // The export lists enrolled devices; no state means managed.
      if (!c) return 'active';
      const r = intuneStatus(c.value);
      if (!r.known && stats.unknownDeviceStates.size < MAX_REPORTED_STATES) stats.unknownDeviceStates.add(c.value);
      return r.status;
    }
    if (opts.format === 'generic') return c ? c.value.toLowerCase() : 'active';
    // GAM: ACTIVE, DISABLED, DEPROVISIONED, ... -> lower-case. The API always sets it, so empty means a broken row.
    if (!c) {
      fail('status', columnOf('status'), 'empty');
      return null;
    }
    return c.value.toLowerCase();
  }

  /** GAM recentUsers.N.email in N order; unmanaged users usually have no email and are skipped. */
  function recentUsers(row: RawRow): string[] {
    const out: string[] = [];
    for (const column of opts.columns.recentUsers) {
      const raw = (row[column] ?? '').trim();
      if (raw === '') continue;
      const email = toEmail(raw);
      if (!email) stats.recentUsersNotEmail++;
      else if (!out.includes(email)) out.push(email);
    }
    return out;
  }

  function reject(issues: Issue[], externalId: string | null, line: number, row: RawRow): MapOutcome {
    return {
      ok: false,
      reject: {
        ...(externalId ? { externalId } : {}),
        field: issues[0]?.field ?? 'record',
        reason: issues.map((i) => i.reason).join('; '),
        location: `${opts.file}:${line}`,
        raw: row,
      },
    };
  }

  return { map, stats };
}
