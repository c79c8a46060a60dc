/**
 * Graph value parsing. Copied (not imported: vendor folders do not import each other) from
 * connectors/device-csv/values.ts, trimmed to what Graph sends; these belong in connectors/shared/device-values.ts.
 */
import type { DeviceRecord, Platform } from '../types.js';

/**
 * Serials firmware reports when the OEM never set one (whitebox PCs, VMs, some Android tablets). The ledger keys
 * devices by serial, so accepting these would merge every such machine into one device. (device-csv list.)
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

/** Graph operatingSystem (Windows, iOS, iPadOS, macOS, Android, AndroidForWork, ...) to a platform. */
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
  noncompliant: 'noncompliant',
  // Grace period: a policy already fails, only enforcement is deferred (same reading as device-csv).
  ingraceperiod: 'noncompliant',
  unknown: 'unknown',
  conflict: 'unknown',
  error: 'unknown',
  configmanager: 'unknown', // co-managed: ConfigMgr owns compliance
  notapplicable: 'unknown',
};

/** undefined = a value we do not recognise (the field is warned and left null). */
export function toCompliance(raw: string): Compliance | undefined {
  return COMPLIANCE[letters(raw)];
}

/** managementState to a lifecycle status (device-csv's table: failed/cancelled retire or wipe stays managed). */
const STATES: Record<string, string> = {
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
  const s = STATES[letters(raw)];
  return s ? { status: s, known: true } : { status: 'active', known: false };
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function toEmail(raw: string): string | null {
  const s = raw.trim().toLowerCase();
  return EMAIL.test(s) ? s : null;
}

/** Years before this are "never" sentinels: Graph writes 0001-01-01T00:00:00Z (DateTime.MinValue). */
const SENTINEL_BEFORE_YEAR = 1980;
const GRAPH_DATETIME = /^(\d{4})-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** A Graph DateTimeOffset as canonical ISO UTC, null for the sentinel; an error reason for anything else. */
export function parseGraphDateTime(raw: string): { ok: true; value: string | null } | { ok: false; reason: string } {
  const s = raw.trim();
  const m = GRAPH_DATETIME.exec(s);
  if (!m) return { ok: false, reason: 'not an ISO 8601 date-time' };
  if (+m[1]! < SENTINEL_BEFORE_YEAR) return { ok: true, value: null };
  const ms = Date.parse(s);
  if (Number.isNaN(ms)) return { ok: false, reason: 'not a valid date-time' };
  return { ok: true, value: new Date(ms).toISOString() };
}
