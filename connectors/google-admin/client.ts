/**
 * The Directory API through the real client (@googleapis/admin, which brings gaxios and google-auth-library).
 *
 * Auth: a service-account key with domain-wide delegation, impersonating `subject` (an admin) through a JWT
 * client. The key file is read here so a bad file fails with a message naming the problem, never its content.
 *
 * ONE retry layer. googleapis-common turns gaxios retries on for every call (`retry: true`), and the token
 * request sets a `retryConfig` of its own; left alone they would retry under us, invisible to the
 * queriesPerMinute budget, and a throttled fleet read would multiply its own requests. So a request interceptor
 * on the auth client's transporter (the one gaxios instance every API call and every token request goes through)
 * switches gaxios retries off, and `call()` below is the only place that retries:
 *
 * - every attempt (first try or retry) waits for a slot in a p-queue whose interval cap is the configured
 *   queriesPerMinute, so retries spend the same budget as pages;
 * - throttling is retried with full-jitter exponential backoff (honouring Retry-After when sent): Google's
 *   documented 403 `userRateLimitExceeded` / `quotaExceeded` / `rateLimitExceeded`, and 429; 5xx and network
 *   errors likewise;
 * - a 401 (token revoked or expired server-side) drops the cached token and retries once;
 * - anything else fails at once with a message that names the status and Google's reason only.
 *
 * Errors never carry the gaxios error as `cause`: its `config` holds the Authorization header and the token
 * request's signed assertion. Log lines carry counts, statuses and reasons, never tokens, keys or device data.
 */
import { auth, type admin_directory_v1 } from '@googleapis/admin';
import { admin } from '@googleapis/admin';
import PQueue from 'p-queue';
import type { Logger } from 'pino';
import { AppError } from '../shared/errors.js';
import { apiErrorSchema, countSchema, listPageSchema, serviceAccountKeySchema, tokenErrorSchema, type ListPage } from './api-types.js';

export const SCOPE = 'https://www.googleapis.com/auth/admin.directory.device.chromeos.readonly';
/** Only asked for with parallelOrgUnits (orgunits.list); delegation must grant it too. */
export const ORGUNIT_SCOPE = 'https://www.googleapis.com/auth/admin.directory.orgunit.readonly';

export interface RetryTuning {
  maxAttempts: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** Longest Retry-After honoured; a longer one fails the call instead of stalling the run. */
  maxRetryAfterMs: number;
  random: () => number;
}

export const DEFAULT_TUNING: RetryTuning = {
  maxAttempts: 6,
  backoffBaseMs: 1000,
  backoffMaxMs: 32_000,
  maxRetryAfterMs: 120_000,
  random: Math.random,
};

export interface DirectoryOptions {
  /** OAuth scopes for the token (SCOPE, plus ORGUNIT_SCOPE when org units are listed). */
  scopes: string[];
  /** The key file's JSON text. */
  serviceAccountKey: string;
  subject: string;
  customerId: string;
  queriesPerMinute: number;
  /** Requests in flight at once (1 unless org units are read in parallel). */
  concurrency: number;
  log: Logger;
  signal: AbortSignal;
  tuning: RetryTuning;
}

export interface Scope {
  /** Path minus the leading `/` (as the API wants it), or an org unit id. Absent: the whole customer. */
  orgUnitPath?: string;
  /** includeChildOrgunits (default true): false reads the org unit's own devices only. */
  children?: boolean;
  query?: string;
}

export interface OrgUnit {
  orgUnitPath: string;
  orgUnitId?: string;
  parentOrgUnitId?: string;
}

/** The failure classes `check` reports and tests assert on. */
export type GoogleFailure =
  | 'bad_key'
  | 'delegation_missing'
  | 'invalid_grant'
  | 'not_authorized'
  | 'throttled'
  | 'http';

