/**
 * Devices are keyed by normalised serial across all MDMs (DESIGN §5): a serial seen by Google and Intune is one
 * device with two observations. The device row takes each attribute from the first source that knows it and
 * never flips it between sources (each observation keeps its own source's asset tag and model), and goes
 * inactive only when no MDM reports it any more.
 */
import { sql } from 'drizzle-orm';
import { rows, type Executor } from '../db/client.js';
import { outboxInsert } from '../outbox/enqueue.js';
import { countByAction, recordHistory } from './history.js';

const attrs = ['asset_tag', 'model', 'manufacturer', 'platform', 'status'] as const;
const attrJson = (a: string) => `jsonb_build_object(${attrs.map((n) => `'${n}', ${a}.${n}`).join(', ')})`;

/** The device rows for the staged observations of `from` (a batch table, or the whole stage) that are not deferred. */
export async function upsertDevices(tx: Executor, runId: number | null, actor: string, from = 'stage_devices'): Promise<{ created: number; updated: number; reactivated: number }> {
  const by = await countByAction(tx, sql`
    with latest as (
      -- Prefer a live row for the serial, then the file's last one.
      select distinct on (serial) serial, asset_tag, model, manufacturer, platform, deleted
      from ${sql.raw(from)} where not unchanged and not kept and not deferred order by serial, deleted asc, seq desc
    ),
    s as (
      -- Lateral lookups by serial (see liveRow in upsert.ts): one index probe per staged serial.
      select latest.* from latest left join lateral (select * from devices d where d.serial = latest.serial limit 1) d on true
      where d.id is null
         or (d.asset_tag is null and latest.asset_tag is not null)
         or (d.model is null and latest.model is not null)
         or (d.manufacturer is null and latest.manufacturer is not null)
         or (d.platform = 'other' and latest.platform <> 'other')
         or (d.deactivated_at is not null and not latest.deleted)
    ),
    old as (
      select d.id, d.deactivated_at, ${sql.raw(attrJson('d'))} as oj from s cross join lateral (select * from devices d where d.serial = s.serial limit 1) d
    ),
    up as (
      insert into devices as d (serial, asset_tag, model, manufacturer, platform, status)
      select serial, asset_tag, model, manufacturer, platform, 'active' from s
      on conflict (serial) do update set
        asset_tag = coalesce(d.asset_tag, excluded.asset_tag),
        model = coalesce(d.model, excluded.model),
        manufacturer = coalesce(d.manufacturer, excluded.manufacturer),
        platform = case when d.platform = 'other' then excluded.platform else d.platform end,
        status = case when d.deactivated_at is not null and not (select s2.deleted from s s2 where s2.serial = excluded.serial) then 'active' else d.status end,
        deactivated_at = case when d.deactivated_at is not null and not (select s2.deleted from s s2 where s2.serial = excluded.serial) then null else d.deactivated_at end,
        last_seen_at = now()
      where (d.asset_tag is null and excluded.asset_tag is not null)
         or (d.model is null and excluded.model is not null)
         or (d.manufacturer is null and excluded.manufacturer is not null)
         or (d.platform = 'other' and excluded.platform <> 'other')
         or (d.deactivated_at is not null and not (select s2.deleted from s s2 where s2.serial = excluded.serial))
      returning d.id, d.serial, (d.xmax = 0) as inserted, d.deactivated_at, ${sql.raw(attrJson('d'))} as nj
    ),
    ob as (${outboxInsert('device.created', sql`jsonb_build_object('deviceId', up.id, 'serial', up.serial, 'platform', up.nj ->> 'platform', 'runId', ${runId}::bigint)`,
      sql`up where up.inserted`)}),
    ${recordHistory('device', runId, actor)}`);
  return { created: by.create, updated: by.update, reactivated: by.reactivate };
}

/** A device no MDM reports any more (every observation inactive) is deactivated, with history kept. */
export async function deactivateOrphanDevices(tx: Executor, runId: number | null, actor: string): Promise<number> {
  const [r] = await rows<{ n: number }>(tx, sql`
    with gone as (
      update devices d set status = 'inactive', deactivated_at = now()
      where d.deactivated_at is null
        and not exists (select 1 from device_observations o where o.device_id = d.id and o.active)
      returning d.id
    ),
    ev as (
      insert into events (run_id, actor, entity, entity_id, action, diff)
      select ${runId}, ${actor}, 'device', id, 'deactivate', '{"reason":"no MDM reports it"}'::jsonb from gone returning 1
    )
    select count(*)::int as n from ev`);
  return Number(r?.n ?? 0);
}
