/** Check-out found several people for what was typed: pick one (a form per person, no script needed). */
import type { PersonSummary } from '../../read/people.js';
import { PostButton } from '../components.js';
import { Layout } from '../layout.js';
import type { Session } from '../session.js';

export function ChoosePersonPage({ session, csrf, district, serial, typed, people, reason }: { session: Session; csrf: string; district: string; serial: string; typed: string; people: PersonSummary[]; reason: string }) {
  return (
    <Layout title={`Check out ${serial}`} session={session} csrf={csrf} district={district}>
      <h1>Check out {serial}: who?</h1>
      <p>{people.length} active people match “{typed}”. Choose one, or <a href={`/devices/${encodeURIComponent(serial)}`}>go back</a> and type more.</p>
      <div class="table-wrap">
        <table>
          <thead><tr><th scope="col">Name</th><th scope="col">Role</th><th scope="col">School</th><th scope="col">Email</th><th scope="col" class="num">Devices held</th><th scope="col">Action</th></tr></thead>
          <tbody>{people.map((p) => (
            <tr><th scope="row">{p.name ?? p.externalId}</th><td>{p.role}{p.grades.length ? ` (${p.grades.join(', ')})` : ''}</td><td>{p.school ?? ''}</td><td>{p.email ?? ''}</td><td class="num">{p.devicesHeld}</td>
              <td><PostButton action={`/devices/${encodeURIComponent(serial)}/checkout`} csrf={csrf} label={`Check out to ${p.name ?? p.externalId}`} fields={{ personId: String(p.id), reason }} /></td></tr>
          ))}</tbody>
        </table>
      </div>
    </Layout>
  );
}