export class GoogleApiError extends AppError {
  constructor(
    readonly failure: GoogleFailure,
    message: string,
    context: Record<string, unknown> = {},
    code: 'config_invalid' | 'http_status' | 'http_attempts_exhausted' | 'http_network' | 'http_bad_body' = 'http_status',
  ) {
    super(code, message, { context: { failure, ...context } });
  }
}

const THROTTLE_REASONS = new Set(['userRateLimitExceeded', 'quotaExceeded', 'rateLimitExceeded']);

/**
 * Checks the service-account key (the JSON text: src/config reads `serviceAccountKeyFile` into
 * `serviceAccountKey`). The error says what is wrong with it, never what is in it.
 */
export function parseServiceAccountKey(text: string): { email: string; key: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new GoogleApiError('bad_key', 'the service-account key file is not JSON', {}, 'config_invalid');
  }
  const parsed = serviceAccountKeySchema.safeParse(json);
  if (!parsed.success) {
    const fields = [...new Set(parsed.error.issues.map((i) => String(i.path[0] ?? 'file')))].join(', ');
    throw new GoogleApiError('bad_key', `the service-account key file is not a service-account key (bad or missing: ${fields})`, {}, 'config_invalid');
  }
  return { email: parsed.data.client_email, key: parsed.data.private_key };
}

export interface Directory {
  /** One page of chromeosdevices.list (projection FULL, no orderBy). */
  listPage(scope: Scope, maxResults: number, pageToken: string | undefined): Promise<ListPage>;
  /** countChromeOsDevices for the same scope (the list's `query` is the count's `filter`). */
  count(scope: Scope): Promise<number>;
  /** Every org unit under `root` (path minus the leading /; absent = the customer's root), not the root itself. */
  orgUnits(root: string | undefined): Promise<OrgUnit[]>;
  /** Requests made, retries and token fetches, for the end-of-read log line. */
  readonly stats: { requests: number; retries: number; tokenFetches: number };
}

