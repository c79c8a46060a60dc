/**
 * OneRoster REST source (1.1 and 1.2): orgs, then people (/users), then enrollments, each read completely with
 * limit/offset paging (client.ts) and mapped by mapper.ts. Full reads are `bulk` and complete or throw; delta
 * reads ask `filter=dateLastModified>'<cursor>'` and are `delta` (only explicit `tobedeleted` deactivates). The
 * cursor is the run's start time, emitted on every batch; the runner stores it only when the run commits.
 */
import { z } from 'zod';
import { Batcher } from '../shared/batcher.js';
import { AppError, errorMessage } from '../shared/errors.js';
import type { MapResult } from '../shared/map-result.js';
import {
  personRoleSchema,
  type Batch, type CheckResult, type Ctx, type HttpAuth, type HttpNeeds, type HttpNeedsDeps, type ReadOptions, type RecordByStream,
  type SourceConnector, type Stream,
} from '../types.js';
import { COLLECTIONS, type Collection } from './api-types.js';
import { getJson, oauth1Auth, oauth1Signer, oauth2Auth, pages, type Transport } from './client.js';
import { mapEnrollment, mapOrg, mapPerson } from './mapper.js';

const HOURS = /^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$/;

const oauth2Schema = z.strictObject({
  type: z.literal('oauth2'),
  tokenUrl: z.url(),
  clientId: z.string().min(1),
  /** Or `clientSecretFile`: the config loader reads `*File` keys into their base key. */
  clientSecret: z.string().min(1),
  scope: z.string().min(1).optional(),
  clientAuth: z.enum(['basic', 'body']).default('basic'),
});
const oauth1Schema = z.strictObject({
  type: z.literal('oauth1'),
  consumerKey: z.string().min(1),
  /** Or `consumerSecretFile`. */
  consumerSecret: z.string().min(1),
  signatureMethod: z.enum(['HMAC-SHA256', 'HMAC-SHA1']).default('HMAC-SHA256'),
});

export const configSchema = z.strictObject({
  version: z.enum(['1.1', '1.2']),
  /** Taken as given (vendors prefix it), e.g. https://sis.example.org/ims/oneroster/rostering/v1p2 */
  baseUrl: z.url(),
  auth: z.discriminatedUnion('type', [oauth2Schema, oauth1Schema]),
  pageSize: z.number().int().min(1).max(10_000).default(100),
  maxConcurrency: z.number().int().min(1).max(16).default(2),
  /** http:// URLs (API and token) are refused unless true: student data in transit. */
  allowInsecure: z.boolean().default(false),
  /**
   * Full runs only inside this window, e.g. "19:00-05:00" (may wrap midnight), in the district's time zone
   * (`district.timezone`); a full run outside it is skipped. Delta runs are allowed at any time.
   */
  allowedHours: z.string().regex(HOURS, 'expected HH:MM-HH:MM').optional(),
  /** Overrides the district's time zone for allowedHours (an SIS hosted in another zone). */
  timeZone: z.string().min(1).optional(),
  batchSize: z.number().int().positive().default(1000),
  schoolTypes: z.array(z.string().min(1)).min(1).default(['school']),
  /** The district's own role words → canonical roles, matched case-insensitively. */
  roleMap: z.record(z.string().min(1), personRoleSchema)
    .transform((m) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k.trim().toLowerCase(), v])))
    .optional(),
}).superRefine((c, ctx) => {
  const urls: [string, string][] = [['baseUrl', c.baseUrl], ...(c.auth.type === 'oauth2' ? [['auth.tokenUrl', c.auth.tokenUrl] as [string, string]] : [])];
  for (const [key, url] of urls) {
    if (!/^https?:\/\//i.test(url)) ctx.addIssue({ code: 'custom', path: key.split('.'), message: 'expected an http(s) URL' });
    else if (/^http:/i.test(url) && !c.allowInsecure) {
      ctx.addIssue({ code: 'custom', path: key.split('.'), message: 'http:// refused (student data in transit); use https:// or set allowInsecure: true' });
    }
  }
  if (c.timeZone) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: c.timeZone });
    } catch {
      ctx.addIssue({ code: 'custom', path: ['timeZone'], message: 'expected an IANA time zone such as America/Chicago' });
    }
  }
});
export type OneRosterRestConfig = z.infer<typeof configSchema>;

/** Auth by config object, so read/check reach the token cache that `http` built. */
const tokens = new WeakMap<OneRosterRestConfig, HttpAuth>();

function http(config: OneRosterRestConfig, deps: HttpNeedsDeps): HttpNeeds {
  const needs: HttpNeeds = { baseUrl: config.baseUrl, concurrency: config.maxConcurrency };
  if (config.auth.type === 'oauth2') {
    const auth = oauth2Auth(config.auth, deps, config.allowInsecure);
    tokens.set(config, auth);
    return { ...needs, auth };
  }
  // OAuth 1.0a signs method + URL + query: the shared helper hands the hook each request's method and URL.
  return { ...needs, auth: oauth1Auth(oauth1Signer(config.auth)) };
}

/**
 * Gets the first token before any API request. Inside the shared helper a failing auth hook counts as a network
 * error and is retried with backoff; a wrong secret or token URL must fail at once, with its own message.
 */
async function firstToken(ctx: Ctx<OneRosterRestConfig>): Promise<void> {
  await tokens.get(ctx.config)?.headers(ctx.signal, { method: 'GET', url: ctx.config.baseUrl });
}

function transport(ctx: Ctx<OneRosterRestConfig>): Transport {
  return { http: ctx.http, signal: ctx.signal };
}

