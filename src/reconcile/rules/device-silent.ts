/**
 * An assigned device has not checked in with any MDM for longer than its platform's threshold: lost, broken,
 * or sitting in a drawer. Severity rises from low to medium once it has been silent for `mediumAfterDays`
 * (by default twice the threshold).
 */
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { platformSchema } from '../../../connectors/types.js';
import { defineRule } from '../types.js';
import { asOfTimestamp, deviceDetails, deviceSubject, liveObservation, utcText } from './sql.js';

const days = z.number().int().min(1);

export const deviceSilent = defineRule({
  code: 'device-silent',
  title: 'Assigned device has not synced recently',
  remediation: 'Contact the holder to have the device powered on and connected; if it cannot be found, mark it lost.',
  severity: 'low',
  ticket: false,
  options: z.strictObject({
    /** Overrides reconcile.staleAfterDays for this rule. */
    staleAfterDays: days.optional(),
    /** Per-platform thresholds, e.g. { windows: 14 }. */
    platforms: z.partialRecord(platformSchema, days).default({}),
    mediumAfterDays: days.optional(),
  }),
  volatileDetails: ['daysSilent'],
  describe: (d) => `silent ${String(d.daysSilent)} days (threshold ${String(d.thresholdDays)})`,
  evaluate: (opts, ctx) => {
    const fallback = opts.staleAfterDays ?? ctx.reconcile.staleAfterDays;
    const entries = Object.entries(opts.platforms);
    const threshold = entries.length === 0
      ? sql`${fallback}::int`
      : sql`case d.platform ${sql.join(entries.map(([p, n]) => sql`when ${p} then ${n}::int`), sql` `)} else ${fallback}::int end`;
    const medium = opts.mediumAfterDays === undefined ? sql`2 * t.threshold` : sql`${opts.mediumAfterDays}::int`;
    return sql`
      select ${deviceSubject('d')} as subject_key, d.id as device_id, a.person_id,
        case when t.silent >= ${medium} then 'medium' else 'low' end as severity,
        ${deviceDetails('d')} || jsonb_build_object('platform', d.platform, 'lastSyncAt', ${utcText(sql`l.last_sync_at`)},
          'thresholdDays', t.threshold, 'daysSilent', t.silent) as details
      from assignments a
      join devices d on d.id = a.device_id
      join (
        select o.device_id, max(o.last_sync_at) as last_sync_at from device_observations o
        where ${liveObservation('o')} group by o.device_id
      ) l on l.device_id = d.id
      cross join lateral (
        select ${threshold} as threshold,
          floor(extract(epoch from (${asOfTimestamp(ctx)} - l.last_sync_at)) / 86400)::int as silent
      ) t
      where a.ended_at is null and l.last_sync_at is not null and t.silent >= t.threshold`;
  },
});
