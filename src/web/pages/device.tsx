/**
 * One device: what it is, who holds it, what each MDM says about it, and one timeline of observations,
 * assignments and ledger events, newest first.
 */
import { allows } from '../../api/auth/tokens.js';
import { END_REASONS } from '../../ledger/manual-assignments.js';
import type { DeviceDetail } from '../../read/devices.js';
import { Sev, When } from '../components.js';
import { Csrf, Layout } from '../layout.js';
import type { Session } from '../session.js';
import type { Child } from 'hono/jsx';

interface Entry {
  at: string;
  what: Child;
}

function timeline(d: DeviceDetail): Entry[] {
  const out: Entry[] = [];
  for (const o of d.observations) {
    out.push({ at: o.firstSeenAt, what: <>First reported by <strong>{o.sourceId}</strong> ({o.status})</> });
    if (o.lastSyncAt) out.push({ at: o.lastSyncAt, what: <>Last checked in with <strong>{o.sourceId}</strong>{o.userEmail ? <> as {o.userEmail}</> : ''}</> });
    if (o.deactivatedAt) out.push({ at: o.deactivatedAt, what: <>No longer reported by <strong>{o.sourceId}</strong></> });
  }
  for (const a of d.assignments) {
    out.push({ at: a.startedAt, what: <>Assigned to <a href={`/people/${a.personId}`}>{a.name ?? a.email ?? `person ${a.personId}`}</a> ({a.origin}{a.sourceId ? `, ${a.sourceId}` : ''})</> });
    if (a.endedAt) out.push({ at: a.endedAt, what: <>Returned by <a href={`/people/${a.personId}`}>{a.name ?? a.email ?? `person ${a.personId}`}</a>{a.endedReason ? ` (${a.endedReason})` : ''}</> });
  }
  for (const h of d.history) {
    out.push({ at: h.at, what: <>{h.entity} {h.action} by {h.actor}{h.runId ? <> in <a href={`/runs`}>run #{h.runId}</a></> : ''}</> });
  }
  return out.sort((a, b) => b.at.localeCompare(a.at));
}

/** Check-out (no holder) or check-in (a holder) for a write token; nothing for read. */
function Custody({ d, csrf, canWrite }: { d: DeviceDetail; csrf: string; canWrite: boolean }) {
  if (!canWrite) return null;
  if (d.holder) {
    return (
      <form class="filters" method="post" action={`/assignments/${d.holder.assignmentId}/end`} aria-label="Check the device in">
        <Csrf value={csrf} />
        <input type="hidden" name="serial" value={d.serial} />
        <div class="field"><label for="ci-reason">Check in: why</label>
          <select id="ci-reason" name="reason">{END_REASONS.map((r) => <option value={r}>{r}</option>)}</select>
        </div>
        <div class="field"><label for="ci-note">Note (optional)</label><input id="ci-note" name="note" maxlength={500} /></div>
        <button type="submit">Check in</button>
      </form>
    );
  }
  if (d.status !== 'active') return null;
  return (
    <form class="filters" method="post" action={`/devices/${encodeURIComponent(d.serial)}/checkout`} aria-label="Check the device out">
      <Csrf value={csrf} />
      <div class="field"><label for="co-person">Check out to (name, email or SIS id)</label><input id="co-person" name="person" required size={32} /></div>
      <div class="field"><label for="co-reason">Reason (optional)</label><input id="co-reason" name="reason" maxlength={200} /></div>
      <button type="submit">Check out</button>
    </form>
  );
}

export function DevicePage({ session, csrf, district, device: d, flash }: { session: Session; csrf: string; district: string; device: DeviceDetail; flash?: string }) {
  const canWrite = allows(session.identity.scope, 'write');
  return (
    <Layout title={`Device ${d.serial}`} session={session} csrf={csrf} district={district}>
      <h1>Device <span data-testid="device-serial">{d.serial}</span></h1>
      <dl class="facts">
        <dt>Asset tag</dt><dd>{d.assetTag ?? '–'}</dd>
        <dt>Model</dt><dd>{[d.manufacturer, d.model].filter(Boolean).join(' ') || '–'} ({d.platform})</dd>
        <dt>Status</dt><dd>{d.status}{d.deactivatedAt && <> since <When at={d.deactivatedAt} /></>}</dd>
        <dt>Held by</dt><dd data-testid="holder">{d.holder ? <><a href={`/people/${d.holder.personId}`}>{d.holder.name ?? d.holder.email}</a> since <When at={d.holder.since} /></> : 'no one'}</dd>
        <dt>Reported by</dt><dd>{d.sources.join(', ') || 'no live source'}</dd>
        <dt>In the ledger</dt><dd><When at={d.firstSeenAt} /> to <When at={d.lastSeenAt} /></dd>
      </dl>
      {flash && <div class="banner ok" role="status">{flash}</div>}
      <Custody d={d} csrf={csrf} canWrite={canWrite} />
      {d.discrepancies.length > 0 && (
        <section aria-labelledby="disc-h">
          <h2 id="disc-h">Open findings</h2>
          <ul>{d.discrepancies.map((x) => <li><Sev s={x.severity} /> {x.rule} ({x.status}) since <When at={x.openedAt} /></li>)}</ul>
        </section>
      )}
      <section aria-labelledby="obs-h">
        <h2 id="obs-h">What each source reports</h2>
        <div class="table-wrap">
          <table>
            <thead><tr><th scope="col">Source</th><th scope="col">Status</th><th scope="col">User</th><th scope="col">Org unit</th><th scope="col">OS</th><th scope="col">Last check-in</th><th scope="col">Update expiry</th><th scope="col">Compliance / boot</th></tr></thead>
            <tbody>
              {d.observations.map((o) => (
                <tr>
                  <th scope="row">{o.sourceId}{o.active ? '' : ' (gone)'}</th><td>{o.status}</td><td>{o.userEmail ?? ''}</td><td>{o.orgUnit ?? ''}</td>
                  <td>{o.osVersion ?? ''}</td><td><When at={o.lastSyncAt} /></td><td>{o.aueDate ?? ''}</td><td>{[o.compliance, o.bootMode].filter(Boolean).join(' · ')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
      <section aria-labelledby="tl-h">
        <h2 id="tl-h">Timeline</h2>
        <ol class="timeline" data-testid="timeline">
          {timeline(d).map((e) => <li><When at={e.at} />: {e.what}</li>)}
        </ol>
      </section>
    </Layout>
  );
}
