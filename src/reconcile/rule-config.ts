/**
 * `reconcile.rules.<code>`: enabled, severity, ticket, and the rule's own options checked by its zod schema.
 * Every problem is reported with its full key path so an admin can fix the file without reading code.
 */
import type { z } from 'zod';
import { formatPath, type Config } from '../config/index.js';
import { ConfigError } from '../errors.js';
import { rules as allRules } from './rules/index.js';
import type { AnyRule, Severity } from './types.js';

export interface ResolvedRule {
  rule: AnyRule;
  enabled: boolean;
  /** Set when the config pins a severity: it then replaces the rule's graded severities too. */
  pinnedSeverity: Severity | null;
  severity: Severity;
  ticket: boolean;
  options: unknown;
}

const COMMON = new Set(['enabled', 'severity', 'ticket']);

function issuesOf(error: z.ZodError, at: (string | number)[]): string[] {
  return error.issues.flatMap((issue) => {
    const path = [...at, ...issue.path.map((k) => (typeof k === 'symbol' ? String(k) : k))];
    if (issue.code === 'unrecognized_keys') return issue.keys.map((k) => `${formatPath([...path, k])}: unknown option`);
    return [`${formatPath(path)}: ${issue.message}`];
  });
}

export function resolveRules(reconcile: Config['reconcile'], registry: readonly AnyRule[] = allRules): ResolvedRule[] {
  const issues: string[] = [];
  const known = new Set(registry.map((r) => r.code));
  for (const code of Object.keys(reconcile.rules)) {
    if (!known.has(code)) issues.push(`${formatPath(['reconcile', 'rules', code])}: unknown rule; known rules: ${[...known].join(', ')}`);
  }
  const out: ResolvedRule[] = [];
  for (const rule of registry) {
    const cfg = reconcile.rules[rule.code] ?? {};
    const own = Object.fromEntries(Object.entries(cfg).filter(([k]) => !COMMON.has(k)));
    const parsed = rule.options.safeParse(own);
    if (!parsed.success) {
      issues.push(...issuesOf(parsed.error, ['reconcile', 'rules', rule.code]));
      continue;
    }
    out.push({
      rule,
      enabled: cfg.enabled ?? true,
      pinnedSeverity: cfg.severity ?? null,
      severity: cfg.severity ?? rule.severity,
      ticket: cfg.ticket ?? rule.ticket,
      options: parsed.data,
    });
  }
  if (issues.length > 0) {
    throw new ConfigError(`reconcile.rules: ${issues.length} problem${issues.length === 1 ? '' : 's'}:\n  ${issues.join('\n  ')}`, issues);
  }
  return out;
}
