/**
 * One Graph managedDevice -> a canonical DeviceRecord (with warnings for optional fields it could not read), or a
 * Reject: kept (with the Intune device id) when the device is identifiable but unusable, e.g. a placeholder
 * serial; rejected outright when the item has no id. Then `ReenrolledTracker` resolves re-enrolled hardware.
 * Reasons name the Graph property, never its value when that could be personal (UPN, email, device name).
 */
import { cellProblem } from '../shared/limits.js';
import { mapped, type MapResult } from '../shared/map-result.js';
import { RowCheck } from '../shared/row-check.js';
import { deviceRecordSchema, type DeviceRecord, type FieldWarning } from '../types.js';
import { managedDeviceSchema, type ManagedDevice } from './api-types.js';
import { intuneStatus, isPlaceholderSerial, parseGraphDateTime, toCompliance, toEmail, toMac, toPlatform } from './values.js';

/** Canonical fields Graph does not supply: the ledger keeps whatever another source stored for them. */
export const UNSUPPLIED = ['assetTag', 'orgUnit', 'orgUnitId', 'annotatedLocation', 'notes', 'recentUsers', 'aueDate', 'bootMode'] as const;

/** Counts for the end-of-read log line: counts and vendor enum values only. */
export interface MapperStats {
  placeholders: number;
  userNotEmail: number;
  unknownStates: Set<string>;
}

/** Item as strings for RowCheck/quarantine `raw` (null and absent become ''). */
function asRow(item: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (item && typeof item === 'object') {
    for (const [k, v] of Object.entries(item)) {
      if (k.startsWith('@odata')) continue;
      out[k] = v === null || v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v);
    }
  }
  return out;
}

export function createMapper() {
  const stats: MapperStats = { placeholders: 0, userNotEmail: 0, unknownStates: new Set() };

  function map(item: unknown, location: string): MapResult<DeviceRecord> {
    const check = new RowCheck(location);
    const row = asRow(item);
    const parsed = managedDeviceSchema.safeParse(item);
    if (!parsed.success) {
      // No string id: nothing to keep the device under. A typed-wrong optional field with an id is rare enough
      // (Graph is schema'd) that it is read as a broken record too, kept under its id when there is one.
      const id = typeof row.id === 'string' && row.id.trim() !== '' ? row.id.trim() : null;
      const fields = [...new Set(parsed.error.issues.map((i) => String(i.path[0] ?? 'record')))].join(', ');
      if (id === null || cellProblem(id, 'id')) check.reject('externalId', 'id', 'missing or not a usable device id');
      else check.keep('record', fields, 'unexpected type from Graph');
      return check.finish<DeviceRecord>(id, row, () => null);
    }
    const d: ManagedDevice = parsed.data;
    const text = (field: string, prop: keyof ManagedDevice, kind: 'id' | 'text' = 'text') =>
      check.cell(field, prop, d[prop] ?? undefined, kind, 'optional');

    const externalId = check.cell('externalId', 'id', d.id, 'id', 'identity');

    let serial: string | null = null;
    const rawSerial = (d.serialNumber ?? '').trim();
    if (rawSerial === '' || isPlaceholderSerial(rawSerial)) {
      stats.placeholders++;
      // A quirk, not a device: present in Intune (so never deactivated for it) but not applied.
      check.keep('serial', 'serialNumber', rawSerial === ''
        ? 'empty; a device without a serial cannot be matched'
        : `placeholder '${rawSerial}' is not a usable serial (VM, whitebox PC or an unreported serial)`);
    } else {
      serial = check.cell('serial', 'serialNumber', rawSerial, 'id', 'required');
    }

    // Primary user: the UPN, else the email Intune holds for the user. Not an address (a bare GUID) -> null.
    const user = text('userEmail', 'userPrincipalName', 'id') ?? text('userEmail', 'emailAddress', 'id');
    const userEmail = user ? toEmail(user) : null;
    if (user && !userEmail) stats.userNotEmail++;

    const os = text('platform', 'operatingSystem');
    const state = text('status', 'managementState');
    let status = 'active';
    if (state) {
      const s = intuneStatus(state);
      if (!s.known && stats.unknownStates.size < 20) stats.unknownStates.add(state);
      status = s.status;
    }

    const date = (field: string, prop: 'lastSyncDateTime' | 'enrolledDateTime'): string | null => {
      const v = text(field, prop);
      if (v === null) return null;
      const r = parseGraphDateTime(v);
      if (!r.ok) check.warn(field, prop, r.reason, v);
      return r.ok ? r.value : null;
    };
    const complianceRaw = text('compliance', 'complianceState');
    const compliance = complianceRaw === null ? null : (toCompliance(complianceRaw) ?? null);
    if (complianceRaw !== null && compliance === null) check.warn('compliance', 'complianceState', `unrecognised value '${complianceRaw}'`);

    // wiFiMacAddress: 12 bare hex digits; an unreadable one is a warning, the device is still applied.
    const macRaw = text('macAddress', 'wiFiMacAddress');
    const macAddress = macRaw === null ? null : toMac(macRaw);
    if (macAddress === undefined) check.warn('macAddress', 'wiFiMacAddress', `not a MAC address: '${macRaw!.slice(0, 40)}'`, macRaw!);

    const candidate = {
      externalId,
      serial,
      assetTag: null,
      model: text('model', 'model'),
      manufacturer: text('manufacturer', 'manufacturer'),
      platform: (os && toPlatform(os)) ?? 'other',
      status,
      userEmail,
      recentUsers: [],
      orgUnit: null,
      orgUnitId: null,
      annotatedLocation: null,
      notes: null,
      macAddress: macAddress ?? null,
      osVersion: text('osVersion', 'osVersion'),
      lastSyncAt: date('lastSyncAt', 'lastSyncDateTime'),
      enrolledAt: date('enrolledAt', 'enrolledDateTime'),
      aueDate: null,
      compliance,
      bootMode: null,
      deleted: false,
    };
    return check.finish<DeviceRecord>(externalId, row, () => {
      const ok = deviceRecordSchema.safeParse(candidate);
      if (ok.success) return ok.data;
      for (const i of ok.error.issues) check.keep(String(i.path[0] ?? 'record'), String(i.path[0] ?? 'record'), i.message);
      return null;
    });
  }

  return { map, stats };
}

