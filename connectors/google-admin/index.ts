/**
 * google-admin: ChromeOS devices from the Google Admin SDK Directory API (chromeosdevices.list, projection FULL),
 * through the real @googleapis/admin client. Every read is full (`processingMode: 'bulk'`); there is no delta.
 *
 * Completeness: the number of distinct devices listed must match countChromeOsDevices for the same scope, taken
 * before and after the list (a device enrolled mid-read may legitimately land on either side). Otherwise the
 * read throws IncompleteReadError after its batches, so the run fails and deactivates nothing.
 */
import { z } from 'zod';
import { Batcher } from '../shared/batcher.js';
import { errorMessage, IncompleteReadError, isAppError } from '../shared/errors.js';
import { pageTokenPages } from '../shared/paging.js';
import type { Batch, CheckResult, Ctx, ReadOptions, SourceConnector } from '../types.js';
import {
  createDirectory, DEFAULT_TUNING, GoogleApiError, ORGUNIT_SCOPE, SCOPE, type Directory, type RetryTuning, type Scope,
} from './client.js';
import { createMapper, UNSUPPLIED } from './mapper.js';
import { mergeBounded } from './merge.js';

export const configSchema = z.strictObject({
  /**
   * The service-account key (JSON text) with domain-wide delegation for the chromeos.readonly scope. The YAML
   * says `serviceAccountKeyFile: /run/secrets/google-sa.json`; src/config reads every `*File` key into its base
   * key, so the connector receives the file's content here (or `serviceAccountKey: ${ENV}` directly).
   */
  serviceAccountKey: z.string().min(1, 'required (give serviceAccountKeyFile)'),
  /** The admin the service account acts as. */
  subject: z.string().trim().regex(/^[^\s@]+@[^\s@]+$/, 'must be an admin email address'),
  customerId: z.string().trim().min(1).default('my_customer'),
  /** Optional scope: this org unit and its children (includeChildOrgunits). */
  orgUnitPath: z.string().trim().startsWith('/', 'must start with /').optional(),
  /** Optional list query (the count's `filter`). */
  query: z.string().trim().default(''),
  /** Request budget; Google's default quota is 2,400/min per user per project. */
  queriesPerMinute: z.number().int().min(1).max(2400).default(600),
  /** Page size. The docs say ≤300, the server has refused >200 before. */
  maxResults: z.number().int().min(1).max(300).default(200),
  /**
   * Read this many org units at once (orgunits.list, then each org unit's own devices, each checked against its
   * own count). Needs the admin.directory.orgunit.readonly scope in the delegation as well. Off: one list.
   */
  parallelOrgUnits: z.number().int().min(1).max(16).optional(),
  batchSize: z.number().int().positive().max(50_000).default(1000),
});
export type GoogleAdminConfig = z.infer<typeof configSchema>;

/** The API's orgUnitPath is "the full path minus the leading /". */
function scopeOf(c: GoogleAdminConfig): Scope {
  const ou = c.orgUnitPath?.replace(/^\/+/, '');
  return { ...(ou ? { orgUnitPath: ou } : {}), ...(c.query ? { query: c.query } : {}) };
}

interface Unit {
  /** The org unit path for messages (`/Students/Lincoln`). */
  label: string;
  scope: Scope;
}

interface UnitPage {
  unit: string;
  page: number;
  items: unknown[];
}

const within = (n: number, a: number, b: number) => n >= Math.min(a, b) && n <= Math.max(a, b);

/**
 * One unit's pages. With several units, each is checked against its own count (before and after its list):
 * a unit that ends early fails the read at once instead of after every other org unit was read.
 */
async function* unitPages(dir: Directory, unit: Unit, maxResults: number, ownCount: boolean): AsyncGenerator<UnitPage> {
  const before = ownCount ? await dir.count(unit.scope) : 0;
  const ids = new Set<string>();
  let withoutId = 0;
  // The shared page-token paging: a token given twice, or a page repeating the previous one, fails the read.
  const pages = pageTokenPages<unknown>(async (token) => {
    const p = await dir.listPage(unit.scope, maxResults, token);
    return { items: p.chromeosdevices ?? [], nextPageToken: p.nextPageToken };
  }, { label: `google-admin: chromeosdevices.list (${unit.label})` });
  for await (const { items, n } of pages) {
    for (const item of items) {
      const id = (item as { deviceId?: unknown } | null)?.deviceId;
      if (typeof id === 'string' && id !== '') ids.add(id);
      else withoutId++;
    }
    yield { unit: unit.label, page: n, items };
  }
  if (!ownCount) return;
  const after = await dir.count(unit.scope);
  const listed = ids.size + withoutId;
  if (!within(listed, before, after)) {
    throw new IncompleteReadError(
      `google-admin: org unit ${unit.label}: listed ${listed} devices but countChromeOsDevices says ${before === after ? after : `${before} then ${after}`}; the read is not complete, so nothing is deactivated`,
      { listed, countBefore: before, countAfter: after, orgUnit: unit.label },
    );
  }
}

