/**
 * Property: whatever mix of good records, kept (unreadable) records, field warnings and missing rows a read
 * brings, no record whose id was readable is deactivated, and its assignment is not ended. Seeded, so a failure
 * reproduces; runs on the embedded database (the property is about the writer's SQL, which both engines share).
 */
import fc from 'fast-check';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../../src/db/client.js';
import { runSync } from '../../src/sync/runner.js';
import { freshDatabase, type TestDb } from '../helpers/db.js';
import { quietLog } from '../helpers/ledger.js';
import { chromebook, devices, memorySource, people, student } from '../helpers/memory-source.js';

const N = 12;
type Fate = 'good' | 'kept' | 'warned' | 'absent' | 'deleted';
const fate = fc.constantFrom<Fate>('good', 'kept', 'warned', 'absent', 'deleted');

describe('ledger property: a readable id is never deactivated', () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await freshDatabase('pglite');
  });
  afterAll(async () => t?.drop());

  it('holds over 40 seeded reads of people and devices', async () => {
    let caseNo = 0;
    await fc.assert(fc.asyncProperty(fc.array(fate, { minLength: N, maxLength: N }), fc.array(fate, { minLength: N, maxLength: N }), async (pf, df) => {
      caseNo++;
      const sis = memorySource(`sis${caseNo}`, { streams: ['people'], threshold: { percent: 100, absolute: 1_000_000 } });
      const gam = memorySource(`gam${caseNo}`, { streams: ['devices'], threshold: { percent: 100, absolute: 1_000_000 } });
      const ids = Array.from({ length: N }, (_, i) => i + caseNo * 100);
      const email = (n: number) => `s${n}@students.maplewood.example.org`;
      const deps = { db: t.db, log: quietLog, domains: ['maplewood.example.org'] };
      sis.next = [people(ids.map((n) => student(n, { email: email(n) })))];
      gam.next = [devices(ids.map((n) => chromebook(n, { userEmail: email(n) })))];
      await runSync(deps, sis);
      await runSync(deps, gam);

      const read = <R extends { externalId: string }>(fates: Fate[], make: (n: number, over?: object) => R, kind: string) => {
        const records: R[] = [];
        const rejects = [];
        const warnings = [];
        for (const [i, f] of fates.entries()) {
          const n = ids[i]!;
          if (f === 'good') records.push(make(n));
          if (f === 'deleted') records.push(make(n, { deleted: true }));
          if (f === 'warned') {
            records.push(make(n, kind === 'people' ? { grades: [] } : { lastSyncAt: null }));
            warnings.push({ externalId: make(n).externalId, field: kind === 'people' ? 'grades' : 'lastSyncAt', reason: 'unreadable' });
          }
          if (f === 'kept') rejects.push({ externalId: make(n).externalId, reason: 'unreadable', raw: {} });
        }
        return { records, rejects, warnings };
      };
      const p = read(pf, (n, o) => student(n, { email: email(n), ...o }), 'people');
      const d = read(df, (n, o) => chromebook(n, { userEmail: email(n), ...o }), 'devices');
      sis.next = [people(p.records, { rejects: p.rejects, warnings: p.warnings })];
      gam.next = [devices(d.records, { rejects: d.rejects, warnings: d.warnings })];
      expect((await runSync(deps, sis)).status).toBe('succeeded');
      expect((await runSync(deps, gam)).status).toBe('succeeded');

      const live = await rows<{ external_id: string }>(t.db.orm, sql`select external_id from people where source_id = ${sis.id} and status = 'active' and deactivated_at is null`);
      const liveObs = await rows<{ external_id: string }>(t.db.orm, sql`select external_id from device_observations where source_id = ${gam.id} and active`);
      const want = (fates: Fate[], id: (n: number) => string) => fates.flatMap((f, i) => (['good', 'kept', 'warned'].includes(f) ? [id(ids[i]!)] : []));
      expect(live.map((r) => r.external_id).sort()).toEqual(want(pf, (n) => `s${n}`).sort());
      expect(liveObs.map((r) => r.external_id).sort()).toEqual(want(df, (n) => `dev-${n}`).sort());
      // A device whose observation and holder are both present keeps its assignment.
      const kept = ids.filter((_, i) => ['good', 'kept', 'warned'].includes(pf[i]!) && ['good', 'kept', 'warned'].includes(df[i]!));
      const [open] = await rows<{ n: number }>(t.db.orm, sql`select count(*)::int as n from assignments a join devices v on v.id = a.device_id
        where a.ended_at is null and v.serial = any(${sql.param(kept.map((n) => `SER${String(n).padStart(5, '0')}`))}::text[])`);
      expect(Number(open!.n)).toBe(kept.length);
    }), { seed: 20261124, numRuns: 40 });
  });
});
