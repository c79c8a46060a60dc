/**
 * Incident IQ help desk (iiQ API v1.0; vendor-facts §5). Headers on every call: `Authorization: Bearer <token>`,
 * `SiteId`, `Client: ApiClient` (and `ProductId` when configured).
 *
 * - open: the device's asset by `GET /assets/serial/{serial}` — a list; only one exact, non-deleted match is
 *   attached, otherwise the ticket opens without an asset and says why — then `POST /tickets/new` with ForId,
 *   IssueId (per rule) and LocationId (per school) from the config mappings.
 * - dedupe: iiQ has no idempotency key or external id, so the subject carries `[rc:<hash>]` (mapper `keyMarker`)
 *   and `open` / `findByKey` first scan the tickets created in the last `recentWindowMinutes`, newest first
 *   (`POST /tickets`, `$o=TicketCreatedDate&$d=Descending`), for that marker. A technician who edits the marker
 *   out of the subject defeats it; the window bounds how far back a retry looks.
 * - comment: `POST /tickets/{id}/activities/new` (comment activity, `IsPublic: false`); resolve: that comment,
 *   then `POST /tickets/{id}/close` with the Resolved close reason (`closeReasonId`).
 * - inbound: iiQ rule webhooks have no signature: the shared secret comes as a header or as a `token` field the
 *   admin writes into the webhook template; string values arrive URL-encoded and are decoded.
 */
import { z } from 'zod';
import { ValidationError, errorMessage } from '../shared/errors.js';
import { jsonObject, safeEqual, sharedSecretOk } from '../shared/inbound.js';
import { checkDeskUrl, deskHttpNeeds, deskKeys, hostLabel, trimSlash } from '../shared/sink-config.js';
import type { SinkHttp } from '../shared/sink-http.js';
import type { Ctx, HttpNeeds, TicketRef, TicketSink } from '../types.js';
import { CLOSE_RESOLVED, guid, iiqInboundSchema } from './api-types.js';
import { addComment, assetsBySerial, closeTicket, createTicket, incidentiqErrorText, login, ticketsPage } from './client.js';
import { commentBody, createBody, inboundEvent, keyMarker, matchAsset, urlDecode } from './mapper.js';

export const configSchema = z.strictObject({
  ...deskKeys,
  /** `district` for https://district.incidentiq.com. */
  site: hostLabel.optional(),
  /** The API token from Administration › Developer Tools (`apiTokenFile:` reads it from a file). */
  apiToken: z.string().min(1),
  /** The `SiteId` header (Administration › Developer Tools). */
  siteId: guid,
  /** Ticketing product id, sent as the `ProductId` header and on new tickets. */
  productId: guid.optional(),
  /** The user tickets are filed for (`ForId`), e.g. the district's device-program account. */
  forId: guid,
  /** Default `IssueId`, and per-rule overrides (`issues: { withdrawn-with-device: <guid> }`). */
  issueId: guid,
  issues: z.record(z.string(), guid).default({}),
  /** Default `LocationId`, and per-school overrides keyed by the school's SIS id (org sourcedId). */
  locationId: guid,
  locations: z.record(z.string(), guid).default({}),
  /** Close reason used by resolve; default Resolved (C98AE44E-…00002). */
  closeReasonId: guid.default(CLOSE_RESOLVED),
  recentWindowMinutes: z.number().int().min(1).max(24 * 60).default(30),
  /** iiQ publishes no rate limit; community clients warn of throttling. Raise it for a local proxy or test desk. */
  requestsPerMinute: z.number().int().min(1).max(60_000).default(60),
}).superRefine((c, ctx) => checkDeskUrl(c, ctx, 'site'));
export type IncidentIqConfig = z.infer<typeof configSchema>;

/** API base: `https://{site}.incidentiq.com/api/v1.0`, or `baseUrl` as given (it includes the API path). */
export function incidentiqBase(c: IncidentIqConfig): string {
  return c.baseUrl ? trimSlash(c.baseUrl) : `https://${c.site}.incidentiq.com/api/v1.0`;
}

