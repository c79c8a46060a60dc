/**
 * The ledger writer: the only code that writes domain rows. A sync run hands it every batch a connector
 * yields (`add`) and it applies each one as it comes, inside the run's transaction, while the connector fetches
 * the next page (ADR 0014): upserts with history, and the device rows the observations need. `apply`, after the
 * last batch, does what only the whole read can tell: duplicates, deactivation of what vanished (full, bulk
 * streams only), org links, devices no MDM reports, and the MDM assignments that follow.
 *
 * Every change is made after a savepoint opened before the first upsert. `apply` judges the run against the
 * deletion threshold: every deactivation counts, whatever its cause (absence, an explicit delete, a disabled
 * flag), and so does every ended assignment. Over the threshold, the run rolls back to the savepoint: a held run
 * changes nothing in the ledger (ADR 0004). Approval re-reads the source and must find the same read (digest) and
 * the same plan.
 *
 * Applying batch by batch gives the same ledger, events and counts as applying the whole read at once, because
 * a record whose id comes again later in the read either matches what was applied (nothing to redo), or waits
 * for the end of the read (ids whose ledger row is inactive: a stale twin Intune retracts at the end), or makes
 * the writer give up: `RereadNeeded` rolls back to the savepoint and the run reads the source again with
 * `incremental: false`, which stages everything and applies it in `apply`.
 */
import { sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Batch, Stream } from '../../connectors/types.js';
import type { DeletionThreshold } from '../config/schema.js';
import { rows, type Executor, type Tx } from '../db/client.js';
import { ConflictError } from '../errors.js';
import { reconcileAssignments, type AssignmentCounts } from './assignments.js';
import { applyDeactivations, exceedsThreshold, findVanished } from './deactivate.js';
import { deactivateOrphanDevices, upsertDevices } from './devices.js';
import { quarantineDuplicates, quarantineRejects, quarantineWarnings } from './quarantine.js';
import { analyzeStage, batchTable, createStage, stageBatch, stageKept, type StageDecider } from './stage.js';
import { columnsForFields, specs, type StreamSpec } from './streams.js';
import { stagedCounts, upsertStream, type UpsertCounts } from './upsert.js';

export interface StreamStats {
  read: number;
  created: number;
  updated: number;
  unchanged: number;
  /** Went inactive: absent from a full read, deleted by the source, or disabled (enabledUser=false). */
  deactivated: number;
  reactivated: number;
  /** No usable identity: nothing applied. */
  rejected: number;
  /** Identity readable but the record could not be applied: its live row was left as it was. */
  kept: number;
  /** Applied, with one or more fields kept at their stored value (see `rollcall quarantine`). */
  warnings: number;
  /** Deactivations a held run would have made (nothing was applied). */
  held: number;
}

/** What a run would deactivate or end, per unit the threshold judges: a stream, `devices`, `assignments`. */
export type Plan = Record<string, number>;

export interface WriteResult {
  streams: Partial<Record<Stream, StreamStats>>;
  assignments: AssignmentCounts;
  devices: { created: number; updated: number; reactivated: number; deactivated: number };
  held: boolean;
  heldReason?: string;
  /** Digest of the read (ids, content hashes, kept flags in read order): an approval's re-read must match it. */
  digest: string;
  plan: Plan;
}

export interface WriterOptions {
  sourceId: string;
  runId: number | null;
  mode: 'full' | 'delta';
  /** Step timings at debug level: where a slow run spends its time. */
  log?: Logger;
  /**
   * Apply each batch as it is added (the default). `false` stages the whole read and applies it in `apply`: the
   * run's fallback when a read cannot be applied batch by batch (see RereadNeeded).
   */
  incremental?: boolean;
}

/**
 * A later record of the read would have to undo a record already applied (same id, different content; another
 * id of an already applied serial; orgs after people). The writer has rolled back to its savepoint; the run
 * reads the source again with a writer that is not incremental.
 */
export class RereadNeeded extends Error {
  constructor(readonly reason: string) {
    super(`the read cannot be applied batch by batch: ${reason}`);
  }
}

export interface ApplyOptions {
  force: boolean;
  threshold: DeletionThreshold;
  domains: string[];
  /** Approval of a held run: the read and the plan must be the ones that were held. */
  expect?: { digest: string; plan: Plan; runId: number };
}

