/**
 * Applying a read batch by batch (ADR 0014) must give what applying it whole gives: the same ledger rows, the same
 * events and outbox messages, the same counts. Each case reads the same records split over several batches on one
 * database and as one batch on another, from the same starting ledger, and compares everything. A read that fails
 * after batches were applied, and a held run, must leave the ledger exactly as it was.
 */
import { sql } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import type { Batch } from '../../connectors/types.js';
import { rows, type Database } from '../../src/db/client.js';
import { runSync, type RunResult } from '../../src/sync/runner.js';
import { engines, freshDatabase, type TestDb } from '../helpers/db.js';
import { count, fingerprint, quietLog } from '../helpers/ledger.js';
import { chromebook, devices, memorySource, people, student } from '../helpers/memory-source.js';

const range = (n: number, from = 1) => Array.from({ length: n }, (_, i) => i + from);

/** Everything a run writes, without ids and times: rows, events, outbox types, quarantine. */
async function snapshot(db: Database): Promise<Record<string, unknown>> {
  const q = async (text: string) => rows(db.orm, sql.raw(text));
  return {
    people: await q(`select external_id, status, given_name, email, username, content_hash, deactivated_at is null as live from people order by external_id`),
    observations: await q(`select o.external_id, o.active, o.status, o.user_email, o.asset_tag, o.content_hash, o.deactivated_at is null as live, d.serial
      from device_observations o left join devices d on d.id = o.device_id order by o.external_id`),
    devices: await q(`select serial, asset_tag, model, status, deactivated_at is null as live from devices order by serial`),
    assignments: await q(`select d.serial, p.external_id, a.ended_at is null as open, a.ended_reason from assignments a
      join devices d on d.id = a.device_id join people p on p.id = a.person_id order by d.serial, p.external_id, a.id`),
    // Row ids come from sequences, which a rolled-back attempt advances: diffs are compared without them.
    events: await q(`select entity, action, (diff - 'device_id' - 'deviceId' - 'personId')::text as diff from events order by 1, 2, 3`),
    outbox: await q(`select type, count(*)::int as n from outbox group by type order by type`),
    quarantine: await q(`select stream, outcome, external_id, reason, field from quarantine order by stream, outcome, external_id, reason`),
  };
}

const stats = (r: RunResult) => ({ status: r.status, streams: r.result?.streams, devices: r.result?.devices, assignments: r.result?.assignments, plan: r.result?.plan, heldReason: r.result?.heldReason });

