/**
 * Writes the bundled demo district into config/demo/: oneroster/*.csv, devices/gam-cros.csv,
 * devices/intune-devices.csv and plan.json (counts, planted cases, and what every rule should report).
 *
 *   npx tsx config/demo/generate.ts
 *
 * Fixed seed and asOf: rerunning gives byte-identical files. The settings config/demo.yaml must carry are in
 * plan.json under `settings` (domains, oneToOneGrades, ouSchoolMap, staleAfterDays, aueWarningDays,
 * maxDevicesPerStudent, asOf).
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateDistrict } from '../../bench/district/generate.js';
import { writeDistrict } from '../../bench/district/write.js';
import { buildPlan, checkPlan, writePlan } from '../../bench/district/plan.js';

export const DEMO_SEED = 20261101;
export const DEMO_AS_OF = new Date('2026-11-01T00:00:00Z');

export function generateDemo() {
  return generateDistrict({
    students: 2000,
    devices: 2250,
    windowsLaptops: 150,
    schools: 4,
    seed: DEMO_SEED,
    asOf: DEMO_AS_OF,
    plant: true,
  });
}

async function main(): Promise<void> {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const outDir = process.argv[2] ? path.resolve(process.argv[2]) : here;
  const model = generateDemo();
  const plan = buildPlan(model);
  const problems = checkPlan(plan, true);
  if (problems.length > 0) throw new Error(`demo district is inconsistent:\n  ${problems.join('\n  ')}`);
  await rm(path.join(outDir, 'oneroster'), { recursive: true, force: true });
  await rm(path.join(outDir, 'devices'), { recursive: true, force: true });
  const written = await writeDistrict(model, outDir);
  await writePlan(plan, path.join(outDir, 'plan.json'));
  for (const f of written.files) console.log(`${path.relative(process.cwd(), f.path)}: ${f.rows} rows`);
  console.log('counts', JSON.stringify(plan.counts));
  console.log('rule                        planted expected');
  for (const rule of Object.keys(plan.planted) as (keyof typeof plan.planted)[]) {
    console.log(`${rule.padEnd(28)}${String(plan.planted[rule]).padStart(7)}${String(plan.expectedCounts[rule]).padStart(9)}`);
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
