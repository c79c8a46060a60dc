/**
 * `rollcall report [--format table|csv|json] [--rule R] [--school S]`: the reconciliation report. The data
 * comes from src/reconcile/report.ts (shared with the admin API and pages); this file only formats it.
 * table = everything for a terminal, opening with each source's data freshness; csv = the open discrepancies, one
 * per row; json = the whole object (`freshness` included). A ledger that never synced exits 1 in every format.
 */
import { ValidationError } from '../errors.js';
import { buildReport, type ReconciliationReport } from '../reconcile/report.js';
import type { ReportRow, SeverityCounts } from '../reconcile/report-types.js';
import { ruleByCode } from '../reconcile/rules/index.js';
import type { CommandContext } from './context.js';
import { EXIT, type ExitCode } from './exit-codes.js';
import { renderTable } from './table.js';
import { withDatabase } from './with-database.js';

export const reportOptions = {
  format: { type: 'string' },
  rule: { type: 'string' },
  school: { type: 'string' },
} as const;

export const REPORT_FORMATS = ['table', 'csv', 'json'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

const SEVERITY_COLUMNS = ['critical', 'high', 'medium', 'low', 'total'] as const;
const severityCells = (c: SeverityCounts) => SEVERITY_COLUMNS.map((k) => c[k]);
const percent = (p: number | null) => (p === null ? '-' : `${p.toFixed(1)}%`);
const day = (iso: string) => iso.slice(0, 10);

function person(r: ReportRow): string {
  const mdm = r.mdmUser ? `${r.mdmUser} (MDM user)` : '';
  if (r.person) return mdm ? `${r.person.name}; ${mdm}` : r.person.name || '-';
  return mdm || '-';
}

function section(title: string, table: string): string {
  return `${title}\n${table}`;
}

export const NEVER_SYNCED = 'This ledger has never synced: no source has a successful run yet, so there is nothing to report. Run `rollcall sync` (or start `rollcall serve`) first.';

/** The report opens with how old its data is: every number after it is only as current as these runs. */
export function formatFreshness(r: ReconciliationReport): string {
  if (r.freshness.length === 0) return 'Data freshness: no sources configured';
  const lines = [renderTable(['source', 'kind', 'last successful sync', 'age'],
    r.freshness.map((f) => [f.source, f.kind, f.lastSuccessAt ?? 'never', f.age ?? '-']))];
  for (const f of r.freshness) {
    if (f.lastFailure) lines.push(`${f.source}: ${f.lastSuccessAt ? 'a later run' : 'the last run'} failed at ${f.lastFailure.at}: ${f.lastFailure.error ?? 'no error recorded'}`);
  }
  return section('Data freshness', lines.join('\n'));
}

export function formatReportTable(r: ReconciliationReport): string {
  const out: string[] = [`Reconciliation report: ${r.district}, as of ${r.asOf} (generated ${r.generatedAt})`];
  const filters = [r.filters.rule && `rule ${r.filters.rule}`, r.filters.school && `school ${r.filters.school.name}`].filter(Boolean);
  if (filters.length) out.push(`Filtered to ${filters.join(', ')}`);
  out.push(`\n${formatFreshness(r)}`);
  if (!r.everSynced) {
    out.push(`\n${NEVER_SYNCED}`);
    return out.join('\n');
  }

  const t = r.totals;
  out.push(section(`\nOpen discrepancies: ${t.open}${t.suppressed ? ` (${t.suppressed} more suppressed)` : ''}`,
    renderTable(['rule', ...SEVERITY_COLUMNS], [...t.byRule.map((x) => [x.rule, ...severityCells(x)]), ['total', ...severityCells(t.bySeverity)]])));
  if (t.bySchool.length) {
    out.push(section('\nBy school', renderTable(['school', ...SEVERITY_COLUMNS], t.bySchool.map((x) => [x.school ?? '(no school)', ...severityCells(x)]))));
  }

  const c = r.coverage;
  const grades = c.grades.length ? `grades ${c.grades.join(', ')}` : 'no 1:1 grades configured';
  out.push(section(`\nCoverage: ${c.covered} of ${c.eligible} active students in 1:1 grades hold a working device (${percent(c.percent)}; ${grades})`,
    renderTable(['school', 'eligible', 'covered', 'coverage'], c.bySchool.map((x) => [x.school ?? '(no school)', x.eligible, x.covered, percent(x.percent)]))));

  out.push(section('\nDevices per active student', renderTable(['devices', 'students'], r.devicesPerStudent.map((x) => [x.devices, x.students]))));

  const aue = r.aueHorizon;
  out.push(section('\nUpdate expiry (AUE) of active devices', renderTable(['quarter', 'devices'], [
    ['expired', aue.expired], ...aue.quarters.map((q) => [q.quarter, q.devices]), ['none reported', aue.unknown],
  ])));

  out.push(section('\nSilent devices (days since any MDM last heard from them)',
    renderTable(['days', 'devices', 'assigned'], r.silentDevices.map((x) => [x.range, x.devices, x.assigned]))));

  // Grouped by rule, so each group's "what to do" is said once rather than on every line.
  const groups = new Map<string, ReportRow[]>();
  for (const row of r.discrepancies) groups.set(row.rule, [...(groups.get(row.rule) ?? []), row]);
  for (const [rule, list] of groups) {
    const title = ruleByCode(rule)?.title ?? rule;
    out.push(section(`\n${rule}: ${title} (${list.length})\nWhat to do: ${list[0]!.remediation}`,
      renderTable(['severity', 'serial', 'asset tag', 'person', 'sis id', 'school', 'since', 'note'], list.map((x) => [
        x.severity, x.serial ?? '-', x.assetTag ?? '-', person(x), x.person?.sisId ?? '-', x.school ?? '-', day(x.since), x.note,
      ]))));
  }
  if (r.discrepancies.length === 0) out.push('\nNo open discrepancies.');
  return out.join('\n');
}

const CSV_HEADER = ['id', 'severity', 'rule', 'serial', 'asset_tag', 'person', 'sis_id', 'mdm_user', 'school', 'since', 'occurrence', 'note', 'remediation'];

/**
 * One RFC 4180 field: quoted when it holds a comma, quote, line break or edge space. A field a spreadsheet
 * would run as a formula (=, +, -, @ first) gets a leading apostrophe: names come from the SIS, not from us.
 */
export function csvField(v: string | number | null): string {
  if (v === null) return '';
  let s = String(v);
  if (typeof v === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]|^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function formatReportCsv(r: ReconciliationReport): string {
  const lines = r.discrepancies.map((x) => [
    x.id, x.severity, x.rule, x.serial, x.assetTag, x.person?.name ?? null, x.person?.sisId ?? null, x.mdmUser, x.school,
    x.since, x.occurrence, x.note, x.remediation,
  ].map(csvField).join(','));
  return [CSV_HEADER.join(','), ...lines].join('\n');
}

export function formatReport(r: ReconciliationReport, format: ReportFormat): string {
  if (format === 'csv') return formatReportCsv(r);
  if (format === 'json') return JSON.stringify(r, null, 2);
  return formatReportTable(r);
}

export async function reportCommand(ctx: CommandContext, values: Record<string, unknown>): Promise<ExitCode> {
  const format = (values.format as string | undefined) ?? 'table';
  if (!(REPORT_FORMATS as readonly string[]).includes(format)) throw new ValidationError(`--format must be one of ${REPORT_FORMATS.join(', ')}, not "${format}"`);
  const report = await withDatabase(ctx.config, (db) => buildReport(db, ctx.config, {
    rule: values.rule as string | undefined,
    school: values.school as string | undefined,
  }));
  ctx.io.out(formatReport(report, format as ReportFormat));
  // Every format exits 1 on a ledger that never synced: an empty report must not pass for a clean one in a script.
  if (!report.everSynced) {
    if (format !== 'table') ctx.io.err(NEVER_SYNCED);
    return EXIT.failure;
  }
  return EXIT.ok;
}