describe.each(engines)('applying as the read goes, on %s', (engine) => {
  const dbs: TestDb[] = [];
  afterEach(async () => {
    for (const t of dbs.splice(0)) await t.drop();
  });

  /** Two ledgers brought to the same state by `setup`, then read once split and once whole. */
  async function compare(setup: Batch[][], split: Batch[], opts: { threshold?: { percent: number; absolute: number } } = {}) {
    const out: { result: RunResult; snap: Record<string, unknown>; reads: number }[] = [];
    for (const shape of ['split', 'whole'] as const) {
      const t = await freshDatabase(engine);
      dbs.push(t);
      const sources = {
        sis: memorySource('sis', { streams: ['people'], ...opts }),
        gam: memorySource('gam', { streams: ['devices'], ...opts }),
      };
      const run = (b: Batch[]) => {
        const src = b[0]!.stream === 'people' ? sources.sis : sources.gam;
        src.next = b;
        return runSync({ db: t.db, log: quietLog, domains: ['maplewood.example.org'] }, src, {});
      };
      for (const b of setup) expect((await run(b)).status).toBe('succeeded');
      const src = split[0]!.stream === 'people' ? sources.sis : sources.gam;
      const readsBefore = src.reads.length;
      const result = await run(shape === 'split' ? split : [joined(split)]);
      out.push({ result, snap: await snapshot(t.db), reads: src.reads.length - readsBefore });
    }
    const [s, w] = out as [typeof out[0], typeof out[0]];
    expect(stats(s.result)).toEqual(stats(w.result));
    expect(s.snap).toEqual(w.snap);
    return { split: s, whole: w };
  }

  function joined(batches: Batch[]): Batch {
    const first = batches[0]!;
    return {
      ...first,
      records: batches.flatMap((b) => b.records as unknown[]) as never[],
      rejects: batches.flatMap((b) => b.rejects),
      warnings: batches.flatMap((b) => b.warnings ?? []),
    } as Batch;
  }

  it('applies a plain read in batches exactly as whole, and reads the source once', async () => {
    const setup = [[people(range(30).map((n) => student(n)))]];
    // Renames, creates (s31-s35), absent students (s26-s30; s25 is kept unread), an explicit delete (s12), a field
    // warning, and ids repeated across batches with the same content.
    const split = [
      people(range(10).map((n) => student(n, n <= 3 ? { givenName: `Renamed${n}` } : {}))),
      people(range(10, 11).map((n) => student(n, n === 12 ? { deleted: true } : {})), {
        rejects: [{ externalId: 's25', field: 'role', reason: 'role: unknown value', location: 'users:25', raw: {} }],
      }),
      people([...range(4, 21), ...range(5, 31)].map((n) => student(n)), {
        warnings: [{ externalId: 's31', field: 'grades', reason: 'grades: not a grade', location: 'users:31' }],
      }),
    ];
    const { split: s } = await compare(setup, split);
    expect(s.reads).toBe(1);
    expect(s.result.result!.streams.people).toMatchObject({ created: 5, updated: 3, deactivated: 6, kept: 1, warnings: 1 });
  });

  it('a record read again with the same content is applied once, without reading the source again', async () => {
    const setup = [[people(range(10).map((n) => student(n)))]];
    const split = [people(range(12).map((n) => student(n, { familyName: 'Changed' }))), people([student(11, { familyName: 'Changed' }), student(5, { familyName: 'Changed' })])];
    const { split: s } = await compare(setup, split);
    expect(s.reads).toBe(1);
    expect(s.result.result!.streams.people).toMatchObject({ created: 2, updated: 10, warnings: 2 });
  });

  it('a record read again with other content: the last one wins, as when the read is applied whole', async () => {
    const setup = [[people(range(10).map((n) => student(n)))]];
    // s3 changes in batch 1 and changes back in batch 3; s11 is created in batch 1 and renamed in batch 2.
    const split = [
      people([student(3, { givenName: 'First' }), student(11)]),
      people([student(11, { givenName: 'Second' }), ...range(10).filter((n) => n !== 3).map((n) => student(n))]),
      people([student(3)]),
    ];
    const { split: s } = await compare(setup, split);
    // Applying batch by batch would have had to undo batch 1: the run read the source again and applied it whole.
    expect(s.reads).toBe(2);
    expect(s.result.result!.streams.people).toMatchObject({ created: 1, updated: 0, unchanged: 10, warnings: 2 });
  });

  it('an inactive record that returns and is retracted later in the read writes nothing (a stale Intune twin)', async () => {
    const setup = [
      [devices(range(10).map((n) => chromebook(n)))],
      [devices([...range(9).map((n) => chromebook(n)), chromebook(10, { deleted: true })])],
    ];
    const split = [
      devices(range(10).map((n) => chromebook(n))),
      devices([chromebook(11)]),
      devices([chromebook(10, { deleted: true })]),
    ];
    const { split: s } = await compare(setup, split);
    expect(s.reads).toBe(1);
    expect(s.result.result!.streams.devices).toMatchObject({ created: 1, reactivated: 0, deactivated: 0 });
  });

  it('two records of one serial in different batches are applied as whole', async () => {
    const setup = [[devices(range(5).map((n) => chromebook(n)))]];
    const split = [
      devices([chromebook(6, { assetTag: 'TAG-A' })]),
      devices([...range(5).map((n) => chromebook(n)), chromebook(7, { serial: 'SER00006', assetTag: 'TAG-B' })]),
    ];
    const { split: s } = await compare(setup, split);
    expect(s.reads).toBe(2);
  });

  it('holds a run whose batches were applied, and then the ledger is exactly as before; what it could not use stays quarantined', async () => {
    const t = await freshDatabase(engine);
    dbs.push(t);
    const sis = memorySource('sis', { streams: ['people'] });
    const run = () => runSync({ db: t.db, log: quietLog, domains: ['maplewood.example.org'] }, sis, {});
    sis.next = [people(range(40).map((n) => student(n)))];
    expect((await run()).status).toBe('succeeded');
    const before = await fingerprint(t.db);
    const eventsBefore = await count(t.db, 'events');
    // 25 of 40 absent (over 10%), while the batches create 5 and rename 10.
    sis.next = [
      people(range(10).map((n) => student(n, { givenName: 'Renamed' }))),
      people(range(5, 41).map((n) => student(n)), {
        rejects: [{ externalId: 's11', field: 'role', reason: 'role: unknown value', location: 'users:11', raw: { role: 'pupil' } }],
      }),
    ];
    const held = await run();
    expect(held.status).toBe('held');
    expect(held.result!.streams.people).toMatchObject({ created: 5, updated: 10, held: 29 });
    const after = await fingerprint(t.db);
    for (const table of ['orgs', 'people', 'enrollments', 'devices', 'device_observations', 'assignments', 'events'] as const) {
      expect(after[table], table).toBe(before[table]);
    }
    expect(await count(t.db, 'events')).toBe(eventsBefore);
    const q = await rows<{ outcome: string; external_id: string; raw: unknown }>(t.db.orm, sql`select outcome, external_id, raw from quarantine where run_id = ${held.runId}`);
    expect(q).toEqual([{ outcome: 'kept', external_id: 's11', raw: { role: 'pupil' } }]);
  });

  it('a read that fails after batches were applied changes nothing', async () => {
    const t = await freshDatabase(engine);
    dbs.push(t);
    const sis = memorySource('sis', { streams: ['people'] });
    const run = () => runSync({ db: t.db, log: quietLog, domains: ['maplewood.example.org'] }, sis, {});
    sis.next = [people(range(20).map((n) => student(n)))];
    expect((await run()).status).toBe('succeeded');
    const before = await fingerprint(t.db);
    const read = sis.connector.read.bind(sis.connector);
    sis.connector = {
      ...sis.connector,
      async *read(ctx, opts) {
        for await (const b of read(ctx, opts)) yield b;
        throw new Error('upstream outage after page 2');
      },
    };
    sis.next = [people(range(10).map((n) => student(n, { familyName: 'Changed' }))), people(range(10, 11).map((n) => student(n)))];
    const failed = await run();
    expect(failed.status).toBe('failed');
    const after = await fingerprint(t.db);
    expect({ ...after, quarantine: '' }).toEqual({ ...before, quarantine: '' });
    expect(await count(t.db, 'people', `family_name = 'Changed'`)).toBe(0);
  });
});
