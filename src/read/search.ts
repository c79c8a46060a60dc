/** One search box across serial, asset tag, name and email: the first devices and people that match. */
import type { Executor } from '../db/client.js';
import { listDevices, type DeviceSummary } from './devices.js';
import { listPeople, type PersonSummary } from './people.js';

export const SEARCH_LIMIT = 20;

export interface SearchResult {
  q: string;
  /** Devices by serial (any part, any case or spacing), asset tag, or their holder's name or email. */
  devices: DeviceSummary[];
  /** People by name, email, username or SIS id. */
  people: PersonSummary[];
  /** More matched than shown: narrow the query or use the filtered lists. */
  more: { devices: boolean; people: boolean };
}

export async function search(db: Executor, q: string, limit = SEARCH_LIMIT): Promise<SearchResult> {
  const devices = await listDevices(db, { q, limit });
  const people = await listPeople(db, { q, limit });
  return { q, devices: devices.data, people: people.data, more: { devices: devices.nextCursor !== null, people: people.nextCursor !== null } };
}
