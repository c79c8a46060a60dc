/**
 * Streams a CSV export with csv-parse, row by row, so a 100k-device export never sits in memory. The first
 * record is the header; rows come back as header name -> cell so nothing downstream depends on column order.
 *
 * Anything that makes the file as a whole untrustworthy (cannot open, not a CSV, unclosed quote at EOF, a row
 * with the wrong number of fields) is a SourceFormatError: a full read must be complete or throw, because a
 * half-read snapshot would make the ledger deactivate every device after the cut.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import { CsvError, parse, type Info } from 'csv-parse';
import { SourceFormatError } from '../../src/errors.js';
import type { RawRow } from './api-types.js';

export interface CsvRow {
  /** 1-based line where the record starts (records can span lines when a quoted cell holds a newline). */
  line: number;
  values: RawRow;
}

export interface CsvFile {
  /** Header names, trimmed, in file order. */
  header: string[];
  rows(): AsyncGenerator<CsvRow>;
  close(): void;
}

interface ParsedRecord {
  info: Info;
  record: string[];
}

/** Opens `path`, reads the header and returns a row iterator. Throws SourceFormatError when unusable. */
export async function openCsv(path: string, signal?: AbortSignal): Promise<CsvFile> {
  const file = basename(path);
  await sniff(path, file);

  const source = createReadStream(path);
  const parser = parse({
    bom: true, // UTF-8 and UTF-16LE BOMs (Intune and Excel write them)
    info: true,
    skip_empty_lines: true,
    // Excel leaves `,,,,` rows after the data when a sheet was edited; they are not devices.
    skip_records_with_empty_values: true,
    // Never relax the column count: a short last row is exactly what a truncated download looks like.
    relax_column_count: false,
  });
  source.on('error', (e) => parser.destroy(e));
  const onAbort = () => source.destroy(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
  signal?.addEventListener('abort', onAbort, { once: true });
  source.pipe(parser);

  const it = parser[Symbol.asyncIterator]() as AsyncIterator<ParsedRecord>;
  const close = () => {
    signal?.removeEventListener('abort', onAbort);
    source.destroy();
    parser.destroy();
  };

  const next = async (): Promise<IteratorResult<ParsedRecord>> => {
    try {
      return await it.next();
    } catch (e) {
      close();
      throw signal?.aborted ? e : toFormatError(e, path, file);
    }
  };

  const first = await next();
  if (first.done) {
    close();
    throw new SourceFormatError(`${file}: the file has no header row`, { file: path });
  }
  const header = first.value.record.map((h) => h.trim());

  async function* rows(): AsyncGenerator<CsvRow> {
    try {
      for (;;) {
        const r = await next();
        if (r.done) return;
        const values: RawRow = {};
        header.forEach((name, i) => {
          // First occurrence wins; an unnamed column (trailing comma in the header) carries nothing.
          if (name !== '' && !(name in values)) values[name] = r.value.record[i] ?? '';
        });
        yield { line: startLine(r.value), values };
      }
    } finally {
      close();
    }
  }

  return { header, rows, close };
}

/**
 * csv-parse reports the line where a record ends, and counts a CR and an LF inside a quoted cell as one line
 * each; subtracting the line breaks held in the cells gives the line a person would look at in an editor.
 */
function startLine({ info, record }: ParsedRecord): number {
  let breaks = 0;
  for (const cell of record) for (const ch of cell) if (ch === '\n' || ch === '\r') breaks++;
  return Math.max(1, info.lines - breaks);
}

/** Cheap checks on the first bytes, so a zip or an unreadable file fails with a message an admin can act on. */
async function sniff(path: string, file: string): Promise<void> {
  let head: Buffer;
  try {
    const fh = await open(path, 'r');
    try {
      const { buffer, bytesRead } = await fh.read(Buffer.alloc(4), 0, 4, 0);
      head = buffer.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'unknown';
    throw new SourceFormatError(`${file}: cannot read the export (${code})`, { file: path, code });
  }
  if (head.length === 0) throw new SourceFormatError(`${file}: the file is empty`, { file: path });
  // The Intune portal hands the export over as a .zip; people point us at it before extracting.
  if (head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04) {
    throw new SourceFormatError(`${file}: this is a zip archive; extract the CSV inside it and point 'path' at that`, {
      file: path,
    });
  }
  if (head[0] === 0xfe && head[1] === 0xff) {
    throw new SourceFormatError(`${file}: UTF-16 big-endian is not supported; save the export as UTF-8`, { file: path });
  }
}

/**
 * csv-parse errors carry the offending record; we keep only code and line so cell values (emails, names) never
 * reach logs through the error's context or cause.
 */
function toFormatError(e: unknown, path: string, file: string): unknown {
  if (!(e instanceof CsvError)) return e;
  const line = typeof e.lines === 'number' ? e.lines : undefined;
  const at = line === undefined ? '' : ` at line ${line}`;
  const why =
    e.code === 'CSV_QUOTE_NOT_CLOSED'
      ? 'a quoted cell is never closed, so the file looks truncated'
      : e.code === 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH'
        ? 'a row has a different number of cells than the header, so the file looks truncated or hand-edited'
        : `the CSV cannot be parsed (${e.code})`;
  return new SourceFormatError(`${file}: ${why}${at}`, { file: path, line, code: e.code });
}