/** Serials compare as the ledger stores them (trim, upper-case, no spaces). */
const serialKey = (s: string) => s.replace(/\s+/g, '').toUpperCase();
const syncMs = (r: DeviceRecord) => (r.lastSyncAt ? Date.parse(r.lastSyncAt) : -Infinity);

/**
 * Re-enrolled hardware appears as two managed devices (two ids, one serial). The one with the latest
 * lastSyncDateTime is the live enrolment and is kept, with a warning naming the stale id(s); ties keep the first
 * listed. The read streams pages, so this is decided as records arrive:
 *
 * - a twin that arrives older (or tied) is left out: absent from the read, its observation ends like any device
 *   Intune no longer lists;
 * - a twin that arrives newer than one already passed on wins, and the one passed on is *retracted* at the end of
 *   the read: emitted again with `deleted: true` (Intune listed it, but as a stale enrolment), so its observation
 *   ends too. The ledger keeps the last row of an id, so the retraction overrides the earlier row.
 *
 * Memory: one entry per serial (the record passed on, needed only if it is retracted), ~1 KB a device.
 */
export class ReenrolledTracker {
  private readonly best = new Map<string, { record: DeviceRecord; ms: number; stale: string[] }>();
  private readonly retracted: DeviceRecord[] = [];
  dropped = 0;

  /** The outcome to pass on now, or null when this record is a stale twin left out. */
  admit(m: MapResult<DeviceRecord>): MapResult<DeviceRecord> | null {
    if (!m.ok) return m;
    const key = serialKey(m.record.serial);
    const cur = this.best.get(key);
    const ms = syncMs(m.record);
    if (!cur) {
      this.best.set(key, { record: m.record, ms, stale: [] });
      return m;
    }
    this.dropped++;
    if (ms > cur.ms) {
      this.retracted.push(cur.record);
      this.best.set(key, { record: m.record, ms, stale: [...cur.stale, cur.record.externalId] });
      return m;
    }
    cur.stale.push(m.record.externalId);
    return null;
  }

  /** At the end of a complete read: the retractions, and a warning on each kept twin naming its stale ids. */
  finish(location: string): { retractions: MapResult<DeviceRecord>[]; warnings: FieldWarning[] } {
    const retractions = this.retracted.map((r) => mapped({ ...r, deleted: true }));
    const warnings: FieldWarning[] = [];
    for (const { record, stale } of this.best.values()) {
      if (stale.length === 0) continue;
      warnings.push({
        externalId: record.externalId, field: 'serial', location,
        reason: `serial (property 'serialNumber'): re-enrolled hardware, also listed under older device id(s) ${stale.join(', ')}; kept the record with the latest lastSyncDateTime`,
      });
    }
    return { retractions, warnings };
  }
}
