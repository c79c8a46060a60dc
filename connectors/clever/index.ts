/**
 * Clever API v3.0 source (https://dev.clever.com/docs/api-overview): schools → orgs, users → people, sections →
 * enrollments. Full reads page `links[rel=next]` and are bulk; deltas replay the Events API
 * (`/v3.0/events?starting_after=<last event id>`, https://dev.clever.com/docs/events-api) as delta batches.
 *
 * Cursor: `{ lastEventId }`. A full read with `events: true` takes the newest event id *before* reading the data,
 * so a change made during the read is replayed by the next delta (events are applied idempotently: the last state
 * of each record in a delta wins). `lastEventId: null` means "no events existed": the next delta starts at the
 * oldest event. A delta without a cursor (no full run yet) or with `events: false` is refused.
 */
import { z } from 'zod';
import { Batcher } from '../shared/batcher.js';
import { AppError, SourceFormatError, errorMessage, isAppError } from '../shared/errors.js';
import type { MapResult } from '../shared/map-result.js';
import type {
  Batch, CheckResult, Ctx, EnrollmentRecord, HttpNeeds, OrgRecord, PersonRecord, ReadOptions, RecordByStream, Reject,
  SourceConnector, Stream,
} from '../types.js';
import { eventSchema, type CleverEvent } from './api-types.js';
import { cleverPages, getJson, type PageOpts } from './client.js';
import { mapSchool, mapSection, mapUser } from './mapper.js';

export const configSchema = z.strictObject({
  /** API host; the `/v3.0/...` paths are appended. Override for an on-prem proxy or tests. */
  baseUrl: z.string().url().default('https://api.clever.com'),
  /** District-app bearer token (`tokenFile:` in the YAML reads it from a file, see src/config/load.ts). */
  token: z.string().min(1),
  /** Deltas through the Events API (the district must have enabled events; Secure Sync only). */
  events: z.boolean().default(true),
  /** Items per page (`limit`); Clever's maximum is 10000. */
  pageSize: z.number().int().min(1).max(10_000).default(1000),
  batchSize: z.number().int().positive().default(2000),
  /** http:// base URLs are refused unless true (student data in transit). */
  allowInsecure: z.boolean().default(false),
}).refine((c) => c.allowInsecure || c.baseUrl.startsWith('https://'), {
  message: 'an http:// baseUrl is refused (student data in transit); set allowInsecure: true for a local proxy',
  path: ['baseUrl'],
});
export type CleverConfig = z.infer<typeof configSchema>;

export interface CleverCursor {
  lastEventId: string | null;
}

const V = '/v3.0';

function needs(config: CleverConfig): HttpNeeds {
  return {
    baseUrl: config.baseUrl,
    // A district token does not expire; a 401 is a revoked or wrong token, so there is no refresh.
    auth: { headers: async () => ({ authorization: `Bearer ${config.token}` }) },
    concurrency: 2,
    // "1200 requests per minute per Bearer Token" (https://dev.clever.com/reference/responses-errors).
    rate: { requests: 20, intervalMs: 1000 },
  };
}

const pageOpts = (ctx: Ctx<CleverConfig>): PageOpts => ({ signal: ctx.signal });

function cursorOf(raw: unknown): CleverCursor | undefined {
  if (raw && typeof raw === 'object' && 'lastEventId' in raw) {
    const v = (raw as { lastEventId: unknown }).lastEventId;
    if (v === null || typeof v === 'string') return { lastEventId: v };
  }
  return undefined;
}

const statusOf = (e: unknown): number | undefined => {
  const s = (e as { httpStatus?: unknown; context?: { status?: unknown } } | null);
  const v = s?.httpStatus ?? s?.context?.status;
  return typeof v === 'number' ? v : undefined;
};

/** The id of the newest event, scanning forward from `from` (the previous cursor) or from the oldest. */
async function newestEventId(ctx: Ctx<CleverConfig>, from: string | null): Promise<string | null> {
  const q = new URLSearchParams({ limit: String(ctx.config.pageSize) });
  if (from) q.set('starting_after', from);
  let last = from;
  for await (const page of cleverPages(ctx.http, `${V}/events?${q}`, pageOpts(ctx))) {
    const id = (page.items[page.items.length - 1] as { data?: { id?: unknown } } | undefined)?.data?.id;
    if (typeof id === 'string') last = id;
  }
  return last;
}

