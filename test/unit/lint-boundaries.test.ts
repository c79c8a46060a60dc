/**
 * The dependency rules in eslint.config.js are only worth having if they fire: lint planted imports through the
 * ESLint Node API with the repo's own config and check that the illegal one is an error and the legal one is not.
 */
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/spawn.js';

const eslint = new ESLint({ cwd: repoRoot });

async function restricted(code: string, filePath: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports' && m.severity === 2).map((m) => m.message);
}

describe('dependency boundaries', () => {
  it('a vendor connector importing src/db is an error', async () => {
    const errors = await restricted("import { rows } from '../../src/db/client.js';\nexport const x = rows;\n", 'connectors/device-csv/planted.ts');
    expect(errors.some((m) => m.includes('never touch the database'))).toBe(true);
  });

  it('a vendor connector importing anything else from src is an error; types and shared are fine', async () => {
    expect(await restricted("import { SourceFormatError } from '../../src/errors.js';\nexport const x = SourceFormatError;\n", 'connectors/device-csv/planted.ts')).toHaveLength(1);
    // The connector's own door, connectors/shared, spelt relative to the planted file.
    const door = ['..', 'shared', 'errors.js'].join('/');
    const legal = `import type { Batch } from '../types.js';\nimport { SourceFormatError } from '${door}';\nexport type B = Batch;\nexport const x = SourceFormatError;\n`;
    expect(await restricted(legal, 'connectors/device-csv/planted.ts')).toEqual([]);
  });

  it('connectors/shared may import src/errors but not src/ledger', async () => {
    expect(await restricted("export { SourceFormatError } from '../../src/errors.js';\n", 'connectors/shared/planted.ts')).toEqual([]);
    expect((await restricted("export { writeBatch } from '../../src/ledger/writer.js';\n", 'connectors/shared/planted.ts')).length).toBeGreaterThan(0);
  });

  it('the ledger never imports the API, and the API never imports a vendor connector', async () => {
    expect(await restricted("export { app } from '../api/app.js';\n", 'src/ledger/planted.ts')).toHaveLength(1);
    expect(await restricted("export { deviceCsv } from '../../connectors/device-csv/index.js';\n", 'src/api/planted.ts')).toHaveLength(1);
    expect(await restricted("export { sourceConnectors } from '../../connectors/registry.js';\n", 'src/api/planted.ts')).toEqual([]);
  });
});