const ORDER: Stream[] = ['orgs', 'people', 'enrollments', 'devices'];

interface StagedStream {
  bulk: boolean;
  seq: number;
  rejected: number;
  kept: number;
  warnings: number;
  /** Records staged to be applied once the read is complete. */
  deferred: number;
  /** What the upserts of this run did so far. */
  applied: UpsertCounts;
  /** Ids staged so far (records, not kept rejects), and serials of device records not unchanged. */
  ids: Set<string>;
  serials: Set<string>;
  /** The source had no row of this stream when the run began (its first read). */
  ledgerEmpty: boolean;
}

const SAVEPOINT = 'ledger_run';
const noCounts = (): UpsertCounts => ({ created: 0, updated: 0, reactivated: 0, deleted: 0, wentDead: 0, holderRelevant: 0 });

class HeldRollback extends Error {
  constructor() {
    super('held: rolled back to the savepoint');
  }
}

export class LedgerWriter {
  private readonly staged = new Map<Stream, StagedStream>();
  private readonly actor: string;
  private readonly incremental: boolean;
  private opened = false;
  /** Live rows before the run, per unit the threshold judges; counted before the first upsert of each. */
  private readonly live: Plan = {};
  private readonly devices = { created: 0, updated: 0, reactivated: 0 };
  /** Summed per step over all batches, logged by `apply`. */
  private readonly batchMs = new Map<string, number>();

  constructor(private readonly tx: Tx, private readonly opts: WriterOptions) {
    this.actor = `sync:${opts.sourceId}`;
    this.incremental = opts.incremental ?? true;
  }

  /** The savepoint a held run rolls back to, opened before anything of the run is staged or written. */
  private async open(): Promise<void> {
    if (this.opened) return;
    this.opened = true;
    const [d] = await rows<{ n: number }>(this.tx, sql`select count(*)::int as n from devices where deactivated_at is null`);
    const [a] = await rows<{ n: number }>(this.tx, sql`select count(*)::int as n from assignments where ended_at is null and origin = 'mdm'`);
    this.live.devices_total = Number(d?.n ?? 0);
    this.live.assignments = Number(a?.n ?? 0);
    await this.tx.execute(sql.raw(`savepoint ${SAVEPOINT}`));
  }

  private async rollbackToSavepoint(): Promise<void> {
    await this.tx.execute(sql.raw(`rollback to savepoint ${SAVEPOINT}`));
    await this.tx.execute(sql.raw(`release savepoint ${SAVEPOINT}`));
  }

  async add(batch: Batch): Promise<void> {
    await this.open();
    const spec = specs[batch.stream] as StreamSpec;
    const { runId, sourceId } = this.opts;
    let st = this.staged.get(batch.stream);
    if (!st) {
      // People take their school from orgs as they are written: orgs after people would link them differently.
      if (this.incremental && batch.stream === 'orgs' && this.staged.has('people')) await this.giveUp('orgs arrived after people');
      await createStage(this.tx, spec, this.incremental);
      st = { bulk: this.opts.mode === 'full' && batch.processingMode === 'bulk', seq: 0, rejected: 0, kept: 0, warnings: 0, deferred: 0, applied: noCounts(), ids: new Set(), serials: new Set(), ledgerEmpty: false };
      this.staged.set(batch.stream, st);
      const [r] = await rows<{ n: number; any: boolean | string }>(this.tx, sql`select count(*)::int as n,
        exists (select 1 from ${sql.raw(spec.table)} where source_id = ${sourceId}) as any from ${sql.raw(spec.table)}
        where source_id = ${sourceId} and deactivated_at is null and ${sql.raw(`"${spec.state.column}"`)} = ${spec.state.live}`);
      this.live[batch.stream] = Number(r?.n ?? 0);
      st.ledgerEmpty = !isTrue(r?.any);
    }
    const warnings = batch.warnings ?? [];
    const byId = new Map<string, string[]>();
    for (const w of warnings) byId.set(w.externalId, [...(byId.get(w.externalId) ?? []), w.field]);
    const unsupplied = batch.unsupplied ?? [];
    const keep = batch.records.map((r) => {
      const fields = [...unsupplied, ...(byId.get(r.externalId) ?? [])];
      return fields.length ? columnsForFields(spec, fields).sort() : null;
    });
    if (!this.incremental) {
      await stageBatch(this.tx, spec, sourceId, batch.records as never[], st.seq, keep);
    } else if (batch.records.length > 0) {
      const t0 = performance.now();
      const into = batchTable(spec);
      await this.tx.execute(sql.raw(`truncate ${into}`));
      const staged = await stageBatch(this.tx, spec, sourceId, batch.records as never[], st.seq, keep, into, this.decider(spec, st), st.ledgerEmpty);
      if ('clash' in staged) await this.giveUp(staged.clash);
      else st.deferred += staged.deferred;
      await this.tx.execute(sql.raw(`insert into ${spec.stage} select * from ${into}`));
      const t1 = performance.now();
      await this.applyRows(batch.stream, spec, st, into);
      this.addMs('batches: stage', t1 - t0);
      this.addMs('batches: upsert', performance.now() - t1);
    }
    st.seq += batch.records.length;
    const kept = batch.rejects.filter((r) => r.externalId).map((r) => r.externalId!);
    await stageKept(this.tx, spec, kept, st.seq);
    st.seq += kept.length;
    st.kept += kept.length;
    st.rejected += batch.rejects.length - kept.length;
    st.warnings += warnings.length;
    await quarantineRejects(this.tx, runId, sourceId, batch.stream, batch.rejects);
    await quarantineWarnings(this.tx, runId, sourceId, batch.stream, warnings, batch.notices ?? []);
  }

