/**
 * plan.json: what a generated district contains and what rollcall should find in it. Written next to the demo
 * (config/demo/plan.json) and by the bench CLI.
 */
import { writeFile } from 'node:fs/promises';
import { expectedFindings, type ExpectedFindings } from './expected.js';
import { RULES, countDistrict, type DistrictCounts, type DistrictModel, type DistrictSettings, type RuleName } from './model.js';

export interface DistrictPlan {
  asOf: string;
  seed: number;
  counts: DistrictCounts;
  settings: DistrictSettings;
  /** How many cases of each rule the generator put in on purpose. */
  planted: Record<RuleName, number>;
  /** Finding count per rule in `expected`. */
  expectedCounts: Record<RuleName, number>;
  /** What every rule should report over the whole district (sorted subject keys), from expected.ts. */
  expected: ExpectedFindings;
  /** The planted cases, with a note each. */
  plantedCases: { rule: RuleName; subject: string; note: string }[];
  /** Look-alikes that must NOT be reported. */
  traps: { rule: RuleName; subject: string; note: string }[];
}

export function buildPlan(model: DistrictModel, expected: ExpectedFindings = expectedFindings(model, model.settings)): DistrictPlan {
  const planted = Object.fromEntries(RULES.map((r) => [r, 0])) as Record<RuleName, number>;
  for (const c of model.planted) planted[c.rule]++;
  const expectedCounts = Object.fromEntries(RULES.map((r) => [r, expected[r].length])) as Record<RuleName, number>;
  return {
    asOf: model.settings.asOf,
    seed: model.seed,
    counts: countDistrict(model),
    settings: model.settings,
    planted,
    expectedCounts,
    expected: Object.fromEntries(RULES.map((r) => [r, expected[r]])) as ExpectedFindings,
    plantedCases: model.planted,
    traps: model.traps,
  };
}

/**
 * Problems with a plan: a planted case the oracle does not report, a trap it does report, or (when
 * `requireEveryRule`) a rule with no finding at all. Empty when all is well.
 */
export function checkPlan(plan: DistrictPlan, requireEveryRule: boolean): string[] {
  const problems: string[] = [];
  for (const c of plan.plantedCases) {
    if (!plan.expected[c.rule].includes(c.subject)) problems.push(`planted ${c.rule} ${c.subject} not expected (${c.note})`);
  }
  for (const t of plan.traps) {
    if (plan.expected[t.rule].includes(t.subject)) problems.push(`trap ${t.rule} ${t.subject} is reported (${t.note})`);
  }
  if (requireEveryRule) {
    for (const r of RULES) if (plan.expected[r].length === 0) problems.push(`no expected finding for ${r}`);
  }
  return problems;
}

export async function writePlan(plan: DistrictPlan, file: string): Promise<void> {
  await writeFile(file, `${JSON.stringify(plan, null, 2)}\n`);
}