/** The connector; `tuning` is the retry timing (tests shorten the backoff; the product uses the defaults). */
export function createGoogleAdmin(tuning: RetryTuning = DEFAULT_TUNING): SourceConnector<GoogleAdminConfig> {
  const directory = (ctx: Ctx<GoogleAdminConfig>, orgUnits = false) =>
    createDirectory({
      scopes: orgUnits ? [SCOPE, ORGUNIT_SCOPE] : [SCOPE],
      serviceAccountKey: ctx.config.serviceAccountKey,
      subject: ctx.config.subject,
      customerId: ctx.config.customerId,
      queriesPerMinute: ctx.config.queriesPerMinute,
      concurrency: orgUnits ? (ctx.config.parallelOrgUnits ?? 1) : 1,
      log: ctx.log,
      signal: ctx.signal,
      tuning,
    });

  async function check(ctx: Ctx<GoogleAdminConfig>): Promise<CheckResult> {
    try {
      // With parallelOrgUnits the read also lists org units: check that scope is delegated too.
      const parallel = (ctx.config.parallelOrgUnits ?? 1) > 1;
      const dir = await directory(ctx, parallel);
      const n = await dir.count(scopeOf(ctx.config));
      if (parallel) await dir.orgUnits(scopeOf(ctx.config).orgUnitPath);
      return {
        ok: true,
        message: `authenticated, ${n} devices visible`,
        details: { devices: n, customerId: ctx.config.customerId, ...(ctx.config.orgUnitPath ? { orgUnitPath: ctx.config.orgUnitPath } : {}) },
      };
    } catch (e) {
      if (!isAppError(e)) throw e;
      return { ok: false, message: errorMessage(e), details: { ...e.context } };
    }
  }

  async function* read(ctx: Ctx<GoogleAdminConfig>, _opts: ReadOptions): AsyncGenerator<Batch> {
    // Every read is full: the Directory API has no change feed for ChromeOS devices that we trust for deletes.
    const { config } = ctx;
    const log = ctx.log.child({ connector: 'google-admin' });
    const scope = scopeOf(config);
    const parallel = (config.parallelOrgUnits ?? 1) > 1;
    const dir = await directory(ctx, parallel);
    const countBefore = await dir.count(scope);

    // The units read: the whole scope as one list, or (parallelOrgUnits) each org unit's own devices, each
    // checked against its own count, plus the whole scope's count over all of them.
    let units: Unit[] = [{ label: config.orgUnitPath ?? '/', scope }];
    if (parallel) {
      const children = await dir.orgUnits(scope.orgUnitPath);
      if (children.length > 0) {
        // The scope's own org unit: its path, or for the customer's root its id (the parent of the top OUs).
        const rootId = children.find((u) => u.parentOrgUnitId && !children.some((c) => c.orgUnitId === u.parentOrgUnitId))?.parentOrgUnitId;
        const own = scope.orgUnitPath ?? rootId;
        if (own === undefined) throw new IncompleteReadError('google-admin: orgunits.list did not name the root org unit, so it cannot be read on its own', {});
        units = [
          { label: config.orgUnitPath ?? '/', scope: { ...scope, orgUnitPath: own, children: false } },
          ...children.map((u) => ({ label: u.orgUnitPath, scope: { ...scope, orgUnitPath: u.orgUnitPath.replace(/^\/+/, ''), children: false } })),
        ];
      }
    }

    const batcher = new Batcher('devices', { size: config.batchSize, processingMode: 'bulk', unsupplied: UNSUPPLIED });
    const mapper = createMapper();
    // Distinct devices listed over the whole read (a device listed twice by shifted paging counts once).
    const ids = new Set<string>();
    let withoutId = 0;
    let items = 0;
    let pages = 0;
    const many = units.length > 1;
    for await (const p of mergeBounded(units.map((u) => () => unitPages(dir, u, config.maxResults, many)), config.parallelOrgUnits ?? 1)) {
      pages++;
      const location = many ? `chromeosdevices ${p.unit} page ${p.page}` : `chromeosdevices page ${p.page}`;
      for (const item of p.items) {
        items++;
        const id = (item as { deviceId?: unknown } | null)?.deviceId;
        if (typeof id === 'string' && id !== '') ids.add(id);
        else withoutId++;
        const out = batcher.add(mapper.map(item, location));
        if (out) yield { ...out, checkpoint: { pages } };
      }
    }
    const last = batcher.end();
    if (last) yield { ...last, checkpoint: { pages } };

    const countAfter = await dir.count(scope);
    const listed = ids.size + withoutId;
    const summary = {
      units: units.length, pages, items, listed, countBefore, countAfter, ...batcher.totals,
      duplicates: mapper.stats.duplicates, annotatedUserNotEmail: mapper.stats.userEmailNotEmail, ...dir.stats,
    };
    if (!within(listed, countBefore, countAfter)) {
      log.warn(summary, 'google-admin: the list and the count disagree');
      throw new IncompleteReadError(
        `google-admin: listed ${listed} devices but countChromeOsDevices says ${countBefore === countAfter ? countAfter : `${countBefore} then ${countAfter}`}; the read is not complete, so nothing is deactivated`,
        { listed, countBefore, countAfter, pages, ...(config.orgUnitPath ? { orgUnitPath: config.orgUnitPath } : {}) },
      );
    }
    log.info(summary, 'google-admin: read complete');
  }

  return {
    kind: 'google-admin',
    configSchema,
    streams: ['devices'],
    supportsDelta: false,
    check,
    read,
  };
}

export const googleAdmin = createGoogleAdmin();
export { GoogleApiError };