  private async giveUp(reason: string): Promise<never> {
    await this.rollbackToSavepoint();
    throw new RereadNeeded(reason);
  }

  private addMs(step: string, ms: number): void {
    this.batchMs.set(step, (this.batchMs.get(step) ?? 0) + ms);
  }

  /**
   * Per record of a batch, against what this run staged before it: an id whose ledger row is inactive, or that
   * was deferred already, waits for the end of the read, where its last record wins as if the read were applied
   * whole (a stale Intune twin passed on, then retracted, writes nothing). An id or serial already applied with
   * other content cannot be applied again without undoing the first: the run gives up on applying as it reads.
   *
   * The ids (and serials) read so far are kept in memory so that the common case, no id seen before, costs no
   * query; asking the stage for every batch took 3.5 s of a 100k-user read (no statistics on a growing temp
   * table: the planner scans it). Only ids seen before are looked up.
   */
  private decider(spec: StreamSpec, st: StagedStream): StageDecider {
    return {
      decide: async (recs) => {
        const deferred = recs.map((r) => r.dead);
        const again = recs.map((r, i) => (st.ids.has(r.externalId) ? i : -1)).filter((i) => i >= 0);
        const serialAgain = spec.stream === 'devices' && recs.some((r) => !r.unchanged && r.serial !== null && st.serials.has(r.serial));
        for (const r of recs) st.ids.add(r.externalId);
        for (const r of recs) if (!r.unchanged && r.serial !== null) st.serials.add(r.serial);
        if (again.length > 0) {
          const hits = again.map((i) => recs[i]!);
          const earlier = await rows<{ i: number; deferred: boolean | string; clash: boolean | string }>(this.tx, sql`
            select b.i, bool_or(s.deferred) as deferred, bool_or(not s.deferred and not s.unchanged and s.content_hash <> b.hash) as clash
            from unnest(${sql.param(hits.map((r) => r.externalId))}::text[], ${sql.param(hits.map((r) => r.hash))}::text[]) with ordinality as b(external_id, hash, i)
            join ${sql.raw(spec.stage)} s on s.external_id = b.external_id and not s.kept
            group by b.i`);
          for (const e of earlier) {
            if (isTrue(e.clash)) return { clash: `a ${spec.stream} record read twice with different content` };
            if (isTrue(e.deferred)) deferred[again[Number(e.i) - 1]!] = true;
          }
        }
        if (!serialAgain) return { deferred };
        const mine = recs.filter((r) => !r.unchanged && r.serial !== null);
        const [other] = await rows<{ one: number }>(this.tx, sql`
          select 1 as one from unnest(${sql.param(mine.map((r) => r.serial!))}::text[], ${sql.param(mine.map((r) => r.externalId))}::text[]) as b(serial, external_id)
          join ${sql.raw(spec.stage)} s on s.serial = b.serial and s.external_id <> b.external_id
          where not s.kept and not s.unchanged limit 1`);
        if (other) return { clash: 'two device records of one serial' };
        return { deferred };
      },
    };
  }

