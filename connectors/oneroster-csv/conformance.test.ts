/**
 * Conformance over the public sample sets kept beside the repo (../shared/fixtures, not part of the clone):
 * every data row of every set is accounted for as a record or a reject, and the read never fails. Skipped,
 * with the reason in its name, on a clean clone; the in-repo fixtures cover the same behaviour.
 */
import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { unzipSync } from 'fflate';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { HttpClient } from '../shared/http.js';
import type { Batch } from '../types.js';
import { configSchema, onerosterCsv } from './index.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const shared = path.resolve(repoRoot, '../shared/fixtures');
const exists = existsSync(shared);

async function sets(): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(shared, { withFileTypes: true })) {
    const p = path.join(shared, e.name);
    if (e.isDirectory() && e.name.startsWith('oneroster')) {
      const inner = await readdir(p);
      if (inner.some((f) => f.toLowerCase() === 'users.csv')) out.push(p);
      else out.push(...inner.filter((f) => f.endsWith('.zip')).map((f) => path.join(p, f)));
    }
  }
  return out;
}

async function usersIds(set: string): Promise<string[]> {
  let text: string;
  if (set.endsWith('.zip')) {
    const files = unzipSync(new Uint8Array(await readFile(set)));
    const name = Object.keys(files).find((f) => path.posix.basename(f).toLowerCase() === 'users.csv')!;
    text = new TextDecoder().decode(files[name]);
  } else {
    text = await readFile(path.join(set, 'users.csv'), 'utf8');
  }
  const rows = parse(text, { bom: true, relax_column_count: true, skip_empty_lines: true }) as string[][];
  return rows.slice(1).map((r) => r[0] ?? '');
}

describe('OneRoster public sample sets', () => {
  it.skipIf(!exists)(`every users.csv row of every set is a record or a kept reject${exists ? '' : ' (skipped: ../shared/fixtures is not beside the repo)'}`, async () => {
    const found = await sets();
    expect(found.length).toBeGreaterThan(0);
    for (const set of found) {
      const log = pino({ level: 'silent' });
      const ctx = { config: configSchema.parse({ path: set }), http: {} as HttpClient, log, signal: new AbortController().signal, now: () => new Date() };
      const batches: Batch[] = [];
      for await (const b of onerosterCsv.read(ctx, { mode: 'full' })) batches.push(b);
      const people = batches.filter((b) => b.stream === 'people');
      const ids = [
        ...people.flatMap((b) => b.records.map((r) => r.externalId)),
        ...people.flatMap((b) => b.rejects.filter((r) => r.location?.startsWith('users.csv:')).map((r) => r.externalId ?? '')),
      ];
      expect(ids.sort(), set).toEqual((await usersIds(set)).sort());
    }
  });
});
