/**
 * A ChromeOS device past its Auto Update Expiration (no more security updates) or nearing it. One finding per
 * device from its earliest reported AUE. Severity: expired = high, within `mediumWithinDays` = medium, otherwise
 * inside the warning window = low. Spares and carts count: an expired spare should not be handed out.
 */
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { defineRule } from '../types.js';
import { asOfDate, deviceDetails, deviceSubject, liveObservation } from './sql.js';

export const pastAue = defineRule({
  code: 'past-aue',
  title: 'Device past or near its update expiration (AUE)',
  remediation: 'Plan the replacement: retire expired devices from student use and budget for those expiring soon.',
  severity: 'high',
  ticket: false,
  options: z.strictObject({
    /** Overrides reconcile.aueWarningDays for this rule. */
    warningDays: z.number().int().min(0).optional(),
    mediumWithinDays: z.number().int().min(0).default(90),
  }),
  volatileDetails: ['daysLeft'],
  describe: (d) => (d.state === 'expired' ? `updates ended ${String(d.aueDate)}` : `updates end ${String(d.aueDate)} (in ${String(d.daysLeft)} days)`),
  evaluate: (opts, ctx) => {
    const warning = opts.warningDays ?? ctx.reconcile.aueWarningDays;
    return sql`
      select ${deviceSubject('d')} as subject_key, d.id as device_id, a.person_id,
        case when x.days_left < 0 then 'high' when x.days_left <= ${opts.mediumWithinDays}::int then 'medium' else 'low' end as severity,
        ${deviceDetails('d')} || jsonb_build_object('aueDate', to_char(e.aue_date, 'YYYY-MM-DD'),
          'state', case when x.days_left < 0 then 'expired' else 'warning' end, 'daysLeft', x.days_left) as details
      from (
        select o.device_id, min(o.aue_date) as aue_date from device_observations o
        where ${liveObservation('o')} and o.aue_date is not null group by o.device_id
      ) e
      join devices d on d.id = e.device_id
      left join assignments a on a.device_id = d.id and a.ended_at is null
      cross join lateral (select (e.aue_date - ${asOfDate(ctx)})::int as days_left) x
      where d.status = 'active' and x.days_left <= ${warning}::int`;
  },
});
