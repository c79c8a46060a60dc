/**
 * An MDM names a user (its own, or the first in-district recent user) who matches no person in any roster:
 * a typo, a graduate, a service account. Never guessed (DESIGN §5). Matching is the ledger's own
 * (observationUsers), so this rule fires exactly when no assignment could be made from that observation.
 */
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { defineRule, listOf } from '../types.js';
import { deviceDetails, deviceSubject, textArray } from './sql.js';

export const unknownUser = defineRule({
  code: 'unknown-user',
  title: 'MDM user matches no one in the SIS',
  remediation: "Correct the device's user in the MDM, or add the person to the SIS if they are missing.",
  severity: 'medium',
  ticket: false,
  options: z.strictObject({
    /** Users to leave alone: an exact email (svc-lab@district.org) or a whole domain (@vendor.com). */
    ignoreUsers: z.array(z.string().regex(/^[^\s@]*@[^\s@]+$/, 'expected an email or @domain')).default([]),
  }),
  describe: (d) => `user unknown to the SIS (${listOf(d.sources)})`,
  evaluate: (opts, ctx) => {
    const ignore = opts.ignoreUsers.map((u) => u.toLowerCase());
    return sql`
      select ${deviceSubject('d')} as subject_key, d.id as device_id, a.person_id, null::text as severity,
        ${deviceDetails('d')} || jsonb_build_object('sources', jsonb_agg(distinct u.source_id order by u.source_id)) as details
      from ${ctx.observationUsers} u
      join devices d on d.id = u.device_id
      left join assignments a on a.device_id = d.id and a.ended_at is null
      where u.email is not null and u.person_id is null
        and not (u.email = any(${textArray(ignore)}) or '@' || split_part(u.email, '@', 2) = any(${textArray(ignore)}))
      group by d.id, d.serial, d.asset_tag, a.person_id`;
  },
});
