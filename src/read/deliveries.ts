/**
 * Deliveries as an API page (ADR 0010 cursors) over the delivery module's own `listDeliveries`, which pages by id,
 * newest first. New deliveries get higher ids, so a cursor ("below id N") returns every older row exactly once
 * while the workers keep inserting.
 */
import type { Database } from '../db/client.js';
import { listDeliveries, type DeliveryRow, type DeliveryStatus } from '../delivery/index.js';
import { decodeCursor, encodeCursor, pageLimit, type Page, type PageRequest } from './cursor.js';

const SORT = 'id-desc';

export interface DeliveryQuery extends PageRequest {
  status?: DeliveryStatus;
  target?: string;
}

export async function listDeliveryPage(db: Database, q: DeliveryQuery): Promise<Page<DeliveryRow>> {
  const limit = pageLimit(q.limit);
  const beforeId = q.cursor ? decodeCursor(q.cursor, SORT).id : undefined;
  const { rows } = await listDeliveries(db, { status: q.status, target: q.target, limit: limit + 1, beforeId });
  const more = rows.length > limit;
  const data = more ? rows.slice(0, limit) : rows;
  const last = data[data.length - 1];
  return { data, nextCursor: more && last ? encodeCursor(SORT, String(last.id), last.id) : null };
}
