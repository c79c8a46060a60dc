/** `rollcall sync` and `rollcall approve` through the CLI entry point: the summary table and exit codes 0, 1, 2, 3. */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliWithConfig } from '../helpers/capture.js';
import { students, tempDir, writeGam, writeRoster } from '../helpers/district-files.js';

describe('sync and approve commands', () => {
  const dir = tempDir('sync-cli');
  const file = path.join(dir, 'rollcall.yaml');
  writeFileSync(file, [
    'server: { logLevel: silent }',
    `database: { dataDir: "${path.join(dir, 'data')}" }`,
    'district: { name: CLI Test, domains: [maplewood.example.org], oneToOneGrades: ["05"] }',
    'sources:',
    '  - { id: sis, kind: oneroster-csv, path: roster }',
    '',
  ].join('\n'));
  const cli = cliWithConfig(file);

  it('prints a per-stream summary and exits 0', async () => {
    writeRoster(path.join(dir, 'roster'), students(20));
    const r = await cli('sync');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^source sis, full run #1: succeeded in/m);
    expect(r.out).toMatch(/^people\s+20\s+20\s+0\s+0\s+0\s+0\s+0\s+0\s+0\s+0$/m);
  });

  it('writes nothing on --dry-run', async () => {
    writeRoster(path.join(dir, 'roster'), students(21));
    const r = await cli('sync', '--dry-run');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/dry run \(nothing written\)/);
    expect(r.out).toMatch(/^people\s+21\s+1\s+0\s+20\s/m);
    expect((await cli('sync', '--dry-run')).out).toMatch(/^people\s+21\s+1\s+0\s+20\s/m);
  });

  it('exits 3 when the deletion threshold holds a run, and approve applies it', async () => {
    writeRoster(path.join(dir, 'roster'), students(12));
    const preview = await cli('sync', '--dry-run');
    expect(preview.out).toMatch(/WOULD BE HELD: deletion threshold exceeded \(people: 8 of 20 would be deactivated\)/);
    const held = await cli('sync');
    expect(held.code).toBe(3);
    expect(held.out).toMatch(/HELD: deletion threshold exceeded \(people: 8 of 20 would be deactivated\)/);
    const runId = /run #(\d+): held/.exec(held.out)![1]!;
    const ok = await cli('approve', runId);
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(new RegExp(`APPROVED run #${runId}: the source read the same as when it was held`));
    expect(ok.out).toMatch(/^people\s+12\s+0\s+0\s+12\s+8\s/m);
    expect((await cli('approve', runId)).code).toBe(1);
  });

  it('refuses to approve a held run when the source changed since, and changes nothing', async () => {
    writeRoster(path.join(dir, 'roster'), students(30));
    await cli('sync', '--force');
    writeRoster(path.join(dir, 'roster'), students(10));
    const held = await cli('sync');
    expect(held.code).toBe(3);
    const runId = /run #(\d+): held/.exec(held.out)![1]!;
    writeRoster(path.join(dir, 'roster'), students(11));
    const refused = await cli('approve', runId);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/no longer reads as it did when run \d+ was held; nothing was applied/);
    expect((await cli('sync', '--dry-run')).out).toMatch(/^people\s+11\s+0\s+0\s+11\s+19\s+0\s+0\s+0\s+0\s+19$/m);
  });

  it('exits 1 when a read fails, and 2 on bad usage', async () => {
    writeRoster(path.join(dir, 'roster'), [], { usersCsv: 'sourcedId,status\n"broken' });
    const failed = await cli('sync');
    expect(failed.code).toBe(1);
    expect(failed.out).toMatch(/failed in .*\n\s+error: .*users\.csv/);
    expect((await cli('sync', '--source', 'nope')).code).toBe(2);
    expect((await cli('sync', '--mode', 'sideways')).code).toBe(2);
    expect((await cli('approve', 'abc')).code).toBe(2);
  });
});

describe('delta on a source that has none', () => {
  const dir = tempDir('sync-cli-delta');
  const file = path.join(dir, 'rollcall.yaml');
  writeGam(path.join(dir, 'gam.csv'), [{ id: 'g1', serial: 'PF1' }]);
  writeFileSync(file, ['server: { logLevel: silent }', `database: { dataDir: "${path.join(dir, 'data')}" }`, 'district: { name: Test, domains: [maplewood.example.org] }', 'sources:',
    `  - { id: gam, kind: device-csv, format: gam, path: ${path.join(dir, 'gam.csv')} }`, ''].join('\n'));
  const cli = cliWithConfig(file);

  it('exits 2 (bad usage) and says why', async () => {
    const r = await cli('sync', '--mode', 'delta');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/source "gam" \(device-csv\) has no delta reads; use --mode full/);
  });
});
