/**
 * What a mapper returns for one source row, for every connector: a record (with warnings about optional fields
 * it left at their default) or a Reject. Mappers never throw for a bad row; only file-level problems do.
 */
import type { FieldWarning, Reject } from '../types.js';

export type MapResult<T> =
  | { ok: true; record: T; warnings?: FieldWarning[] }
  | { ok: false; reject: Reject };

export function mapped<T>(record: T, warnings: FieldWarning[] = []): MapResult<T> {
  return warnings.length > 0 ? { ok: true, record, warnings } : { ok: true, record };
}

export function rejected<T = never>(reject: Reject): MapResult<T> {
  return { ok: false, reject };
}
