/**
 * Staging: each batch a connector yields is appended to a temp table (dropped at commit) with one INSERT of
 * unnested arrays. Nothing touches the ledger until the whole read is complete, so a read that fails halfway
 * leaves the ledger exactly as it was.
 */
import { sql, type SQL } from 'drizzle-orm';
import type { RecordByStream, Stream } from '../../connectors/types.js';
import type { Executor } from '../db/client.js';
import { contentHash } from './encode.js';
import { stageColumns, type StreamSpec } from './streams.js';

/**
 * Every column travels as text[] and is cast on the way in: postgres.js infers a parameter's type from its
 * first element and sends a boolean array as `boolean`, so typed arrays other than text are not portable.
 */
const toText = (v: string | number | boolean | null): string | null => (v === null ? null : String(v));

export async function createStage(tx: Executor, spec: StreamSpec): Promise<void> {
  const cols = stageColumns(spec).map((c) => `"${c.name}" ${c.type}`).join(', ');
  await tx.execute(sql.raw(`create temp table if not exists ${spec.stage} (seq int not null, external_id text not null, deleted bool not null, content_hash text not null, ${cols}) on commit drop`));
}

/** Appends one batch; `seqStart` numbers rows so the last duplicate of an id wins, as in the file. */
export async function stageBatch<S extends Stream>(tx: Executor, spec: StreamSpec<S>, records: RecordByStream[S][], seqStart: number): Promise<void> {
  if (records.length === 0) return;
  const cols = stageColumns(spec);
  const params: SQL[] = [
    sql`${sql.param(records.map((_, i) => seqStart + i))}::int[]`,
    sql`${sql.param(records.map((r) => r.externalId))}::text[]`,
    sql`${sql.param(records.map((r) => String(r.deleted)))}::text[]`,
    sql`${sql.param(records.map((r) => contentHash(r)))}::text[]`,
    ...cols.map((c) => sql`${sql.param(records.map((r) => toText(c.get(r))))}::text[]`),
  ];
  const names = ['seq', 'external_id', 'deleted', 'content_hash', ...cols.map((c) => c.name)];
  const casts = ['seq', 'external_id', 'deleted::bool', 'content_hash', ...cols.map((c) => (c.type === 'text' ? `"${c.name}"` : `"${c.name}"::${c.type}`))];
  await tx.execute(sql`insert into ${sql.raw(spec.stage)} (${sql.raw(names.map((n) => `"${n}"`).join(', '))})
    select ${sql.raw(casts.join(', '))} from unnest(${sql.join(params, sql`, `)}) as u(${sql.raw(names.map((n) => `"${n}"`).join(', '))})`);
}

/**
 * Gives the planner row counts for the finished stage. Without them it has guessed a nested-loop anti-join
 * over 100k × 100k rows (minutes); an index did not pay for itself, ANALYZE (a 30k-row sample) does.
 */
export async function analyzeStage(tx: Executor, spec: StreamSpec): Promise<void> {
  await tx.execute(sql.raw(`analyze ${spec.stage}`));
}