async function* fullStream<S extends Stream>(
  ctx: Ctx<CleverConfig>, stream: S, resource: string, map: (raw: unknown, where: string) => MapResult<RecordByStream[S]>[],
  extra: { unsupplied?: string[]; cursor?: CleverCursor; notices?: string[] },
): AsyncGenerator<Batch> {
  const b = new Batcher(stream, { size: ctx.config.batchSize, processingMode: 'bulk', unsupplied: extra.unsupplied, notices: extra.notices });
  const tag = (x: Batch): Batch => (extra.cursor ? { ...x, cursor: extra.cursor } : x);
  for await (const page of cleverPages(ctx.http, `${V}/${resource}?limit=${ctx.config.pageSize}`, pageOpts(ctx))) {
    for (const item of page.items) {
      for (const m of map((item as { data: unknown }).data, page.where)) {
        const out = b.add(m);
        if (out) yield tag(out);
      }
    }
  }
  const last = b.end();
  if (last) yield tag(last);
  ctx.log.info({ stream, ...b.totals }, 'clever stream read');
}

const clientError = (e: unknown): boolean => {
  const status = statusOf(e);
  return status !== undefined && status >= 400 && status < 500 && status !== 429;
};

/**
 * The cursor a full read leaves: the newest event id, taken before the data is read. A 4xx from the Events API
 * (events not enabled for the district, or the previous cursor aged out of the 30-day window) does not fail the
 * full read: it records no cursor and says so in a notice; deltas then fail with their own message.
 */
async function eventsCursor(ctx: Ctx<CleverConfig>, prev: string | null): Promise<{ cursor?: CleverCursor; notice?: string }> {
  let failure: unknown;
  for (const from of prev ? [prev, null] : [null]) {
    try {
      return { cursor: { lastEventId: await newestEventId(ctx, from) } };
    } catch (e) {
      if (!clientError(e)) throw e;
      failure = e;
    }
  }
  return {
    notice: `Clever Events API answered ${statusOf(failure)}: no delta cursor was recorded, so delta runs fail until events ` +
      'are enabled for this district (Clever: Settings > Integrations > Enable events) or events: false is set',
  };
}

async function* readFull(ctx: Ctx<CleverConfig>, opts: ReadOptions): AsyncGenerator<Batch> {
  const ev = ctx.config.events ? await eventsCursor(ctx, cursorOf(opts.cursor)?.lastEventId ?? null) : {};
  const cursor = ev.cursor;
  if (ev.notice) ctx.log.warn({ notice: ev.notice }, 'clever events unavailable');
  const notices = ev.notice ? [ev.notice] : undefined;
  yield* fullStream(ctx, 'orgs', 'schools', (raw, where) => [mapSchool(raw, { where })], { cursor, notices });
  yield* fullStream(ctx, 'people', 'users', (raw, where) => [mapUser(raw, { where })], { unsupplied: ['preferredName'], cursor });
  yield* fullStream(ctx, 'enrollments', 'sections', (raw, where) => sectionOrFail(mapSection(raw, { where }), where), { unsupplied: ['beginDate', 'endDate'], cursor });
}

/** An unreadable section fails the read (see mapSection): its enrollments cannot be kept by id. */
function sectionOrFail<T>(m: T[] | { unreadable: string }, where: string): T[] {
  if (Array.isArray(m)) return m;
  throw new SourceFormatError(`clever: ${where} returned a section that cannot be read (${m.unreadable}); nothing was changed`, { path: where });
}

/** Collapses a delta's outcomes per record: the last event about a record wins (idempotent replay). */
class Latest<T extends { externalId: string }> {
  readonly byId = new Map<string, MapResult<T>>();
  readonly loose: Reject[] = [];
  add(m: MapResult<T>): void {
    const id = m.ok ? m.record.externalId : m.reject.externalId;
    if (id === undefined) {
      if (!m.ok) this.loose.push(m.reject);
      return;
    }
    this.byId.delete(id);
    this.byId.set(id, m);
  }
}

function previousMembers(ev: CleverEvent): { students: string[]; teachers: string[] } | undefined {
  const prev = (ev.data?.previous_attributes ?? ev.previous_attributes) as { students?: unknown; teachers?: unknown; teacher?: unknown } | undefined;
  if (!prev || typeof prev !== 'object') return undefined;
  const ids = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  return { students: ids(prev.students), teachers: [...ids(prev.teachers), ...(typeof prev.teacher === 'string' ? [prev.teacher] : [])] };
}

