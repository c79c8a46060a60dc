/**
 * The replacement budget: active devices whose update expiry (AUE) falls in each calendar quarter, priced by
 * `district.replacementCost` (model first, then platform). Devices already past AUE are one "expired" line, due
 * now. A device with no price is counted as unpriced rather than as free, so the total never looks smaller than
 * it is without saying so.
 */
import { sql } from 'drizzle-orm';
import type { Config } from '../config/index.js';
import { rows, type Database } from '../db/client.js';
import { resolveAsOf } from './as-of.js';
import { liveObservation } from './rules/sql.js';

export interface BudgetQuarter {
  /** `2027-Q2`, or `expired` for devices already past their AUE on the as-of date. */
  quarter: string;
  devices: number;
  /** Sum of the priced devices' replacement cost. */
  cost: number;
  /** Devices in the quarter whose model and platform have no price in config. */
  unpriced: number;
}

export interface ReplacementBudget {
  asOf: string;
  quarters: BudgetQuarter[];
  total: { devices: number; cost: number; unpriced: number };
}

export interface BudgetOptions {
  now?: Date;
  /** Only devices held by someone in this school (org external id), as the report's school filter. */
  schoolExternalId?: string;
  /** Quarters from the as-of date's quarter to include (default 24: six years, a typical device-refresh horizon). */
  quarters?: number;
}

export function priceOf(costs: Record<string, number>, model: string | null, platform: string): number | null {
  const lower = new Map(Object.entries(costs).map(([k, v]) => [k.toLowerCase(), v]));
  return (model !== null ? lower.get(model.toLowerCase()) : undefined) ?? lower.get(platform.toLowerCase()) ?? null;
}

export async function buildReplacementBudget(db: Database, config: Pick<Config, 'reconcile' | 'district'>, opts: BudgetOptions = {}): Promise<ReplacementBudget> {
  const asOf = resolveAsOf(config, opts.now ?? new Date());
  const horizon = opts.quarters ?? 24;
  const bySchool = opts.schoolExternalId === undefined
    ? sql`true`
    : sql`exists (select 1 from assignments a join people p on p.id = a.person_id join orgs s on s.id = p.school_id
        where a.device_id = d.id and a.ended_at is null and s.external_id = ${opts.schoolExternalId})`;
  const rs = await rows<{ quarter: string; model: string | null; platform: string; n: number }>(db.orm, sql`
    select case when e.aue < ${asOf.date}::date then 'expired' else to_char(e.aue, 'YYYY-"Q"Q') end as quarter,
      coalesce(e.model, d.model) as model, d.platform, count(*)::int as n
    from devices d
    cross join lateral (
      select min(o.aue_date) as aue, min(o.model) as model from device_observations o where o.device_id = d.id and ${liveObservation('o')}
    ) e
    where d.status = 'active' and e.aue is not null
      and e.aue < date_trunc('quarter', ${asOf.date}::date) + ${horizon}::int * interval '3 months'
      and ${bySchool}
    group by 1, 2, 3`);
  const out = new Map<string, BudgetQuarter>();
  for (const r of rs) {
    const q = out.get(r.quarter) ?? { quarter: r.quarter, devices: 0, cost: 0, unpriced: 0 };
    const n = Number(r.n);
    const price = priceOf(config.district.replacementCost, r.model, r.platform);
    q.devices += n;
    if (price === null) q.unpriced += n;
    else q.cost += price * n;
    out.set(r.quarter, q);
  }
  // Every quarter of the horizon is listed, empty ones too, so a chart's axis is a calendar, not a list of gaps.
  const quarters: BudgetQuarter[] = [];
  if (out.has('expired')) quarters.push(out.get('expired')!);
  const [y, m] = asOf.date.split('-').map(Number) as [number, number];
  for (let i = 0; i < horizon; i++) {
    const qi = Math.floor((m - 1) / 3) + i;
    const key = `${y + Math.floor(qi / 4)}-Q${(qi % 4) + 1}`;
    quarters.push(out.get(key) ?? { quarter: key, devices: 0, cost: 0, unpriced: 0 });
  }
  const total = quarters.reduce((a, q) => ({ devices: a.devices + q.devices, cost: a.cost + q.cost, unpriced: a.unpriced + q.unpriced }), { devices: 0, cost: 0, unpriced: 0 });
  return { asOf: asOf.date, quarters, total };
}
