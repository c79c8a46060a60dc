/**
 * Graph value parsing: the DateTimeOffset rule here; the values every MDM shares come from
 * connectors/shared/device-values.ts.
 */
import { SENTINEL_BEFORE_YEAR } from '../shared/device-values.js';

export { intuneStatus, isPlaceholderSerial, toCompliance, toEmail, toMac, toPlatform } from '../shared/device-values.js';

// Graph writes 0001-01-01T00:00:00Z (DateTime.MinValue) for "never": before SENTINEL_BEFORE_YEAR.
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
