/** Rejected records are kept, not dropped: an admin can see what was wrong, where, and fix the source. */
import { sql } from 'drizzle-orm';
import type { Reject, Stream } from '../../connectors/types.js';
import type { Executor } from '../db/client.js';

export async function quarantineRejects(tx: Executor, runId: number | null, sourceId: string, stream: Stream, rejects: Reject[]): Promise<void> {
  if (rejects.length === 0) return;
  await tx.execute(sql`
    insert into quarantine (run_id, source_id, stream, external_id, reason, field, location, raw)
    select ${runId}::bigint, ${sourceId}, ${stream}, u.external_id, u.reason, u.field, u.location, u.raw::jsonb
    from unnest(
      ${sql.param(rejects.map((r) => r.externalId ?? null))}::text[],
      ${sql.param(rejects.map((r) => r.reason))}::text[],
      ${sql.param(rejects.map((r) => r.field ?? null))}::text[],
      ${sql.param(rejects.map((r) => r.location ?? null))}::text[],
      ${sql.param(rejects.map((r) => JSON.stringify(r.raw ?? null)))}::text[]
    ) as u(external_id, reason, field, location, raw)`);
}

/** A second row with an id already read: the last one wins (as the file reads), the others are quarantined. */
export async function quarantineDuplicates(tx: Executor, runId: number | null, sourceId: string, stream: Stream, stage: string): Promise<number> {
  const res = await tx.execute(sql`
    insert into quarantine (run_id, source_id, stream, external_id, reason, field)
    select ${runId}::bigint, ${sourceId}, ${stream}, s.external_id, 'duplicate id in this read; the later row was kept', 'externalId'
    from ${sql.raw(stage)} s
    where exists (select 1 from ${sql.raw(stage)} s2 where s2.external_id = s.external_id and s2.seq > s.seq)`);
  const r = res as unknown as { count?: number; affectedRows?: number };
  return Number(r.count ?? r.affectedRows ?? 0);
}
