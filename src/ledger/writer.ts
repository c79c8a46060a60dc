/**
 * The ledger writer: the only code that writes domain rows. A sync run hands it every batch a connector
 * yields (`add`), then `apply` writes the whole read set-based inside the run's transaction:
 * upserts with history, deactivation of what vanished (full, bulk streams only, under the deletion
 * threshold), and the MDM assignments that follow.
 */
import { sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Batch, Stream } from '../../connectors/types.js';
import type { DeletionThreshold } from '../config/schema.js';
import type { Executor } from '../db/client.js';
import { reconcileAssignments, type AssignmentCounts } from './assignments.js';
import { applyDeactivations, exceedsThreshold, findVanished } from './deactivate.js';
import { deactivateOrphanDevices, upsertDevices } from './devices.js';
import { quarantineDuplicates, quarantineRejects } from './quarantine.js';
import { analyzeStage, createStage, stageBatch } from './stage.js';
import { specs, type StreamSpec } from './streams.js';
import { stagedCounts, upsertStream } from './upsert.js';

export interface StreamStats {
  read: number;
  created: number;
  updated: number;
  unchanged: number;
  deactivated: number;
  reactivated: number;
  rejected: number;
  /** Deactivations waiting for approval because the run was held. */
  held: number;
}

export interface WriteResult {
  streams: Partial<Record<Stream, StreamStats>>;
  assignments: AssignmentCounts;
  devices: { created: number; updated: number; reactivated: number; deactivated: number };
  held: boolean;
  /** Row ids per table that a held run would deactivate; stored on the run for approval. */
  heldIds: Record<string, number[]>;
  heldReason?: string;
}

export interface WriterOptions {
  sourceId: string;
  runId: number | null;
  mode: 'full' | 'delta';
  /** Step timings at debug level: where a slow run spends its time. */
  log?: Logger;
}

const ORDER: Stream[] = ['orgs', 'people', 'enrollments', 'devices'];

interface StagedStream {
  bulk: boolean;
  seq: number;
  rejected: number;
}

export class LedgerWriter {
  private readonly staged = new Map<Stream, StagedStream>();
  private readonly actor: string;

  constructor(private readonly tx: Executor, private readonly opts: WriterOptions) {
    this.actor = `sync:${opts.sourceId}`;
  }

  async add(batch: Batch): Promise<void> {
    const spec = specs[batch.stream] as StreamSpec;
    let st = this.staged.get(batch.stream);
    if (!st) {
      await createStage(this.tx, spec);
      st = { bulk: this.opts.mode === 'full' && batch.processingMode === 'bulk', seq: 0, rejected: 0 };
      this.staged.set(batch.stream, st);
    }
    await stageBatch(this.tx, spec, this.opts.sourceId, batch.records as never[], st.seq);
    st.seq += batch.records.length;
    st.rejected += batch.rejects.length;
    await quarantineRejects(this.tx, this.opts.runId, this.opts.sourceId, batch.stream, batch.rejects);
  }

