/**
 * intune: Microsoft Intune managed devices from Microsoft Graph (v1.0), app-only. There is no delta for
 * managedDevices, so every run is a full read (`processingMode: 'bulk'`), checked against Intune's own count.
 *
 * Shape of a read: the pages are listed by following `@odata.nextLink` verbatim (`$skip` silently returns
 * nothing) and each page is mapped and passed on as it arrives, so the ledger applies it (in the run's transaction)
 * while the next page is fetched and memory does not grow with the fleet's records. Completeness needs the whole
 * list: the count is compared after the last page, and a mismatch throws then, which fails the run and rolls back
 * everything it wrote (nothing is applied or deactivated). Re-enrolled hardware is settled as records arrive
 * (ReenrolledTracker): a stale twin passed on before its newer twin arrived is retracted at the end of the read.
 */
import { z } from 'zod';
import { Batcher } from '../shared/batcher.js';
import { errorMessage, IncompleteReadError, isAppError, SourceFormatError } from '../shared/errors.js';
import { nextLinkPages } from '../shared/paging.js';
import type { Batch, CheckResult, Ctx, HttpNeeds, SourceConnector } from '../types.js';
import { managedDeviceOverviewSchema, managedDevicePageSchema, SELECT_FIELDS } from './api-types.js';
import { createGraphReader, GRAPH_BASE, graphAuth, READ_PERMISSION, type GraphAuth } from './client.js';
import { createMapper, ReenrolledTracker, UNSUPPLIED } from './mapper.js';

const nonEmpty = z.string().trim().min(1);

/**
 * `clientSecretFile` never reaches this schema: src/config/load.ts reads any `<key>File` into `<key>` (trailing
 * newline dropped) and refuses both at once, so the secret arrives as `clientSecret` either way.
 */
export const configSchema = z
  .strictObject({
    tenantId: nonEmpty,
    clientId: nonEmpty,
    clientSecret: nonEmpty.optional(),
    /** PEM with the private key and certificate (ClientCertificateCredential). */
    certificatePath: nonEmpty.optional(),
    /** Optional OData $filter; a filtered read cannot be checked against the tenant-wide count. */
    filter: nonEmpty.optional(),
    /** Graph's page size is server-driven (~1000); $top asks for at most this many per page. */
    pageSize: z.number().int().min(1).max(1000).default(1000),
    batchSize: z.number().int().positive().max(50_000).default(2000),
    /** Requests per 20 s; Intune allows 2,000 per app per tenant, half leaves room for the tenant's other tools. */
    requestsPer20s: z.number().int().min(1).max(2000).default(1000),
    /** Entra authority host (sovereign clouds); default https://login.microsoftonline.com. */
    authorityHost: z.string().url().optional(),
  })
  .superRefine((c, ctx) => {
    if (!c.clientSecret === !c.certificatePath) {
      ctx.addIssue({ code: 'custom', path: ['clientSecret'], message: 'give exactly one of clientSecret, clientSecretFile or certificatePath' });
    }
  });
export type IntuneConfig = z.infer<typeof configSchema>;

/** ctx.http's auth hook is built once per ctx by `http()`; keep a handle so check/read can authenticate first. */
const auths = new WeakMap<IntuneConfig, GraphAuth>();

function http(config: IntuneConfig): HttpNeeds {
  const auth = graphAuth(config);
  auths.set(config, auth);
  return {
    baseUrl: GRAPH_BASE,
    auth,
    concurrency: 1, // pages are sequential (each nextLink comes from the previous page)
    rate: { requests: config.requestsPer20s, intervalMs: 20_000 },
    timeoutMs: 60_000,
  };
}

function authOf(config: IntuneConfig): GraphAuth {
  let a = auths.get(config);
  if (!a) {
    a = graphAuth(config);
    auths.set(config, a);
  }
  return a;
}

async function enrolledCount(ctx: Ctx<IntuneConfig>): Promise<number> {
  const body = await createGraphReader(ctx.http, ctx.signal).get('/deviceManagement/managedDeviceOverview');
  const p = managedDeviceOverviewSchema.safeParse(body);
  if (!p.success) throw new SourceFormatError('intune: managedDeviceOverview has no enrolledDeviceCount', {});
  return p.data.enrolledDeviceCount;
}

async function check(ctx: Ctx<IntuneConfig>): Promise<CheckResult> {
  const { config } = ctx;
  const details: Record<string, unknown> = { tenantId: config.tenantId, filtered: Boolean(config.filter) };
  try {
    await authOf(config).authenticate(ctx.signal);
    const n = await enrolledCount(ctx);
    if (config.filter) {
      // Proves the filter is accepted; its own count is only known after a full read.
      await createGraphReader(ctx.http, ctx.signal).get('/deviceManagement/managedDevices', { $select: 'id', $filter: config.filter, $top: '1' });
    }
    return { ok: true, message: `authenticated, ${n} devices visible${config.filter ? ' (tenant-wide; filter accepted)' : ''}`, details: { ...details, enrolledDeviceCount: n } };
  } catch (e) {
    if (!isAppError(e)) throw e;
    return { ok: false, message: errorMessage(e), details: { ...details, code: e.code, ...e.context, permission: READ_PERMISSION } };
  }
}

