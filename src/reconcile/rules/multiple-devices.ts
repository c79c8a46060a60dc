/** An active student holds more devices than the program allows (an unreturned loaner, a spare annotated twice). */
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { defineRule } from '../types.js';
import { personSubject } from './sql.js';

export const multipleDevices = defineRule({
  code: 'multiple-devices',
  title: 'Student holds more devices than allowed',
  remediation: 'Collect the extra device(s) from the student, or check them in if they were already returned.',
  severity: 'low',
  ticket: false,
  options: z.strictObject({
    maxDevicesPerStudent: z.number().int().min(1).default(1),
  }),
  describe: (d) => `holds ${String(d.count)} devices`,
  evaluate: (opts) => sql`
    select ${personSubject('p')} as subject_key, null::bigint as device_id, p.id as person_id, null::text as severity,
      jsonb_build_object('sisId', p.sis_id, 'school', p.school_external_id, 'count', count(*),
        'serials', jsonb_agg(d.serial order by d.serial)) as details
    from people p
    join assignments a on a.person_id = p.id and a.ended_at is null
    join devices d on d.id = a.device_id
    where p.role = 'student' and p.status = 'active'
    group by p.id, p.source_id, p.external_id, p.sis_id, p.school_external_id
    having count(*) > ${opts.maxDevicesPerStudent}::int`,
});