  private async timed<T>(step: string, fn: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      this.opts.log?.debug({ step, ms: Math.round(performance.now() - t0) }, 'ledger step');
    }
  }

  async apply(o: { force: boolean; threshold: DeletionThreshold; domains: string[] }): Promise<WriteResult> {
    const { tx } = this;
    const timed = this.timed.bind(this);
    const { sourceId, runId } = this.opts;
    const result: WriteResult = {
      streams: {}, assignments: { started: 0, ended: 0 },
      devices: { created: 0, updated: 0, reactivated: 0, deactivated: 0 }, held: false, heldIds: {},
    };
    const pending: { spec: StreamSpec; ids: number[] }[] = [];
    const over: string[] = [];

    for (const stream of ORDER) {
      const st = this.staged.get(stream);
      if (!st) continue; // not read this run: nothing about it may change
      const spec = specs[stream] as StreamSpec;
      await timed(`${stream}: analyze stage`, () => analyzeStage(tx, spec));
      const dupes = await timed(`${stream}: duplicates`, () => quarantineDuplicates(tx, runId, sourceId, stream, spec.stage));
      const counts = await stagedCounts(tx, spec);
      if (st.bulk) {
        const v = await timed(`${stream}: vanished`, () => findVanished(tx, spec, sourceId));
        pending.push({ spec, ids: v.ids });
        if (exceedsThreshold(v.ids.length, v.live, o.threshold)) {
          over.push(`${stream}: ${v.ids.length} of ${v.live} would be deactivated`);
        }
      }
      if (stream === 'devices') {
        const d = await timed('devices: upsert devices', () => upsertDevices(tx, runId, this.actor));
        result.devices = { ...result.devices, ...d };
      }
      const u = await timed(`${stream}: upsert`, () => upsertStream(tx, spec, sourceId, runId, this.actor));
      if (stream === 'orgs') await linkToOrgs(tx, sourceId, 'orgs', 'parent_id', 'parent_external_id');
      if (stream === 'people') await linkToOrgs(tx, sourceId, 'people', 'school_id', 'school_external_id');
      result.streams[stream] = {
        read: counts.rows + st.rejected,
        created: u.created,
        updated: u.updated,
        reactivated: u.reactivated,
        deactivated: u.deleted,
        unchanged: counts.distinct - u.created - u.updated - u.reactivated - u.deleted,
        rejected: st.rejected + dupes,
        held: 0,
      };
    }

    result.held = over.length > 0 && !o.force;
    if (result.held) result.heldReason = `deletion threshold exceeded (${over.join('; ')})`;
    for (const { spec, ids } of pending) {
      const stats = result.streams[spec.stream]!;
      if (result.held) {
        stats.held = ids.length;
        if (ids.length > 0) result.heldIds[spec.table] = ids;
      } else {
        stats.deactivated += await applyDeactivations(tx, spec, ids, runId, this.actor, 'absent from a full read');
      }
    }
    if (this.staged.has('devices')) result.devices.deactivated = await deactivateOrphanDevices(tx, runId, this.actor);
    // Holders depend only on people and observations; when this run changed neither, they are as last computed.
    const touched = Object.values(result.streams).some((x) => x.created + x.updated + x.deactivated + x.reactivated > 0)
      || result.devices.created + result.devices.updated + result.devices.reactivated + result.devices.deactivated > 0;
    if (touched) result.assignments = await timed('assignments', () => reconcileAssignments(tx, o.domains, runId, this.actor));
    await timed('analyze changed tables', () => this.analyzeChanged(result));
    return result;
  }

  /**
   * A first sync fills tables faster than autovacuum samples them; until it does, the planner plans the next
   * run's joins for empty tables (measured: an unchanged re-sync right after a 10k first sync took 5.1 s
   * instead of 3.2 s). Tables this run changed substantially are analyzed before commit.
   */
  private async analyzeChanged(result: WriteResult): Promise<void> {
    const big = (n: number) => n >= 1000;
    const tables = new Set<string>();
    for (const [stream, st] of Object.entries(result.streams) as [Stream, StreamStats][]) {
      if (big(st.created + st.updated + st.deactivated + st.reactivated)) tables.add(specs[stream].table);
    }
    if (big(result.devices.created)) tables.add('devices');
    if (big(result.assignments.started + result.assignments.ended)) tables.add('assignments');
    for (const t of tables) await this.tx.execute(sql.raw(`analyze ${t}`));
  }
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

/** Applies the deactivations a held run was waiting for (approval or `sync --force` later). */
export async function applyHeld(tx: Executor, heldIds: Record<string, number[]>, runId: number, sourceId: string): Promise<number> {
  let n = 0;
  for (const spec of Object.values(specs) as StreamSpec[]) {
    const ids = heldIds[spec.table];
    if (ids?.length) n += await applyDeactivations(tx, spec, ids, runId, `approve:${sourceId}`, 'absent from a full read (approved)');
  }
  if (heldIds.device_observations?.length) await deactivateOrphanDevices(tx, runId, `approve:${sourceId}`);
  return n;
}
