import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildPlan, checkPlan } from '../../bench/district/plan.js';
import { writeDistrict } from '../../bench/district/write.js';
import { generateDemo } from '../../config/demo/generate.js';
import { tempDir } from '../helpers/district-files.js';
import { repoRoot } from '../helpers/spawn.js';

describe('the demo district generator', () => {
  it('rebuilds the committed demo data byte for byte, and its plan checks out', async () => {
    const model = generateDemo();
    const plan = buildPlan(model);
    expect(checkPlan(plan, true)).toEqual([]);
    const out = tempDir('demo-gen');
    await writeDistrict(model, out);
    const committed = path.join(repoRoot, 'config/demo');
    for (const sub of ['oneroster', 'devices']) {
      for (const f of readdirSync(path.join(committed, sub))) {
        expect(readFileSync(path.join(out, sub, f), 'utf8'), `${sub}/${f}`).toBe(readFileSync(path.join(committed, sub, f), 'utf8'));
      }
    }
    const committedPlan = JSON.parse(readFileSync(path.join(committed, 'plan.json'), 'utf8')) as { expected: unknown };
    expect(JSON.parse(JSON.stringify(plan.expected))).toEqual(committedPlan.expected);
  });
});