  /** Upserts the rows of `from` that are not deferred: device rows first (observations point at them). */
  private async applyRows(stream: Stream, spec: StreamSpec, st: StagedStream, from: string): Promise<void> {
    const { runId, sourceId } = this.opts;
    if (stream === 'devices') {
      const d = await upsertDevices(this.tx, runId, this.actor, from);
      this.devices.created += d.created;
      this.devices.updated += d.updated;
      this.devices.reactivated += d.reactivated;
    }
    const u = await upsertStream(this.tx, spec, sourceId, runId, this.actor, from);
    for (const k of Object.keys(u) as (keyof UpsertCounts)[]) st.applied[k] += u[k];
  }

  private async timed<T>(step: string, fn: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      this.opts.log?.debug({ step, ms: Math.round(performance.now() - t0) }, 'ledger step');
    }
  }

  /** md5 over every staged id and hash in read order, per stream: what an approval's re-read must reproduce. */
  private async digest(): Promise<string> {
    const parts: string[] = [];
    for (const stream of ORDER) {
      if (!this.staged.has(stream)) continue;
      const [r] = await rows<{ d: string }>(this.tx, sql.raw(`select md5(coalesce(string_agg(external_id || ':' || content_hash || case when kept then ':k' else '' end, ',' order by seq), '')) as d from ${specs[stream].stage}`));
      parts.push(`${stream}:${r?.d ?? ''}`);
    }
    return parts.join(';');
  }

  async apply(o: ApplyOptions): Promise<WriteResult> {
    await this.open();
    for (const [step, ms] of this.batchMs) this.opts.log?.debug({ step, ms: Math.round(ms) }, 'ledger step');
    const digest = await this.timed('digest', () => this.digest());
    // What the batches applied rolls back with the run's transaction when this throws.
    if (o.expect && o.expect.digest !== digest) {
      throw new ConflictError('approval_mismatch', `the source no longer reads as it did when run ${o.expect.runId} was held; nothing was applied. Sync again and review what it would do`, { runId: o.expect.runId });
    }
    const { live } = this;
    const result: WriteResult = {
      streams: {}, assignments: { started: 0, ended: 0 },
      devices: { created: 0, updated: 0, reactivated: 0, deactivated: 0 }, held: false, digest, plan: {},
    };
    const [q] = await rows<{ id: string | number | null }>(this.tx, sql`select max(id) as id from quarantine where run_id = ${this.opts.runId}`);
    const quarantinedByAdd = q?.id == null ? null : Number(q.id);
    try {
      await this.write(o, result);
      const over = Object.entries(result.plan)
        .filter(([unit, n]) => exceedsThreshold(n, live[unit] ?? 0, o.threshold))
        .map(([unit, n]) => `${unit === 'devices_total' ? 'devices' : unit}: ${n} of ${live[unit] ?? 0} would be ${unit === 'assignments' ? 'ended' : 'deactivated'}`);
      if (o.expect) {
        const same = JSON.stringify(sortKeys(o.expect.plan)) === JSON.stringify(sortKeys(result.plan));
        if (!same) {
          throw new ConflictError('approval_mismatch', `run ${o.expect.runId} was held to ${describePlan(o.expect.plan)}; applying it now would ${describePlan(result.plan)}; nothing was applied. Sync again and review`, { runId: o.expect.runId });
        }
      } else if (over.length > 0 && !o.force) {
        result.held = true;
        result.heldReason = `deletion threshold exceeded (${over.join('; ')})`;
        throw new HeldRollback();
      }
      await this.tx.execute(sql.raw(`release savepoint ${SAVEPOINT}`));
    } catch (e) {
      if (!(e instanceof HeldRollback)) throw e;
      await this.timed('held: roll back', () => this.rollbackKeepingQuarantine(quarantinedByAdd));
      for (const [stream, st] of Object.entries(result.streams) as [Stream, StreamStats][]) st.held = result.plan[stream] ?? 0;
    }
    if (!result.held) await this.timed('analyze changed tables', () => this.analyzeChanged(result));
    return result;
  }

  /**
   * A held run keeps what it could not use (rejects, kept records, warnings: an admin fixes the source from them)
   * but nothing it applied: those quarantine rows are read before the rollback and written again after it.
   */
  private async rollbackKeepingQuarantine(upTo: number | null): Promise<void> {
    const keep = upTo === null ? [] : await rows<{ stream: string; outcome: string; external_id: string | null; reason: string; field: string | null; location: string | null; raw: string | null; at: string }>(this.tx, sql`
      select stream, outcome, external_id, reason, field, location, raw::text as raw, at::text as at from quarantine
      where run_id = ${this.opts.runId} and id <= ${upTo} order by id`);
    await this.rollbackToSavepoint();
    if (keep.length === 0) return;
    const col = (f: (r: (typeof keep)[number]) => string | null) => sql`${sql.param(keep.map(f))}::text[]`;
    await this.tx.execute(sql`
      insert into quarantine (run_id, source_id, stream, outcome, external_id, reason, field, location, raw, at)
      select ${this.opts.runId}::bigint, ${this.opts.sourceId}, u.stream, u.outcome, u.external_id, u.reason, u.field, u.location, u.raw::jsonb, u.at::timestamptz
      from unnest(${col((r) => r.stream)}, ${col((r) => r.outcome)}, ${col((r) => r.external_id)}, ${col((r) => r.reason)}, ${col((r) => r.field)},
        ${col((r) => r.location)}, ${col((r) => r.raw)}, ${col((r) => r.at)}) as u(stream, outcome, external_id, reason, field, location, raw, at)`);
  }

  /** The whole-read steps (and, when not incremental, the upserts), stream by stream in dependency order. */
  private async write(o: ApplyOptions, result: WriteResult): Promise<void> {
    const { tx } = this;
    const timed = this.timed.bind(this);
    const { sourceId, runId } = this.opts;
    let holderRelevant = 0;
    // Tables the batches filled are analyzed before the whole-read steps join them (measured at 100k users: the
    // org link over people unanalyzed took 4.4 s).
    await timed('analyze filled tables', () => this.analyzeFilled());
    for (const stream of ORDER) {
      const st = this.staged.get(stream);
      if (!st) continue; // not read this run: nothing about it may change
      const spec = specs[stream] as StreamSpec;
      await timed(`${stream}: analyze stage`, () => analyzeStage(tx, spec));
      if (!this.incremental) {
        await timed(`${stream}: upsert`, () => this.applyRows(stream, spec, st, spec.stage));
      } else if (st.deferred > 0) {
        await timed(`${stream}: deferred upsert`, async () => {
          const into = batchTable(spec);
          await tx.execute(sql.raw(`truncate ${into}`));
          await tx.execute(sql.raw(`insert into ${into} select * from ${spec.stage} where deferred`));
          await tx.execute(sql.raw(`update ${into} set deferred = false`));
          await this.applyRows(stream, spec, st, into);
        });
      }
      const dupes = await timed(`${stream}: duplicates`, () => quarantineDuplicates(tx, runId, sourceId, stream, spec.stage));
      const counts = await timed(`${stream}: counts`, () => stagedCounts(tx, spec));
      // Every row this run wrote is staged, so what is live now and not staged was live before and is not read.
      const vanished = st.bulk ? (await timed(`${stream}: vanished`, () => findVanished(tx, spec, sourceId))).ids : [];
      if (stream === 'orgs') await timed('orgs: link', () => linkToOrgs(tx, sourceId, 'orgs', 'parent_id', 'parent_external_id'));
      if (stream === 'people') await timed('people: link', () => linkToOrgs(tx, sourceId, 'people', 'school_id', 'school_external_id'));
      const gone = await timed(`${stream}: deactivate`, () => applyDeactivations(tx, spec, vanished, runId, this.actor, 'absent from a full read'));
      const u = st.applied;
      result.plan[stream] = gone + u.wentDead;
      holderRelevant += gone + u.holderRelevant;
      result.streams[stream] = {
        read: counts.rows + st.rejected,
        created: u.created,
        updated: u.updated,
        reactivated: u.reactivated,
        deactivated: gone + u.wentDead,
        unchanged: counts.distinct - counts.kept - u.created - u.updated - u.reactivated - u.deleted,
        rejected: st.rejected,
        kept: st.kept,
        warnings: st.warnings + dupes,
        held: 0,
      };
    }
    if (this.staged.has('devices')) {
      result.devices = { ...result.devices, ...this.devices };
      result.devices.deactivated = await timed('devices: orphans', () => deactivateOrphanDevices(tx, runId, this.actor));
      result.plan.devices_total = result.devices.deactivated;
    }
    // Holders depend only on who people are (email, username, user ids, status) and what the MDMs say (user,
    // state, last sync). A run that changed none of that (a renamed student, a new OS version, enrollments) leaves
    // them as last computed; recomputing them over 110k devices costs 1.6 s.
    const touched = holderRelevant > 0 || result.devices.deactivated > 0;
    if (touched) result.assignments = await timed('assignments', () => reconcileAssignments(tx, o.domains, runId, this.actor));
    // A device that changes hands ends one assignment and starts another: that is a move, not a loss. What the
    // threshold guards against is devices left with nobody (a whole fleet deprovisioned, a user column emptied).
    result.plan.assignments = result.assignments.cleared ?? 0;
  }

  /**
   * A first sync fills tables faster than autovacuum samples them; until it does, the planner plans the next
   * run's joins for empty tables (measured: an unchanged re-sync right after a 10k first sync took 5.1 s
   * instead of 3.2 s). Tables this run changed substantially are analyzed before commit.
   */
  private async analyzeChanged(result: WriteResult): Promise<void> {
    const big = (n: number) => n >= 1000;
    const tables = new Set<string>();
    const done = this.analyzed;
    // Row counts are what the planner gets wrong; updates in place leave them (and most column statistics) alone.
    for (const [stream, st] of Object.entries(result.streams) as [Stream, StreamStats][]) {
      if (big(st.created + st.deactivated + st.reactivated)) tables.add(specs[stream].table);
    }
    if (big(result.devices.created)) tables.add('devices');
    if (big(result.assignments.started + result.assignments.ended)) tables.add('assignments');
    for (const t of tables) if (!done.has(t)) await this.tx.execute(sql.raw(`analyze ${t}`));
  }

  private readonly analyzed = new Set<string>();

  /** The tables this run's upserts grew substantially, analyzed once the batches are in. */
  private async analyzeFilled(): Promise<void> {
    const big = (n: number) => n >= 1000;
    for (const [stream, st] of this.staged) {
      if (big(st.applied.created + st.applied.reactivated)) this.analyzed.add(specs[stream].table);
    }
    if (big(this.devices.created)) this.analyzed.add('devices');
    for (const t of this.analyzed) await this.tx.execute(sql.raw(`analyze ${t}`));
  }
}

