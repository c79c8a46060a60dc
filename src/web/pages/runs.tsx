/** The runs page: the newest sync runs, their outcome and what each stream read, created, changed and ended. */
import { allows } from '../../api/auth/tokens.js';
import { PostButton, Status, When, fmt } from '../components.js';
import { Layout } from '../layout.js';
import type { RunSummary } from '../../read/runs.js';
import type { Session } from '../session.js';

type Counts = Partial<Record<'read' | 'created' | 'updated' | 'deactivated' | 'reactivated' | 'rejected' | 'kept' | 'warnings' | 'held', number>>;

export function RunsPage(p: { session: Session; csrf: string; district: string; runs: RunSummary[]; held: Set<number>; source: string; sources: string[]; now: Date; older: string | null }) {
  const isAdmin = allows(p.session.identity.scope, 'admin');
  return (
    <Layout title="Runs" nav="runs" session={p.session} csrf={p.csrf} district={p.district}>
      <h1>Sync runs</h1>
      <form class="filters" method="get" action="/runs">
        <div class="field"><label for="r-source">Source</label>
          <select id="r-source" name="source">
            <option value="">All sources</option>
            {p.sources.map((s) => <option value={s} selected={s === p.source}>{s}</option>)}
          </select>
        </div>
        <button type="submit">Show</button>
      </form>
      {p.runs.length === 0 ? <p>No runs yet.</p> : (
        <div class="table-wrap">
          <table data-testid="runs">
            <caption>Runs{p.source ? ` of ${p.source}` : ''}, newest first</caption>
            <thead><tr><th scope="col">Run</th><th scope="col">Source</th><th scope="col">Mode</th><th scope="col">Status</th><th scope="col">Started</th><th scope="col">Streams (read · created · updated · ended · rejected)</th><th scope="col">Notes</th></tr></thead>
            <tbody>
              {p.runs.map((r) => {
                const streams = r.streams as Record<string, Counts>;
                return (
                  <tr>
                    <th scope="row">#{r.id}</th>
                    <td>{r.sourceId}</td>
                    <td>{r.mode}{r.dryRun ? ' (dry run)' : ''}</td>
                    <td><Status s={r.status} /></td>
                    <td><When at={r.startedAt} now={p.now} /></td>
                    <td>{Object.entries(streams).map(([name, c]) => (
                      <div>{name}: {fmt(c.read ?? 0)} · {fmt(c.created ?? 0)} · {fmt(c.updated ?? 0)} · {fmt(c.deactivated ?? 0)} · {fmt(c.rejected ?? 0)}
                        {(c.rejected ?? 0) + (c.kept ?? 0) + (c.warnings ?? 0) > 0 && <> <a href={`/quarantine?run=${r.id}`}>quarantine</a></>}</div>
                    ))}</td>
                    <td>
                      {r.heldReason && <div>{r.heldReason}</div>}
                      {r.error && <div class="status-failed">{r.error}</div>}
                      {p.held.has(r.id) && (isAdmin ? <PostButton action={`/runs/${r.id}/approve`} csrf={p.csrf} label={`Approve run #${r.id}`} /> : <span class="muted">awaiting an admin</span>)}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          {p.older && <p><a href={p.older}>Older runs</a></p>}
        </div>
      )}
    </Layout>
  );
}
