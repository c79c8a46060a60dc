/**
 * Collects what is wrong with one source row and turns it into the contract's outcome (connectors/types.ts):
 *
 * - an unusable identity (no sourcedId, no device id and no serial) → Reject without externalId (rejected);
 * - an unusable required field, or any field over its size cap → Reject with externalId (kept: present, but
 *   its live row stays as it was);
 * - an unusable optional field → the record with that field at its default, plus a FieldWarning (the ledger
 *   keeps the field's stored value).
 *
 * Reasons name the canonical field and the column, never the row; `raw` cells are made jsonb-safe and cut.
 */
import type { z } from 'zod';
import type { FieldWarning, Reject } from '../types.js';
import { cellProblem, rawCell, rawRow, type FieldKind } from './limits.js';
import { mapped, rejected, type MapResult } from './map-result.js';

/** How much a field matters to its record: decides reject / kept / warning (see above). */
export type FieldRole = 'identity' | 'required' | 'optional';

interface Issue {
  field: string;
  reason: string;
  raw?: string;
}

export class RowCheck {
  private readonly identity: Issue[] = [];
  private readonly kept: Issue[] = [];
  private readonly warned: Issue[] = [];

  /** `location` is `file:line`. */
  constructor(readonly location: string) {}

  /**
   * The trimmed cell as a value of `kind`, or null when it is empty or unusable (the problem is recorded
   * according to `role`). An over-cap cell is kept-unreadable even for an optional field: it is not a value
   * the source meant, and storing the default would erase a good stored value on a row that is plainly broken.
   */
  cell(field: string, column: string, value: string | undefined, kind: FieldKind, role: FieldRole): string | null {
    const v = (value ?? '').trim();
    if (v === '') return null;
    const p = cellProblem(v, kind);
    if (!p) return v;
    const issue = { field, reason: `${field} (column '${column}') ${p.reason}`, raw: rawCell(v) };
    if (role === 'identity') this.identity.push(issue);
    else if (role === 'required' || p.kind === 'too-long') this.kept.push(issue);
    else this.warned.push(issue);
    return null;
  }

  /** The record has no usable identity: rejected outright. */
  reject(field: string, column: string, reason: string): void {
    this.identity.push({ field, reason: `${field} (column '${column}'): ${reason}` });
  }

  /** A required field is unusable: the record is kept-unreadable. */
  keep(field: string, column: string, reason: string): void {
    this.kept.push({ field, reason: `${field} (column '${column}'): ${reason}` });
  }

  /** An optional field is unusable: the record goes on with the field at its default. */
  warn(field: string, column: string, reason: string, raw?: string): void {
    this.warned.push({ field, reason: `${field} (column '${column}'): ${reason}`, raw: raw === undefined ? undefined : rawCell(raw) });
  }

  get hasIdentityProblem(): boolean {
    return this.identity.length > 0;
  }

  /**
   * The row's outcome. `externalId` is the identity read from the row (null when there is none); `build` makes
   * the record and runs only when nothing forces a Reject; it may report more problems through this check
   * (e.g. canonical schema issues) by returning null.
   */
  finish<T>(externalId: string | null, row: Record<string, string>, build: () => T | null): MapResult<T> {
    const noId = this.identity.length > 0 || externalId === null;
    const record = noId || this.kept.length > 0 ? null : build();
    if (record !== null && this.kept.length === 0) {
      const warnings: FieldWarning[] = this.warned.map((w) => ({
        externalId: externalId!, field: w.field, reason: w.reason, location: this.location,
        ...(w.raw === undefined ? {} : { raw: w.raw }),
      }));
      return mapped(record, warnings);
    }
    const issues = noId ? this.identity : this.kept;
    const reject: Reject = {
      ...(noId ? {} : { externalId: externalId! }),
      field: issues[0]?.field ?? 'record',
      reason: issues.map((i) => i.reason).join('; ') || 'record has no usable identity',
      location: this.location,
      raw: rawRow(row),
    };
    return rejected(reject);
  }
}

/** The canonical schema is the last word: whatever it refuses keeps the row, under the field it names. */
export function validate<T>(schema: z.ZodType<T>, candidate: unknown, check: RowCheck): T | null {
  const res = schema.safeParse(candidate);
  if (res.success) return res.data;
  for (const i of res.error.issues) {
    const field = i.path.join('.') || 'record';
    check.keep(field, field, i.message);
  }
  return null;
}
