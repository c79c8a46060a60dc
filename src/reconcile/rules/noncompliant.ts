/** An MDM (Intune) reports the device out of compliance with its policies. */
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { defineRule, listOf } from '../types.js';
import { devicesObserved, liveObservation } from './sql.js';

export const noncompliant = defineRule({
  code: 'noncompliant',
  title: 'Device is not compliant with MDM policy',
  remediation: 'Check the compliance report in the MDM and bring the device back into policy (updates, encryption, sign-in).',
  severity: 'medium',
  ticket: false,
  options: z.strictObject({}),
  describe: (d) => `noncompliant in ${listOf(d.sources)}`,
  evaluate: () => devicesObserved(sql`${liveObservation('o')} and o.compliance = 'noncompliant'`),
});
