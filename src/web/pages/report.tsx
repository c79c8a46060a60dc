/**
 * The reconciliation report: filters (school, rule, severity, free text), the charts drawn on the server, and
 * every open finding. The CSV link carries the same filters.
 */
import type { ReplacementBudget } from '../../reconcile/replacement-budget.js';
import type { ReconciliationReport, ReportRow } from '../../reconcile/report-types.js';
import type { SyncAgeBucket } from '../../reconcile/sync-age.js';
import { SEVERITIES } from '../../reconcile/types.js';
import { BarChart, ColumnChart } from '../charts.js';
import { FreshnessBanner, Sev, When, fmt, money, shortMoney } from '../components.js';
import { Layout } from '../layout.js';
import type { Session } from '../session.js';

export interface ReportFilters {
  school: string;
  rule: string;
  severity: string;
  q: string;
}

export interface ReportProps {
  session: Session;
  csrf: string;
  report: ReconciliationReport;
  rows: ReportRow[];
  filters: ReportFilters;
  schools: { externalId: string; name: string }[];
  rules: { code: string; title: string }[];
  budget: ReplacementBudget;
  syncAge: SyncAgeBucket[];
  csvHref: string;
}

export function ReportPage(p: ReportProps) {
  const r = p.report;
  const f = p.filters;
  const costed = p.budget.quarters.some((q) => q.cost > 0);
  return (
    <Layout title="Reconciliation report" nav="report" session={p.session} csrf={p.csrf} district={r.district}>
      <h1>Reconciliation report</h1>
      <p class="muted">{r.district} · rules judged as of {r.asOf} · generated <When at={r.generatedAt} />
        {r.filters.school && <> · school: {r.filters.school.name}</>}{r.filters.rule && <> · rule: {r.filters.rule}</>}</p>
      <FreshnessBanner freshness={r.freshness} everSynced={r.everSynced} />

      <form class="filters" method="get" action="/report" aria-label="Filter the report">
        <div class="field"><label for="f-school">School</label>
          <select id="f-school" name="school">
            <option value="">All schools</option>
            {p.schools.map((s) => <option value={s.externalId} selected={f.school === s.externalId}>{s.name}</option>)}
          </select>
        </div>
        <div class="field"><label for="f-rule">Rule</label>
          <select id="f-rule" name="rule">
            <option value="">All rules</option>
            {p.rules.map((x) => <option value={x.code} selected={f.rule === x.code}>{x.title}</option>)}
          </select>
        </div>
        <div class="field"><label for="f-sev">Severity</label>
          <select id="f-sev" name="severity">
            <option value="">Any severity</option>
            {[...SEVERITIES].reverse().map((s) => <option value={s} selected={f.severity === s}>{s}</option>)}
          </select>
        </div>
        <div class="field"><label for="f-q">Text</label>
          <input id="f-q" name="q" type="search" value={f.q} placeholder="serial, tag, name, note" />
        </div>
        <button type="submit">Apply filters</button>
        <a class="button secondary" href="/report">Clear</a>
        <a class="button secondary" href={p.csvHref} download>Download CSV</a>
      </form>

      <section aria-labelledby="charts-h">
        <h2 id="charts-h">At a glance</h2>
        <div class="charts">
          <BarChart id="chart-rules" title="Open findings by rule"
            desc={`Open findings per rule: ${r.totals.byRule.map((x) => `${x.title} ${x.total}`).join(', ')}.`}
            bars={r.totals.byRule.map((x) => ({ label: x.rule, value: x.total }))} format={fmt} />
          <ColumnChart id="chart-budget" title="Devices reaching update expiry per quarter, with the replacement budget"
            desc={`Devices whose updates end in each quarter and what replacing them costs: ${p.budget.quarters.filter((q) => q.devices > 0).map((q) => `${q.quarter} ${q.devices} devices ${money(q.cost)}`).join(', ') || 'none'}.`}
            bars={p.budget.quarters.map((q) => ({ label: q.quarter, value: q.devices, note: q.devices === 0 ? undefined : shortMoney(q.cost) }))}
            format={fmt} />
          <BarChart id="chart-sync" title="Devices by days since their last sync"
            desc={`Active devices by days since any MDM last heard from them (darker: assigned to someone): ${p.syncAge.map((b) => `${b.range} ${b.devices}`).join(', ')}.`}
            bars={p.syncAge.map((b) => ({ label: b.range, value: b.devices, part: b.assigned, note: `${fmt(b.assigned)} assigned` }))} format={fmt} />
        </div>
        <div class="table-wrap">
          <table data-testid="budget">
            <caption>Replacement budget by quarter {costed ? '' : '(no district.replacementCost configured)'}</caption>
            <thead><tr><th scope="col">Quarter</th><th scope="col" class="num">Devices reaching update expiry</th><th scope="col" class="num">Replacement cost</th><th scope="col" class="num">Unpriced devices</th></tr></thead>
            <tbody>
              {p.budget.quarters.filter((q) => q.devices > 0).map((q) => (
                <tr><th scope="row">{q.quarter === 'expired' ? 'already expired' : q.quarter}</th><td class="num">{fmt(q.devices)}</td><td class="num">{money(q.cost)}</td><td class="num">{q.unpriced ? fmt(q.unpriced) : ''}</td></tr>
              ))}
            </tbody>
            <tfoot><tr><th scope="row">Total</th><td class="num">{fmt(p.budget.total.devices)}</td><td class="num" data-testid="budget-total">{money(p.budget.total.cost)}</td><td class="num">{p.budget.total.unpriced ? fmt(p.budget.total.unpriced) : ''}</td></tr></tfoot>
          </table>
        </div>
      </section>

      <section aria-labelledby="rows-h">
        <h2 id="rows-h">Open findings (<span data-testid="row-count">{fmt(p.rows.length)}</span>{p.rows.length !== r.discrepancies.length ? ` of ${fmt(r.discrepancies.length)}` : ''})</h2>
        {p.rows.length === 0 ? <p>No open finding matches.</p> : (
          <div class="table-wrap">
            <table data-testid="findings">
              <thead>
                <tr><th scope="col">Severity</th><th scope="col">Rule</th><th scope="col">Device</th><th scope="col">Person</th><th scope="col">School</th><th scope="col">Finding</th><th scope="col">Since</th></tr>
              </thead>
              <tbody>
                {p.rows.map((x) => (
                  <tr data-id={x.id}>
                    <td><Sev s={x.severity} /></td>
                    <td>{x.rule}</td>
                    <td>{x.serial && !x.serial.includes(' ') ? <a href={`/devices/${encodeURIComponent(x.serial)}`}>{x.serial}</a> : x.serial}{x.assetTag && <><br /><span class="muted">{x.assetTag}</span></>}</td>
                    <td>{x.person ? <>{x.person.name}{x.person.sisId && <><br /><span class="muted">{x.person.sisId}</span></>}</> : ''}{x.mdmUser && <><br /><span class="muted">MDM: {x.mdmUser}</span></>}</td>
                    <td>{x.school ?? ''}</td>
                    <td>{x.note}<br /><span class="muted">{x.remediation}</span></td>
                    <td>{x.since.slice(0, 10)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </Layout>
  );
}

/** Severity and free-text filters over the report's rows (school and rule are applied by the query). */
export function filterRows(rows: ReportRow[], severity: string, q: string): ReportRow[] {
  const needle = q.trim().toLowerCase();
  return rows.filter((x) => {
    if (severity && x.severity !== severity) return false;
    if (!needle) return true;
    return [x.serial, x.assetTag, x.person?.name, x.person?.sisId, x.mdmUser, x.school, x.note, x.rule]
      .some((v) => typeof v === 'string' && v.toLowerCase().includes(needle));
  });
}
