/**
 * The quarantine page: what the latest committed runs (or one run) rejected, kept or warned about, from which
 * file and line, and why. The source's raw record may hold a student's personal data: it is shown only to an
 * admin who asks for it.
 */
import { allows } from '../../api/auth/tokens.js';
import type { QuarantineList } from '../../quarantine/list.js';
import { QUARANTINE_OUTCOMES } from '../../quarantine/list.js';
import { When, fmt } from '../components.js';
import { Layout } from '../layout.js';
import type { Session } from '../session.js';

export interface QuarantineFilters {
  run: string;
  source: string;
  outcome: string;
  raw: boolean;
}

export function QuarantinePage(p: { session: Session; csrf: string; district: string; list: QuarantineList; filters: QuarantineFilters; sources: string[]; rawHref: string }) {
  const isAdmin = allows(p.session.identity.scope, 'admin');
  const f = p.filters;
  return (
    <Layout title="Quarantine" nav="quarantine" session={p.session} csrf={p.csrf} district={p.district}>
      <h1>Quarantine</h1>
      <p class="muted">Records a run could not apply (rejected), could not update and left as they were (kept), or applied
        with a field kept at its stored value (warning). {f.run ? `Run #${f.run}.` : 'The latest committed run of each source.'}</p>
      <form class="filters" method="get" action="/quarantine">
        <div class="field"><label for="q-source">Source</label>
          <select id="q-source" name="source">
            <option value="">All sources</option>
            {p.sources.map((s) => <option value={s} selected={s === f.source}>{s}</option>)}
          </select>
        </div>
        <div class="field"><label for="q-run">Run id</label>
          <input id="q-run" name="run" inputmode="numeric" pattern="[0-9]*" value={f.run} size={6} />
        </div>
        <div class="field"><label for="q-outcome">Outcome</label>
          <select id="q-outcome" name="outcome">
            <option value="">Any</option>
            {QUARANTINE_OUTCOMES.map((o) => <option value={o} selected={o === f.outcome}>{o}</option>)}
          </select>
        </div>
        <button type="submit">Show</button>
      </form>
      <div class="table-wrap">
        <table>
          <caption>Runs</caption>
          <thead><tr><th scope="col">Run</th><th scope="col">Source</th><th scope="col">Status</th><th scope="col">Started</th><th scope="col" class="num">Rejected</th><th scope="col" class="num">Kept</th><th scope="col" class="num">Warnings</th></tr></thead>
          <tbody>
            {p.list.runs.map((r) => (
              <tr><th scope="row"><a href={`/quarantine?run=${r.id}`}>#{r.id}</a></th><td>{r.sourceId}</td><td>{r.status}</td><td><When at={r.startedAt} /></td>
                <td class="num">{fmt(r.counts.rejected)}</td><td class="num">{fmt(r.counts.kept)}</td><td class="num">{fmt(r.counts.warning)}</td></tr>
            ))}
          </tbody>
        </table>
      </div>
      <h2>Records ({fmt(p.list.rows.length)}{p.list.total > p.list.rows.length ? ` of ${fmt(p.list.total)}` : ''})</h2>
      {isAdmin && !f.raw && p.list.rows.length > 0 && <p><a href={p.rawHref}>Show the raw source records</a> <span class="muted">(may hold personal data)</span></p>}
      {p.list.rows.length === 0 ? <p>Nothing in quarantine.</p> : (
        <div class="table-wrap">
          <table data-testid="quarantine">
            <thead><tr><th scope="col">Run</th><th scope="col">Source · stream</th><th scope="col">Outcome</th><th scope="col">Where</th><th scope="col">Record id</th><th scope="col">Field</th><th scope="col">Why</th>{f.raw && <th scope="col">Raw record</th>}</tr></thead>
            <tbody>
              {p.list.rows.map((r) => (
                <tr>
                  <td>#{r.runId}</td><td>{r.sourceId} · {r.stream}</td><td>{r.outcome}</td><td>{r.location ?? ''}</td>
                  <td>{r.externalId ?? ''}</td><td>{r.field ?? ''}</td><td>{r.reason}</td>
                  {f.raw && <td><pre class="raw">{JSON.stringify(r.raw ?? null, null, 1)}</pre></td>}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Layout>
  );
}
