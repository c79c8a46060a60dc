/**
 * Keyset paging (ADR 0010). A page ends at the last row's (sort value, id); the next page starts strictly after
 * that pair. The id is unique, so the pair orders every row exactly once, and a row inserted between two pages
 * cannot shift the rows after the cursor the way an OFFSET would: every row that existed when paging began is
 * returned exactly once. The cursor is opaque to callers (base64url JSON) and names its sort, so a cursor from
 * one ordering is refused by another instead of silently skipping rows.
 *
 * Sort values travel as Postgres text and are cast back with the column's type, so a timestamp keeps its
 * microseconds (a JavaScript Date would round them and repeat or skip rows that share a millisecond).
 */
import { sql, type SQL } from 'drizzle-orm';
import { ValidationError } from '../errors.js';

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 500;

export interface SortSpec {
  /** The sort expression; must never be null (coalesce it), or keyset comparison would drop rows. */
  expr: SQL;
  /** Its Postgres type, to cast the cursor's text back. */
  type: 'text' | 'timestamptz' | 'bigint' | 'int';
  desc?: boolean;
}

export interface PageRequest {
  limit?: number;
  cursor?: string | null;
}

export interface Page<T> {
  data: T[];
  /** Pass back as `cursor` for the next page; null when this page is the last. */
  nextCursor: string | null;
}

interface CursorBody {
  s: string;
  k: string;
  i: number;
}

export function encodeCursor(sort: string, key: string, id: number): string {
  return Buffer.from(JSON.stringify({ s: sort, k: key, i: id } satisfies CursorBody), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string, sort: string): { key: string; id: number } {
  let body: Partial<CursorBody>;
  try {
    body = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Partial<CursorBody>;
  } catch {
    throw new ValidationError('cursor: not a cursor this API returned', { field: 'cursor' });
  }
  if (typeof body !== 'object' || body === null || typeof body.k !== 'string' || typeof body.i !== 'number' || !Number.isSafeInteger(body.i)) {
    throw new ValidationError('cursor: not a cursor this API returned', { field: 'cursor' });
  }
  if (body.s !== sort) throw new ValidationError(`cursor: it was made for sort "${body.s}", not "${sort}"; start again without a cursor`, { field: 'cursor' });
  return { key: body.k, id: body.i };
}

export function pageLimit(limit: number | undefined): number {
  const n = limit ?? DEFAULT_LIMIT;
  if (!Number.isInteger(n) || n < 1 || n > MAX_LIMIT) throw new ValidationError(`limit: expected a whole number from 1 to ${MAX_LIMIT}`, { field: 'limit' });
  return n;
}

/**
 * The WHERE fragment and ORDER BY for one page over `idExpr`, given the request's cursor. Select
 * `keysetColumns(spec, idExpr)` too and pass the rows to `toPage`.
 */
export function keyset(spec: SortSpec, sortName: string, idExpr: SQL, req: PageRequest): { where: SQL; orderBy: SQL; limit: number } {
  const limit = pageLimit(req.limit);
  const dir = spec.desc ? sql.raw('desc') : sql.raw('asc');
  const orderBy = sql`${spec.expr} ${dir}, ${idExpr} ${dir}`;
  if (!req.cursor) return { where: sql`true`, orderBy, limit };
  const c = decodeCursor(req.cursor, sortName);
  const cmp = spec.desc ? sql.raw('<') : sql.raw('>');
  const where = sql`(${spec.expr}, ${idExpr}) ${cmp} (${c.key}::${sql.raw(spec.type)}, ${c.id}::bigint)`;
  return { where, orderBy, limit };
}

/** `…, <expr>::text as page_key, <id> as page_id`: what toPage() needs from every row. */
export function keysetColumns(spec: SortSpec, idExpr: SQL): SQL {
  return sql`${spec.expr}::text as page_key, ${idExpr} as page_id`;
}

/** Fetch `limit + 1` rows; the extra one only says whether there is a next page. */
export function toPage<R extends { page_key: string; page_id: number | string }, T>(rs: R[], limit: number, sortName: string, map: (r: R) => T): Page<T> {
  const more = rs.length > limit;
  const shown = more ? rs.slice(0, limit) : rs;
  const last = shown[shown.length - 1];
  return {
    data: shown.map(map),
    nextCursor: more && last ? encodeCursor(sortName, last.page_key, Number(last.page_id)) : null,
  };
}
