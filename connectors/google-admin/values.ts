/**
 * Value parsing for Directory API fields. COPIED (small, on purpose) from connectors/device-csv/values.ts,
 * which vendor folders may not import: isPlaceholderSerial, toBootMode, toEmail, manufacturerFromModel and the
 * epoch-ms / sentinel-year rules. They belong in connectors/shared (see the report); keep the copies in step.
 */
export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

/** Years before this are "never" sentinels (epoch 0, DateTime.MinValue), not dates. */
const SENTINEL_BEFORE_YEAR = 1980;
/** RFC 3339 as the API writes timestamps: 2026-10-02T14:03:11.123Z (an offset is accepted too). */
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/i;
/** autoUpdateExpiration: epoch milliseconds as a string. */
const EPOCH_MS = /^\d{1,14}$/;

/** An RFC 3339 timestamp as ISO 8601 UTC, null for a sentinel. */
export function parseTimestamp(raw: string): Parsed<string | null> {
  const s = raw.trim();
  if (!RFC3339.test(s)) return { ok: false, reason: `not an RFC 3339 timestamp: '${s}'` };
  const ms = Date.parse(s);
  if (Number.isNaN(ms)) return { ok: false, reason: `invalid timestamp '${s}'` };
  const d = new Date(ms);
  return { ok: true, value: d.getUTCFullYear() < SENTINEL_BEFORE_YEAR ? null : d.toISOString() };
}

/** A calendar date (YYYY-MM-DD, UTC) from an RFC 3339 timestamp or a bare date. */
export function parseDateOf(raw: string): Parsed<string | null> {
  const s = raw.trim();
  if (/^\d{4}-\d{2}-\d{2}$/.test(s)) {
    const t = Date.parse(`${s}T00:00:00Z`);
    if (Number.isNaN(t) || new Date(t).toISOString().slice(0, 10) !== s) return { ok: false, reason: `invalid date '${s}'` };
    return { ok: true, value: +s.slice(0, 4) < SENTINEL_BEFORE_YEAR ? null : s };
  }
  const r = parseTimestamp(s);
  return r.ok ? { ok: true, value: r.value && r.value.slice(0, 10) } : r;
}

/** The deprecated autoUpdateExpiration: epoch ms as a string ("0" = not known) → its UTC date. */
export function parseEpochMsDate(raw: string): Parsed<string | null> {
  const s = raw.trim();
  if (!EPOCH_MS.test(s)) return { ok: false, reason: `not epoch milliseconds: '${s}'` };
  const d = new Date(Number(s));
  if (d.getUTCFullYear() < SENTINEL_BEFORE_YEAR) return { ok: true, value: null };
  return { ok: true, value: d.toISOString().slice(0, 10) };
}

const PLACEHOLDER_SERIALS = new Set([
  'default string', 'to be filled by o.e.m.', 'to be filled by oem', 'system serial number',
  'chassis serial number', 'not applicable', 'not specified', 'none', 'null', 'n/a', 'na', 'unknown', 'invalid',
  'oem', 'serial', '123456789', '1234567890', '0123456789',
]);

export function isPlaceholderSerial(serial: string): boolean {
  const s = serial.trim().replace(/\s+/g, ' ').toLowerCase();
  return PLACEHOLDER_SERIALS.has(s) || /^0+$/.test(s) || /^[\s.\-_*#?]*$/.test(s);
}

const letters = (s: string) => s.toLowerCase().replace(/[^a-z]/g, '');

/** `Verified` → normal, `Dev` → dev (older devices say Normal / Developer). */
export function toBootMode(raw: string): 'normal' | 'dev' | undefined {
  const s = letters(raw);
  if (s === 'verified' || s === 'normal') return 'normal';
  if (s === 'dev' || s === 'developer') return 'dev';
  return undefined;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Lower-cased, trimmed email; null when the value is something else (annotatedUser is free text). */
export function toEmail(raw: string): string | null {
  const s = raw.trim().toLowerCase();
  return EMAIL.test(s) ? s : null;
}

/** The Directory API has no manufacturer field: take the model's first word when it is a known OEM. */
const OEMS = new Set([
  'acer', 'asus', 'ctl', 'dell', 'dynabook', 'fujitsu', 'gateway', 'google', 'haier', 'hp', 'lenovo', 'lg', 'nec',
  'panasonic', 'positivo', 'samsung', 'sharp', 'toshiba', 'viglen',
]);

export function manufacturerFromModel(model: string): string | null {
  const first = model.trim().split(/\s+/)[0] ?? '';
  return OEMS.has(first.toLowerCase()) ? first : null;
}
