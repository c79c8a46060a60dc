/**
 * Runs every enabled rule's query into one temp table, `tmp_findings`, inside the reconcile transaction. One
 * INSERT … SELECT per rule: the whole ledger is evaluated set-based, whatever its size.
 */
import { sql, type SQL } from 'drizzle-orm';
import { observationUsers } from '../ledger/assignments.js';
import type { Logger } from 'pino';
import type { Executor } from '../db/client.js';
import type { ResolvedRule } from './rule-config.js';
import { textArray } from './rules/sql.js';
import type { RuleContext } from './types.js';

/** Matches every live observation's user once, for the rules that need it (RuleContext.observationUsers). */
export async function materializeObservationUsers(tx: Executor, domains: string[]): Promise<SQL> {
  await tx.execute(sql`drop table if exists tmp_observation_users`);
  await tx.execute(sql`create temp table tmp_observation_users on commit drop as ${observationUsers(domains)}`);
  await tx.execute(sql`analyze tmp_observation_users`);
  return sql.raw('tmp_observation_users');
}

export async function collectFindings(tx: Executor, rules: ResolvedRule[], ctx: RuleContext, log?: Logger): Promise<void> {
  await tx.execute(sql`drop table if exists tmp_findings`);
  await tx.execute(sql`
    create temp table tmp_findings (
      rule text not null,
      subject_key text not null,
      device_id bigint,
      person_id bigint,
      severity text not null,
      details jsonb not null,
      details_hash text not null,
      primary key (rule, subject_key)
    ) on commit drop`);
  for (const r of rules) {
    if (!r.enabled) continue;
    const query = r.rule.evaluate(r.options, ctx);
    const t0 = performance.now();
    // details_hash covers what an admin would care about; volatile counters are left out (see RuleDefinition).
    // distinct on guards the primary key: a rule is meant to yield one row per subject anyway.
    await tx.execute(sql`
      insert into tmp_findings (rule, subject_key, device_id, person_id, severity, details, details_hash)
      select distinct on (f.subject_key) ${r.rule.code}, f.subject_key, f.device_id, f.person_id,
        coalesce(${r.pinnedSeverity}::text, f.severity, ${r.rule.severity}::text), f.details,
        md5((f.details - ${textArray(r.rule.volatileDetails ?? [])})::text)
      from (${query}) f
      order by f.subject_key, f.device_id nulls last, f.person_id nulls last`);
    log?.debug({ rule: r.rule.code, ms: Math.round(performance.now() - t0) }, 'rule evaluated');
  }
}
