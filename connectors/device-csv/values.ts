/**
 * Cell-level parsing shared by every format: dates in the shapes exports really use, vendor enums to canonical
 * values, placeholder serials. Pure functions; each either returns a value or says why it could not.
 */
import type { DeviceRecord, Platform } from '../types.js';

export type DateOrder = 'iso' | 'mdy' | 'dmy';
export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

interface Instant {
  ms: number;
  /** True when the cell was a bare date, so a date field keeps it as written (no zone shift). */
  dateOnly: boolean;
  date: string;
}

// 2026-10-02T14:03:11.123Z, 2026-10-02 14:03:11.0000000 (Intune: UTC, no zone), 2026/10/02 14:03, 2027-06-30
const YMD = /^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?\s*(Z|UTC|[+-]\d{2}(?::?\d{2})?)?$/i;
// 10/2/2026 2:03:11 PM, 02.10.2026 14:03, 2/10/26 (Excel short date)
const LOCAL = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})(?:[ T,]+(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?\s*(?:([AP])\.?M\.?)?)?$/i;
// The Directory API's autoUpdateExpiration: epoch milliseconds as a string.
const EPOCH_MS = /^\d{12,14}$/;
const COMPACT = /^(\d{4})(\d{2})(\d{2})$/;

/**
 * Years before this are "never" sentinels, not dates: Intune writes 0001-01-01 (DateTime.MinValue) for a
 * device that never checked in, Windows tools 1601-01-01, and epoch 0 shows up as 1970-01-01.
 */
const SENTINEL_BEFORE_YEAR = 1980;

function parseInstant(raw: string, order: DateOrder): Parsed<Instant | null> {
  const s = raw.trim();
  if (s === '0') return { ok: true, value: null }; // autoUpdateExpiration "0": no AUE known
  if (EPOCH_MS.test(s)) {
    const ms = Number(s);
    return { ok: true, value: { ms, dateOnly: false, date: new Date(ms).toISOString().slice(0, 10) } };
  }
  let m = YMD.exec(s) ?? COMPACT.exec(s);
  if (m) return build(s, +m[1]!, +m[2]!, +m[3]!, m[4], m[5], m[6], m[7], undefined, m[8]);
  m = LOCAL.exec(s);
  if (!m) return { ok: false, reason: `unrecognised date '${s}'` };
  const a = +m[1]!;
  const b = +m[2]!;
  let monthFirst: boolean;
  if (order === 'mdy') monthFirst = true;
  else if (order === 'dmy') monthFirst = false;
  else if (a > 12 && b > 12) return { ok: false, reason: `invalid date '${s}'` };
  else if (a > 12) monthFirst = false;
  else if (b > 12) monthFirst = true;
  else if (a === b) monthFirst = true; // 3/3/2026 reads the same both ways
  else {
    return {
      ok: false,
      reason: `ambiguous date '${s}' (month/day or day/month?); set dateFormat to 'mdy' or 'dmy'`,
    };
  }
  const year = m[3]!.length === 2 ? 2000 + +m[3]! : +m[3]!;
  return build(s, year, monthFirst ? a : b, monthFirst ? b : a, m[4], m[5], m[6], m[7], m[8], undefined);
}

function build(
  s: string, y: number, mo: number, d: number,
  hh?: string, mi?: string, ss?: string, frac?: string, ampm?: string, zone?: string,
): Parsed<Instant | null> {
  if (y < SENTINEL_BEFORE_YEAR) return { ok: true, value: null };
  let h = hh === undefined ? 0 : +hh;
  if (ampm) {
    if (h < 1 || h > 12) return { ok: false, reason: `invalid time in '${s}'` };
    h = (h % 12) + (ampm.toUpperCase() === 'P' ? 12 : 0);
  }
  const min = mi === undefined ? 0 : +mi;
  const sec = ss === undefined ? 0 : +ss;
  const ms = frac === undefined ? 0 : Math.floor(+`0.${frac}` * 1000);
  if (h > 23 || min > 59 || sec > 59) return { ok: false, reason: `invalid time in '${s}'` };
  const day = new Date(Date.UTC(y, mo - 1, d));
  if (day.getUTCFullYear() !== y || day.getUTCMonth() !== mo - 1 || day.getUTCDate() !== d) {
    return { ok: false, reason: `invalid date '${s}'` };
  }
  let offsetMin = 0;
  if (zone && !/^(z|utc)$/i.test(zone)) {
    const zm = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone)!;
    offsetMin = (zm[1] === '-' ? -1 : 1) * (+zm[2]! * 60 + +(zm[3] ?? 0));
  }
  const instant = Date.UTC(y, mo - 1, d, h, min, sec, ms) - offsetMin * 60_000;
  const date = `${String(y).padStart(4, '0')}-${String(mo).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
  return { ok: true, value: { ms: instant, dateOnly: hh === undefined && zone === undefined, date } };
}

/** A timestamp field: ISO 8601 in UTC (`...Z`), or null for "never". Zone-less values are taken as UTC. */
export function parseDateTime(raw: string, order: DateOrder): Parsed<string | null> {
  const r = parseInstant(raw, order);
  if (!r.ok) return r;
  return { ok: true, value: r.value && new Date(r.value.ms).toISOString() };
}

/** A calendar-date field (AUE): YYYY-MM-DD; timestamps are read as their UTC date. */
export function parseDate(raw: string, order: DateOrder): Parsed<string | null> {
  const r = parseInstant(raw, order);
  if (!r.ok) return r;
  if (!r.value) return { ok: true, value: null };
  return { ok: true, value: r.value.dateOnly ? r.value.date : new Date(r.value.ms).toISOString().slice(0, 10) };
}

/**
 * Serials firmware reports when the OEM never set one (whitebox PCs, VMs, some Android tablets). The ledger keys
 * devices by serial, so accepting these would merge every such machine into one device.
 */
const PLACEHOLDER_SERIALS = new Set([
  'default string', 'to be filled by o.e.m.', 'to be filled by oem', 'system serial number',
  'chassis serial number', 'not applicable', 'not specified', 'none', 'null', 'n/a', 'na', 'unknown', 'invalid',
  'oem', 'serial', '123456789', '1234567890', '0123456789',
]);

export function isPlaceholderSerial(serial: string): boolean {
  const s = serial.trim().replace(/\s+/g, ' ').toLowerCase();
  return PLACEHOLDER_SERIALS.has(s) || /^0+$/.test(s) || /^[\s.\-_*#?]*$/.test(s);
}

/** OS / device-type text to a platform, or null when it names none of ours (Linux, "Projector", ...). */
export function toPlatform(raw: string): Platform | null {
  const s = raw.trim().toLowerCase();
  if (s.includes('windows')) return 'windows';
  if (s.includes('chrome')) return 'chromeos';
  if (s.includes('android')) return 'android';
  if (/mac ?os|os x|macbook|imac|^mac\b/.test(s)) return 'macos';
  if (/\bios\b|ipados|ipad|iphone/.test(s)) return 'ios';
  return null;
}

const letters = (s: string) => s.toLowerCase().replace(/[^a-z]/g, '');

type Compliance = NonNullable<DeviceRecord['compliance']>;
const COMPLIANCE: Record<string, Compliance> = {
  compliant: 'compliant',
  yes: 'compliant',
  true: 'compliant',
  noncompliant: 'noncompliant',
  notcompliant: 'noncompliant',
  no: 'noncompliant',
  false: 'noncompliant',
  // Grace period means a policy already fails and only enforcement is deferred. The reconciler should see the
  // device as noncompliant now rather than learn it when the grace period ends.
  ingraceperiod: 'noncompliant',
  notevaluated: 'unknown',
  unknown: 'unknown',
  conflict: 'unknown',
  error: 'unknown',
  configmanager: 'unknown', // co-managed: ConfigMgr owns compliance, Intune does not know
  notapplicable: 'unknown',
};

/** undefined = a value we do not recognise (the caller rejects the row). */
export function toCompliance(raw: string): Compliance | undefined {
  return COMPLIANCE[letters(raw)];
}

export function toBootMode(raw: string): 'normal' | 'dev' | undefined {
  const s = letters(raw);
  if (s === 'verified' || s === 'normal') return 'normal';
  if (s === 'dev' || s === 'developer') return 'dev';
  return undefined;
}

/**
 * Intune "Device state" (the Graph managementState) to a lifecycle status. Failed or cancelled retire/wipe
 * actions leave the device managed, so they are active; a state we have never seen is treated as active too
 * (the export lists enrolled devices) and counted so the run log shows it.
 */
const INTUNE_STATES: Record<string, string> = {
  managed: 'active',
  unhealthy: 'active',
  discovered: 'active',
  retirefailed: 'active',
  retirecanceled: 'active',
  wipefailed: 'active',
  wipecanceled: 'active',
  retirepending: 'retired',
  retireissued: 'retired',
  retired: 'retired',
  wipepending: 'wiped',
  wipeissued: 'wiped',
  wiped: 'wiped',
  deletepending: 'deleted',
  deleted: 'deleted',
};

export function intuneStatus(raw: string): { status: string; known: boolean } {
  const s = INTUNE_STATES[letters(raw)];
  return s ? { status: s, known: true } : { status: 'active', known: false };
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Lower-cased, trimmed email; null when the cell holds something else (GAM annotatedUser is free text). */
export function toEmail(raw: string): string | null {
  const s = raw.trim().toLowerCase();
  return EMAIL.test(s) ? s : null;
}

/**
 * ChromeOS models read "Lenovo 300e Chromebook Gen 3"; the Directory API has no manufacturer field, so take the
 * first word when it is a known OEM, never a guess like "Chromebook".
 */
const OEMS = new Set([
  'acer', 'asus', 'ctl', 'dell', 'dynabook', 'fujitsu', 'gateway', 'google', 'haier', 'hp', 'lenovo', 'lg', 'nec',
  'panasonic', 'positivo', 'samsung', 'sharp', 'toshiba', 'viglen',
]);

export function manufacturerFromModel(model: string): string | null {
  const first = model.trim().split(/\s+/)[0] ?? '';
  return OEMS.has(first.toLowerCase()) ? first : null;
}
