/**
 * Staging: each batch a connector yields is appended to a temp table (dropped at commit) with one INSERT of
 * unnested arrays. Nothing touches the ledger until the whole read is complete, so a read that fails halfway
 * leaves the ledger exactly as it was.
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

export async function createStage(tx: Executor, spec: StreamSpec): Promise<void> {
  const cols = stageColumns(spec).map((c) => `"${c.name}" ${c.type}`).join(', ');
  // `kept`: the record is present but could not be applied (its live row stays as it was); `keep`: columns whose
  // stored value stays because this read could not supply them (a bad optional cell, a column missing from the file).
  await tx.execute(sql.raw(`create temp table if not exists ${spec.stage} (seq int not null, external_id text not null, deleted bool not null, content_hash text not null, unchanged bool not null, kept bool not null default false, keep text[], ${cols}) on commit drop`));
}

/**
 * The content hashes of this batch's live rows, so unchanged records can be told apart before staging. Asked
 * per batch (an index lookup) rather than loaded whole: memory stays bounded at 500k people. Deactivated rows
 * are left out on purpose: a record that returns must reach the upsert.
 */
async function liveHashes(tx: Executor, spec: StreamSpec, sourceId: string, ids: string[]): Promise<Map<string, string>> {
  const found = await rows<{ external_id: string; content_hash: string }>(tx, sql`
    select external_id, content_hash from ${sql.raw(spec.table)}
    where source_id = ${sourceId} and external_id = any(${sql.param(ids)}::text[]) and deactivated_at is null`);
  return new Map(found.map((r) => [r.external_id, r.content_hash]));
}

/**
 * Appends one batch; `seqStart` numbers rows so the last duplicate of an id wins, as in the file. A record whose
 * hash equals its live row's is staged as id and hash only (it is needed for the absence check, not the
 * upsert): an unchanged nightly re-sync then costs little more than parsing the files. `keep[i]` lists the ledger
 * columns of record i whose stored value stays (see StagedKeep); it is part of the hash, so a value that becomes
 * readable again is written.
 */
export async function stageBatch<S extends Stream>(
  tx: Executor, spec: StreamSpec<S>, sourceId: string, records: RecordByStream[S][], seqStart: number, keep: (string[] | null)[] = [],
): Promise<number> {
  if (records.length === 0) return 0;
  const cols = stageColumns(spec);
  const known = await liveHashes(tx, spec, sourceId, records.map((r) => r.externalId));
  const hashes = records.map((r, i) => (keep[i]?.length ? contentHash({ r, keep: keep[i] }) : contentHash(r)));
  const unchanged = records.map((r, i) => known.get(r.externalId) === hashes[i]);
  const params: SQL[] = [
    sql`${sql.param(records.map((_, i) => seqStart + i))}::int[]`,
    sql`${sql.param(records.map((r) => r.externalId))}::text[]`,
    sql`${sql.param(records.map((r) => String(r.deleted)))}::text[]`,
    sql`${sql.param(hashes)}::text[]`,
    sql`${sql.param(unchanged.map(String))}::text[]`,
    sql`${sql.param(records.map((_, i) => (keep[i]?.length && !unchanged[i] ? pgArrayLiteral(keep[i]!) : null)))}::text[]`,
    ...cols.map((c) => sql`${sql.param(records.map((r, i) => (unchanged[i] ? null : toText(c.get(r)))))}::text[]`),
  ];
  const names = ['seq', 'external_id', 'deleted', 'content_hash', 'unchanged', 'keep', ...cols.map((c) => c.name)];
  const casts = ['seq', 'external_id', 'deleted::bool', 'content_hash', 'unchanged::bool', 'keep::text[]', ...cols.map((c) => (c.type === 'text' ? `"${c.name}"` : `"${c.name}"::${c.type}`))];
  await tx.execute(sql`insert into ${sql.raw(spec.stage)} (${sql.raw(names.map((n) => `"${n}"`).join(', '))})
    select ${sql.raw(casts.join(', '))} from unnest(${sql.join(params, sql`, `)}) as u(${sql.raw(names.map((n) => `"${n}"`).join(', '))})`);
  return unchanged.filter(Boolean).length;
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
