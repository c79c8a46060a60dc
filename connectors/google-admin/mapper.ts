/**
 * One ChromeOsDevice (raw, as the Directory API returned it) → a canonical DeviceRecord, with warnings for
 * optional fields it could not read, or a Reject:
 *
 * - no usable deviceId → rejected outright (no identity);
 * - deviceId readable but serialNumber empty or a placeholder, status missing, or a field of the wrong JSON type
 *   → kept-unreadable (Reject with the deviceId as externalId: the device is present, its row stays as it was);
 * - a bad optional field (a timestamp that does not parse, an unknown bootMode) → the record, that field null,
 *   and a FieldWarning.
 *
 * Missing fields are normal (projection, device age and licence decide what is present): they map to null.
 * Reasons name the field and the problem, never emails or names.
 */
import type { FieldKind } from '../shared/limits.js';
import type { MapResult } from '../shared/map-result.js';
import { rejected } from '../shared/map-result.js';
import { RowCheck, type FieldRole } from '../shared/row-check.js';
import { deviceRecordSchema, type DeviceRecord } from '../types.js';
import { chromeOsDeviceSchema, recentUserSchema, type RawChromeOsDevice } from './api-types.js';
import {
  isPlaceholderSerial, manufacturerFromModel, parseDateOf, parseEpochMsDate, parseTimestamp, toBootMode, toEmail, toMac,
  type Parsed,
} from './values.js';

/** Counts for the end-of-read log line: counts only, never values. */
export interface MapperStats {
  userEmailNotEmail: number;
  duplicates: number;
  unmanagedRecentUsers: number;
}

/** Canonical fields Google never supplies: the ledger keeps their stored values. */
export const UNSUPPLIED: readonly string[] = ['compliance'];

