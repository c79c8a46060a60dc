/**
 * Groups mapped rows into Batches for one stream: `size` records + rejects per batch, every batch carrying the
 * stream's processingMode, unsupplied fields and checkpoint, and at least one batch per stream read even when it
 * is empty, so the ledger always learns the stream's mode and what it does not supply. Notices are run-level,
 * so they ride on the first batch only.
 */
import type { Batch, FieldWarning, ProcessingMode, RecordByStream, Reject, Stream } from '../types.js';
import type { MapResult } from './map-result.js';

export interface BatcherOptions {
  size: number;
  processingMode: ProcessingMode;
  /** Canonical fields this read does not supply (a column absent from the file). */
  unsupplied?: readonly string[];
  notices?: string[];
  checkpoint?: unknown;
}

export class Batcher<S extends Stream> {
  private records: RecordByStream[S][] = [];
  private rejects: Reject[] = [];
  private warnings: FieldWarning[] = [];
  private yielded = false;
  /** Totals over the whole stream, for the end-of-read log line (counts only). */
  readonly totals = { records: 0, rejects: 0, warnings: 0 };

  constructor(private readonly stream: S, private readonly opts: BatcherOptions) {}

  /** Adds one row's outcome; returns a full batch when `size` is reached. */
  add(m: MapResult<RecordByStream[S]>): Batch | null {
    if (m.ok) {
      this.records.push(m.record);
      if (m.warnings) this.warnings.push(...m.warnings);
    } else {
      this.rejects.push(m.reject);
    }
    return this.full();
  }

  addReject(r: Reject): Batch | null {
    this.rejects.push(r);
    return this.full();
  }

  /** A warning that belongs to this stream but comes from a helper file (roles.csv for people). */
  addWarning(w: FieldWarning): void {
    this.warnings.push(w);
  }

  /** The remainder, or an empty batch when nothing was yielded for the stream yet. */
  end(): Batch | null {
    const pending = this.records.length + this.rejects.length + this.warnings.length > 0;
    return pending || !this.yielded ? this.take() : null;
  }

  private full(): Batch | null {
    return this.records.length + this.rejects.length >= this.opts.size ? this.take() : null;
  }

  private take(): Batch {
    const { processingMode, unsupplied, notices, checkpoint } = this.opts;
    this.totals.records += this.records.length;
    this.totals.rejects += this.rejects.length;
    this.totals.warnings += this.warnings.length;
    // Batch is a union keyed by stream; S ties records to the stream, which TS cannot see through the generic.
    const batch = {
      stream: this.stream,
      records: this.records,
      rejects: this.rejects,
      processingMode,
      ...(this.warnings.length > 0 ? { warnings: this.warnings } : {}),
      ...(unsupplied && unsupplied.length > 0 ? { unsupplied } : {}),
      ...(!this.yielded && notices && notices.length > 0 ? { notices } : {}),
      ...(checkpoint === undefined ? {} : { checkpoint }),
    } as Batch;
    this.records = [];
    this.rejects = [];
    this.warnings = [];
    this.yielded = true;
    return batch;
  }
}

/** Feeds every item through `map` into the batcher, yielding full batches and then the remainder. */
export async function* drain<S extends Stream, T>(
  b: Batcher<S>, items: AsyncIterable<T>, map: (item: T) => MapResult<RecordByStream[S]>,
): AsyncGenerator<Batch> {
  for await (const item of items) {
    const out = b.add(map(item));
    if (out) yield out;
  }
  const last = b.end();
  if (last) yield last;
}
