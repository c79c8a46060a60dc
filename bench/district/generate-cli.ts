/**
 * Generates a synthetic district for the benchmark (or anything else) into a directory.
 *
 *   npx tsx bench/district/generate-cli.ts --students 100000 --devices 110000 --out /tmp/x
 *     [--seed N] [--schools N] [--windows N] [--staff N] [--as-of YYYY-MM-DD] [--plant] [--noise 0.01]
 *     [--no-plan]
 *
 * Writes <out>/oneroster/*.csv, <out>/devices/gam-cros.csv, <out>/devices/intune-devices.csv, and unless
 * --no-plan, <out>/plan.json (counts, settings, planted cases and the oracle's expected findings). The config
 * a run needs (domains, oneToOneGrades, ouSchoolMap, ...) is plan.json's `settings`.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { generateDistrict } from './generate.js';
import { writeDistrict } from './write.js';
import { buildPlan, writePlan } from './plan.js';
import { countDistrict } from './model.js';

function int(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} expects a non-negative integer, got ${v}`);
  return n;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      students: { type: 'string' },
      devices: { type: 'string' },
      windows: { type: 'string' },
      staff: { type: 'string' },
      schools: { type: 'string' },
      seed: { type: 'string' },
      'as-of': { type: 'string', default: '2026-11-01' },
      plant: { type: 'boolean', default: false },
      noise: { type: 'string' },
      'no-plan': { type: 'boolean', default: false },
      out: { type: 'string' },
    },
    strict: true,
  });
  const students = int('students', values.students);
  if (!students || !values.out) {
    console.error('usage: generate-cli.ts --students N [--devices N] --out DIR [--seed N] [--schools N] [--windows N] [--staff N] [--as-of YYYY-MM-DD] [--plant] [--noise P] [--no-plan]');
    process.exitCode = 2;
    return;
  }
  const asOf = new Date(`${values['as-of']}T00:00:00Z`);
  const out = path.resolve(values.out);
  const t0 = performance.now();
  const model = generateDistrict({
    students,
    devices: int('devices', values.devices),
    windowsLaptops: int('windows', values.windows),
    staff: int('staff', values.staff),
    schools: int('schools', values.schools),
    seed: int('seed', values.seed),
    asOf,
    plant: values.plant,
    noise: values.noise === undefined ? undefined : Number(values.noise),
  });
  const t1 = performance.now();
  await mkdir(out, { recursive: true });
  const written = await writeDistrict(model, out);
  const t2 = performance.now();
  for (const f of written.files) console.log(`${f.path}: ${f.rows} rows`);
  if (!values['no-plan']) {
    const plan = buildPlan(model);
    await writePlan(plan, path.join(out, 'plan.json'));
    console.log('expected findings', JSON.stringify(plan.expectedCounts));
  }
  const t3 = performance.now();
  console.log('counts', JSON.stringify(countDistrict(model)));
  const mb = (n: number) => `${Math.round(n / 1048576)} MB`;
  console.log(
    `generate ${(t1 - t0).toFixed(0)} ms, write ${(t2 - t1).toFixed(0)} ms, plan ${(t3 - t2).toFixed(0)} ms; ` +
      `heap ${mb(process.memoryUsage().heapUsed)}, rss ${mb(process.memoryUsage().rss)}`,
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
