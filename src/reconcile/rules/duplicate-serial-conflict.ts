/**
 * Two MDMs report the same serial with different users (case-insensitive): one of them is wrong about who
 * holds the device, and the ledger's holder follows whichever synced last. Details name the sources and the
 * people the users matched, never the emails.
 */
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { defineRule, listOf } from '../types.js';
import { deviceDetails, deviceSubject } from './sql.js';

export const duplicateSerialConflict = defineRule({
  code: 'duplicate-serial-conflict',
  title: 'MDMs disagree on who holds the device',
  remediation: 'Find out who actually has the device and correct the user in the MDM that is wrong.',
  severity: 'high',
  ticket: true,
  options: z.strictObject({}),
  describe: (d) => `different users in ${listOf(d.sources)}`,
  evaluate: (_opts, ctx) => sql`
    with c as (
      select u.device_id,
        jsonb_agg(distinct u.source_id order by u.source_id) as sources,
        coalesce(jsonb_agg(distinct u.person_id order by u.person_id) filter (where u.person_id is not null), '[]'::jsonb) as person_ids
      from ${ctx.observationUsers} u
      join device_observations o on o.id = u.obs_id
      where o.user_email is not null
      group by u.device_id
      having count(distinct u.email) >= 2 and count(distinct u.source_id) >= 2
    )
    select ${deviceSubject('d')} as subject_key, d.id as device_id, a.person_id, null::text as severity,
      ${deviceDetails('d')} || jsonb_build_object('sources', c.sources, 'personIds', c.person_ids) as details
    from c
    join devices d on d.id = c.device_id
    left join assignments a on a.device_id = d.id and a.ended_at is null`,
});
