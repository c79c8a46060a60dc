/**
 * Time travel: who held a device, and what a person held, at a past moment, answered from assignment history
 * (an assignment covers [started_at, ended_at)). Rows are never deleted, so the history is complete from the
 * first sync on; before that the answer is "no one".
 */
import { sql } from 'drizzle-orm';
import { preparedRows, type Executor } from '../db/client.js';
import { NotFoundError } from '../errors.js';
import { findDeviceId, toAssignmentRef, type AssignmentRef } from './devices.js';
import { heldColumns, toHeldDevice, type HeldDevice } from './people.js';
import { personName } from './shared.js';

export async function holderAt(db: Executor, serial: string, at: Date): Promise<{ serial: string; at: string; holder: AssignmentRef | null }> {
  const device = await findDeviceId(db, serial);
  // Latest-started first: were two ever open at once (before the one-open index existed), the newer one wins.
  const [a] = await preparedRows<Record<string, unknown>>(db, sql`
    select a.id, a.person_id, ${personName('p')} as name, p.email, a.origin, a.source_id, a.started_at, a.ended_at, a.ended_reason
    from assignments a join people p on p.id = a.person_id
    where a.device_id = ${device.id} and a.started_at <= ${at.toISOString()}::timestamptz
      and (a.ended_at is null or a.ended_at > ${at.toISOString()}::timestamptz)
    order by a.started_at desc, a.id desc limit 1`);
  return { serial: device.serial, at: at.toISOString(), holder: a ? toAssignmentRef(a) : null };
}

export async function devicesHeldAt(db: Executor, personId: number, at: Date): Promise<{ personId: number; at: string; devices: HeldDevice[] }> {
  const [p] = await preparedRows<{ id: number }>(db, sql`select id from people where id = ${personId}`);
  if (!p) throw new NotFoundError(`no person with id ${personId}`, { personId });
  const held = await preparedRows<Record<string, unknown>>(db, sql`
    select ${heldColumns} from assignments a join devices d on d.id = a.device_id
    where a.person_id = ${personId} and a.started_at <= ${at.toISOString()}::timestamptz
      and (a.ended_at is null or a.ended_at > ${at.toISOString()}::timestamptz)
    order by a.started_at, a.id`);
  return { personId, at: at.toISOString(), devices: held.map(toHeldDevice) };
}
