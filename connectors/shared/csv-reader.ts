/**
 * The one CSV reader every file connector uses (OneRoster sets, MDM device exports). It streams: bytes are
 * decoded chunk by chunk (decode.ts) and parsed by csv-parse, so a 100k-row export never sits in memory and a
 * 600 MB cell fails at MAX_RECORD_CHARS instead of exhausting the heap.
 *
 * Whatever makes the file as a whole untrustworthy throws SourceFormatError naming the file and line (ADR 0006):
 * not decodable, an unclosed quote (truncation), a row with fewer cells than the header, or extra non-empty
 * cells past it. A full read must be complete or throw, because a half-read snapshot would make the ledger
 * deactivate everything after the cut. One bad cell is the mapper's business, never the reader's.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CsvError, parse, type Info } from 'csv-parse';
import { decodeText, type Encoding } from './decode.js';
import { SourceFormatError } from './errors.js';
import { MAX_RECORD_CHARS } from './limits.js';

export interface CsvSource {
  /** Name used in messages and reject locations (`users.csv`). */
  name: string;
  /** Extra error context, e.g. `{ path }` for a file on disk. Never cell values. */
  context?: Record<string, unknown>;
  /** The file's bytes. Called once. */
  open(): Readable | Promise<Readable>;
}

export interface CsvReadOptions {
  encoding?: Encoding;
  signal?: AbortSignal;
}

export interface CsvRecord {
  /** 1-based line where the record starts, as an editor shows it (a quoted cell may span lines). */
  line: number;
  /** Cells as in the file (not trimmed); at least `header.length` of them. */
  cells: string[];
}

export interface CsvFile {
  /** Header cells, trimmed, without trailing empty names (a trailing comma in the header names nothing). */
  header: string[];
  /** Line of the header row. */
  headerLine: number;
  rows(): AsyncGenerator<CsvRecord>;
  close(): void;
}

interface Parsed {
  info: Info;
  record: string[];
}

/** Opens the source and reads the header row. Rows that are wholly empty (`,,,,` left by Excel) are skipped. */
export async function openCsv(src: CsvSource, opts: CsvReadOptions = {}): Promise<CsvFile> {
  const { name } = src;
  const ctx = { file: name, ...src.context };
  const bytes = await src.open();
  const parser = parse({
    info: true,
    // Width is checked below, so trailing empty cells (common in SIS exports) can be told apart from data.
    relax_column_count: true,
    // A stray quote inside an unquoted cell is kept as text; an opening quote never closed still throws.
    relax_quotes: true,
    skip_empty_lines: true,
    max_record_size: MAX_RECORD_CHARS,
  });
  const text = Readable.from(decodeText(bytes, { name, context: src.context, encoding: opts.encoding ?? 'utf-8' }));
  const onAbort = () => text.destroy(opts.signal?.reason instanceof Error ? opts.signal.reason : new Error('aborted'));
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  // pipeline destroys every stage with the first error, so a decode error surfaces from the parser iterator.
  const piped = pipeline(text, parser).catch(() => undefined);
  const close = () => {
    opts.signal?.removeEventListener('abort', onAbort);
    bytes.destroy();
    text.destroy();
    parser.destroy();
    void piped;
  };
  const it = parser[Symbol.asyncIterator]() as AsyncIterator<Parsed>;
  const lines = new LineCounter();

  const next = async (): Promise<Parsed | null> => {
    try {
      const r = await it.next();
      return r.done ? null : r.value;
    } catch (e) {
      close();
      if (opts.signal?.aborted) throw opts.signal.reason instanceof Error ? opts.signal.reason : e;
      throw toFormatError(e, name, ctx, lines);
    }
  };

  let first: Parsed | null;
  do first = await next();
  while (first && isBlank(first.record));
  if (!first) {
    close();
    throw new SourceFormatError(`${name}: the file has no header row`, ctx);
  }
  const headerLine = lines.start(first);
  const header = first.record.map((h) => h.trim());
  while (header.length > 0 && header[header.length - 1] === '') header.pop();
  const width = header.length;

  async function* rows(): AsyncGenerator<CsvRecord> {
    try {
      for (;;) {
        opts.signal?.throwIfAborted();
        const r = await next();
        if (!r) return;
        const line = lines.start(r);
        if (isBlank(r.record)) continue;
        checkWidth(name, ctx, line, r.record, width);
        yield { line, cells: r.record };
      }
    } finally {
      close();
    }
  }
  return { header, headerLine, rows, close };
}

/**
 * csv-parse's `info.lines` is where a record ends, and it counts the CR and the LF of a CRLF inside a quoted
 * cell as two lines (while a CRLF between records counts once), so after such a cell every later line number
 * would be one too high. This keeps the running overcount and turns `info.lines` into the line an editor shows
 * where the record starts: CRLF, LF and a lone CR are one line break each.
 */
class LineCounter {
  private overcount = 0;

  start({ info, record }: Parsed): number {
    let crlf = 0;
    let breaks = 0;
    for (const cell of record) {
      for (let i = 0; i < cell.length; i++) {
        const ch = cell.charCodeAt(i);
        if (ch === 13) {
          breaks++;
          if (cell.charCodeAt(i + 1) === 10) {
            crlf++;
            i++;
          }
        } else if (ch === 10) breaks++;
      }
    }
    this.overcount += crlf;
    return Math.max(1, this.end(info.lines) - breaks);
  }

  /** Editor line of csv-parse's line `n` given what has been read so far. */
  end(n: number): number {
    return n - this.overcount;
  }
}

function isBlank(record: string[]): boolean {
  return record.every((c) => c.trim() === '');
}

function checkWidth(name: string, ctx: Record<string, unknown>, line: number, record: string[], width: number): void {
  const short = record.length < width;
  const extra = !short && record.slice(width).some((c) => c.trim() !== '');
  if (short || extra) {
    throw new SourceFormatError(
      `${name}:${line}: the row has ${record.length} cells and the header ${width}, so the file looks truncated or hand-edited`,
      { ...ctx, line, columns: record.length, expected: width },
    );
  }
}

/**
 * csv-parse errors carry the offending record; only code and line are kept so cell values (emails, names)
 * never reach logs through the error's context or cause.
 */
function toFormatError(e: unknown, name: string, ctx: Record<string, unknown>, lines: LineCounter): unknown {
  if (!(e instanceof CsvError)) return e;
  const line = typeof e.lines === 'number' ? lines.end(e.lines) : undefined;
  const at = line === undefined ? name : `${name}:${line}`;
  const why =
    e.code === 'CSV_QUOTE_NOT_CLOSED'
      ? 'a quoted cell is never closed, so the file looks truncated'
      : e.code === 'CSV_MAX_RECORD_SIZE'
        ? `a cell or row is over ${MAX_RECORD_CHARS} characters, which no roster or device export has`
        : `the CSV cannot be parsed (${e.code})`;
  return new SourceFormatError(`${at}: ${why}`, { ...ctx, line, code: e.code });
}
