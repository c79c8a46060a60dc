/**
 * What a rule is (DESIGN §7): a typed, pure definition whose `evaluate` returns one SQL query over the whole
 * ledger. The engine runs every enabled rule's query into one findings table and diffs that against the live
 * discrepancies, so no rule ever loops over devices in JavaScript.
 */
import type { SQL } from 'drizzle-orm';
import type { z } from 'zod';

export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** What every rule may read besides its own options. */
export interface RuleContext {
  /** The instant time-based rules judge against (reconcile.asOf, else the clock). */
  asOf: Date;
  /** asOf as a calendar date (YYYY-MM-DD) in the district's time zone, for date columns such as aue_date. */
  asOfDate: string;
  district: { domains: string[]; oneToOneGrades: string[] };
  reconcile: { staleAfterDays: number; aueWarningDays: number; ouSchoolMap: Record<string, string> };
  /**
   * A relation with one row per live observation and the user it names, matched as the ledger matches them
   * (columns of `observationUsers`). Computed once per reconcile: matching is the costly step, and two rules
   * need it.
   */
  observationUsers: SQL;
}

/**
 * `evaluate` returns a query with exactly these columns, one row per subject:
 *   subject_key text, device_id bigint, person_id bigint, severity text (null = the rule's severity), details jsonb
 */
export interface RuleDefinition<S extends z.ZodType = z.ZodType> {
  code: string;
  /** One line for reports and tickets. */
  title: string;
  /** What an IT admin should do about a finding; shown in the report. */
  remediation: string;
  severity: Severity;
  ticket: boolean;
  /** Options the rule reads from `reconcile.rules.<code>`, with their defaults. */
  options: S;
  /**
   * Detail keys that drift on their own (days counters). They are stored and shown, but left out of
   * details_hash, so a suppressed finding wakes up only when something an admin would care about changes.
   */
  volatileDetails?: readonly string[];
  /** One line an admin reads in the report, from a finding's details. */
  describe(details: Details): string;
  // Method syntax on purpose: the registry holds rules with different option types.
  evaluate(opts: z.output<S>, ctx: RuleContext): SQL;
}

export type Details = Record<string, unknown>;

/** A list detail (sources, grades) as text. */
export const listOf = (v: unknown): string => (Array.isArray(v) ? v.join(', ') : String(v ?? ''));

export type AnyRule = RuleDefinition<z.ZodType>;

export function defineRule<S extends z.ZodType>(rule: RuleDefinition<S>): RuleDefinition<S> {
  return rule;
}
