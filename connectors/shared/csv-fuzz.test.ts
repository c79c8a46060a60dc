/**
 * Fuzz of both CSV connectors through read(), seeded so a failure replays: start from real in-repo fixture rows,
 * mutate cells (control characters, over-cap strings, bad dates, empty, unicode, stray quotes, duplicate ids,
 * dropped optional columns), write the file, read it, and check the contract on every case: the only throw is
 * a file-level SourceFormatError, and every data row is accounted for exactly once: a row whose id cell is
 * valid is present (a record or a Reject with externalId), any other row is a Reject.
 */
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deviceCsv } from '../device-csv/index.js';
import { onerosterCsv } from '../oneroster-csv/index.js';
import type { Batch } from '../types.js';
import { SourceFormatError } from './errors.js';
import { cellProblem } from './limits.js';
import { readBatches } from './test-helpers.js';

const here = fileURLToPath(new URL('.', import.meta.url));
let tmp: string;
let n = 0;
beforeAll(async () => { tmp = await mkdtemp(join(tmpdir(), 'csv-fuzz-')); });
afterAll(async () => { await rm(tmp, { recursive: true, force: true }); });

const cellMutation = fc.oneof(
  fc.constantFrom('', ' ', '\u0000', 'a\u0001b', '\u001f', 'Oct 31 2026', 'June 2033', '15/06/2024', 'yes', 'pupil',
    'Recovery', '"', 'a"b', 'Anaïs 🎒 名前', 'Default string', '0', '\t'),
  fc.integer({ min: 300, max: 30_000 }).map((k) => 'x'.repeat(k)),
  fc.string({ maxLength: 12 }),
);

interface Table { header: string[]; rows: string[][] }

/**
 * Writes CSV, quoting cells that need it, except a cell holding a quote and no separator, which is written
 * bare: that is the stray quote real exports have (kept as text by the reader, or a file-level error).
 */
function stringify(rows: string[][]): string {
  const cell = (c: string) => (/[,\r\n]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c);
  return rows.map((r) => r.map(cell).join(',')).join('\n') + '\n';
}

async function load(path: string): Promise<Table> {
  const all = parse(await readFile(path), { bom: true, relax_column_count: true }) as string[][];
  return { header: all[0]!, rows: all.slice(1) };
}

/** Mutations: (row, column, value) cell edits, duplicated rows, and an optional column dropped. */
function mutations(t: Table, optional: number[]) {
  return fc.record({
    edits: fc.array(fc.tuple(fc.nat(t.rows.length - 1), fc.nat(t.header.length - 1), cellMutation), { maxLength: 6 }),
    dup: fc.option(fc.nat(t.rows.length - 1), { nil: undefined }),
    drop: fc.option(fc.constantFrom(...optional), { nil: undefined }),
  });
}

function apply(t: Table, m: { edits: [number, number, string][]; dup?: number; drop?: number }): Table {
  const rows = t.rows.map((r) => [...r]);
  for (const [r, c, v] of m.edits) rows[r]![c] = v;
  if (m.dup !== undefined) rows.push([...rows[m.dup]!]);
  if (m.drop === undefined) return { header: t.header, rows };
  return { header: t.header.filter((_, i) => i !== m.drop), rows: rows.map((r) => r.filter((_, i) => i !== m.drop)) };
}

/**
 * The rows as written, by an independent csv-parse pass (a bare quote can legitimately join two lines into
 * one record), without the rows whose cells are all blank, which the reader skips as Excel leaves them.
 */
function dataRows(text: string): string[][] {
  const all = parse(text, { relax_quotes: true, relax_column_count: true, skip_empty_lines: true }) as string[][];
  return all.slice(1).filter((r) => r.some((c) => c.trim() !== ''));
}

function account(batches: Batch[], text: string, idColumn: number, file: string): void {
  const rows = dataRows(text);
  const records = batches.flatMap((b) => b.records.map((r) => r.externalId));
  const own = batches.flatMap((b) => b.rejects).filter((r) => r.location?.startsWith(`${file}:`));
  // Every data row became exactly one record or one reject: nothing silently dropped.
  expect(records.length + own.length).toBe(rows.length);
  const present = new Set([...records, ...own.flatMap((r) => (r.externalId ? [r.externalId] : []))]);
  for (const r of rows) {
    const id = (r[idColumn] ?? '').trim();
    if (id !== '' && !cellProblem(id, 'id')) expect(present.has(id)).toBe(true);
  }
}

async function expectContract(run: () => Promise<Batch[]>, check: (b: Batch[]) => void): Promise<void> {
  let batches: Batch[];
  try {
    batches = await run();
  } catch (e) {
    // Only a file-level failure may stop the read (a stray quote that never closes, a cell over the cap).
    expect(e).toBeInstanceOf(SourceFormatError);
    return;
  }
  check(batches);
}

describe('CSV fuzz', () => {
  it('oneroster-csv users.csv: every row is a record, a kept reject or a reject', async () => {
    const base = await load(join(here, '../oneroster-csv/fixtures/ldap-1.1/users.csv'));
    const optional = ['grades', 'email', 'givenName', 'userIds', 'enabledUser', 'dateLastModified'].map((h) => base.header.indexOf(h));
    await fc.assert(fc.asyncProperty(mutations(base, optional), async (m) => {
      const t = apply(base, m);
      const dir = join(tmp, `r${n++}`);
      await mkdir(dir);
      const text = stringify([t.header, ...t.rows]);
      await writeFile(join(dir, 'users.csv'), text);
      await expectContract(() => readBatches(onerosterCsv, { path: dir, batchSize: 3 }), (bs) => account(bs, text, 0, 'users.csv'));
    }), { seed: 20240501, numRuns: 200 });
  });

  it('device-csv GAM export: every row is a record, a kept reject or a reject', async () => {
    const base = await load(join(here, '../device-csv/fixtures/gam-cros.csv'));
    const optional = ['lastSync', 'autoUpdateThrough', 'orgUnitPath', 'bootMode', 'annotatedUser'].map((h) => base.header.indexOf(h));
    const idColumn = base.header.indexOf('deviceId');
    await fc.assert(fc.asyncProperty(mutations(base, optional), async (m) => {
      const t = apply(base, m);
      const p = join(tmp, `d${n++}.csv`);
      const text = stringify([t.header, ...t.rows]);
      await writeFile(p, text);
      await expectContract(() => readBatches(deviceCsv, { path: p, format: 'gam', batchSize: 4 }), (bs) => {
        account(bs, text, idColumn, p.split('/').pop()!);
      });
    }), { seed: 20240502, numRuns: 200 });
  });
});
