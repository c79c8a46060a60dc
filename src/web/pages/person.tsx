/** One person: who they are in the SIS, the devices they hold now and held before, findings and history. */
import type { HeldDevice, PersonDetail } from '../../read/people.js';
import { Sev, When } from '../components.js';
import { Layout } from '../layout.js';
import type { Session } from '../session.js';

function Devices({ list, caption, now }: { list: HeldDevice[]; caption: string; now: boolean }) {
  return (
    <div class="table-wrap">
      <table data-testid={now ? 'devices-now' : 'devices-before'}>
        <caption>{caption}</caption>
        <thead><tr><th scope="col">Serial</th><th scope="col">Asset tag</th><th scope="col">Model</th><th scope="col">How</th><th scope="col">From</th>{!now && <th scope="col">To</th>}{!now && <th scope="col">Why</th>}</tr></thead>
        <tbody>
          {list.map((d) => (
            <tr>
              <th scope="row"><a href={`/devices/${encodeURIComponent(d.serial)}`}>{d.serial}</a></th><td>{d.assetTag ?? ''}</td><td>{d.model ?? ''} ({d.platform})</td>
              <td>{d.origin}</td><td><When at={d.startedAt} /></td>{!now && <td><When at={d.endedAt} /></td>}{!now && <td>{d.endedReason ?? ''}</td>}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function PersonPage({ session, csrf, district, person: p }: { session: Session; csrf: string; district: string; person: PersonDetail }) {
  return (
    <Layout title={p.name ?? `Person ${p.id}`} session={session} csrf={csrf} district={district}>
      <h1>{p.name ?? `Person ${p.id}`}</h1>
      <dl class="facts">
        <dt>Role</dt><dd>{p.role}{p.grades.length ? `, grade ${p.grades.join(', ')}` : ''}</dd>
        <dt>School</dt><dd>{p.school ?? '–'}</dd>
        <dt>Status</dt><dd>{p.status}{p.deactivatedAt && <> since <When at={p.deactivatedAt} /></>}</dd>
        <dt>Email</dt><dd>{p.email ?? '–'}</dd>
        <dt>SIS id</dt><dd>{p.sisId ?? '–'} <span class="muted">({p.sourceId}: {p.externalId})</span></dd>
      </dl>
      <h2>Devices held now</h2>
      {p.devicesNow.length === 0 ? <p>None.</p> : <Devices list={p.devicesNow} caption="Held now" now />}
      <h2>Devices held before</h2>
      {p.devicesBefore.length === 0 ? <p>None.</p> : <Devices list={p.devicesBefore} caption="Returned or ended" now={false} />}
      {p.discrepancies.length > 0 && (
        <>
          <h2>Open findings</h2>
          <ul>{p.discrepancies.map((x) => <li><Sev s={x.severity} /> {x.rule} ({x.status}) since <When at={x.openedAt} /></li>)}</ul>
        </>
      )}
      <h2>History</h2>
      {p.history.length === 0 ? <p class="muted">No recorded changes.</p> : (
        <ol class="timeline">{p.history.map((h) => <li><When at={h.at} />: {h.entity} {h.action} by {h.actor}{h.runId ? ` in run #${h.runId}` : ''}</li>)}</ol>
      )}
    </Layout>
  );
}
