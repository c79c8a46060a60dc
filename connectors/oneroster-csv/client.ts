/**
 * Reads a OneRoster CSV set from a directory or a .zip: finds files by basename, reads manifest.csv, and
 * streams each CSV by header name through the shared reader (connectors/shared/csv-reader.ts). Anything that
 * makes a file unreadable as a whole (undecodable, unclosed quote, a row with the wrong number of columns, a
 * missing required header) throws SourceFormatError, so a damaged export fails the read instead of looking
 * like a roster where people are missing.
 */
import { createReadStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { unzipSync } from 'fflate';
import type { Logger } from 'pino';
import { openCsv } from '../shared/csv-reader.js';
import type { Encoding } from '../shared/decode.js';
import { IncompleteReadError, SourceFormatError } from '../shared/errors.js';
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
  for (const e of entries) {
    if (!isCsv(e.name)) continue;
    const full = path.join(dir, e.name);
    // Dirent.isFile() is false for a symlink; districts link the newest export into place, so follow it.
    const isFile = e.isFile() || (e.isSymbolicLink() && (await stat(full).then((s) => s.isFile(), () => false)));
    if (isFile) byName.set(e.name.toLowerCase(), full);
  }
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
export async function readManifest(src: RosterSource, log: Logger, encoding?: Encoding): Promise<Manifest | null> {
  if (!src.has(MANIFEST_FILE)) return null;
  const manifest: Manifest = { version: null, files: {} };
  const wanted = new Set<string>(Object.keys(FILE_NAMES));
  const csv = await openRosterCsv(src, MANIFEST_FILE, manifestRowSchema, { log, allowEmpty: true, encoding });
  for await (const row of csv.rows()) {
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
  encoding?: Encoding;
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

export interface RosterCsv {
  /** Known columns the header has (spec spelling): a known optional column not in it is "not supplied". */
  present: ReadonlySet<string>;
  rows(): AsyncGenerator<CsvRow>;
}

/**
 * Opens one CSV of the set and maps its header. Headers are trimmed and matched to the schema ignoring case
 * and spaces. Cells past the last named header must be empty (the shared reader checks): trailing commas are
 * tolerated (both public sample sets have them), data without a header is not.
 */
export async function openRosterCsv(
  src: RosterSource, file: string, schema: RowSchema, opts: ReadCsvOptions,
): Promise<RosterCsv> {
  const csv = await openCsv({ name: file, open: () => src.open(file) }, { encoding: opts.encoding, signal: opts.signal });
  let columns: Column[];
  try {
    columns = mapHeader(file, csv.header, schema, opts);
  } catch (e) {
    csv.close();
    throw e;
  }
  const present = new Set(columns.filter((c) => c.known).map((c) => c.key));
  async function* rows(): AsyncGenerator<CsvRow> {
    let n = 0;
    for await (const r of csv.rows()) {
      n++;
      yield toRow(r.line, r.cells, columns);
    }
    if (n === 0 && !opts.allowEmpty) {
      throw new SourceFormatError(`${file} has a header but no rows; a file with nothing to send must be listed absent`, { file });
    }
  }
  return { present, rows };
}

const fold = (h: string) => h.replace(/\s+/g, '').toLowerCase();
const isExtension = (h: string) => /^(metadata\.|ext_)/i.test(h);

function mapHeader(file: string, names: string[], schema: RowSchema, opts: ReadCsvOptions): Column[] {
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
