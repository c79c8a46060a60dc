/** `rollcall reconcile` and `rollcall report` through the CLI entry point, on an embedded database: output and exit codes. */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli.js';
import { capture, cliWithConfig } from '../helpers/capture.js';
import { tempDir, writeGam, writeRoster } from '../helpers/district-files.js';


describe('reconcile and report commands', () => {
  const dir = tempDir('reconcile-cli');
  const file = path.join(dir, 'rollcall.yaml');
  writeRoster(path.join(dir, 'roster'), [{ id: 's1' }, { id: 's2' }]);
  writeGam(path.join(dir, 'gam.csv'), [{ id: 'g1', serial: 'PF1', user: 's1@students.maplewood.example.org' }, { id: 'g2', serial: 'PF2', user: 'ghost@students.maplewood.example.org' }]);
  writeFileSync(file, [
    'server: { logLevel: silent }',
    `database: { dataDir: "${path.join(dir, 'data')}" }`,
    'district: { name: CLI Test, domains: [maplewood.example.org], oneToOneGrades: ["05"] }',
    'reconcile: { asOf: "2026-11-21" }',
    'sources:',
    `  - { id: sis, kind: oneroster-csv, path: roster }`,
    `  - { id: gam, kind: device-csv, format: gam, path: gam.csv }`,
    '',
  ].join('\n'));
  const cli = cliWithConfig(file);

  it('reconciles after a sync and prints the summary per rule', async () => {
    const r = await cli('sync');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^reconcile as of 2026-11-21: 2 opened, 0 resolved, 0 still open, 0 suppressed in/m);
    expect(r.out).toMatch(/^student-without-device\s+1\s+0\s+0\s+0\s+0\s+0$/m);
    expect(r.out).toMatch(/^unknown-user\s+1\s+0\s+0\s+0\s+0\s+0$/m);
    expect(r.out).toMatch(/^total\s+2\s+0\s+0\s+0\s+0\s+0$/m);
    const again = await cli('reconcile');
    expect(again.code).toBe(0);
    expect(again.out).toMatch(/^reconcile as of 2026-11-21: 0 opened, 0 resolved, 2 still open/);
  });

  it('prints the report as a table, CSV or JSON, filtered', async () => {
    const table = await cli('report');
    expect(table.code).toBe(0);
    expect(table.out).toContain('Reconciliation report: CLI Test, as of 2026-11-21');
    expect(table.out).toContain('What to do: Issue a device to the student');
    const csv = await cli('report', '--format', 'csv', '--rule', 'unknown-user');
    expect(csv.out.split('\n')).toHaveLength(2);
    expect(csv.out).toMatch(/^\d+,medium,unknown-user,PF2,A-g2,,,ghost@students\.maplewood\.example\.org,,/m);
    const json = JSON.parse((await cli('report', '--format', 'json', '--school', 'Lincoln Elementary')).out) as { filters: { school: { externalId: string } }; discrepancies: unknown[] };
    expect(json.filters.school.externalId).toBe('lin');
    expect(json.discrepancies).toHaveLength(1);
  });

  it('exits 2 on bad usage or bad rule config', async () => {
    expect(await cli('report', '--format', 'xml')).toMatchObject({ code: 2, err: expect.stringMatching(/--format must be one of table, csv, json/) });
    expect(await cli('report', '--rule', 'nope')).toMatchObject({ code: 2, err: expect.stringMatching(/unknown rule "nope"/) });
    expect(await cli('report', '--bogus')).toMatchObject({ code: 2 });
    writeFileSync(file.replace('.yaml', '-bad.yaml'), `district: { name: X }\ndatabase: { dataDir: "${path.join(dir, 'data2')}" }\nreconcile: { rules: { dev-mod: {} } }\n`);
    const c = capture();
    expect(await runCli(['reconcile', '--config', file.replace('.yaml', '-bad.yaml')], c.io, false)).toBe(2);
    expect(c.err()).toMatch(/reconcile\.rules\.dev-mod: unknown rule; known rules: withdrawn-with-device/);
  });
});