export async function createDirectory(opts: DirectoryOptions): Promise<Directory> {
  const { email, key } = parseServiceAccountKey(opts.serviceAccountKey);
  const jwt = new auth.JWT({ email, key, scopes: opts.scopes, subject: opts.subject });
  const stats = { requests: 0, retries: 0, tokenFetches: 0 };
  jwt.on('tokens', () => { stats.tokenFetches++; });
  // See the header: gaxios retries off for API calls and the token request alike; `call()` retries.
  jwt.transporter.interceptors.request.add({
    resolved: async (config) => {
      config.retry = false;
      delete config.retryConfig;
      return config;
    },
  });
  const api = admin({ version: 'directory_v1', auth: jwt, retry: false });
  const queue = new PQueue({ concurrency: opts.concurrency, ...budget(opts.queriesPerMinute) });
  const log = opts.log;
  const { tuning } = opts;

  async function call<T>(what: string, fn: () => Promise<{ data: T }>): Promise<T> {
    let refreshed = false;
    for (let attempt = 1; ; attempt++) {
      opts.signal.throwIfAborted();
      stats.requests++;
      let failure: unknown;
      try {
        const res = await queue.add(fn, { signal: opts.signal });
        return res.data;
      } catch (e) {
        failure = e;
      }
      opts.signal.throwIfAborted();
      const f = classify(failure);
      if (f.kind === 'unauthorized' && !refreshed) {
        // The cached token was refused: drop it so the next attempt signs a fresh one.
        refreshed = true;
        // (the placeholder and expiry_date 1 are what JWT's constructor sets: "no token yet").
        jwt.credentials = { refresh_token: 'jwt-placeholder', expiry_date: 1 };
        log.debug({ what, status: 401 }, 'google-admin: token refused, fetching a new one');
        continue;
      }
      if (f.kind === 'unauthorized') {
        throw new GoogleApiError('not_authorized', `${what}: Google refused a freshly issued token (401)`, { status: 401 });
      }
      if (f.kind !== 'retry') throw f.error;
      if (attempt >= tuning.maxAttempts) {
        throw new GoogleApiError(
          f.status === 429 || (f.reason && THROTTLE_REASONS.has(f.reason)) ? 'throttled' : 'http',
          `${what}: gave up after ${attempt} attempts (last: HTTP ${f.status ?? 'network error'}${f.reason ? ` ${f.reason}` : ''})`,
          { status: f.status, reason: f.reason, attempts: attempt }, 'http_attempts_exhausted',
        );
      }
      const backoff = Math.min(tuning.backoffMaxMs, tuning.backoffBaseMs * 2 ** (attempt - 1)) * tuning.random();
      if (f.retryAfterMs !== undefined && f.retryAfterMs > tuning.maxRetryAfterMs) {
        throw new GoogleApiError('throttled', `${what}: Google asked to wait ${Math.round(f.retryAfterMs / 1000)} s, longer than we wait`,
          { status: f.status, reason: f.reason }, 'http_attempts_exhausted');
      }
      const delay = Math.max(backoff, f.retryAfterMs ?? 0);
      stats.retries++;
      log.debug({ what, status: f.status, reason: f.reason, attempt, delayMs: Math.round(delay) }, 'google-admin: retrying');
      await sleep(delay, opts.signal);
    }
  }

  const ou = (s: Scope) => (s.orgUnitPath ? { orgUnitPath: s.orgUnitPath, includeChildOrgunits: s.children !== false } : {});

  return {
    stats,
    async listPage(scope, maxResults, pageToken) {
      const params: admin_directory_v1.Params$Resource$Chromeosdevices$List = {
        customerId: opts.customerId,
        projection: 'FULL',
        maxResults,
        ...(pageToken ? { pageToken } : {}),
        ...ou(scope),
        ...(scope.query ? { query: scope.query } : {}),
      };
      const data = await call('chromeosdevices.list', () => api.chromeosdevices.list(params, { retry: false }));
      const page = listPageSchema.safeParse(data);
      if (!page.success) throw new GoogleApiError('http', 'chromeosdevices.list answered a body that is not a device page', {}, 'http_bad_body');
      return page.data;
    },
    async orgUnits(root) {
      const data = await call('orgunits.list', () => api.orgunits.list({
        customerId: opts.customerId, type: 'all', ...(root ? { orgUnitPath: root } : {}),
      }, { retry: false }));
      const units = (data.organizationUnits ?? []).flatMap((u) => (u.orgUnitPath
        ? [{ orgUnitPath: u.orgUnitPath, ...(u.orgUnitId ? { orgUnitId: u.orgUnitId } : {}), ...(u.parentOrgUnitId ? { parentOrgUnitId: u.parentOrgUnitId } : {}) }]
        : []));
      return units;
    },
    async count(scope) {
      const params: admin_directory_v1.Params$Resource$Customer$Devices$Chromeos$Countchromeosdevices = {
        customerId: opts.customerId,
        ...ou(scope),
        ...(scope.query ? { filter: scope.query } : {}),
      };
      const data = await call('countChromeOsDevices', () => api.customer.devices.chromeos.countChromeOsDevices(params, { retry: false }));
      const c = countSchema.safeParse(data);
      if (!c.success) throw new GoogleApiError('http', 'countChromeOsDevices answered without a count', {}, 'http_bad_body');
      return Number(c.data.count);
    },
  };
}

/** queriesPerMinute as a p-queue interval cap, spread per second when the budget allows (no minute-start burst). */
export function budget(qpm: number): { intervalCap: number; interval: number } {
  return qpm >= 60 ? { intervalCap: Math.floor(qpm / 60), interval: 1000 } : { intervalCap: 1, interval: Math.ceil(60_000 / qpm) };
}

type Classified =
  | { kind: 'retry'; status?: number; reason?: string; retryAfterMs?: number }
  | { kind: 'unauthorized' }
  | { kind: 'fail'; error: Error };

