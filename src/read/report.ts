/**
 * The reconciliation report for the API and pages: buildReport() (rule and school scope every section), then
 * the finding rows narrowed by severity and free text, and the CSV download. The CSV starts with a UTF-8 byte
 * order mark so Excel opens accented names (Álvarez, Nguyễn) as UTF-8 instead of the system code page.
 */
import type { Config } from '../config/index.js';
import type { Database } from '../db/client.js';
import { formatReportCsv } from '../cli/report.js';
import { buildReport, type ReconciliationReport } from '../reconcile/report.js';
import type { Severity } from '../reconcile/types.js';

export interface ReportQuery {
  rule?: string;
  school?: string;
  severity?: Severity;
  /** Free text over serial, asset tag, person name, SIS id, MDM user. */
  q?: string;
  now?: Date;
}

export function filterReportRows(r: ReconciliationReport, q: Pick<ReportQuery, 'severity' | 'q'>): ReconciliationReport {
  const text = q.q?.trim().toLowerCase();
  const compact = text?.replace(/\s/g, '');
  const rows = r.discrepancies.filter((x) => {
    if (q.severity && x.severity !== q.severity) return false;
    if (!text) return true;
    return [x.assetTag, x.person?.name, x.person?.sisId, x.mdmUser].some((v) => v?.toLowerCase().includes(text))
      || (x.serial ?? '').toLowerCase().includes(compact!);
  });
  return { ...r, discrepancies: rows };
}

export async function reconciliationReport(db: Database, config: Config, q: ReportQuery = {}): Promise<ReconciliationReport> {
  const r = await buildReport(db, { reconcile: config.reconcile, district: config.district, sources: config.sources }, { now: q.now, rule: q.rule, school: q.school });
  return filterReportRows(r, q);
}

export const CSV_BOM = '\uFEFF';

export function reportCsv(r: ReconciliationReport): string {
  return `${CSV_BOM}${formatReportCsv(r)}\n`;
}