async function* readDelta(ctx: Ctx<CleverConfig>, opts: ReadOptions): AsyncGenerator<Batch> {
  if (!ctx.config.events) {
    throw new AppError('delta_unsupported', 'this Clever source has events: false: delta runs are refused; run a full sync');
  }
  const start = cursorOf(opts.cursor);
  if (!start) {
    throw new AppError('delta_unsupported', 'no Clever events cursor yet: a full sync records one; run a full sync first');
  }
  const orgs = new Latest<OrgRecord>();
  const people = new Latest<PersonRecord>();
  const enrollments = new Latest<EnrollmentRecord>();
  const counts = { events: 0, skipped: 0 };
  let last = start.lastEventId;
  const q = new URLSearchParams({ limit: String(ctx.config.pageSize) });
  if (last) q.set('starting_after', last);
  try {
    for await (const page of cleverPages(ctx.http, `${V}/events?${q}`, pageOpts(ctx))) {
      for (const item of page.items) {
        const parsed = eventSchema.safeParse((item as { data: unknown }).data);
        if (!parsed.success) {
          // An event we cannot read would be silently lost if we moved the cursor past it.
          throw new AppError('source_format', `clever: ${page.where} returned an event that is not Clever's v3.0 shape`, { context: { path: page.where } });
        }
        const ev = parsed.data;
        counts.events++;
        last = ev.id;
        const [resource, action] = ev.type.split('.');
        const deleted = action === 'deleted';
        const obj = ev.data?.object;
        const at = { where: page.where, deleted };
        if (resource === 'schools') orgs.add(mapSchool(obj, at));
        else if (resource === 'users') people.add(mapUser(obj, at));
        else if (resource === 'sections') {
          const m = mapSection(obj, { ...at, removed: action === 'updated' ? previousMembers(ev) : undefined });
          for (const e of sectionOrFail(m, page.where)) enrollments.add(e);
        } else counts.skipped++;
      }
    }
  } catch (e) {
    const status = statusOf(e);
    if (clientError(e)) {
      throw new AppError('sync_failed', `clever: the Events API answered ${status}: events may be disabled for this district or the cursor aged out of the 30-day window; run a full sync`, { cause: e });
    }
    throw e;
  }
  const cursor: CleverCursor = { lastEventId: last };
  ctx.log.info({ events: counts.events, skipped: counts.skipped }, 'clever events read');
  yield* emit(ctx, 'orgs', orgs, cursor, []);
  yield* emit(ctx, 'people', people, cursor, ['preferredName']);
  yield* emit(ctx, 'enrollments', enrollments, cursor, ['beginDate', 'endDate']);
}

async function* emit<S extends Stream>(
  ctx: Ctx<CleverConfig>, stream: S, latest: Latest<RecordByStream[S]>, cursor: CleverCursor, unsupplied: string[],
): AsyncGenerator<Batch> {
  const b = new Batcher(stream, { size: ctx.config.batchSize, processingMode: 'delta', unsupplied });
  for (const m of [...latest.byId.values(), ...latest.loose.map((reject) => ({ ok: false as const, reject }))]) {
    const out = b.add(m);
    if (out) yield { ...out, cursor };
  }
  const end = b.end();
  if (end) yield { ...end, cursor };
}

async function check(ctx: Ctx<CleverConfig>): Promise<CheckResult> {
  let users: number;
  let more: boolean;
  try {
    const res = await getJson(ctx.http, `${V}/users?limit=100`, pageOpts(ctx));
    const body = res.body as { data?: unknown[]; links?: { rel?: string }[] } | null;
    if (!body || !Array.isArray(body.data)) return { ok: false, message: 'Clever answered, but not with a users list' };
    users = body.data.length;
    more = Array.isArray(body.links) && body.links.some((l) => l?.rel === 'next');
  } catch (e) {
    const status = statusOf(e);
    const code = isAppError(e) ? e.code : undefined;
    if (status === 401) return { ok: false, message: 'Clever refused the token (401): wrong or revoked district token' };
    if (status === 403) return { ok: false, message: 'Clever refused access (403): the token lacks access to users (district-app token needed)' };
    if (code === 'http_bad_body') return { ok: false, message: 'Clever answered something other than JSON: is this a district-app token (not an instant-login token)?' };
    return { ok: false, message: `Clever users unreachable: ${errorMessage(e)}` };
  }
  const seen = `authenticated, ${users}${more ? '+' : ''} users visible`;
  if (!ctx.config.events) return { ok: true, message: `${seen}; events: false, so full runs only (delta runs are refused)`, details: { users, more, events: false } };
  try {
    await getJson(ctx.http, `${V}/events?limit=1`, pageOpts(ctx));
    return { ok: true, message: `${seen}; Events API reachable: delta runs enabled`, details: { users, more, events: true } };
  } catch (e) {
    const status = statusOf(e);
    return {
      ok: true,
      message: `${seen}; Events API unavailable (${status ?? errorMessage(e)}): full runs only until events are enabled (Clever: Settings > Integrations > Enable events)`,
      details: { users, more, events: false },
    };
  }
}

async function* read(ctx: Ctx<CleverConfig>, opts: ReadOptions): AsyncIterable<Batch> {
  yield* opts.mode === 'delta' ? readDelta(ctx, opts) : readFull(ctx, opts);
}

export const clever: SourceConnector<CleverConfig> = {
  kind: 'clever',
  configSchema,
  streams: ['orgs', 'people', 'enrollments'],
  supportsDelta: true,
  http: needs,
  check,
  read,
};
