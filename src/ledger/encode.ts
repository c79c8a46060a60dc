/**
 * Values as they cross into SQL. Batches are bound as one array parameter per column and unnested (both
 * drivers support it, and it is ~3x faster than jsonb_to_recordset here); list columns travel as PostgreSQL
 * array literals so a text[] column can ride in a text[] parameter.
 */
import { createHash } from 'node:crypto';

export function pgArrayLiteral(items: readonly string[]): string {
  return `{${items.map((s) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(',')}}`;
}

/** Stable hash of a record's content: key order does not matter, so a re-read of the same row hashes equal. */
export function contentHash(value: unknown): string {
  return createHash('sha1').update(stableJson(value)).digest('base64url');
}

function stableJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v ?? null);
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  const keys = Object.keys(v as Record<string, unknown>).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${stableJson((v as Record<string, unknown>)[k])}`).join(',')}}`;
}

/** DESIGN §4: trim, upper-case, no whitespace. The devices table CHECKs the same rule. */
export function normaliseSerial(raw: string): string {
  return raw.trim().toUpperCase().replace(/\s+/g, '');
}
