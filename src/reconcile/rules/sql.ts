/** SQL pieces the rules share, so that "subject", "holder" and "a live observation" mean one thing everywhere. */
import { sql, type SQL } from 'drizzle-orm';
import type { RuleContext } from '../types.js';

export { liveObservation, observationUsers } from '../../ledger/assignments.js';

/** `device:<SERIAL>` for a devices alias. Serials are already normalised, so the key is stable across MDMs. */
export const deviceSubject = (d: string): SQL => sql.raw(`('device:' || ${d}.serial)`);

/** `person:<source_id>:<external_id>` for a people alias: the SIS's identity, which survives re-syncs. */
export const personSubject = (p: string): SQL => sql.raw(`('person:' || ${p}.source_id || ':' || ${p}.external_id)`);

/** A whole list bound as one parameter (a bare array would become one parameter per element). */
export const textArray = (items: readonly string[]): SQL => sql`${sql.param([...items])}::text[]`;

export const asOfTimestamp = (ctx: RuleContext): SQL => sql`${ctx.asOf.toISOString()}::timestamptz`;
export const asOfDate = (ctx: RuleContext): SQL => sql`${ctx.asOfDate}::date`;

/** Timestamps in details are written in UTC explicitly: the session time zone must not change details_hash. */
export const utcText = (expr: SQL): SQL => sql`to_char(${expr} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')`;

/** The identifying details every device finding carries. */
export const deviceDetails = (d: string): SQL => sql.raw(`jsonb_build_object('serial', ${d}.serial, 'assetTag', ${d}.asset_tag)`);

/** Whether person `p` (with school org `s` left-joined) belongs to one of the listed schools (external id or identifier). */
export function inSchools(p: string, s: string, schools: readonly string[]): SQL {
  const list = textArray(schools);
  return sql`coalesce(${sql.raw(p)}.school_external_id = any(${list}) or ${sql.raw(s)}.external_id = any(${list}) or ${sql.raw(s)}.identifier = any(${list}), false)`;
}

/**
 * Devices with at least one live observation matching `where` (alias `o`), with their current holder: one row
 * per device, and the sources that reported it, for rules about a single observed attribute.
 */
export function devicesObserved(where: SQL): SQL {
  return sql`
    select ${deviceSubject('d')} as subject_key, d.id as device_id, a.person_id, null::text as severity,
      ${deviceDetails('d')} || jsonb_build_object('sources', x.sources) as details
    from (
      select o.device_id, jsonb_agg(distinct o.source_id order by o.source_id) as sources
      from device_observations o
      where ${where}
      group by o.device_id
    ) x
    join devices d on d.id = x.device_id
    left join assignments a on a.device_id = d.id and a.ended_at is null`;
}
