/**
 * OneRoster REST transport: authentication (OAuth 2.0 client credentials for 1.2, OAuth 1.0a two-legged request
 * signing for 1.1) and complete limit/offset paging. Nothing here logs a header, a token, a secret or a record.
 */
import { createHmac } from 'node:crypto';
import * as oauth from 'oauth4webapi';
import OAuth from 'oauth-1.0a';
import { AppError, SourceFormatError, isAppError } from '../shared/errors.js';
import type { HttpClient } from '../shared/http.js';
import { offsetPaging, totalCountOf } from '../shared/paging.js';
import type { HttpAuth, HttpNeedsDeps } from '../types.js';
import { COLLECTIONS, statusInfoSchema, type Collection } from './api-types.js';

export interface OAuth2Settings {
  type: 'oauth2';
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  scope?: string;
  clientAuth: 'basic' | 'body';
}
export interface OAuth1Settings {
  type: 'oauth1';
  consumerKey: string;
  consumerSecret: string;
  signatureMethod: 'HMAC-SHA256' | 'HMAC-SHA1';
}

/** A token is renewed this long before the server says it expires (or at half its life, if shorter). */
const EXPIRY_MARGIN_MS = 60_000;

/**
 * OAuth 2.0 client credentials through oauth4webapi, with a token cache: one token request at a time, renewed
 * before expiry, and renewed once more when the API answers 401 (the helper calls `refresh`).
 */
export function oauth2Auth(s: OAuth2Settings, deps: HttpNeedsDeps, allowInsecure: boolean): HttpAuth & { tokenRequests(): number } {
  const as: oauth.AuthorizationServer = { issuer: new URL(s.tokenUrl).origin, token_endpoint: s.tokenUrl };
  const client: oauth.Client = { client_id: s.clientId };
  const clientAuth = s.clientAuth === 'body' ? oauth.ClientSecretPost(s.clientSecret) : oauth.ClientSecretBasic(s.clientSecret);
  let cached: { header: string; renewAt: number } | undefined;
  let pending: Promise<string> | undefined;
  let requests = 0;

  async function fetchToken(signal: AbortSignal): Promise<string> {
    requests++;
    const params: Record<string, string> = s.scope ? { scope: s.scope } : {};
    const where = tokenWhere(s.tokenUrl);
    let res: Response;
    try {
      res = await oauth.clientCredentialsGrantRequest(as, client, clientAuth, params, {
        [oauth.customFetch]: deps.fetch, signal, ...(allowInsecure ? { [oauth.allowInsecureRequests]: true } : {}),
      });
    } catch (e) {
      throw new AppError('http_network', `token request to ${where} failed: ${safeCause(e)} (wrong token URL?)`, { retryable: true, context: { url: where } });
    }
    let tok: oauth.TokenEndpointResponse;
    try {
      tok = await oauth.processClientCredentialsResponse(as, client, res);
    } catch (e) {
      throw new AppError('http_status', `token request to ${where} failed: ${describeTokenError(e, res.status)}`, { context: { url: where, status: res.status } });
    }
    const lifeMs = (tok.expires_in ?? 3600) * 1000;
    const margin = Math.min(EXPIRY_MARGIN_MS, lifeMs / 2);
    cached = { header: `Bearer ${tok.access_token}`, renewAt: deps.now().getTime() + lifeMs - margin };
    deps.log.debug({ url: where, expiresInS: tok.expires_in ?? null }, 'OneRoster access token obtained');
    return cached.header;
  }

  function token(signal: AbortSignal): Promise<string> {
    if (cached && deps.now().getTime() < cached.renewAt) return Promise.resolve(cached.header);
    pending ??= fetchToken(signal).finally(() => (pending = undefined));
    return pending;
  }

  return {
    headers: async (signal) => ({ authorization: await token(signal) }),
    refresh: async (signal) => {
      cached = undefined;
      await token(signal);
    },
    tokenRequests: () => requests,
  };
}

function tokenWhere(url: string): string {
  const u = new URL(url);
  return `${u.origin}${u.pathname}`;
}

/** oauth4webapi's errors carry the OAuth `error` code; that code (never the body) goes in our message. */
function describeTokenError(e: unknown, status: number): string {
  const err = e as { error?: unknown; status?: unknown; message?: unknown };
  const code = typeof err.error === 'string' && /^[A-Za-z0-9_.-]{1,64}$/.test(err.error) ? err.error : undefined;
  const hint = code === 'invalid_client' || code === 'unauthorized_client' ? ' (wrong client id or secret)'
    : code === 'invalid_scope' ? ' (scope not granted to this client)'
      : status === 404 || status === 405 ? ' (wrong token URL?)'
        : status === 401 ? ' (wrong client id or secret, or wrong clientAuth basic|body)' : '';
  return `HTTP ${status}${code ? ` ${code}` : ''}${hint}`;
}

function safeCause(e: unknown): string {
  const c = (e as { cause?: { code?: unknown } }).cause;
  if (c && typeof c.code === 'string') return c.code;
  return e instanceof Error ? e.name : 'error';
}

/**
 * OAuth 1.0a two-legged signing (oauth-1.0a): consumer key and secret, no token; every query parameter of the
 * request (filter, limit, offset, sort) is part of the signature base string, percent-encoded per RFC 3986.
 * The URL's query is handed to the library decoded, as `data`, because the library re-encodes what it is given.
 */