export function createMapper() {
  const stats: MapperStats = { userEmailNotEmail: 0, duplicates: 0, unmanagedRecentUsers: 0 };
  const seen = new Map<string, string>();

  /** `location` names the page (`chromeosdevices page 3`), used in rejects and warnings. */
  function map(item: unknown, location: string): MapResult<DeviceRecord> {
    const check = new RowCheck(location);
    const parsed = chromeOsDeviceSchema.safeParse(item);
    const rawId = (item as { deviceId?: unknown } | null)?.deviceId;
    if (!parsed.success) {
      const fields = [...new Set(parsed.error.issues.map((i) => String(i.path[0] ?? 'record')))];
      if (typeof rawId === 'string' && rawId.trim() !== '' && !fields.includes('deviceId')) {
        const id = check.cell('externalId', 'deviceId', rawId, 'id', 'identity');
        if (id) check.keep(fields[0]!, fields[0]!, `wrong JSON type for ${fields.join(', ')}`);
        return check.finish<DeviceRecord>(id, rawOf(item), () => null);
      }
      check.reject('externalId', 'deviceId', 'missing or not a string');
      return check.finish<DeviceRecord>(null, rawOf(item), () => null);
    }
    const d = parsed.data;

    const text = (field: string, api: keyof RawChromeOsDevice, kind: FieldKind, role: FieldRole = 'optional') =>
      check.cell(field, api, d[api] as string | undefined, kind, role);
    const value = <T>(field: string, api: keyof RawChromeOsDevice, parse: (raw: string) => Parsed<T | null>): T | null => {
      const v = text(field, api, 'text');
      if (v === null) return null;
      const r = parse(v);
      if (!r.ok) check.warn(field, api, r.reason, v);
      return r.ok ? r.value : null;
    };

    const deviceId = check.cell('externalId', 'deviceId', d.deviceId, 'id', 'identity');
    if (d.deviceId.trim() === '') check.reject('externalId', 'deviceId', 'empty');

    const serialRaw = (d.serialNumber ?? '').trim();
    let serial: string | null = null;
    if (serialRaw === '') check.keep('serial', 'serialNumber', 'empty; a device without a serial cannot be matched');
    else if (isPlaceholderSerial(serialRaw)) {
      check.keep('serial', 'serialNumber', `placeholder '${serialRaw}' is not a usable serial`);
    } else serial = check.cell('serial', 'serialNumber', serialRaw, 'id', 'required');

    // ACTIVE, DISABLED, DEPROVISIONED, PRE_PROVISIONED, INACTIVE, ... → lower-case. The API always sets it.
    const statusRaw = text('status', 'status', 'text', 'required');
    if (statusRaw === null && (d.status ?? '').trim() === '') check.keep('status', 'status', 'missing');

    const model = text('model', 'model', 'text');
    const userCell = text('userEmail', 'annotatedUser', 'id');
    const userEmail = userCell ? toEmail(userCell) : null;
    if (userCell && !userEmail) stats.userEmailNotEmail++;

    // autoUpdateThrough (timestamp) wins; the deprecated autoUpdateExpiration is epoch ms as a string.
    const aueDate = d.autoUpdateThrough?.trim()
      ? value('aueDate', 'autoUpdateThrough', parseDateOf)
      : value('aueDate', 'autoUpdateExpiration', parseEpochMsDate);

    const bootMode = value('bootMode', 'bootMode', (raw) => {
      const b = toBootMode(raw);
      return b ? { ok: true, value: b } : { ok: false, reason: `unrecognised value '${raw}'` };
    });

    const candidate = {
      externalId: deviceId,
      serial,
      assetTag: text('assetTag', 'annotatedAssetId', 'id'),
      model,
      manufacturer: model ? manufacturerFromModel(model) : null,
      platform: 'chromeos' as const,
      status: statusRaw?.toLowerCase() ?? null,
      userEmail,
      recentUsers: recentUsers(d.recentUsers, check),
      orgUnit: text('orgUnit', 'orgUnitPath', 'text'),
      orgUnitId: text('orgUnitId', 'orgUnitId', 'id'),
      annotatedLocation: text('annotatedLocation', 'annotatedLocation', 'text'),
      notes: text('notes', 'notes', 'text'),
      macAddress: value('macAddress', 'macAddress', macOf),
      osVersion: text('osVersion', 'osVersion', 'text'),
      lastSyncAt: value('lastSyncAt', 'lastSync', parseTimestamp),
      enrolledAt: value('enrolledAt', 'lastEnrollmentTime', parseTimestamp),
      aueDate,
      compliance: null,
      bootMode,
      deleted: false,
    };

    const out = check.finish<DeviceRecord>(deviceId, rawOf(d), () => {
      const ok = deviceRecordSchema.safeParse(candidate);
      if (ok.success) return ok.data;
      for (const i of ok.error.issues) check.keep(String(i.path[0] ?? 'record'), String(i.path[0] ?? 'record'), i.message);
      return null;
    });
    if (!out.ok) return out;

    const first = seen.get(out.record.externalId);
    if (first !== undefined) {
      // The same device twice in one read (paging shifted under us): applying both is ambiguous; keep the first.
      stats.duplicates++;
      return rejected({
        externalId: out.record.externalId, field: 'externalId', location,
        reason: `externalId (field 'deviceId'): the same device was already listed on ${first}; kept the first`,
        raw: rawOf(d),
      });
    }
    seen.set(out.record.externalId, location);
    return out;
  }

  /** Only USER_TYPE_MANAGED entries carry an email; in the API's order (most recent first), de-duplicated. */
  function recentUsers(list: unknown[] | undefined, check: RowCheck): string[] {
    const out: string[] = [];
    for (const entry of list ?? []) {
      const u = recentUserSchema.safeParse(entry);
      if (!u.success || u.data.type !== 'USER_TYPE_MANAGED' || !u.data.email) {
        stats.unmanagedRecentUsers++;
        continue;
      }
      const raw = check.cell('recentUsers', 'recentUsers.email', u.data.email, 'id', 'optional');
      const email = raw && toEmail(raw);
      if (email && !out.includes(email)) out.push(email);
    }
    return out;
  }

  return { map, stats };
}

/** A MAC the ledger can store, or a warning naming the problem (the value is a hardware id, not personal). */
export function macOf(raw: string): Parsed<string | null> {
  const mac = toMac(raw);
  return mac === undefined ? { ok: false, reason: `not a MAC address: '${raw.slice(0, 40)}'` } : { ok: true, value: mac };
}

/** The device's scalar fields for quarantine `raw` (RowCheck makes them jsonb-safe and cuts long ones). */
function rawOf(item: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (item && typeof item === 'object') {
    for (const [k, v] of Object.entries(item)) {
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[k] = String(v);
    }
  }
  return out;
}
