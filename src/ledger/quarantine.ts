/**
 * What a run could not use is kept, not dropped: an admin can see what was wrong, where, and fix the source.
 * Each row says its outcome: `rejected` (no usable identity), `kept` (present but unreadable: its live row was
 * left as it was) or `warning` (applied, but one field kept its stored value; also run-level notices).
 */
import { sql } from 'drizzle-orm';
import type { FieldWarning, Reject, Stream } from '../../connectors/types.js';
import type { Executor } from '../db/client.js';

interface Row {
  outcome: 'rejected' | 'kept' | 'warning';
  externalId?: string | null;
  reason: string;
  field?: string | null;
  location?: string | null;
  raw?: unknown;
}

/** Stored text is capped: a reason quoting a 20 MB cell must not become a 20 MB row. */
const MAX_TEXT = 2000;
const cap = (s: string | null | undefined) => (s == null ? null : s.length > MAX_TEXT ? `${s.slice(0, MAX_TEXT)}…` : s);
// NUL cannot be stored in text or jsonb; other control characters are shown escaped.
// eslint-disable-next-line no-control-regex
const clean = (s: string | null | undefined) => cap(s == null ? null : s.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
function rawJson(raw: unknown): string {
  const json = JSON.stringify(raw ?? null, (_k, v: unknown) => (typeof v === 'string' ? clean(v) : v));
  return json.length > 64_000 ? JSON.stringify({ truncated: true, bytes: json.length }) : json;
}

async function insert(tx: Executor, runId: number | null, sourceId: string, stream: Stream, rs: Row[]): Promise<void> {
  if (rs.length === 0) return;
  await tx.execute(sql`
    insert into quarantine (run_id, source_id, stream, outcome, external_id, reason, field, location, raw)
    select ${runId}::bigint, ${sourceId}, ${stream}, u.outcome, u.external_id, u.reason, u.field, u.location, u.raw::jsonb
    from unnest(
      ${sql.param(rs.map((r) => r.outcome))}::text[],
      ${sql.param(rs.map((r) => clean(r.externalId ?? null)))}::text[],
      ${sql.param(rs.map((r) => clean(r.reason) ?? ''))}::text[],
      ${sql.param(rs.map((r) => clean(r.field ?? null)))}::text[],
      ${sql.param(rs.map((r) => clean(r.location ?? null)))}::text[],
      ${sql.param(rs.map((r) => rawJson(r.raw)))}::text[]
    ) as u(outcome, external_id, reason, field, location, raw)`);
}

export async function quarantineRejects(tx: Executor, runId: number | null, sourceId: string, stream: Stream, rejects: Reject[]): Promise<void> {
  await insert(tx, runId, sourceId, stream, rejects.map((r) => ({ ...r, outcome: r.externalId ? 'kept' : 'rejected' })));
}

export async function quarantineWarnings(tx: Executor, runId: number | null, sourceId: string, stream: Stream, warnings: FieldWarning[], notices: string[]): Promise<void> {
  await insert(tx, runId, sourceId, stream, [
    ...warnings.map((w) => ({ ...w, outcome: 'warning' as const })),
    ...notices.map((n) => ({ outcome: 'warning' as const, reason: n })),
  ]);
}

/** A second row with an id already read: the last one wins (as the file reads), the others are quarantined. */
export async function quarantineDuplicates(tx: Executor, runId: number | null, sourceId: string, stream: Stream, stage: string): Promise<number> {
  const res = await tx.execute(sql`
    insert into quarantine (run_id, source_id, stream, outcome, external_id, reason, field)
    select ${runId}::bigint, ${sourceId}, ${stream}, 'warning', s.external_id, 'duplicate id in this read; the later row was kept', 'externalId'
    from ${sql.raw(stage)} s
    where not s.kept and exists (select 1 from ${sql.raw(stage)} s2 where s2.external_id = s.external_id and s2.seq > s.seq and not s2.kept
      -- a later explicit delete of the same id is the source retracting it (Intune's stale re-enrolment), not a clash
      and not (s2.deleted and not s.deleted))`);
  const r = res as unknown as { count?: number; affectedRows?: number };
  return Number(r.count ?? r.affectedRows ?? 0);
}
