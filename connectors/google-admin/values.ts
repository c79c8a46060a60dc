/**
 * Value parsing for Directory API fields: its timestamp, date and epoch-ms rules here; the values every MDM shares
 * (placeholder serials, boot mode, email, OEM from model, the sentinel year) from connectors/shared/device-values.ts.
 */
import { SENTINEL_BEFORE_YEAR } from '../shared/device-values.js';

export { isPlaceholderSerial, manufacturerFromModel, toBootMode, toEmail, toMac } from '../shared/device-values.js';

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

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
