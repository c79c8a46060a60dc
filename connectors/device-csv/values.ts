/**
 * Cell-level parsing shared by every format: dates in the shapes exports really use, vendor enums to canonical
 * values, placeholder serials. Pure functions; each either returns a value or says why it could not.
 */
import { SENTINEL_BEFORE_YEAR } from '../shared/device-values.js';

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

export {
  intuneStatus, isPlaceholderSerial, manufacturerFromModel, toBootMode, toCompliance, toEmail, toMac, toPlatform,
} from '../shared/device-values.js';
