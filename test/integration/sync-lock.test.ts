/** One run per source at a time, across processes sharing a server (DESIGN §12). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/db/client.js';
import { freshDatabase, serverUrl, type TestDb } from '../helpers/db.js';
import { students, tempDir, writeRoster } from '../helpers/district-files.js';
import { configWith, count, sync } from '../helpers/ledger.js';

describe.skipIf(!serverUrl)('per-source run lock on postgres', () => {
  let t: TestDb;
  let other: Database;
  beforeAll(async () => {
    t = await freshDatabase('postgres');
    other = await openDatabase({ url: t.url!, poolSize: 2 }); // a second "replica"
  });
  afterAll(async () => {
    await other?.close();
    await t?.drop();
  });

  it('lets one of two simultaneous runs of a source proceed and fails the other without changes', async () => {
    const dir = tempDir('lock');
    writeRoster(dir, students(10000)); // big enough that the two runs surely overlap
    const config = configWith(`  - { id: sis, kind: oneroster-csv, path: "${dir}" }`);
    const [a, b] = await Promise.all([sync(t.db, config, 'sis'), sync(other, config, 'sis')]);
    const statuses = [a.status, b.status].sort();
    expect(statuses).toEqual(['failed', 'succeeded']);
    const loser = a.status === 'failed' ? a : b;
    expect(loser.errorCode).toBe('sync_in_progress');
    expect(await count(t.db, 'people')).toBe(10000);
    expect(await count(t.db, 'events', "action = 'create' and entity = 'person'")).toBe(10000);
  });
});