function http(c: IncidentIqConfig): HttpNeeds {
  const headers: Record<string, string> = { authorization: `Bearer ${c.apiToken}`, siteid: c.siteId, client: 'ApiClient' };
  if (c.productId) headers.productid = c.productId;
  return deskHttpNeeds(c, { baseUrl: incidentiqBase(c), headers, concurrency: 2, timeoutMs: 20_000 });
}

function sinkHttp(ctx: Ctx<IncidentIqConfig>): SinkHttp {
  return {
    name: 'incidentiq', http: ctx.http, signal: ctx.signal, now: ctx.now,
    secrets: [ctx.config.apiToken, ctx.config.inboundSecret ?? ''],
    errorText: incidentiqErrorText,
  };
}

const PAGE = 100;
const MAX_PAGES = 10;

async function lookup(ctx: Ctx<IncidentIqConfig>, key: string): Promise<TicketRef | null> {
  const s = sinkHttp(ctx);
  const marker = keyMarker(key);
  const oldest = ctx.now().getTime() - ctx.config.recentWindowMinutes * 60_000;
  for (let p = 0; p < MAX_PAGES; p++) {
    const { items, pageCount } = await ticketsPage(s, p, PAGE);
    const hit = items.filter((t) => !t.IsDeleted && t.Subject?.includes(marker)).at(-1); // the oldest on the page
    if (hit) return { externalId: hit.TicketId };
    const last = items.at(-1)?.CreatedDate;
    const lastAt = last ? Date.parse(last.endsWith('Z') || /[+-]\d\d:\d\d$/.test(last) ? last : `${last}Z`) : NaN;
    if (items.length < PAGE || (pageCount !== undefined && p + 1 >= pageCount) || (!Number.isNaN(lastAt) && lastAt < oldest)) return null;
  }
  ctx.log.warn({ pages: MAX_PAGES }, 'incidentiq: more tickets in the window than one lookup scans; relying on the newest');
  return null;
}

export const incidentiq: TicketSink<IncidentIqConfig> = {
  kind: 'incidentiq',
  configSchema,
  dedupe: 'lookup',
  http,

  async check(ctx) {
    try {
      await login(sinkHttp(ctx));
      return { ok: true, message: 'incidentiq: token and SiteId accepted' };
    } catch (e) {
      return { ok: false, message: errorMessage(e) };
    }
  },

  async open(ctx, draft, key) {
    const existing = await lookup(ctx, key);
    if (existing) {
      ctx.log.info({ ticket: existing.externalId }, 'incidentiq: a ticket already carries this key; not creating another');
      return existing;
    }
    const s = sinkHttp(ctx);
    const match = draft.deviceSerial ? matchAsset(draft.deviceSerial, await assetsBySerial(s, draft.deviceSerial)) : null;
    if (match && match.asset === null) ctx.log.info({ rule: draft.rule }, 'incidentiq: no single exact asset for the serial; opening without an asset');
    const id = await createTicket(s, createBody(draft, key, ctx.config, match));
    return { externalId: id };
  },

  findByKey: lookup,

  async comment(ctx, id, body) {
    await addComment(sinkHttp(ctx), id, commentBody(id, body));
  },

  async resolve(ctx, id, note) {
    const s = sinkHttp(ctx);
    await addComment(s, id, commentBody(id, note));
    await closeTicket(s, id, ctx.config.closeReasonId);
  },

  verifyInbound(c, req) {
    if (!c.inboundSecret) return false;
    let token: string | undefined;
    try {
      const v = (JSON.parse(req.rawBody) as { token?: unknown }).token;
      if (typeof v === 'string') token = urlDecode(v);
    } catch {
      token = undefined;
    }
    const inBody = safeEqual(token ?? '\u0000none', c.inboundSecret);
    const inHeader = sharedSecretOk(req, c.inboundSecret);
    return inBody || inHeader;
  },

  parseInbound(_c, req) {
    const parsed = iiqInboundSchema.safeParse(jsonObject('incidentiq', req.rawBody));
    if (!parsed.success) {
      const field = parsed.error.issues[0]?.path.join('.') || '(body)';
      throw new ValidationError(`incidentiq inbound webhook: ${field}: ${parsed.error.issues[0]?.message ?? 'invalid'}`, { sink: 'incidentiq', field });
    }
    return inboundEvent(parsed.data);
  },
};
