/**
 * Values as they cross into SQL. Batches are bound as one array parameter per column and unnested (both
 * drivers support it, and it is ~3x faster than jsonb_to_recordset here); list columns travel as PostgreSQL
 * array literals so a text[] column can ride in a text[] parameter.
 */
import { createHash } from 'node:crypto';

export function pgArrayLiteral(items: readonly string[]): string {
  return `{${items.map((s) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(',')}}`;
}

/**
 * Hash of a record's content. Records come out of the canonical zod schemas, which build objects in schema
 * order, so the same row read twice serialises identically; metadata keys follow the file's column order.
 */
export function contentHash(value: unknown): string {
  return createHash('sha1').update(JSON.stringify(value)).digest('base64url');
}

/** DESIGN §4: trim, upper-case, no whitespace. The devices table CHECKs the same rule. */
export function normaliseSerial(raw: string): string {
  return raw.trim().toUpperCase().replace(/\s+/g, '');
}
