/** The report's three formats, from a hand-built report: no database. */
import { describe, expect, it } from 'vitest';
import { csvField, formatReport, formatReportCsv, formatReportTable } from '../../src/cli/report.js';
import type { ReconciliationReport, ReportRow } from '../../src/reconcile/report-types.js';

const counts = (o: Partial<Record<'low' | 'medium' | 'high' | 'critical', number>>) => {
  const c = { low: 0, medium: 0, high: 0, critical: 0, ...o };
  return { ...c, total: c.low + c.medium + c.high + c.critical };
};

const row = (o: Partial<ReportRow>): ReportRow => ({
  id: 1, rule: 'device-silent', severity: 'medium', occurrence: 1, serial: 'PF1', assetTag: 'A-1',
  person: { name: 'Ana Ruiz', sisId: '2001' }, mdmUser: null, school: 'Lincoln Elementary', since: '2026-11-02T08:00:00.000Z',
  note: 'silent 61 days (threshold 30)', remediation: 'Contact the holder.', details: { daysSilent: 61 }, ...o,
});

const report: ReconciliationReport = {
  district: 'Maplewood',
  generatedAt: '2026-11-20T12:00:00.000Z',
  asOf: '2026-11-20',
  filters: { rule: null, school: null },
  freshness: [
    { source: 'sis', kind: 'oneroster-csv', lastSuccessAt: '2026-11-20T09:00:00.000Z', ageSeconds: 10800, age: '3 h ago', lastFailure: null },
    { source: 'gam', kind: 'device-csv', lastSuccessAt: '2026-11-18T05:00:00.000Z', ageSeconds: 198000, age: '2 days ago', lastFailure: { at: '2026-11-20T05:00:02.000Z', error: '[incomplete_read] page 3 failed' } },
  ],
  everSynced: true,
  totals: {
    open: 3, suppressed: 1, bySeverity: counts({ medium: 2, high: 1 }),
    byRule: [
      { rule: 'device-silent', title: 'Assigned device has not synced recently', ...counts({ medium: 1 }) },
      { rule: 'unknown-user', title: 'MDM user matches no one in the SIS', ...counts({ medium: 1 }) },
      { rule: 'dev-mode', title: 'Chromebook is in developer mode', ...counts({ high: 1 }) },
    ],
    bySchool: [{ school: 'Lincoln Elementary', ...counts({ medium: 1, high: 1 }) }, { school: null, ...counts({ medium: 1 }) }],
  },
  coverage: { grades: ['03', '04'], eligible: 3, covered: 2, percent: 66.7, bySchool: [{ school: 'Lincoln Elementary', eligible: 3, covered: 2, percent: 66.7 }] },
  devicesPerStudent: [{ devices: '0', students: 1 }, { devices: '1', students: 2 }, { devices: '2', students: 0 }, { devices: '3+', students: 0 }],
  aueHorizon: { expired: 2, quarters: [{ quarter: '2027-Q1', devices: 4 }], unknown: 1 },
  silentDevices: [{ range: '30-60', devices: 1, assigned: 1 }, { range: '60-90', devices: 0, assigned: 0 }, { range: '90+', devices: 3, assigned: 0 }],
  discrepancies: [
    row({ id: 7, rule: 'dev-mode', severity: 'high', note: 'developer mode (gam)', remediation: 'Powerwash it.', person: { name: "O'Neil, Sam \"Jr\"", sisId: '=2+2' } }),
    row({ id: 8 }),
    row({ id: 9, rule: 'unknown-user', person: null, mdmUser: 'zed@x.org', school: null, serial: 'PF9', assetTag: null, note: 'user unknown to the SIS (gam)', remediation: 'Fix the user,\nor add them.' }),
  ],
};