/** What a failed attempt means. Reads status, Google's reason and Retry-After; nothing else of the error. */
function classify(e: unknown): Classified {
  if (e instanceof AppError) return { kind: 'fail', error: e };
  const err = e as { response?: { status?: number; data?: unknown; headers?: unknown; config?: { url?: unknown } }; code?: unknown; name?: string };
  const res = err?.response;
  if (!res || typeof res.status !== 'number') {
    // No response from a request gaxios made (it has `config`): a network failure (DNS, reset, timeout),
    // retryable; its code (ECONNRESET) is safe to show. Anything else (an abort, a bug) is not retried.
    const fromGaxios = typeof e === 'object' && e !== null && 'config' in e && err?.name !== 'AbortError';
    if (!fromGaxios) return { kind: 'fail', error: e as Error };
    return { kind: 'retry', reason: typeof err?.code === 'string' ? err.code : undefined };
  }
  const status = res.status;
  const isToken = String(res.config?.url ?? '').startsWith('https://oauth2.googleapis.com/token');
  if (isToken) {
    // The token endpoint's own outages and throttling are retried like the API's; its refusals are final.
    if (status === 429 || status >= 500) return { kind: 'retry', status, reason: 'token endpoint', retryAfterMs: retryAfter(res.headers) };
    return { kind: 'fail', error: tokenError(status, res.data) };
  }
  const api = apiErrorSchema.safeParse(res.data);
  const reason = api.success ? api.data.error.errors?.[0]?.reason : undefined;
  if (status === 429 || (status === 403 && reason && THROTTLE_REASONS.has(reason)) || status >= 500) {
    return { kind: 'retry', status, reason, retryAfterMs: retryAfter(res.headers) };
  }
  if (status === 401) return { kind: 'unauthorized' };
  if (status === 403) {
    return {
      kind: 'fail',
      error: new GoogleApiError('not_authorized',
        `Google refused the request (403${reason ? ` ${reason}` : ''}): the subject is not an admin allowed to read ChromeOS devices, or the customerId is not theirs`,
        { status, reason }),
    };
  }
  return { kind: 'fail', error: new GoogleApiError('http', `the Directory API answered HTTP ${status}${reason ? ` ${reason}` : ''}`, { status, reason }) };
}

/** Token endpoint failures, in the words an admin can act on. Google's error codes only, never the body. */
function tokenError(status: number, body: unknown): GoogleApiError {
  const t = tokenErrorSchema.safeParse(body);
  const code = t.success ? t.data.error : undefined;
  if (code === 'unauthorized_client') {
    return new GoogleApiError('delegation_missing',
      `the token request was refused (unauthorized_client): domain-wide delegation is missing for this service account's client id, or the scopes requested are not all granted to it (${SCOPE}; with parallelOrgUnits also ${ORGUNIT_SCOPE})`,
      { status, error: code });
  }
  if (code === 'invalid_grant') {
    return new GoogleApiError('invalid_grant',
      'the token request was refused (invalid_grant): the subject does not exist in this domain, the key was deleted or the clock is off',
      { status, error: code });
  }
  if (code === 'invalid_client' || code === 'invalid_signature') {
    return new GoogleApiError('bad_key', `the token request was refused (${code}): the service-account key is not valid (deleted or disabled?)`, { status, error: code });
  }
  return new GoogleApiError('http', `the token request failed with HTTP ${status}${code ? ` (${code})` : ''}`, { status, error: code });
}

function retryAfter(headers: unknown): number | undefined {
  const h = headers as { get?: (n: string) => string | null } | Record<string, string> | undefined;
  const raw = typeof h?.get === 'function' ? h.get('retry-after') : (h as Record<string, string> | undefined)?.['retry-after'];
  if (!raw) return undefined;
  const secs = Number(raw);
  if (Number.isFinite(secs)) return Math.max(0, secs * 1000);
  const at = Date.parse(raw);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => { signal.removeEventListener('abort', onAbort); resolve(); }, ms);
    const onAbort = () => { clearTimeout(t); reject(signal.reason instanceof Error ? signal.reason : new Error('aborted')); };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
