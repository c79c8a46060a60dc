/**
 * Device values every MDM connector reads the same way (CSV exports, Google Admin, Intune): placeholder serials,
 * platform and compliance words, boot mode, Intune management states, emails, the OEM from a ChromeOS model, and
 * the year before which a date is a "never" sentinel. One copy, so the connectors cannot drift apart.
 */
import type { DeviceRecord, Platform } from '../types.js';

/**
 * Years before this are "never" sentinels, not dates: Intune writes 0001-01-01 (DateTime.MinValue) for a
 * device that never checked in, Windows tools 1601-01-01, and epoch 0 shows up as 1970-01-01.
 */
export const SENTINEL_BEFORE_YEAR = 1980;

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

/**
 * A MAC address as the ledger stores it: lower-case aa:bb:cc:dd:ee:ff. Google's macAddress and Intune's
 * wiFiMacAddress come as 12 bare hex digits (`a4b1c2d3e4f5`); exports add `:`, `-` or `.` separators. The all-zero
 * address some devices report before their NIC is up is no address (null). Anything else unreadable: undefined.
 */
export function toMac(raw: string): string | null | undefined {
  const hex = raw.trim().replace(/[:.\-\s]/g, '').toLowerCase();
  if (!/^[0-9a-f]{12}$/.test(hex)) return undefined;
  if (hex === '000000000000') return null;
  return hex.match(/../g)!.join(':');
}
