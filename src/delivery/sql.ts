import { sql, type SQL } from 'drizzle-orm';

/** A timestamp parameter both drivers bind alike. Delivery passes its own clock, so tests can move time. */
export const at = (d: Date): SQL => sql`${d.toISOString()}::timestamptz`;
