/**
 * Staging: each batch a connector yields is appended to a temp table (dropped at commit) with one INSERT of
 * unnested arrays. The stage is the whole read: the digest, the absence check and the duplicate check are
 * computed over it once the read is complete. A run applies each batch as it arrives (ADR 0014): the batch is
 * staged into a small `<stage>_batch` table, upserted from there, and appended to the stage.
 */
import { sql, type SQL } from 'drizzle-orm';
import type { RecordByStream, Stream } from '../../connectors/types.js';
import { rows, type Executor } from '../db/client.js';
import { contentHash, pgArrayLiteral } from './encode.js';
import { stageColumns, type StreamSpec } from './streams.js';

/**
 * Every column travels as text[] and is cast on the way in: postgres.js infers a parameter's type from its
 * first element and sends a boolean array as `boolean`, so typed arrays other than text are not portable.
 */
const toText = (v: string | number | boolean | null): string | null => (v === null ? null : String(v));

export const batchTable = (spec: StreamSpec) => `${spec.stage}_batch`;

/**
 * The stage and its batch table. `kept`: the record is present but could not be applied (its live row stays as
 * it was); `keep`: columns whose stored value stays because this read could not supply them (a bad optional
 * cell, a column missing from the file); `deferred`: applied only once the read is complete (see LedgerWriter).
 */
export async function createStage(tx: Executor, spec: StreamSpec, incremental: boolean): Promise<void> {
  const cols = stageColumns(spec).map((c) => `"${c.name}" ${c.type}`).join(', ');
  const def = `(seq int not null, external_id text not null, deleted bool not null, content_hash text not null, unchanged bool not null, kept bool not null default false, deferred bool not null default false, keep text[], ${cols}) on commit drop`;
  await tx.execute(sql.raw(`create temp table if not exists ${spec.stage} ${def}`));
  if (!incremental) return;
  await tx.execute(sql.raw(`create temp table if not exists ${batchTable(spec)} ${def}`));
}

/**
 * The live state of this batch's ledger rows, so unchanged records can be told apart before staging. Asked per
 * batch (an index lookup) rather than loaded whole: memory stays bounded at 500k people. `dead`: the row is
 * deactivated (a record that returns must reach the upsert, so its hash never counts as unchanged).
 */
async function ledgerState(tx: Executor, spec: StreamSpec, sourceId: string, ids: string[]): Promise<Map<string, { hash: string; dead: boolean }>> {
  const found = await rows<{ external_id: string; content_hash: string; dead: boolean }>(tx, sql`
    select t.external_id, t.content_hash, t.deactivated_at is not null as dead from unnest(${sql.param(ids)}::text[]) as i(id)
    cross join lateral (select external_id, content_hash, deactivated_at from ${sql.raw(spec.table)} t
      where t.source_id = ${sourceId} and t.external_id = i.id limit 1) t`);
  return new Map(found.map((r) => [r.external_id, { hash: r.content_hash, dead: r.dead === true || String(r.dead) === 'true' }]));
}

export interface StagedBatch {
  /** Records whose live row already holds them. */
  unchanged: number;
  /** Records staged as deferred (see LedgerWriter.add). */
  deferred: number;
}

/** What the writer needs to decide, per record, before staging (incremental runs only). */
export interface StageDecider {
  /**
   * Given the batch's ids, hashes and ledger state: the records to defer, or a reason why the run cannot be
   * applied batch by batch (then nothing is staged).
   */
  decide(records: { externalId: string; hash: string; unchanged: boolean; dead: boolean; serial: string | null }[]): Promise<{ deferred: boolean[] } | { clash: string }>;
}

/**
 * Appends one batch to `into`; `seqStart` numbers rows so the last duplicate of an id wins, as in the file. A
 * record whose hash equals its live row's is staged as id and hash only (it is needed for the absence check,
 * not the upsert): an unchanged nightly re-sync then costs little more than parsing the files. `keep[i]` lists
 * the ledger columns of record i whose stored value stays (see StagedKeep); it is part of the hash, so a value
 * that becomes readable again is written.
 */
