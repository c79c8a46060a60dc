/**
 * The bundled demo district through the real sync path and the reconciler: every discrepancy the generator
 * planted (config/demo/plan.json `expected`) is found, and nothing else, including its traps.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { rows } from '../../src/db/client.js';
import { reconcile } from '../../src/reconcile/engine.js';
import { runSync } from '../../src/sync/runner.js';
import { engines, freshDatabase, type TestDb } from '../helpers/db.js';
import { quietLog } from '../helpers/ledger.js';
import { repoRoot } from '../helpers/spawn.js';

const planFile = path.join(repoRoot, 'config/demo/plan.json');
const plan = existsSync(planFile) ? (JSON.parse(readFileSync(planFile, 'utf8')) as { expected: Record<string, string[]> }) : null;

describe.skipIf(!plan).each(engines)('reconcile the demo district on %s', (engine) => {
  let t: TestDb;
  const config = loadConfig({ file: path.join(repoRoot, 'config/demo.yaml'), env: {}, cwd: repoRoot });
  beforeAll(async () => {
    t = await freshDatabase(engine);
    for (const s of config.sources) {
      const r = await runSync({ db: t.db, log: quietLog, domains: config.district.domains }, s, { force: true });
      expect(r.status).toBe('succeeded');
    }
  });
  afterAll(async () => t?.drop());

  it('finds exactly the planted discrepancies', async () => {
    const summary = await reconcile(t.db, config, { log: quietLog, now: new Date('2026-11-02T08:00:00Z') });
    const found = await rows<{ rule: string; subject_key: string }>(t.db.orm, sql`select rule, subject_key from discrepancies where status = 'open' order by rule, subject_key`);
    const byRule: Record<string, string[]> = {};
    for (const f of found) (byRule[f.rule] ??= []).push(f.subject_key);
    for (const list of Object.values(plan!.expected)) list.sort();
    expect(byRule).toEqual(plan!.expected);
    expect(summary.opened).toBe(found.length);
  });
});
