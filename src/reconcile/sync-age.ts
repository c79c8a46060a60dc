/**
 * Active devices by days since any MDM last heard from them (the newest `last_sync_at` of their live
 * observations), judged on the report's as-of date: the whole distribution, where the report's `silentDevices`
 * lists only the silent tail. Devices never heard from are their own bucket.
 */
import { sql } from 'drizzle-orm';
import type { Config } from '../config/index.js';
import { rows, type Database } from '../db/client.js';
import { resolveAsOf } from './as-of.js';
import { liveObservation } from './rules/sql.js';

export const SYNC_AGE_BUCKETS = [
  { range: '0-7 days', from: 0, to: 7 },
  { range: '7-30 days', from: 7, to: 30 },
  { range: '30-60 days', from: 30, to: 60 },
  { range: '60-90 days', from: 60, to: 90 },
  { range: '90+ days', from: 90, to: null },
] as const;

export interface SyncAgeBucket {
  range: string;
  devices: number;
  /** Of them, in someone's hands now. */
  assigned: number;
}

export async function devicesBySyncAge(db: Database, config: Pick<Config, 'reconcile' | 'district'>, opts: { now?: Date; schoolExternalId?: string } = {}): Promise<SyncAgeBucket[]> {
  const asOf = resolveAsOf(config, opts.now ?? new Date());
  const bySchool = opts.schoolExternalId === undefined
    ? sql`true`
    : sql`exists (select 1 from assignments a join people p on p.id = a.person_id join orgs s on s.id = p.school_id
        where a.device_id = d.id and a.ended_at is null and s.external_id = ${opts.schoolExternalId})`;
  const rs = await rows<{ days: number | null; assigned: boolean; n: number }>(db.orm, sql`
    select floor(extract(epoch from (${asOf.at.toISOString()}::timestamptz - l.last)) / 86400)::int as days,
      exists (select 1 from assignments a where a.device_id = d.id and a.ended_at is null) as assigned, count(*)::int as n
    from devices d
    cross join lateral (select max(o.last_sync_at) as last from device_observations o where o.device_id = d.id and ${liveObservation('o')}) l
    where d.status = 'active' and ${bySchool}
    group by 1, 2`);
  const out: SyncAgeBucket[] = SYNC_AGE_BUCKETS.map((b) => {
    // A check-in stamped after the as-of date (a snapshot judged in the past) counts as current.
    const inside = rs.filter((r) => r.days !== null && Math.max(0, Number(r.days)) >= b.from && (b.to === null || Math.max(0, Number(r.days)) < b.to));
    return { range: b.range, devices: inside.reduce((a, r) => a + Number(r.n), 0), assigned: inside.filter((r) => r.assigned).reduce((a, r) => a + Number(r.n), 0) };
  });
  const never = rs.filter((r) => r.days === null);
  out.push({ range: 'never', devices: never.reduce((a, r) => a + Number(r.n), 0), assigned: never.filter((r) => r.assigned).reduce((a, r) => a + Number(r.n), 0) });
  return out;
}