export async function stageBatch<S extends Stream>(
  tx: Executor, spec: StreamSpec<S>, sourceId: string, records: RecordByStream[S][], seqStart: number, keep: (string[] | null)[] = [],
  into: string = spec.stage, decider?: StageDecider, ledgerEmpty = false,
): Promise<StagedBatch | { clash: string }> {
  if (records.length === 0) return { unchanged: 0, deferred: 0 };
  const cols = stageColumns(spec);
  // A source's first read of a stream has nothing to compare with: every record is new to the ledger, as it is
  // when the read is applied whole (rows this run wrote itself are skipped by the upsert's hash guard).
  const known = ledgerEmpty ? new Map<string, { hash: string; dead: boolean }>() : await ledgerState(tx, spec, sourceId, records.map((r) => r.externalId));
  const hashes = records.map((r, i) => (keep[i]?.length ? contentHash({ r, keep: keep[i] }) : contentHash(r)));
  const unchanged = records.map((r, i) => {
    const k = known.get(r.externalId);
    return k !== undefined && !k.dead && k.hash === hashes[i];
  });
  let deferred: boolean[] = records.map(() => false);
  if (decider) {
    const serialCol = cols.find((c) => c.name === 'serial');
    const d = await decider.decide(records.map((r, i) => ({
      externalId: r.externalId, hash: hashes[i]!, unchanged: unchanged[i]!, dead: known.get(r.externalId)?.dead ?? false,
      serial: serialCol ? (serialCol.get(r) as string | null) : null,
    })));
    if ('clash' in d) return d;
    deferred = d.deferred;
  }
  const params: SQL[] = [
    sql`${sql.param(records.map((_, i) => seqStart + i))}::int[]`,
    sql`${sql.param(records.map((r) => r.externalId))}::text[]`,
    sql`${sql.param(records.map((r) => String(r.deleted)))}::text[]`,
    sql`${sql.param(hashes)}::text[]`,
    sql`${sql.param(unchanged.map(String))}::text[]`,
    sql`${sql.param(deferred.map(String))}::text[]`,
    sql`${sql.param(records.map((_, i) => (keep[i]?.length && !unchanged[i] ? pgArrayLiteral(keep[i]!) : null)))}::text[]`,
    ...cols.map((c) => sql`${sql.param(records.map((r, i) => (unchanged[i] ? null : toText(c.get(r)))))}::text[]`),
  ];
  const names = ['seq', 'external_id', 'deleted', 'content_hash', 'unchanged', 'deferred', 'keep', ...cols.map((c) => c.name)];
  const casts = ['seq', 'external_id', 'deleted::bool', 'content_hash', 'unchanged::bool', 'deferred::bool', 'keep::text[]', ...cols.map((c) => (c.type === 'text' ? `"${c.name}"` : `"${c.name}"::${c.type}`))];
  await tx.execute(sql`insert into ${sql.raw(into)} (${sql.raw(names.map((n) => `"${n}"`).join(', '))})
    select ${sql.raw(casts.join(', '))} from unnest(${sql.join(params, sql`, `)}) as u(${sql.raw(names.map((n) => `"${n}"`).join(', '))})`);
  return { unchanged: unchanged.filter(Boolean).length, deferred: deferred.filter(Boolean).length };
}

/**
 * Stages records that are present but cannot be applied (a Reject that names its id): they count for the
 * absence check, so nothing is deactivated or ended on their account, and the upsert skips them.
 */
export async function stageKept(tx: Executor, spec: StreamSpec, externalIds: string[], seqStart: number): Promise<void> {
  if (externalIds.length === 0) return;
  await tx.execute(sql`insert into ${sql.raw(spec.stage)} (seq, external_id, deleted, content_hash, unchanged, kept)
    select u.seq, u.external_id, false, '', false, true
    from unnest(${sql.param(externalIds.map((_, i) => seqStart + i))}::int[], ${sql.param(externalIds)}::text[]) as u(seq, external_id)`);
}

/**
 * Gives the planner row counts for the finished stage. Without them it has guessed a nested-loop anti-join
 * over 100k × 100k rows (minutes); an index did not pay for itself, ANALYZE (a 30k-row sample) does.
 */
export async function analyzeStage(tx: Executor, spec: StreamSpec): Promise<void> {
  await tx.execute(sql.raw(`analyze ${spec.stage}`));
}
