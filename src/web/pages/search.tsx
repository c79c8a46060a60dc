/** Search across serial, asset tag, name and email: devices and people side by side. */
import type { DeviceSummary } from '../../read/devices.js';
import type { PersonSummary } from '../../read/people.js';
import { Layout } from '../layout.js';
import type { Session } from '../session.js';

export function SearchPage({ session, csrf, district, q, devices, people, more }: { session: Session; csrf: string; district: string; q: string; devices: DeviceSummary[]; people: PersonSummary[]; more: { devices: boolean; people: boolean } }) {
  return (
    <Layout title={q ? `Search: ${q}` : 'Search'} nav="search" session={session} csrf={csrf} district={district} q={q}>
      <h1>Search</h1>
      {!q ? <p>Type a serial, asset tag, name or email in the search box.</p> : (
        <>
          <h2>Devices ({devices.length}{more.devices ? '+' : ''})</h2>
          {devices.length === 0 ? <p>No device matches “{q}”.</p> : (
            <div class="table-wrap">
              <table data-testid="device-results">
                <thead><tr><th scope="col">Serial</th><th scope="col">Asset tag</th><th scope="col">Model</th><th scope="col">Status</th><th scope="col">Held by</th></tr></thead>
                <tbody>{devices.map((d) => (
                  <tr><th scope="row"><a href={`/devices/${encodeURIComponent(d.serial)}`}>{d.serial}</a></th><td>{d.assetTag ?? ''}</td><td>{d.model ?? ''}</td><td>{d.status}</td>
                    <td>{d.holder ? <a href={`/people/${d.holder.personId}`}>{d.holder.name ?? d.holder.email}</a> : ''}</td></tr>
                ))}</tbody>
              </table>
            </div>
          )}
          <h2>People ({people.length}{more.people ? '+' : ''})</h2>
          {people.length === 0 ? <p>No person matches “{q}”.</p> : (
            <div class="table-wrap">
              <table data-testid="person-results">
                <thead><tr><th scope="col">Name</th><th scope="col">Role</th><th scope="col">School</th><th scope="col">Email</th><th scope="col" class="num">Devices held</th></tr></thead>
                <tbody>{people.map((p) => (
                  <tr><th scope="row"><a href={`/people/${p.id}`}>{p.name ?? p.externalId}</a></th><td>{p.role}{p.grades.length ? ` (${p.grades.join(', ')})` : ''}</td><td>{p.school ?? ''}</td><td>{p.email ?? ''}</td><td class="num">{p.devicesHeld}</td></tr>
                ))}</tbody>
              </table>
            </div>
          )}
          {(more.devices || more.people) && <p class="muted">Only the first 25 of each are shown: narrow the search.</p>}
        </>
      )}
    </Layout>
  );
}
