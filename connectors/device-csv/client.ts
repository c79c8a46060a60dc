/**
 * Opens a device export through the shared CSV reader (connectors/shared/csv-reader.ts) and hands rows back as
 * header name -> cell, so nothing downstream depends on column order. File-level problems (cannot open, empty,
 * a zip, undecodable, truncated) are SourceFormatError from the reader.
 */
import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import { openCsv as openSharedCsv } from '../shared/csv-reader.js';
import type { Encoding } from '../shared/decode.js';
import { SourceFormatError } from '../shared/errors.js';
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

/** Opens `path`, reads the header and returns a row iterator. Throws SourceFormatError when unusable. */
export async function openCsv(path: string, opts: { encoding?: Encoding; signal?: AbortSignal } = {}): Promise<CsvFile> {
  const file = basename(path);
  const csv = await openSharedCsv({
    name: file,
    context: { path },
    open: async () => {
      try {
        const fh = await open(path, 'r');
        return fh.createReadStream();
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code ?? 'unknown';
        throw new SourceFormatError(`${file}: cannot read the export (${code})`, { file, path, code });
      }
    },
  }, opts);
  const { header } = csv;

  async function* rows(): AsyncGenerator<CsvRow> {
    for await (const r of csv.rows()) {
      const values: RawRow = {};
      header.forEach((name, i) => {
        // First occurrence wins; an unnamed column carries nothing.
        if (name !== '' && !(name in values)) values[name] = r.cells[i] ?? '';
      });
      yield { line: r.line, values };
    }
  }
  return { header, rows, close: csv.close };
}
