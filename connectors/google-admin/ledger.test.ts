/**
 * google-admin through the real ledger (PGlite + runSync): a complete read applies; a list that ends early
 * (countChromeOsDevices disagrees) fails the run and writes nothing, so no device is deactivated; a complete read
 * without a device does deactivate it.
 */
import type { KeyObject } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { freshDatabase, type TestDb } from '../../test/helpers/db.js';
import { configWith, count, fingerprint, sync } from '../../test/helpers/ledger.js';
import { device, googleHandlers, makeServiceAccount, newFake, type Fake } from './testing/fake-google.js';

let tmp: string;
let keyFile: string;
let publicKey: KeyObject;
let fake: Fake;
const server = setupServer(...googleHandlers(() => fake, () => publicKey));

beforeAll(async () => {
  server.listen({ onUnhandledRequest: 'error' });
  tmp = await mkdtemp(join(tmpdir(), 'google-admin-ledger-'));
  ({ keyFile, publicKey } = await makeServiceAccount(tmp));
});
afterAll(async () => {
  server.close();
  await rm(tmp, { recursive: true, force: true });
});

describe('google-admin into the ledger (pglite)', () => {
  let t: TestDb;
  beforeEach(async () => {
    t = await freshDatabase('pglite');
    fake = newFake();
  });
  afterEach(async () => t?.drop());

  it('a count mismatch fails the run and deactivates nothing; a complete read without a device deactivates it', async () => {
    const config = configWith(`  - id: chromebooks
    kind: google-admin
    serviceAccountKeyFile: ${keyFile}
    subject: it.admin@district.example.org
    maxResults: 2
    deletionThreshold: { percent: 50, absolute: 10 }
`);
    fake.devices = Array.from({ length: 6 }, (_, i) => device(i + 1));
    const r1 = await sync(t.db, config, 'chromebooks');
    expect(r1).toMatchObject({ status: 'succeeded' });
    expect(await count(t.db, 'device_observations', 'active')).toBe(6);

    // The list ends after 3 devices while the count still says 6: the run fails, nothing is written.
    const before = await fingerprint(t.db);
    fake.listLimit = 3;
    const r2 = await sync(t.db, config, 'chromebooks');
    expect(r2).toMatchObject({ status: 'failed', errorCode: 'incomplete_read' });
    expect(r2.error).toContain('listed 3 devices but countChromeOsDevices says 6');
    expect(await count(t.db, 'device_observations', 'active')).toBe(6);
    expect(await fingerprint(t.db)).toEqual(before);

    // Google really lost one device (list and count agree on 5): that one is deactivated, the rest stay.
    fake.listLimit = undefined;
    fake.devices = fake.devices.slice(0, 5);
    const r3 = await sync(t.db, config, 'chromebooks');
    expect(r3).toMatchObject({ status: 'succeeded' });
    expect(await count(t.db, 'device_observations', 'active')).toBe(5);
    expect(await count(t.db, 'device_observations', "not active and external_id = 'dev-0006'")).toBe(1);
  });

  it('stores annotatedLocation, notes, MAC and orgUnitId on the observation; a changed note is an update', async () => {
    const config = configWith(`  - id: chromebooks
    kind: google-admin
    serviceAccountKeyFile: ${keyFile}
    subject: it.admin@district.example.org
`);
    const extra = { annotatedLocation: 'Lincoln ES cart 3', notes: 'new keyboard', macAddress: '3C5282A1B2C3', orgUnitId: '03ph8a2z1q4kx9v' };
    fake.devices = [device(1, extra), device(2)];
    expect(await sync(t.db, config, 'chromebooks')).toMatchObject({ status: 'succeeded' });
    const stored = "annotated_location = 'Lincoln ES cart 3' and mac_address = '3c:52:82:a1:b2:c3' and org_unit_id = '03ph8a2z1q4kx9v'";
    expect(await count(t.db, 'device_observations', `external_id = 'dev-0001' and ${stored} and notes = 'new keyboard'`)).toBe(1);
    expect(await count(t.db, 'device_observations',
      "external_id = 'dev-0002' and annotated_location is null and notes is null and mac_address is null and org_unit_id is null")).toBe(1);
    fake.devices = [device(1, { ...extra, notes: 'screen cracked' }), device(2)];
    const r2 = await sync(t.db, config, 'chromebooks');
    expect(r2.result?.streams.devices).toMatchObject({ updated: 1, unchanged: 1 });
    expect(await count(t.db, 'device_observations', `external_id = 'dev-0001' and ${stored} and notes = 'screen cracked'`)).toBe(1);
  });
});
