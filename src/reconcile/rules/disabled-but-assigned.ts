/** Every MDM that manages the device has it disabled (usually reported lost or stolen), yet someone holds it. */
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { defineRule, listOf } from '../types.js';
import { deviceDetails, deviceSubject, liveObservation } from './sql.js';

export const disabledButAssigned = defineRule({
  code: 'disabled-but-assigned',
  title: 'Disabled device is still assigned',
  remediation: 'If the device was recovered, re-enable it in the MDM; if it is lost, end the assignment and record the loss.',
  severity: 'medium',
  ticket: false,
  options: z.strictObject({}),
  describe: (d) => `disabled in ${listOf(d.sources)}`,
  evaluate: () => sql`
    select ${deviceSubject('d')} as subject_key, d.id as device_id, a.person_id, null::text as severity,
      ${deviceDetails('d')} || jsonb_build_object('sources', x.sources) as details
    from (
      select o.device_id, jsonb_agg(distinct o.source_id order by o.source_id) as sources
      from device_observations o
      where ${liveObservation('o')}
      group by o.device_id
      having bool_and(o.status = 'disabled')
    ) x
    join devices d on d.id = x.device_id
    join assignments a on a.device_id = d.id and a.ended_at is null`,
});
