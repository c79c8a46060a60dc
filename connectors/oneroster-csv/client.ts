/**
 * Reads a OneRoster CSV set from a directory or a .zip: finds files by basename, reads manifest.csv, and
 * streams each CSV by header name. Anything that makes a file unreadable as a whole (unclosed quote, a row
 * with the wrong number of columns, a missing required header) throws SourceFormatError, so a damaged export
 * fails the read instead of looking like a roster where people are missing.
 */
import { createReadStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { parse, CsvError } from 'csv-parse';
import { unzipSync } from 'fflate';
import type { Logger } from 'pino';
import { IncompleteReadError, SourceFormatError } from '../../src/errors.js';
import {
  FILE_NAMES, MANIFEST_FILE, manifestRowSchema, knownHeaders, requiredHeaders,
  type ManifestFileMode, type RosterFile, type RowSchema,
} from './api-types.js';

/** A directory or zip, with its files indexed by lower-case basename. */
export interface RosterSource {
  kind: 'directory' | 'zip';
  /** Basenames found, as spelled in the source. */
  files: string[];
  has(name: string): boolean;
  open(name: string): Readable;
}

export async function openRoster(location: string): Promise<RosterSource> {
  const st = await stat(location).catch((e: unknown) => {
    throw new SourceFormatError(`OneRoster path not found: ${location}`, { path: location }, e);
  });
  if (st.isDirectory()) return openDirectory(location);
  if (st.isFile()) return openZip(location);
  throw new SourceFormatError(`OneRoster path is neither a directory nor a zip: ${location}`, { path: location });
}

async function openDirectory(dir: string): Promise<RosterSource> {
  const entries = await readdir(dir, { withFileTypes: true });
  const byName = new Map<string, string>();
  for (const e of entries) if (e.isFile() && isCsv(e.name)) byName.set(e.name.toLowerCase(), path.join(dir, e.name));
  return {
    kind: 'directory',
    files: [...byName.values()].map((p) => path.basename(p)),
    has: (name) => byName.has(name.toLowerCase()),
    open: (name) => createReadStream(mustFind(byName, name)),
  };
}

/**
 * Zip entries are matched by basename because exporters often wrap the set in a folder. Only the central
 * directory is read up front; each file is inflated when it is opened, so at most one CSV is held at a time.
 */
async function openZip(file: string): Promise<RosterSource> {
  const data = await readFile(file);
  const byName = new Map<string, { entry: string; depth: number }>();
  try {
    unzipSync(data, {
      filter: (f) => {
        const base = path.posix.basename(f.name);
        if (f.name.endsWith('/') || f.name.includes('__MACOSX/') || base.startsWith('._') || !isCsv(base)) return false;
        const key = base.toLowerCase();
        const depth = f.name.split('/').length;
        const seen = byName.get(key);
        if (seen && seen.depth === depth) {
          throw new SourceFormatError(`zip holds two ${base} files (${seen.entry}, ${f.name})`, { file: base });
        }
        if (!seen || depth < seen.depth) byName.set(key, { entry: f.name, depth });
        return false;
      },
    });
  } catch (e) {
    if (e instanceof SourceFormatError) throw e;
    throw new SourceFormatError(`not a readable zip: ${path.basename(file)}`, { path: file }, e);
  }
  return {
    kind: 'zip',
    files: [...byName.values()].map((v) => path.posix.basename(v.entry)),
    has: (name) => byName.has(name.toLowerCase()),
    open: (name) => {
      const entry = mustFind(new Map([...byName].map(([k, v]) => [k, v.entry])), name);
      const out = unzipSync(data, { filter: (f) => f.name === entry })[entry];
      if (!out) throw new SourceFormatError(`could not inflate ${entry}`, { file: name });
      return Readable.from([out]);
    },
  };
}

function isCsv(name: string): boolean {
  return name.toLowerCase().endsWith('.csv');
}

function mustFind(byName: Map<string, string>, name: string): string {
  const found = byName.get(name.toLowerCase());
  if (!found) throw new IncompleteReadError(`${name} is missing from the OneRoster set`, { file: name });
  return found;
}

export interface Manifest {
  version: string | null;
  files: Partial<Record<RosterFile, ManifestFileMode>>;
}

/** Reads manifest.csv; null when the set has none (OneRoster 1.0, or hand-made exports). */
export async function readManifest(src: RosterSource, log: Logger): Promise<Manifest | null> {
  if (!src.has(MANIFEST_FILE)) return null;
  const manifest: Manifest = { version: null, files: {} };
  const wanted = new Set<string>(Object.keys(FILE_NAMES));
  for await (const row of readCsvRows(src, MANIFEST_FILE, manifestRowSchema, { log, allowEmpty: true })) {
    const name = row.values.propertyName ?? '';
    const value = (row.values.value ?? '').toLowerCase();
    if (name === 'oneroster.version') manifest.version = value || null;
    if (!name.startsWith('file.')) continue;
    const file = name.slice('file.'.length);
    if (!wanted.has(file)) continue;
    if (value === 'bulk' || value === 'delta' || value === 'absent') {
      manifest.files[file as RosterFile] = value;
    } else if (value === '') {
      // Seen in real exports (`file.userProfiles,`): nothing declared, so nothing to read.
      log.warn({ file: MANIFEST_FILE, property: name }, 'manifest property has no value; treating the file as absent');
      manifest.files[file as RosterFile] = 'absent';
    } else {
      throw new SourceFormatError(`${MANIFEST_FILE}:${row.line} ${name} is "${value}", expected bulk, delta or absent`, {
        file: MANIFEST_FILE, line: row.line, property: name,
      });
    }
  }
  return manifest;
}

export interface CsvRow {
  /** 1-based line where the record starts. */
  line: number;
  /** Known columns, keyed by the spec's spelling even if the header used other case or spacing. */
  values: Record<string, string>;
  /** Extension (`metadata.*`, `ext_*`) and unrecognised columns, non-empty cells only. */
  extra: Record<string, string>;
}

export interface ReadCsvOptions {
  log: Logger;
  signal?: AbortSignal;
  /** Headers required on top of the schema's own (e.g. users.csv `role` when there is no roles.csv). */
  require?: string[];
  /** A bulk file with no data rows is refused (the spec says use `absent`); delta files may be empty. */
  allowEmpty?: boolean;
}

interface Column {
  index: number;
  key: string;
  known: boolean;
}

/**
 * Streams the rows of one CSV by header name. Headers are trimmed and matched to the schema ignoring case and
 * spaces. Cells past the last named header must be empty: trailing commas are tolerated (both public sample
 * sets have them), data without a header is not.
 */
export async function* readCsvRows(
  src: RosterSource, file: string, schema: RowSchema, opts: ReadCsvOptions,
): AsyncGenerator<CsvRow> {
  const parser = src.open(file).pipe(parse({
    bom: true,
    info: true,
    // Checked below instead, so trailing empty cells can be told apart from missing or extra data.
    relax_column_count: true,
    // A stray quote inside an unquoted cell is kept as text; an opening quote never closed still throws.
    relax_quotes: true,
    skip_empty_lines: true,
  }));
  let columns: Column[] | null = null;
  let width = 0;
  let rows = 0;
  try {
    for await (const rec of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      opts.signal?.throwIfAborted();
      const line = rec.info.lines - rec.record.reduce((n, cell) => n + countNewlines(cell), 0);
      if (!columns) {
        columns = mapHeader(file, rec.record, schema, opts);
        width = columns.length;
        continue;
      }
      checkWidth(file, line, rec.record, width);
      rows++;
      yield toRow(line, rec.record, columns);
    }
  } catch (e) {
    if (e instanceof CsvError) {
      const line = typeof e.lines === 'number' ? e.lines : undefined;
      const why = e.code === 'CSV_QUOTE_NOT_CLOSED' ? ': a quoted field is never closed, the file looks truncated' : '';
      throw new SourceFormatError(`${file}${line ? `:${line}` : ''} is not valid CSV (${e.code})${why}`, { file, line, csvCode: e.code }, e);
    }
    throw e;
  }
  if (!columns) throw new SourceFormatError(`${file} is empty (no header row)`, { file });
  if (rows === 0 && !opts.allowEmpty) {
    throw new SourceFormatError(`${file} has a header but no rows; a file with nothing to send must be listed absent`, { file });
  }
}

function countNewlines(s: string): number {
  let n = 0;
  for (let i = s.indexOf('\n'); i !== -1; i = s.indexOf('\n', i + 1)) n++;
  return n;
}

const fold = (h: string) => h.replace(/\s+/g, '').toLowerCase();
const isExtension = (h: string) => /^(metadata\.|ext_)/i.test(h);

function mapHeader(file: string, header: string[], schema: RowSchema, opts: ReadCsvOptions): Column[] {
  const names = header.map((h) => h.trim());
  while (names.length > 0 && names[names.length - 1] === '') names.pop();
  const known = new Map(knownHeaders(schema).map((k) => [fold(k), k]));
  const seen = new Set<string>();
  const unknown: string[] = [];
  const columns = names.map((raw, index): Column => {
    const spec = known.get(fold(raw));
    const key = spec ?? (raw === '' ? `column${index + 1}` : raw);
    if (seen.has(key)) throw new SourceFormatError(`${file} has the header ${key} twice`, { file, header: key });
    seen.add(key);
    if (!spec && !isExtension(raw)) unknown.push(key);
    return { index, key, known: spec !== undefined };
  });
  for (const req of [...requiredHeaders(schema), ...(opts.require ?? [])]) {
    if (!seen.has(req)) {
      throw new SourceFormatError(`${file} has no ${req} column`, { file, header: req });
    }
  }
  // Header names only: cells can hold personal data, headers do not.
  if (unknown.length > 0) opts.log.warn({ file, headers: unknown }, 'unrecognised columns kept in metadata');
  return columns;
}

function checkWidth(file: string, line: number, record: string[], width: number): void {
  const short = record.length < width;
  const extra = !short && record.slice(width).some((c) => c.trim() !== '');
  if (short || extra) {
    throw new SourceFormatError(
      `${file}:${line} has ${record.length} columns, the header has ${width}: the file is damaged or truncated`,
      { file, line, columns: record.length, expected: width },
    );
  }
}

function toRow(line: number, record: string[], columns: Column[]): CsvRow {
  const values: Record<string, string> = {};
  const extra: Record<string, string> = {};
  for (const c of columns) {
    const cell = (record[c.index] ?? '').trim();
    if (c.known) values[c.key] = cell;
    else if (cell !== '') extra[c.key] = cell;
  }
  return { line, values, extra };
}
