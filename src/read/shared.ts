/** Small pieces the read modules share: display names, dates, the school filter, the free-text filter. */
import { sql, type SQL } from 'drizzle-orm';

/** A person's display name: preferred (or given) name and family name. */
export function personName(alias: string): SQL {
  const a = sql.raw(alias);
  return sql`nullif(trim(concat_ws(' ', coalesce(${a}.preferred_name, ${a}.given_name), ${a}.family_name)), '')`;
}

export function iso(v: Date | string): string;
export function iso(v: Date | string | null): string | null;
export function iso(v: Date | string | null): string | null {
  return v === null || v === undefined ? null : new Date(v).toISOString();
}

export const num = (v: unknown): number => Number(v);

/** The person `alias` attends school `school`: its SIS id (sourcedId), identifier or name. */
export function inSchool(alias: string, school: string): SQL {
  const a = sql.raw(alias);
  // `= any(array(…))` makes the org lookup an init plan whose result can drive the people_school index (a
  // BitmapOr with people_school_external); `in (subquery)` became a per-row filter over every person.
  return sql`(${a}.school_external_id = ${school} or ${a}.school_id = any(array(
    select o.id from orgs o where o.external_id = ${school} or o.identifier = ${school} or lower(o.name) = lower(${school}))))`;
}

/** A serial the way the ledger stores it: no whitespace, upper case (devices_serial_normalised). */
export function normaliseSerialInput(s: string): string {
  return s.replace(/\s/g, '').toUpperCase();
}

/** `%…%` for LIKE with the caller's `%`, `_` and `\` taken literally. */
export function likeContains(s: string): string {
  return `%${s.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

export function likePrefix(s: string): string {
  return `${s.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** Free text over a device (serial, asset tag) and, when joined, its holder `p` (name, email). */
export function deviceText(q: string, holder: string | null, device = 'd'): SQL {
  const serial = normaliseSerialInput(q);
  const d = sql.raw(device);
  const parts: SQL[] = [
    sql`${d}.serial like ${likeContains(serial)}`,
    sql`lower(${d}.asset_tag) = lower(${q.trim()})`,
  ];
  if (holder) parts.push(personText(q, holder));
  return sql`(${sql.join(parts, sql` or `)})`;
}

/** Free text over a person: name (any part), email, username, SIS id. */
export function personText(q: string, alias: string): SQL {
  const a = sql.raw(alias);
  const t = q.trim();
  return sql`(${personName(alias)} ilike ${likeContains(t)} or lower(${a}.email) like ${likePrefix(t.toLowerCase())}
    or lower(${a}.username) = ${t.toLowerCase()} or ${a}.sis_id = ${t})`;
}

export function and(parts: (SQL | null | undefined | false | "")[]): SQL {
  const kept = parts.filter((p): p is SQL => Boolean(p));
  return kept.length ? sql.join(kept, sql` and `) : sql`true`;
}