async function* read(ctx: Ctx<IntuneConfig>): AsyncGenerator<Batch> {
  // ReadOptions are ignored: Graph has no delta for managedDevices, every run is full.
  const { config } = ctx;
  const log = ctx.log.child({ connector: 'intune' });
  const graph = createGraphReader(ctx.http, ctx.signal);
  await authOf(config).authenticate(ctx.signal);

  // Counted before and after the list: a device enrolled (or removed) while paging moves the count, so the read
  // is complete when it matches either side. Filtered reads have no count to compare with.
  const before = config.filter ? undefined : await enrolledCount(ctx);
  const mapper = createMapper();
  const twins = new ReenrolledTracker();
  const batcher = new Batcher('devices', {
    size: config.batchSize, processingMode: 'bulk', unsupplied: UNSUPPLIED,
    notices: config.filter ? ['filtered Intune read: not checked against the tenant-wide enrolled count'] : [],
  });
  let listed = 0;
  let page = 0;
  const first: Record<string, string> = {
    $select: SELECT_FIELDS.join(','), $top: String(config.pageSize), ...(config.filter ? { $filter: config.filter } : {}),
  };
  // The shared next-link paging: `@odata.nextLink` verbatim (it carries every parameter), never $skip; a link
  // seen before or a page repeating the previous one fails the read.
  const pages = nextLinkPages<unknown>('/deviceManagement/managedDevices', async (url, n) => {
    ctx.signal.throwIfAborted();
    const body = await graph.get(url, n === 1 ? first : {});
    const p = managedDevicePageSchema.safeParse(body);
    if (!p.success) throw new SourceFormatError(`intune: managedDevices page ${n} is not a Graph collection`, { page: n });
    return { items: p.data.value, next: p.data['@odata.nextLink'] };
  }, { label: 'intune: managedDevices' });
  // Each page is passed on as it arrives (the ledger applies it while the next page is fetched). Deactivation by
  // absence waits for the end of a complete read, and a read that ends with a count mismatch throws: the run's
  // transaction then rolls back, so a short list still changes and deactivates nothing.
  for await (const { items, n } of pages) {
    page = n;
    for (const [i, item] of items.entries()) {
      const m = twins.admit(mapper.map(item, `managedDevices page ${n} item ${i + 1}`));
      const out = m && batcher.add(m);
      if (out) yield { ...out, checkpoint: { pages: n } };
    }
    listed += items.length;
    const rest = batcher.end();
    if (rest) yield { ...rest, checkpoint: { pages: n } };
    log.debug({ page: n, items: items.length, listed }, 'managedDevices page');
  }
  if (before !== undefined) {
    const after = await enrolledCount(ctx);
    if (listed !== before && listed !== after) {
      throw new IncompleteReadError(
        `intune: listed ${listed} managed devices but Intune reports ${after} enrolled; the list ended early, nothing is deactivated`,
        { listed, enrolledBefore: before, enrolledAfter: after, pages: page },
      );
    }
  }
  if (listed === 0 && !config.filter) {
    // Unreachable when the count agrees (0 = 0 is a truly empty tenant); kept for clarity of intent.
    log.warn('intune lists no managed devices');
  }

  // Re-enrolled hardware, settled now that the whole list is in: stale twins already passed on are retracted.
  const { retractions, warnings } = twins.finish('managedDevices');
  const dropped = twins.dropped;
  for (const r of retractions) {
    const out = batcher.add(r);
    if (out) yield { ...out, checkpoint: { pages: page } };
  }
  for (const w of warnings) batcher.addWarning(w);
  const last = batcher.end();
  const notices = dropped > 0 ? [`${dropped} stale enrolment(s) of re-enrolled hardware were left out or ended (the latest lastSyncDateTime is kept)`] : [];
  if (last || notices.length > 0) {
    yield {
      ...(last ?? { stream: 'devices', records: [], rejects: [], processingMode: 'bulk', unsupplied: UNSUPPLIED }),
      ...(notices.length > 0 ? { notices: [...(last?.notices ?? []), ...notices] } : {}),
      checkpoint: { pages: page, done: true },
    } as Batch;
  }
  const { stats } = mapper;
  log.info({ listed, pages: page, ...batcher.totals, reenrolledDropped: dropped, placeholders: stats.placeholders, userNotEmail: stats.userNotEmail }, 'intune read');
  if (stats.unknownStates.size > 0) log.warn({ states: [...stats.unknownStates] }, 'unrecognised Intune management states, treated as active');
}

export const intune: SourceConnector<IntuneConfig> = {
  kind: 'intune',
  configSchema,
  streams: ['devices'],
  supportsDelta: false,
  http,
  check,
  read,
};
