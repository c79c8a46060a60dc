/** An inactive person (withdrawn, left, account disabled) still holds a device: recover it. */
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { defineRule } from '../types.js';
import { deviceDetails, deviceSubject } from './sql.js';

export const withdrawnWithDevice = defineRule({
  code: 'withdrawn-with-device',
  title: 'Inactive person still holds a device',
  remediation: 'Recover the device from the person who left (or check it in if already returned), then end the assignment.',
  severity: 'high',
  ticket: true,
  options: z.strictObject({}),
  describe: (d) => `holder is inactive in the SIS (${String(d.origin)} assignment)`,
  evaluate: () => sql`
    select ${deviceSubject('d')} as subject_key, d.id as device_id, p.id as person_id, null::text as severity,
      ${deviceDetails('d')} || jsonb_build_object('sisId', p.sis_id, 'school', p.school_external_id, 'origin', a.origin) as details
    from assignments a
    join people p on p.id = a.person_id
    join devices d on d.id = a.device_id
    where a.ended_at is null and p.status = 'inactive'`,
});
