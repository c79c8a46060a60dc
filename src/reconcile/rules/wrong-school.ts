/**
 * A device's org unit says one school and its holder's SIS school says another (a transfer, or a rollover
 * that moved the student but not the device). The org unit maps to a school by the longest matching path
 * prefix in reconcile.ouSchoolMap; an unmapped org unit or a holder without a school says nothing.
 */
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { defineRule } from '../types.js';
import { deviceDetails, deviceSubject, liveObservation, textArray } from './sql.js';

export const wrongSchool = defineRule({
  code: 'wrong-school',
  title: "Device's org unit is at a different school than its holder",
  remediation: "Move the device to the holder's school org unit in the MDM (or reassign it if it should stay).",
  severity: 'medium',
  ticket: false,
  options: z.strictObject({}),
  describe: (d) => `OU ${String(d.orgUnit)} is school ${String(d.ouSchool)}; holder is at ${String(d.holderSchool)}`,
  evaluate: (_opts, ctx) => {
    const map = Object.entries(ctx.reconcile.ouSchoolMap);
    return sql`
      with m as (
        select rtrim(u.prefix, '/') as prefix, u.school
        from unnest(${textArray(map.map(([k]) => k))}, ${textArray(map.map(([, v]) => v))}) as u(prefix, school)
      ),
      ou as (
        -- Path prefixes match whole segments: /Students/Lincoln covers /Students/Lincoln/5th, not /Students/Lincolnwood.
        select distinct on (o.device_id) o.device_id, o.org_unit, m.school
        from device_observations o
        join m on o.org_unit = m.prefix or left(o.org_unit, length(m.prefix) + 1) = m.prefix || '/'
        where ${liveObservation('o')}
        order by o.device_id, o.last_sync_at desc nulls last, length(m.prefix) desc
      )
      select ${deviceSubject('d')} as subject_key, d.id as device_id, p.id as person_id, null::text as severity,
        ${deviceDetails('d')} || jsonb_build_object('orgUnit', ou.org_unit, 'ouSchool', ou.school,
          'holderSchool', coalesce(s.external_id, p.school_external_id), 'sisId', p.sis_id) as details
      from ou
      join assignments a on a.device_id = ou.device_id and a.ended_at is null
      join people p on p.id = a.person_id
      join devices d on d.id = ou.device_id
      left join orgs s on s.id = p.school_id
      where (p.school_id is not null or p.school_external_id is not null)
        and not coalesce(ou.school in (s.external_id, s.identifier, p.school_external_id), false)`;
  },
});
