/**
 * One raw export row -> a canonical DeviceRecord (with warnings for optional fields it could not read), or a
 * Reject saying which field, from which column, and why: kept (with externalId) when the device's identity is
 * readable, rejected outright when it is not. A bad row never stops the read; only file-level problems do.
 */
import { cellProblem, type FieldKind } from '../shared/limits.js';
import type { MapResult } from '../shared/map-result.js';
import { RowCheck, type FieldRole } from '../shared/row-check.js';
import { deviceRecordSchema, type DeviceRecord, type Platform } from '../types.js';
import type { RawRow } from './api-types.js';
import type { CanonicalField, Format, ResolvedColumns } from './columns.js';
import {
  intuneStatus, isPlaceholderSerial, manufacturerFromModel, parseDate, parseDateTime, toBootMode, toCompliance,
  toEmail, toMac, toPlatform, type DateOrder, type Parsed,
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

export type MapOutcome = MapResult<DeviceRecord>;

const MAX_REPORTED_STATES = 20;

/** Serials compare as the ledger stores them (trim, upper-case, no spaces). */
const serialKey = (s: string) => s.replace(/\s+/g, '').toUpperCase();

export function createMapper(opts: MapperOptions) {
  const stats: MapperStats = { userEmailNotEmail: 0, recentUsersNotEmail: 0, duplicates: 0, unknownDeviceStates: new Set() };
  // externalId -> line of first sighting. Two rows with one id would make the ledger upsert the device twice
  // in one batch, and nobody can say which row is right.
  const seen = new Map<string, number>();
  // serial -> first line and device id. One serial under two device ids is kept (both are real MDM records,
  // e.g. a re-enrolled Chromebook) but flagged, since the ledger keys devices by serial.
  const serials = new Map<string, { line: number; externalId: string }>();
  const cols = opts.columns.fields;
  const columnOf = (field: string): string => cols[field as CanonicalField]?.[0] ?? field;

  function map(row: RawRow, line: number): MapOutcome {
    const check = new RowCheck(`${opts.file}:${line}`);
    // First non-empty cell among the field's columns; empty strings are "no value".
    const cell = (field: CanonicalField): { value: string; column: string } | null => {
      for (const column of cols[field] ?? []) {
        const value = (row[column] ?? '').trim();
        if (value !== '') return { value, column };
      }
      return null;
    };
    const text = (field: CanonicalField, kind: FieldKind, role: FieldRole = 'optional'): string | null => {
      const c = cell(field);
      return c && check.cell(field, c.column, c.value, kind, role);
    };
    const parsed = <T>(field: CanonicalField, parse: (raw: string) => Parsed<T | null>): T | null => {
      const c = cell(field);
      const v = c && check.cell(field, c.column, c.value, 'text', 'optional');
      if (!c || v === null) return null;
      const r = parse(v);
      // An optional field that cannot be read: the record goes on, the ledger keeps the stored value.
      if (!r.ok) check.warn(field, c.column, r.reason, c.value);
      return r.ok ? r.value : null;
    };
    const enumOf = <T>(field: CanonicalField, to: (raw: string) => T | undefined): T | null =>
      parsed(field, (raw) => {
        const v = to(raw);
        return v === undefined ? { ok: false, reason: `unrecognised value '${raw}'` } : { ok: true, value: v };
      });

    // Identity: the MDM's device id, else the serial. A device id that is present but unusable (control
    // characters, over the cap) is no identity at all: falling back to the serial would invent another device.
    const idCell = cell('externalId');
    const deviceId = idCell && check.cell('externalId', idCell.column, idCell.value, 'id', 'identity');

    // Kept as given apart from trimming: the ledger owns serial normalisation.
    const serialCell = cell('serial');
    let serial: string | null = null;
    let serialProblem: string | null = null;
    if (!serialCell) serialProblem = 'empty; a device without a serial cannot be matched';
    else {
      const p = cellProblem(serialCell.value, 'id');
      if (p) serialProblem = p.reason;
      else if (isPlaceholderSerial(serialCell.value)) {
        serialProblem = `placeholder '${serialCell.value}' is not a usable serial (VM or whitebox PC?)`;
      } else serial = serialCell.value;
    }
    const serialColumn = serialCell?.column ?? columnOf('serial');
    const externalId = idCell ? deviceId : serial;
    if (serialProblem) {
      // With its own id the device is present but cannot be applied (kept); without one it has no identity.
      if (idCell && deviceId) check.keep('serial', serialColumn, serialProblem);
      else if (!idCell) check.reject('serial', serialColumn, serialProblem);
    }

    const model = text('model', 'text');
    const platformCell = text('platform', 'text');
    const platform = (platformCell && toPlatform(platformCell)) ?? opts.platform ?? (opts.format === 'gam' ? 'chromeos' : 'other');

    const userCell = text('userEmail', 'id');
    const userEmail = userCell ? toEmail(userCell) : null;
    if (userCell && !userEmail) stats.userEmailNotEmail++;

    const statusValue = status(cell('status'), check);
    const candidate = {
      externalId,
      serial,
      assetTag: text('assetTag', 'id'),
      model,
      manufacturer: text('manufacturer', 'text') ?? (opts.format === 'gam' && model ? manufacturerFromModel(model) : null),
      platform,
      status: statusValue,
      userEmail,
      recentUsers: recentUsers(row, check),
      orgUnit: text('orgUnit', 'text'),
      orgUnitId: text('orgUnitId', 'id'),
      annotatedLocation: text('annotatedLocation', 'text'),
      notes: text('notes', 'text'),
      macAddress: parsed('macAddress', (raw) => {
        const mac = toMac(raw);
        return mac === undefined ? { ok: false, reason: `not a MAC address: '${raw.slice(0, 40)}'` } : { ok: true, value: mac };
      }),
      osVersion: text('osVersion', 'text'),
      lastSyncAt: parsed('lastSyncAt', (raw) => parseDateTime(raw, opts.dateFormat)),
      enrolledAt: parsed('enrolledAt', (raw) => parseDateTime(raw, opts.dateFormat)),
      aueDate: parsed('aueDate', (raw) => parseDate(raw, opts.dateFormat)),
      compliance: enumOf('compliance', toCompliance),
      bootMode: enumOf('bootMode', toBootMode),
      deleted: false,
    };

    const out = check.finish<DeviceRecord>(externalId, row, () => {
      // The canonical schema is the last word: whatever it refuses keeps the row, under the field it names.
      const checked = deviceRecordSchema.safeParse(candidate);
      if (checked.success) return checked.data;
      for (const i of checked.error.issues) {
        const field = String(i.path[0] ?? 'record');
        check.keep(field, columnOf(field), i.message);
      }
      return null;
    });
    if (!out.ok) return out;

    const record = out.record;
    const firstLine = seen.get(record.externalId);
    if (firstLine !== undefined) {
      stats.duplicates++;
      const column = cols.externalId ? columnOf('externalId') : columnOf('serial');
      const dup = new RowCheck(check.location);
      dup.keep('externalId', column, `same device as line ${firstLine}; kept the first`);
      return dup.finish<DeviceRecord>(record.externalId, row, () => null);
    }
    seen.set(record.externalId, line);

    const key = serialKey(record.serial);
    const first = serials.get(key);
    if (first && first.externalId !== record.externalId) {
      const warning = {
        externalId: record.externalId, field: 'serial', location: check.location,
        reason: `serial (column '${serialColumn}'): the same serial is listed at line ${first.line} under another device id; both are kept`,
      };
      return { ok: true, record, warnings: [...(out.warnings ?? []), warning] };
    }
    if (!first) serials.set(key, { line, externalId: record.externalId });
    return out;
  }

  function status(c: { value: string; column: string } | null, check: RowCheck): string | null {
    const v = c && check.cell('status', c.column, c.value, 'text', 'required');
    if (c && v === null) return null; // unusable cell: already recorded as kept
    if (opts.format === 'intune') {
      // The export lists enrolled devices; no state means managed.
      if (!v) return 'active';
      const r = intuneStatus(v);
      if (!r.known && stats.unknownDeviceStates.size < MAX_REPORTED_STATES) stats.unknownDeviceStates.add(v);
      return r.status;
    }
    if (opts.format === 'generic') return v ? v.toLowerCase() : 'active';
    // GAM: ACTIVE, DISABLED, DEPROVISIONED, ... -> lower-case. The API always sets it, so empty means a broken row.
    if (!v) {
      check.keep('status', columnOf('status'), 'empty');
      return null;
    }
    return v.toLowerCase();
  }

  /** GAM recentUsers.N.email in N order; unmanaged users usually have no email and are skipped. */
  function recentUsers(row: RawRow, check: RowCheck): string[] {
    const out: string[] = [];
    for (const column of opts.columns.recentUsers) {
      const raw = check.cell('recentUsers', column, row[column], 'id', 'optional');
      if (raw === null) continue;
      const email = toEmail(raw);
      if (!email) stats.recentUsersNotEmail++;
      else if (!out.includes(email)) out.push(email);
    }
    return out;
  }

  return { map, stats };
}