describe('report formats', () => {
  it('renders every section of the table, discrepancies grouped by rule with what to do', () => {
    const out = formatReportTable(report);
    expect(out.split('\n')[0]).toBe('Reconciliation report: Maplewood, as of 2026-11-20 (generated 2026-11-20T12:00:00.000Z)');
    expect(out).toContain('Open discrepancies: 3 (1 more suppressed)');
    expect(out).toMatch(/^total\s+0\s+1\s+2\s+0\s+3$/m);
    expect(out).toMatch(/^\(no school\)\s+0\s+0\s+1\s+0\s+1$/m);
    expect(out).toContain('Coverage: 2 of 3 active students in 1:1 grades hold a working device (66.7%; grades 03, 04)');
    expect(out).toMatch(/^expired\s+2$/m);
    expect(out).toMatch(/^2027-Q1\s+4$/m);
    expect(out).toMatch(/^none reported\s+1$/m);
    expect(out).toMatch(/^90\+\s+3\s+0$/m);
    expect(out).toContain('dev-mode: Chromebook is in developer mode (1)\nWhat to do: Powerwash it.');
    expect(out).toMatch(/^medium\s+PF1\s+A-1\s+Ana Ruiz\s+2001\s+Lincoln Elementary\s+2026-11-02\s+silent 61 days \(threshold 30\)$/m);
    expect(out).toMatch(/^medium\s+PF9\s+-\s+zed@x\.org \(MDM user\)\s+-\s+-\s+2026-11-02/m);
    expect(out).not.toContain('Filtered to');
  });

  it('opens with data freshness, and a failure since the last success', () => {
    const lines = formatReportTable(report).split('\n');
    expect(lines.slice(1, 7)).toEqual([
      '',
      'Data freshness',
      'source  kind           last successful sync      age',
      'sis     oneroster-csv  2026-11-20T09:00:00.000Z  3 h ago',
      'gam     device-csv     2026-11-18T05:00:00.000Z  2 days ago',
      'gam: a later run failed at 2026-11-20T05:00:02.000Z: [incomplete_read] page 3 failed',
    ]);
  });

  it('says plainly when the ledger never synced, and stops there', () => {
    const never = formatReportTable({
      ...report, everSynced: false,
      freshness: [{ source: 'sis', kind: 'oneroster-csv', lastSuccessAt: null, ageSeconds: null, age: null, lastFailure: { at: '2026-11-20T05:00:00.000Z', error: '[source_format] no manifest.csv' } }],
    });
    expect(never).toMatch(/^sis\s+oneroster-csv\s+never\s+-$/m);
    expect(never).toContain('sis: the last run failed at 2026-11-20T05:00:00.000Z: [source_format] no manifest.csv');
    expect(never).toContain('This ledger has never synced: no source has a successful run yet');
    expect(never).not.toContain('Open discrepancies');
  });

  it('names the filters and says when nothing is open', () => {
    const out = formatReportTable({ ...report, filters: { rule: 'dev-mode', school: { externalId: 'lin', name: 'Lincoln Elementary' } }, discrepancies: [] });
    expect(out).toContain('Filtered to rule dev-mode, school Lincoln Elementary');
    expect(out).toContain('No open discrepancies.');
  });

  it('writes the open discrepancies as CSV with RFC 4180 quoting and no formula injection', () => {
    const lines = formatReportCsv(report).split('\n');
    expect(lines[0]).toBe('id,severity,rule,serial,asset_tag,person,sis_id,mdm_user,school,since,occurrence,note,remediation');
    expect(lines[1]).toBe(`7,high,dev-mode,PF1,A-1,"O'Neil, Sam ""Jr""",'=2+2,,Lincoln Elementary,2026-11-02T08:00:00.000Z,1,developer mode (gam),Powerwash it.`);
    expect(lines[3]).toBe('9,medium,unknown-user,PF9,,,,zed@x.org,,2026-11-02T08:00:00.000Z,1,user unknown to the SIS (gam),"Fix the user,');
    expect(lines[4]).toBe('or add them."');
    expect(lines).toHaveLength(5);
  });

  it('quotes only what needs it', () => {
    expect(csvField(null)).toBe('');
    expect(csvField(12)).toBe('12');
    expect(csvField('plain')).toBe('plain');
    expect(csvField(' lead')).toBe('" lead"');
    expect(csvField('a\r\nb')).toBe('"a\r\nb"');
    expect(csvField('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvField('-1')).toBe("'-1");
  });

  it('writes the whole object as JSON', () => {
    expect(JSON.parse(formatReport(report, 'json'))).toEqual(report);
    expect(formatReport(report, 'csv')).toBe(formatReportCsv(report));
    expect(formatReport(report, 'table')).toBe(formatReportTable(report));
  });
});
