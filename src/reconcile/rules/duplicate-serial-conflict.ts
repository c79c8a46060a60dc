/**
 * Two MDMs report the same serial with different users (case-insensitive): one of them is wrong about who
 * holds the device, and the ledger's holder follows whichever synced last. Details name the sources and the
 * people the users matched, never the emails.
 */
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { defineRule, listOf } from '../types.js';
import { deviceDetails, deviceSubject, liveObservation, observationUsers } from './sql.js';

export const duplicateSerialConflict = defineRule({
  code: 'duplicate-serial-conflict',
  title: 'MDMs disagree on who holds the device',
  remediation: 'Find out who actually has the device and correct the user in the MDM that is wrong.',
  severity: 'high',
  ticket: true,
  options: z.strictObject({}),
  describe: (d) => `different users in ${listOf(d.sources)}`,
  evaluate: (_opts, ctx) => sql`
    -- Matching users is the costly part: only devices that two sources report with a user can conflict.
    with u as (${observationUsers(ctx.district.domains, sql`o.user_email is not null and o.device_id in (
      select o2.device_id from device_observations o2
      where ${liveObservation('o2')} and o2.user_email is not null
      group by o2.device_id having count(distinct o2.source_id) >= 2)`)}),
    c as (
      -- u already holds only live observations with an MDM user (lower-cased in u.email).
      select u.device_id,
        jsonb_agg(distinct u.source_id order by u.source_id) as sources,
        coalesce(jsonb_agg(distinct u.person_id order by u.person_id) filter (where u.person_id is not null), '[]'::jsonb) as person_ids
      from u
      group by u.device_id
      having count(distinct u.email) >= 2 and count(distinct u.source_id) >= 2
    )
    select ${deviceSubject('d')} as subject_key, d.id as device_id, a.person_id, null::text as severity,
      ${deviceDetails('d')} || jsonb_build_object('sources', c.sources, 'personIds', c.person_ids) as details
    from c
    join devices d on d.id = c.device_id
    left join assignments a on a.device_id = d.id and a.ended_at is null`,
});
