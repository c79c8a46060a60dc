/**
 * The morning page: is the data current, how many 1:1 students hold a working device per school, what is open
 * by rule and severity, and which runs wait for an admin.
 */
import { allows } from '../../api/auth/tokens.js';
import type { ReconciliationReport } from '../../reconcile/report-types.js';
import { SEVERITIES } from '../../reconcile/types.js';
import { Flash, FreshnessBanner, PostButton, Sev, Status, When, fmt, sourceProblem } from '../components.js';
import { Layout } from '../layout.js';
import type { RunLine } from '../run-status.js';
import type { Session } from '../session.js';

export interface DashboardProps {
  session: Session;
  csrf: string;
  report: ReconciliationReport;
  latest: Map<string, RunLine>;
  held: RunLine[];
  now: Date;
  flash?: { kind: 'ok' | 'bad'; text: string };
}

const sevDesc = [...SEVERITIES].reverse();

export function DashboardPage({ session, csrf, report: r, latest, held, now, flash }: DashboardProps) {
  const isAdmin = allows(session.identity.scope, 'admin');
  return (
    <Layout title="Dashboard" nav="dashboard" session={session} csrf={csrf} district={r.district}>
      <h1>{r.district}</h1>
      <p class="muted">Rules judged as of {r.asOf}; generated <When at={r.generatedAt} />.</p>
      {flash && <Flash kind={flash.kind}>{flash.text}</Flash>}
      <FreshnessBanner freshness={r.freshness} everSynced={r.everSynced} />

      <div class="grid">
        <section class="card" aria-labelledby="cov-h">
          <h2 id="cov-h">1:1 coverage</h2>
          <p><span class="figure" data-testid="coverage-percent">{r.coverage.percent === null ? '–' : `${r.coverage.percent}%`}</span><br />
            <span class="muted"><span data-testid="coverage-covered">{fmt(r.coverage.covered)}</span> of <span data-testid="coverage-eligible">{fmt(r.coverage.eligible)}</span> active students in grades {r.coverage.grades.join(', ') || '(none configured)'} hold a working device</span></p>
          <div class="table-wrap">
            <table data-testid="coverage-by-school">
              <caption>Coverage by school</caption>
              <thead><tr><th scope="col">School</th><th scope="col" class="num">Students</th><th scope="col" class="num">With a working device</th><th scope="col" class="num">Coverage</th></tr></thead>
              <tbody>
                {r.coverage.bySchool.map((s) => (
                  <tr>
                    <th scope="row">{s.school ?? '(no school)'}</th>
                    <td class="num">{fmt(s.eligible)}</td>
                    <td class="num">{fmt(s.covered)}</td>
                    <td class="num">{s.percent === null ? '–' : `${s.percent}%`}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>

        <section class="card" aria-labelledby="open-h">
          <h2 id="open-h">Open discrepancies</h2>
          <p><span class="figure" data-testid="open-total">{fmt(r.totals.open)}</span> <span class="muted">open, {fmt(r.totals.suppressed)} suppressed · <a href="/report">the full report</a></span></p>
          <div class="table-wrap">
            <table data-testid="open-by-rule">
              <caption>By rule and severity</caption>
              <thead>
                <tr><th scope="col">Rule</th>{sevDesc.map((s) => <th scope="col" class="num"><Sev s={s} /></th>)}<th scope="col" class="num">Total</th></tr>
              </thead>
              <tbody>
                {r.totals.byRule.filter((x) => x.total > 0).map((x) => (
                  <tr data-rule={x.rule}>
                    <th scope="row"><a href={`/report?rule=${encodeURIComponent(x.rule)}`}>{x.title}</a></th>
                    {sevDesc.map((s) => <td class="num">{x[s] || ''}</td>)}
                    <td class="num">{fmt(x.total)}</td>
                  </tr>
                ))}
              </tbody>
              <tfoot>
                <tr><th scope="row">All rules</th>{sevDesc.map((s) => <td class="num">{fmt(r.totals.bySeverity[s])}</td>)}<td class="num">{fmt(r.totals.bySeverity.total)}</td></tr>
              </tfoot>
            </table>
          </div>
        </section>
      </div>

      <section aria-labelledby="src-h">
        <h2 id="src-h">Sources</h2>
        <div class="table-wrap">
          <table data-testid="sources">
            <thead><tr><th scope="col">Source</th><th scope="col">Kind</th><th scope="col">Last run</th><th scope="col">Status</th><th scope="col">Last success</th><th scope="col">Health</th></tr></thead>
            <tbody>
              {r.freshness.map((f) => {
                const run = latest.get(f.source);
                const problem = sourceProblem(f);
                return (
                  <tr>
                    <th scope="row">{f.source}</th>
                    <td>{f.kind}</td>
                    <td>{run ? <><a href={`/runs?source=${encodeURIComponent(f.source)}`}>#{run.id}</a> {run.mode}, <When at={run.startedAt} now={now} /></> : <span class="muted">never run</span>}</td>
                    <td>{run ? <Status s={run.status} /> : ''}</td>
                    <td>{f.age ?? <span class="muted">never</span>}</td>
                    <td>{problem ? <span class="status-failed">{problem}</span> : <span class="status-succeeded">current</span>}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      </section>

      <section aria-labelledby="held-h">
        <h2 id="held-h">Held runs awaiting approval</h2>
        {held.length === 0 ? <p class="muted">None: no run is waiting.</p> : (
          <>
            <p>A held run would have deactivated more records than its source's deletion threshold allows. Nothing was
              applied. Approving re-reads the source and applies it only if it still reads exactly the same.</p>
            <div class="table-wrap">
              <table data-testid="held-runs">
                <thead><tr><th scope="col">Run</th><th scope="col">Source</th><th scope="col">Held</th><th scope="col">Why</th><th scope="col">Action</th></tr></thead>
                <tbody>
                  {held.map((h) => (
                    <tr>
                      <th scope="row">#{h.id}</th>
                      <td>{h.sourceId} ({h.mode})</td>
                      <td><When at={h.finishedAt ?? h.startedAt} now={now} /></td>
                      <td>{h.heldReason ?? ''}</td>
                      <td>{isAdmin
                        ? <PostButton action={`/runs/${h.id}/approve`} csrf={csrf} label={`Approve run #${h.id}`} />
                        : <span class="muted">an admin token can approve</span>}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </>
        )}
      </section>
    </Layout>
  );
}
