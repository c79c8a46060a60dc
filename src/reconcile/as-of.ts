/** The moment time-based rules judge against: reconcile.asOf (a snapshot date, for demos and audits) or the clock. */
import type { Config } from '../config/index.js';

export interface AsOf {
  at: Date;
  date: string;
}

export function resolveAsOf(config: Pick<Config, 'reconcile' | 'district'>, now: Date): AsOf {
  const pinned = config.reconcile.asOf;
  if (pinned) return { at: new Date(`${pinned}T00:00:00.000Z`), date: pinned };
  return { at: now, date: dateIn(now, config.district.timezone) };
}

/** YYYY-MM-DD of an instant in a time zone: a device's AUE day ends at the district's midnight, not UTC's. */
export function dateIn(at: Date, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(at);
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')}`;
}