/** Whether `now` falls inside "HH:MM-HH:MM" in `timeZone` (the window may wrap midnight). */
export function insideHours(window: string, timeZone: string, now: Date): boolean {
  const m = HOURS.exec(window)!;
  const from = Number(m[1]) * 60 + Number(m[2]);
  const to = Number(m[3]) * 60 + Number(m[4]);
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(now);
  const at = Number(parts.find((p) => p.type === 'hour')!.value) * 60 + Number(parts.find((p) => p.type === 'minute')!.value);
  return from <= to ? at >= from && at < to : at >= from || at < to;
}

/** Clock skew between us and the SIS: a delta asks from this long before the cursor (re-applying is idempotent). */
const DELTA_OVERLAP_MS = 5 * 60_000;

function deltaStart(opts: ReadOptions): Date {
  const c = opts.cursor;
  const fromCursor = c && typeof c === 'object' && typeof (c as { since?: unknown }).since === 'string' ? new Date((c as { since: string }).since) : undefined;
  const start = fromCursor && !Number.isNaN(fromCursor.getTime()) ? fromCursor : opts.since;
  if (!start) throw new AppError('delta_unsupported', 'oneroster-rest: no delta cursor yet; run a full sync first');
  return new Date(start.getTime() - DELTA_OVERLAP_MS);
}

/** The cursor a run leaves: its own start time (anything changed after it is asked for next time). */
export interface OneRosterCursor {
  since: string;
}

async function* read(ctx: Ctx<OneRosterRestConfig>, opts: ReadOptions): AsyncIterable<Batch> {
  const { config, log } = ctx;
  const startedAt = ctx.now();
  const cursor: OneRosterCursor = { since: startedAt.toISOString() };
  const mode = opts.mode === 'delta' ? 'delta' : 'bulk';
  let filter: string | undefined;
  if (mode === 'delta') filter = `dateLastModified>'${deltaStart(opts).toISOString()}'`;
  const t = transport(ctx);
  await firstToken(ctx);
  log.info({ version: config.version, mode, pageSize: config.pageSize }, 'reading OneRoster REST');

  async function* stream<S extends Stream>(s: S, c: Collection, map: (item: unknown, location: string) => MapResult<RecordByStream[S]>): AsyncGenerator<Batch> {
    const b = new Batcher(s, { size: config.batchSize, processingMode: mode });
    let pagesRead = 0;
    for await (const page of pages(t, c, { pageSize: config.pageSize, filter, concurrency: config.maxConcurrency })) {
      pagesRead++;
      const location = `/${COLLECTIONS[c].path}?offset=${page.offset}`;
      for (const item of page.items) {
        const out = b.add(map(item, location));
        if (out) yield { ...out, cursor, checkpoint: { collection: c, offset: page.offset } } as Batch;
      }
    }
    const last = b.end();
    if (last) yield { ...last, cursor, checkpoint: { collection: c, done: true } } as Batch;
    log.info({ collection: c, pages: pagesRead, ...b.totals }, 'OneRoster collection read');
  }

  const orgTypes = new Map<string, string>();
  yield* stream('orgs', 'orgs', (item, location) => {
    const m = mapOrg(item, { location, mode });
    if (m.ok) orgTypes.set(m.record.externalId, m.record.type);
    return m;
  });
  const schoolTypes = new Set(config.schoolTypes.map((x) => x.toLowerCase()));
  const roleMap = config.roleMap ?? {};
  yield* stream('people', 'users', (item, location) => mapPerson(item, { location, mode, orgTypes, schoolTypes, roleMap }));
  yield* stream('enrollments', 'enrollments', (item, location) => mapEnrollment(item, { location, mode }));
}

/**
 * allowedHours: a full run outside the window is not started (the runner records it as skipped with this reason);
 * judged by ctx's clock in the district's zone (ctx.timeZone), unless the source names its own `timeZone`.
 */
function notNow(ctx: Ctx<OneRosterRestConfig>, opts: ReadOptions): string | undefined {
  const window = ctx.config.allowedHours;
  if (!window || opts.mode === 'delta') return undefined;
  const zone = ctx.config.timeZone ?? ctx.timeZone ?? 'UTC';
  if (insideHours(window, zone, ctx.now())) return undefined;
  return `full runs of this OneRoster source are allowed only ${window} (${zone}); delta runs are allowed any time`;
}

/** "authenticated, N users visible" (X-Total-Count of /users?limit=1), or the exact failure. */
async function check(ctx: Ctx<OneRosterRestConfig>): Promise<CheckResult> {
  try {
    await firstToken(ctx);
    const res = await getJson(transport(ctx), COLLECTIONS.users.path, { limit: 1, offset: 0 });
    const header = res.headers.get('x-total-count');
    const n = header !== null && /^\d+$/.test(header.trim()) ? Number(header) : undefined;
    const details = { version: ctx.config.version, auth: ctx.config.auth.type, totalUsers: n ?? null };
    return n === undefined
      ? { ok: true, message: 'authenticated, users visible (the server sends no X-Total-Count, so no count)', details }
      : { ok: true, message: `authenticated, ${n} users visible`, details };
  } catch (e) {
    return { ok: false, message: errorMessage(e) };
  }
}

export const onerosterRest: SourceConnector<OneRosterRestConfig> = {
  kind: 'oneroster-rest',
  configSchema,
  streams: ['orgs', 'people', 'enrollments'],
  supportsDelta: true,
  http,
  check,
  notNow,
  read,
};
