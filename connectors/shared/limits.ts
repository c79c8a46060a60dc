/**
 * Size caps for what a connector will hand to the ledger, in one place so every connector refuses the same
 * things. A cell over its cap is not stored: an identity over the cap rejects the record outright, any other
 * field makes the record kept-unreadable (its stored row stays as it was). Numbers, and why:
 *
 * - `id` 320 (sourcedIds, device ids, serials, emails, usernames): 320 is the longest address SMTP allows
 *   (64 local + @ + 255 domain), and the longest real id we know of (a GUID with a prefix) is far below it.
 *   These columns carry btree indexes (`lower(email)`, `unique (source_id, external_id)`); a btree entry fails
 *   past ~2.7 KB, so an unbounded id would fail the whole batch's INSERT, not just the one row.
 * - `name` 256 (given/family/preferred names, org names): generous for any human name; a 20 MB "name" is an
 *   export bug or an attack and must not be stored, shown in the admin UI or hashed on every run.
 * - `text` 1024 (other single values: model, OU path, OS version, notes-like cells): an OU path is the longest
 *   legitimate one we read, and stays well under 1 KB.
 * - `list` 8192 (quoted comma lists: grades, orgSourcedIds, userIds): a list of 20 ids of 320 chars fits.
 *
 * Lengths are counted in UTF-16 code units (String.length): cheap, and within 2x of bytes for any text.
 */
export const FIELD_CAPS = {
  id: 320,
  name: 256,
  text: 1024,
  list: 8192,
} as const;
export type FieldKind = keyof typeof FIELD_CAPS;

/**
 * The largest CSV record (and so cell) the reader accepts, in characters. A 600 MB cell must fail the read with
 * a message, not exhaust the heap: csv-parse refuses to grow a field or record buffer past this. 1 MiB is far
 * above any real roster or device row (the widest GAM export rows are a few KB).
 */
export const MAX_RECORD_CHARS = 1024 * 1024;

/** C0 control characters other than tab, LF and CR: never meaningful in a roster or device cell. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F]/;

export type CellProblem = { kind: 'control' | 'too-long'; reason: string };

/**
 * Why a cell cannot be used as a `kind` value, or null when it can. The reason names the problem and the length
 * but never the content (a control character is shown as its code point).
 */
export function cellProblem(value: string, kind: FieldKind): CellProblem | null {
  const cap = FIELD_CAPS[kind];
  if (value.length > cap) {
    return { kind: 'too-long', reason: `is ${value.length} characters long, over the ${cap}-character cap for ${kind} fields` };
  }
  const m = CONTROL.exec(value);
  if (m) {
    const code = m[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
    return { kind: 'control', reason: `holds the control character U+${code}` };
  }
  return null;
}

/** Longest cell kept in a Reject's or FieldWarning's `raw`; beyond it the cell is cut and marked. */
const RAW_CELL_MAX = FIELD_CAPS.text;
// eslint-disable-next-line no-control-regex -- see CONTROL
const ANY_CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F]/g;

/**
 * A cell made safe to store in quarantine `raw` (jsonb): Postgres jsonb refuses U+0000, so control characters
 * are written out as `\uXXXX` text, and a huge cell is cut (the reject already says how long it was).
 */
export function rawCell(value: string): string {
  const cut = value.length > RAW_CELL_MAX ? `${value.slice(0, RAW_CELL_MAX)}…[${value.length} chars]` : value;
  return cut.replace(ANY_CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A row of cells made safe for `raw` (see rawCell). */
export function rawRow(row: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(row)) out[rawCell(k)] = rawCell(v);
  return out;
}
