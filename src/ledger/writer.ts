/**
 * The ledger writer: the only code that writes domain rows. A sync run hands it every batch a connector
 * yields (`add`), then `apply` writes the whole read set-based inside the run's transaction: upserts with
 * history, deactivation of what vanished (full, bulk streams only), and the MDM assignments that follow.
 *
 * `apply` makes every change inside a savepoint and then judges what it did against the deletion threshold:
 * every deactivation counts, whatever its cause (absence, an explicit delete, a disabled flag), and so does every
 * ended assignment. Over the threshold, the savepoint is rolled back: a held run changes nothing in the ledger
 * (ADR 0004). Approval re-reads the source and must find the same read (digest) and the same plan.
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
import { analyzeStage, createStage, stageBatch, stageKept } from './stage.js';
import { columnsForFields, specs, type StreamSpec } from './streams.js';
import { stagedCounts, upsertStream } from './upsert.js';

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
}

class HeldRollback extends Error {
  constructor() {
    super('held: rolled back to the savepoint');
  }
}

export class LedgerWriter {
  private readonly staged = new Map<Stream, StagedStream>();
  private readonly actor: string;

  constructor(private readonly tx: Tx, private readonly opts: WriterOptions) {
    this.actor = `sync:${opts.sourceId}`;
  }

  async add(batch: Batch): Promise<void> {
    const spec = specs[batch.stream] as StreamSpec;
    const { runId, sourceId } = this.opts;
    let st = this.staged.get(batch.stream);
    if (!st) {
      await createStage(this.tx, spec);
      st = { bulk: this.opts.mode === 'full' && batch.processingMode === 'bulk', seq: 0, rejected: 0, kept: 0, warnings: 0 };
      this.staged.set(batch.stream, st);
    }
    const warnings = batch.warnings ?? [];
    const byId = new Map<string, string[]>();
    for (const w of warnings) byId.set(w.externalId, [...(byId.get(w.externalId) ?? []), w.field]);
    const unsupplied = batch.unsupplied ?? [];
    const keep = batch.records.map((r) => {
      const fields = [...unsupplied, ...(byId.get(r.externalId) ?? [])];
      return fields.length ? columnsForFields(spec, fields).sort() : null;
    });
    await stageBatch(this.tx, spec, sourceId, batch.records as never[], st.seq, keep);
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

  /** Live rows before the run, per unit the threshold judges. */
  private async liveBefore(): Promise<Plan> {
    const { sourceId } = this.opts;
    const live: Plan = {};
    for (const stream of ORDER) {
      if (!this.staged.has(stream)) continue;
      const [r] = await rows<{ n: number }>(this.tx, sql`select count(*)::int as n from ${sql.raw(specs[stream].table)}
        where source_id = ${sourceId} and deactivated_at is null and ${sql.raw(`"${specs[stream].state.column}"`)} = ${specs[stream].state.live}`);
      live[stream] = Number(r?.n ?? 0);
    }
    const [d] = await rows<{ n: number }>(this.tx, sql`select count(*)::int as n from devices where deactivated_at is null`);
    const [a] = await rows<{ n: number }>(this.tx, sql`select count(*)::int as n from assignments where ended_at is null and origin = 'mdm'`);
    live.devices_total = Number(d?.n ?? 0);
    live.assignments = Number(a?.n ?? 0);
    return live;
  }

  async apply(o: ApplyOptions): Promise<WriteResult> {
    const digest = await this.timed('digest', () => this.digest());
    if (o.expect && o.expect.digest !== digest) {
      throw new ConflictError('approval_mismatch', `the source no longer reads as it did when run ${o.expect.runId} was held; nothing was applied. Sync again and review what it would do`, { runId: o.expect.runId });
    }
    const live = await this.liveBefore();
    const result: WriteResult = {
      streams: {}, assignments: { started: 0, ended: 0 },
      devices: { created: 0, updated: 0, reactivated: 0, deactivated: 0 }, held: false, digest, plan: {},
    };
    try {
      await this.tx.transaction(async (sp) => {
        await this.write(sp, o, result);
        const over = Object.entries(result.plan)
          .filter(([unit, n]) => exceedsThreshold(n, live[unit === 'devices_total' ? 'devices_total' : unit] ?? 0, o.threshold))
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
      });
    } catch (e) {
      if (!(e instanceof HeldRollback)) throw e;
      for (const [stream, st] of Object.entries(result.streams) as [Stream, StreamStats][]) st.held = result.plan[stream] ?? 0;
    }
    if (!result.held) await this.timed('analyze changed tables', () => this.analyzeChanged(result));
    return result;
  }

  private async write(tx: Executor, o: ApplyOptions, result: WriteResult): Promise<void> {
    const timed = this.timed.bind(this);
    const { sourceId, runId } = this.opts;
    let holderRelevant = 0;
    for (const stream of ORDER) {
      const st = this.staged.get(stream);
      if (!st) continue; // not read this run: nothing about it may change
      const spec = specs[stream] as StreamSpec;
      await timed(`${stream}: analyze stage`, () => analyzeStage(tx, spec));
      const dupes = await timed(`${stream}: duplicates`, () => quarantineDuplicates(tx, runId, sourceId, stream, spec.stage));
      const counts = await stagedCounts(tx, spec);
      const vanished = st.bulk ? (await timed(`${stream}: vanished`, () => findVanished(tx, spec, sourceId))).ids : [];
      if (stream === 'devices') {
        const d = await timed('devices: upsert devices', () => upsertDevices(tx, runId, this.actor));
        result.devices = { ...result.devices, ...d };
      }
      const u = await timed(`${stream}: upsert`, () => upsertStream(tx, spec, sourceId, runId, this.actor));
      if (stream === 'orgs') await linkToOrgs(tx, sourceId, 'orgs', 'parent_id', 'parent_external_id');
      if (stream === 'people') await linkToOrgs(tx, sourceId, 'people', 'school_id', 'school_external_id');
      const gone = await applyDeactivations(tx, spec, vanished, runId, this.actor, 'absent from a full read');
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
      result.devices.deactivated = await deactivateOrphanDevices(tx, runId, this.actor);
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
    // Row counts are what the planner gets wrong; updates in place leave them (and most column statistics) alone.
    for (const [stream, st] of Object.entries(result.streams) as [Stream, StreamStats][]) {
      if (big(st.created + st.deactivated + st.reactivated)) tables.add(specs[stream].table);
    }
    if (big(result.devices.created)) tables.add('devices');
    if (big(result.assignments.started + result.assignments.ended)) tables.add('assignments');
    for (const t of tables) await this.tx.execute(sql.raw(`analyze ${t}`));
  }
}

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