export function oauth1Signer(s: Pick<OAuth1Settings, 'consumerKey' | 'consumerSecret' | 'signatureMethod'>) {
  const algo = s.signatureMethod === 'HMAC-SHA1' ? 'sha1' : 'sha256';
  const o = new OAuth({
    consumer: { key: s.consumerKey, secret: s.consumerSecret },
    signature_method: s.signatureMethod,
    hash_function: (base, key) => createHmac(algo, key).update(base).digest('base64'),
  });
  return {
    /** The Authorization header for one request. `fixed` pins nonce/timestamp (tests) and may add a token. */
    sign(method: string, url: string, fixed?: { nonce: string; timestamp: number; token?: { key: string; secret: string } }): string {
      const u = new URL(url);
      const data: Record<string, string> = {};
      for (const [k, v] of u.searchParams) data[k] = v;
      const req = { url: `${u.origin}${u.pathname}`, method, data };
      if (fixed) {
        const oauthData: OAuth.Data = {
          oauth_consumer_key: s.consumerKey, oauth_nonce: fixed.nonce, oauth_signature_method: s.signatureMethod,
          oauth_timestamp: fixed.timestamp, oauth_version: '1.0', ...(fixed.token ? { oauth_token: fixed.token.key } : {}),
        };
        const signature = o.getSignature(req, fixed.token?.secret, oauthData);
        return o.toHeader({ ...oauthData, oauth_signature: signature }).Authorization;
      }
      const auth = o.authorize(req);
      // authorize() folds the query into its result; the header carries only the oauth_* parameters.
      const only = Object.fromEntries(Object.entries(auth).filter(([k]) => k.startsWith('oauth_'))) as OAuth.Authorization;
      return o.toHeader(only).Authorization;
    },
  };
}
export type OAuth1Signer = ReturnType<typeof oauth1Signer>;

/**
 * OAuth 1.0a as an HttpAuth hook: the shared helper hands it the method and URL of every attempt (retries after
 * 429/5xx included), so each is signed afresh over its own query with a new nonce and timestamp; a strict server
 * refuses a replayed nonce.
 */
export function oauth1Auth(signer: OAuth1Signer): HttpAuth {
  return { headers: async (_signal, req) => ({ authorization: signer.sign(req.method, req.url) }) };
}

/** Only the codeMinor words (a closed vocabulary) are surfaced; imsx_description may echo a filter value. */
export function codeMinorOf(body: unknown): string[] {
  let parsed: unknown = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch {
      return [];
    }
  }
  const r = statusInfoSchema.safeParse(parsed);
  if (!r.success) return [];
  return (r.data.imsx_CodeMinor?.imsx_codeMinorField ?? [])
    .map((f) => f.imsx_codeMinorFieldValue)
    .filter((v) => /^[A-Za-z_]{1,40}$/.test(v));
}

/** Adds the imsx codeMinor of a failed request (found in the helper's error or its cause) to the message. */
function withCodeMinor(e: unknown): unknown {
  if (!isAppError(e)) return e;
  let cur: unknown = e;
  for (let depth = 0; cur && depth < 4; depth++) {
    const body = isAppError(cur) ? cur.context.body : undefined;
    const minors = codeMinorOf(body);
    if (minors.length > 0) {
      e.message = `${e.message} (imsx codeMinor: ${minors.join(', ')})`;
      return e;
    }
    cur = (cur as { cause?: unknown }).cause;
  }
  return e;
}

export interface Transport {
  http: HttpClient;
  signal: AbortSignal;
}

export async function getJson(t: Transport, path: string, query: Record<string, string | number>) {
  try {
    return await t.http.json<unknown>(path, { query, signal: t.signal });
  } catch (e) {
    throw withCodeMinor(e);
  }
}

/** The items array of a list response, under whichever of the collection's known keys the vendor used. */
export function extractItems(body: unknown, c: Collection): unknown[] {
  if (body && typeof body === 'object' && !Array.isArray(body)) {
    for (const key of COLLECTIONS[c].keys) {
      const v = (body as Record<string, unknown>)[key];
      if (Array.isArray(v)) return v;
    }
    const keys = Object.keys(body).slice(0, 10).map((k) => k.slice(0, 40)).join(', ');
    throw new SourceFormatError(`/${COLLECTIONS[c].path}: response has no ${COLLECTIONS[c].keys.join('/')} array (keys: ${keys || 'none'})`);
  }
  throw new SourceFormatError(`/${COLLECTIONS[c].path}: response is not a JSON object`);
}

export interface Page {
  items: unknown[];
  offset: number;
  url: string;
}

/**
 * Every page of a collection, in `sort=sourcedId` order, through the shared offset/limit paging
 * (connectors/shared/paging.ts): complete or throws. It stops at an empty page or once X-Total-Count items
 * arrived, never at a short page (servers cap `limit` below what was asked); a page that repeats the previous one
 * fails; so does a total that disagrees with X-Total-Count (IncompleteReadError: nothing is deactivated).
 */
export function pages(
  t: Transport, c: Collection, opts: { pageSize: number; filter?: string; concurrency?: number; maxPages?: number },
): AsyncGenerator<Page> {
  const path = COLLECTIONS[c].path;
  return offsetPaging<unknown>(async (offset, limit) => {
    const query: Record<string, string | number> = { limit, offset, sort: 'sourcedId', ...(opts.filter ? { filter: opts.filter } : {}) };
    const res = await getJson(t, path, query);
    return { items: extractItems(res.body, c), total: totalCountOf(res.headers), url: res.url };
  }, { limit: opts.pageSize, concurrency: opts.concurrency, maxPages: opts.maxPages, label: `/${path}` });
}
