import { buildTokenRegistry } from '../../src/api/auth/tokens.js';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/api/app.js';
import { createMetrics } from '../../src/api/metrics.js';
import { parseConfigText } from '../../src/config/index.js';
import { migrate } from '../../src/db/migrate.js';
import { engines, freshDatabase, type TestDb } from '../helpers/db.js';

describe.each(engines)('readiness on %s', (engine) => {
  let t: TestDb;
  beforeAll(async () => {
    t = await freshDatabase(engine, { migrate: false });
  });
  afterAll(async () => t?.drop());

  const app = () => createApp({
    config: parseConfigText('district: { name: T }', '/tmp/t.yaml', {}),
    db: t.db, log: pino({ level: 'silent' }), metrics: createMetrics(), version: '0.0.0', tokens: buildTokenRegistry({ api: { tokens: [] } }),
  });

  it('is not ready before migrations, ready after, and not ready once the database is gone', async () => {
    const before = await app().request('/readyz');
    expect(before.status).toBe(503);
    expect(await before.json()).toMatchObject({ status: 'not_ready', migrations: { applied: 0 } });
    await migrate(t.db);
    const after = await app().request('/readyz');
    expect(after.status).toBe(200);
    const a = app();
    await t.db.close();
    const gone = await a.request('/readyz');
    expect(gone.status).toBe(503);
    expect(await gone.json()).toMatchObject({ status: 'not_ready', database: 'unreachable' });
    expect((await a.request('/healthz')).status).toBe(200);
  });
});

describe('readiness of the embedded database while a sync holds it', () => {
  it('is ready (busy) once known ready, and not ready when it never was', async () => {
    const t = await freshDatabase('pglite');
    try {
      const mk = (migrated: boolean) => createApp({
        config: parseConfigText('district: { name: T }', '/tmp/t.yaml', {}),
        db: t.db, log: pino({ level: 'silent' }), metrics: createMetrics(), version: '0.0.0', migrated, tokens: buildTokenRegistry({ api: { tokens: [] } }),
      });
      let release!: () => void;
      const held = t.db.orm.transaction(() => new Promise<void>((r) => (release = r)));
      await new Promise((r) => setTimeout(r, 50));
      const busy = await mk(true).request('/readyz');
      expect(busy.status).toBe(200);
      expect(await busy.json()).toMatchObject({ status: 'ready', database: 'busy' });
      expect((await mk(false).request('/readyz')).status).toBe(503);
      release();
      await held;
    } finally {
      await t.drop();
    }
  });
});
