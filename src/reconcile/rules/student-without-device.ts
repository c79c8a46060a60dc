/** An active student in a 1:1 grade holds no device. Exempt schools or grades (a K-2 cart school) opt out. */
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { defineRule, listOf } from '../types.js';
import { inSchools, personSubject, textArray } from './sql.js';

export const studentWithoutDevice = defineRule({
  code: 'student-without-device',
  title: 'Student in a 1:1 grade without a device',
  remediation: 'Issue a device to the student, or exempt their school or grade in reconcile.rules.student-without-device.',
  severity: 'medium',
  ticket: false,
  options: z.strictObject({
    /** Schools by org sourcedId or identifier. */
    exemptSchools: z.array(z.string().min(1)).default([]),
    exemptGrades: z.array(z.string().min(1)).default([]),
  }),
  describe: (d) => `grade ${listOf(d.grades)}, no device`,
  evaluate: (opts, ctx) => {
    const grades = ctx.district.oneToOneGrades.filter((g) => !opts.exemptGrades.includes(g));
    return sql`
      select ${personSubject('p')} as subject_key, null::bigint as device_id, p.id as person_id, null::text as severity,
        jsonb_build_object('sisId', p.sis_id, 'school', p.school_external_id, 'grades', to_jsonb(p.grades)) as details
      from people p
      left join orgs s on s.id = p.school_id
      where p.role = 'student' and p.status = 'active'
        and p.grades && ${textArray(grades)}
        and not ${inSchools('p', 's', opts.exemptSchools)}
        and not exists (select 1 from assignments a where a.person_id = p.id and a.ended_at is null)`;
  },
});
