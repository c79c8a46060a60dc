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
import type { Batch, CheckResult, Ctx, ReadOptions, SourceConnector } from '../types.js';
import { createDirectory, DEFAULT_TUNING, GoogleApiError, type RetryTuning, type Scope } from './client.js';
import { createMapper, UNSUPPLIED } from './mapper.js';

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
  /** Accepted for the documented config; not implemented yet: org units are read in one sequential list. */
  parallelOrgUnits: z.number().int().min(1).max(16).optional(),
  batchSize: z.number().int().positive().max(50_000).default(1000),
});
export type GoogleAdminConfig = z.infer<typeof configSchema>;

/** The API's orgUnitPath is "the full path minus the leading /". */
function scopeOf(c: GoogleAdminConfig): Scope {
  const ou = c.orgUnitPath?.replace(/^\/+/, '');
  return { ...(ou ? { orgUnitPath: ou } : {}), ...(c.query ? { query: c.query } : {}) };
}

/** The connector; `tuning` is the retry timing (tests shorten the backoff; the product uses the defaults). */
export function createGoogleAdmin(tuning: RetryTuning = DEFAULT_TUNING): SourceConnector<GoogleAdminConfig> {
  const directory = (ctx: Ctx<GoogleAdminConfig>) =>
    createDirectory({
      serviceAccountKey: ctx.config.serviceAccountKey,
      subject: ctx.config.subject,
      customerId: ctx.config.customerId,
      queriesPerMinute: ctx.config.queriesPerMinute,
      concurrency: 1,
      log: ctx.log,
      signal: ctx.signal,
      tuning,
    });

  async function check(ctx: Ctx<GoogleAdminConfig>): Promise<CheckResult> {
    try {
      const dir = await directory(ctx);
      const n = await dir.count(scopeOf(ctx.config));
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
    const dir = await directory(ctx);
    const countBefore = await dir.count(scope);

    const notices = config.parallelOrgUnits && config.parallelOrgUnits > 1
      ? ['parallelOrgUnits is not implemented yet: the devices were read as one sequential list']
      : [];
    const batcher = new Batcher('devices', { size: config.batchSize, processingMode: 'bulk', unsupplied: UNSUPPLIED, notices });
    const mapper = createMapper();
    // Distinct devices listed, for the completeness check (a device listed twice by shifted paging counts once).
    const ids = new Set<string>();
    let withoutId = 0;
    let items = 0;
    let page = 0;
    let token: string | undefined;
    const tokens = new Set<string>();
    do {
      page++;
      const p = await dir.listPage(scope, config.maxResults, token);
      const location = `chromeosdevices page ${page}`;
      for (const item of p.chromeosdevices ?? []) {
        items++;
        const id = (item as { deviceId?: unknown } | null)?.deviceId;
        if (typeof id === 'string' && id !== '') ids.add(id);
        else withoutId++;
        const out = batcher.add(mapper.map(item, location));
        if (out) yield { ...out, checkpoint: { page } };
      }
      token = p.nextPageToken || undefined;
      if (token && tokens.has(token)) {
        throw new IncompleteReadError('google-admin: the Directory API returned a page token it had already given; the list would loop', { page });
      }
      if (token) tokens.add(token);
      log.debug({ page, devices: p.chromeosdevices?.length ?? 0, more: token !== undefined }, 'google-admin: page read');
    } while (token);
    const last = batcher.end();
    if (last) yield { ...last, checkpoint: { page } };

    const countAfter = await dir.count(scope);
    const listed = ids.size + withoutId;
    const summary = {
      pages: page, items, listed, countBefore, countAfter, ...batcher.totals,
      duplicates: mapper.stats.duplicates, annotatedUserNotEmail: mapper.stats.userEmailNotEmail, ...dir.stats,
    };
    const lo = Math.min(countBefore, countAfter);
    const hi = Math.max(countBefore, countAfter);
    if (listed < lo || listed > hi) {
      log.warn(summary, 'google-admin: the list and the count disagree');
      throw new IncompleteReadError(
        `google-admin: listed ${listed} devices but countChromeOsDevices says ${countBefore === countAfter ? countAfter : `${countBefore} then ${countAfter}`}; the read is not complete, so nothing is deactivated`,
        { listed, countBefore, countAfter, pages: page, ...(config.orgUnitPath ? { orgUnitPath: config.orgUnitPath } : {}) },
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
