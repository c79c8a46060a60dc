/**
 * Copies a district's exports with 1% of rows changed (a student's given name, a device's OS version), the
 * shape of a typical night's drift, for the "re-sync after 1% changes" measurement.
 */
import { createReadStream, createWriteStream, mkdirSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse';

function csvCell(v: string): string {
  return /[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

async function rewrite(src: string, dst: string, column: string, every: number, change: (v: string) => string): Promise<number> {
  mkdirSync(path.dirname(dst), { recursive: true });
  const out = createWriteStream(dst);
  let header: string[] | undefined;
  let idx = -1;
  let n = 0;
  let changed = 0;
  for await (const row of createReadStream(src).pipe(parse({ relax_column_count: false }))) {
    const r = row as string[];
    if (!header) {
      header = r;
      idx = r.indexOf(column);
      if (idx < 0) throw new Error(`${src}: no column ${column}`);
    } else if (n++ % every === 0) {
      r[idx] = change(r[idx] ?? '');
      changed++;
    }
    if (!out.write(`${r.map(csvCell).join(',')}\n`)) await new Promise<void>((res) => out.once('drain', () => res()));
  }
  await new Promise<void>((res) => out.end(() => res()));
  return changed;
}

export async function mutateDistrict(srcDir: string, dstDir: string): Promise<{ people: number; devices: number }> {
  const { cpSync } = await import('node:fs');
  cpSync(srcDir, dstDir, { recursive: true });
  const people = await rewrite(path.join(srcDir, 'oneroster/users.csv'), path.join(dstDir, 'oneroster/users.csv'), 'givenName', 100, (v) => `${v}a`);
  const devices = await rewrite(path.join(srcDir, 'devices/gam-cros.csv'), path.join(dstDir, 'devices/gam-cros.csv'), 'osVersion', 100, (v) => `${v}.1`);
  return { people, devices };
}