const isTrue = (v: unknown) => v === true || v === 't' || v === 'true';

function sortKeys(p: Plan): Plan {
  return Object.fromEntries(Object.entries(p).filter(([, n]) => n > 0).sort(([a], [b]) => a.localeCompare(b)));
}

function describePlan(p: Plan): string {
  const parts = Object.entries(sortKeys(p)).map(([unit, n]) => `${unit === 'assignments' ? 'end' : 'deactivate'} ${n} ${unit === 'devices_total' ? 'devices' : unit}`);
  return parts.length ? parts.join(', ') : 'deactivate nothing';
}

/**
 * Resolves an org reference (orgs.parent_external_id, people.school_external_id) to its id for every row whose
 * link is missing or stale, not just the rows this run changed: a school that first appears today links the
 * unchanged students who named it yesterday. Rows already linked are not written.
 */
async function linkToOrgs(tx: Executor, sourceId: string, table: 'orgs' | 'people', idColumn: string, refColumn: string): Promise<void> {
  await tx.execute(sql`
    update ${sql.raw(table)} c set ${sql.raw(idColumn)} = o.id
    from orgs o
    where c.source_id = ${sourceId} and o.source_id = ${sourceId} and o.external_id = c.${sql.raw(refColumn)}
      and c.${sql.raw(idColumn)} is distinct from o.id`);
}
