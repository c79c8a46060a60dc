/** A ChromeOS device booted in developer mode: verified boot and policy enforcement can be bypassed. */
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { defineRule, listOf } from '../types.js';
import { devicesObserved, liveObservation } from './sql.js';

export const devMode = defineRule({
  code: 'dev-mode',
  title: 'Chromebook is in developer mode',
  remediation: 'Collect the device and powerwash it back to verified mode; follow the acceptable-use policy with the holder.',
  severity: 'high',
  ticket: true,
  options: z.strictObject({}),
  describe: (d) => `developer mode (${listOf(d.sources)})`,
  evaluate: () => devicesObserved(sql`${liveObservation('o')} and o.boot_mode = 'dev'`),
});
