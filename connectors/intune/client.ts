/**
 * Graph access: an @azure/identity credential behind the Graph SDK's TokenCredentialAuthenticationProvider, and
 * a Graph `Client` whose middleware chain ends in the daemon's shared HTTP helper (`ctx.http`).
 *
 * ONE retry layer. `Client.init`/`initWithMiddleware({ authProvider })` builds the SDK's default chain, whose
 * RetryHandler retries 429/503/504 (3 s, 3 times). `ctx.http` already retries 429/5xx/timeouts honouring
 * Retry-After, caps attempts and Retry-After, applies the connector's rate budget and refreshes auth on 401:
 * stacking both would multiply attempts (up to 4 x 5) and double-sleep on Retry-After. So the chain here is a
 * single custom middleware that hands each request to `ctx.http` (no RetryHandler, no HTTPMessageHandler), and
 * the Authorization header comes from `ctx.http`'s auth hook (graphAuth below) so a 401 mid-read is refreshed
 * by that same layer. The token endpoint is called by @azure/identity's own pipeline; that is a different
 * request, not a second layer on Graph calls.
 */
import { Client, GraphError, type Context, type Middleware } from '@microsoft/microsoft-graph-client';
import { TokenCredentialAuthenticationProvider } from '@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials/index.js';
import { ClientCertificateCredential, ClientSecretCredential, type TokenCredential } from '@azure/identity';
import { AppError, isAppError } from '../shared/errors.js';
import type { HttpClient } from '../shared/http.js';
import type { HttpAuth } from '../types.js';

export const GRAPH_BASE = 'https://graph.microsoft.com/v1.0';
export const GRAPH_SCOPE = 'https://graph.microsoft.com/.default';
export const READ_PERMISSION = 'DeviceManagementManagedDevices.Read.All';

export interface GraphCredentials {
  tenantId: string;
  clientId: string;
  clientSecret?: string;
  certificatePath?: string;
  /** Entra authority host; tests and sovereign clouds. */
  authorityHost?: string;
}

function credential(c: GraphCredentials): TokenCredential {
  // Instance discovery asks login.microsoftonline.com which clouds exist; the authority is fixed here, so skip it.
  const opts = { disableInstanceDiscovery: true, ...(c.authorityHost ? { authorityHost: c.authorityHost } : {}) };
  if (c.certificatePath) return new ClientCertificateCredential(c.tenantId, c.clientId, { certificatePath: c.certificatePath }, opts);
  return new ClientSecretCredential(c.tenantId, c.clientId, c.clientSecret ?? '', opts);
}

/**
 * Entra's answer without the parts that vary or identify (trace/correlation ids, timestamps, the app id):
 * `AADSTS7000215: Invalid client secret provided.` The secret itself never appears in Entra's messages.
 */
export function authFailure(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  const m = /(AADSTS\d+)[:\s]+([^.\r\n]*\.?)/.exec(msg);
  if (m) return `${m[1]}: ${m[2]!.trim()}`;
  if (/ENOTFOUND|ECONNREFUSED|ETIMEDOUT|network/i.test(msg)) return 'the token endpoint could not be reached';
  return (e instanceof Error ? e.name : 'error') + ': token request failed';
}

export interface GraphAuth extends HttpAuth {
  /** A token now, or an AppError with Entra's code; used by check and before the first page. */
  authenticate(signal?: AbortSignal): Promise<void>;
}

/**
 * The auth hook for `ctx.http`. Tokens come from TokenCredentialAuthenticationProvider over the credential, which
 * caches them (MSAL) and renews them before expiry. On a 401 the token was revoked or expired early; the cache
 * would hand the same one back, so `refresh` starts a fresh credential, and its first call fetches a new token.
 */
export function graphAuth(c: GraphCredentials): GraphAuth {
  let provider = new TokenCredentialAuthenticationProvider(credential(c), { scopes: [GRAPH_SCOPE] });
  async function token(): Promise<string> {
    try {
      return await provider.getAccessToken();
    } catch (e) {
      throw new AppError('http_status', `intune: authentication failed: ${authFailure(e)}`, { context: { stage: 'token', status: 401 } });
    }
  }
  return {
    async headers() {
      return { authorization: `Bearer ${await token()}` };
    },
    async refresh() {
      provider = new TokenCredentialAuthenticationProvider(credential(c), { scopes: [GRAPH_SCOPE] });
      await token();
    },
    async authenticate() {
      await token();
    },
  };
}

/** Statuses handed back to the Graph SDK as responses (it builds a GraphError); the rest are ctx.http's to retry. */
const PASS_THROUGH = [400, 403, 404, 405, 406, 409, 410, 411, 412, 413, 415, 422, 501];

/** The last middleware: sends the request through ctx.http and gives the SDK a fetch Response. */
class SharedHttpHandler implements Middleware {
  /** The helper's own error for the request in flight (the SDK would flatten it into a GraphError). */
  lastError: unknown;
  constructor(private readonly http: HttpClient, private readonly signal: AbortSignal) {}

  async execute(context: Context): Promise<void> {
    const url = typeof context.request === 'string' ? context.request : context.request.url;
    const o = context.options ?? {};
    const headers: Record<string, string> = {};
    new Headers(o.headers as ConstructorParameters<typeof Headers>[0]).forEach((v, k) => {
      if (k !== 'authorization') headers[k] = v; // ctx.http's auth hook sets it
    });
    try {
      const res = await this.http.request(url, {
        method: o.method ?? 'GET', headers, signal: this.signal, acceptStatus: PASS_THROUGH,
        ...(typeof o.body === 'string' ? { body: o.body } : {}),
      });
      const nullBody = res.status === 204 || res.status === 304;
      context.response = new Response(nullBody ? null : res.body, { status: res.status, headers: res.headers });
    } catch (e) {
      this.lastError = e;
      throw e;
    }
  }
}

export interface GraphReader {
  /** GET a Graph path (relative to v1.0) or a full URL from `@odata.nextLink`, parsed JSON. */
  get(pathOrUrl: string, query?: Record<string, string>): Promise<unknown>;
}

/** What a Graph failure means for an admin: status, Graph's error code, and for 403 the missing permission. */
function graphFailure(e: GraphError, what: string): AppError {
  const status = e.statusCode;
  const code = e.code ?? 'unknown';
  const hint = status === 403
    ? `: permission missing, the app registration needs the ${READ_PERMISSION} application permission with admin consent`
    : status === 400 ? ': Graph refused the request (check the filter setting)' : '';
  // Graph's own message is left out: for a bad $filter it echoes the filter, which can hold an address.
  return new AppError('http_status', `intune: ${what} answered ${status} ${code}${hint}`, {
    context: { status, graphCode: code, requestId: e.requestId ?? undefined },
  });
}

export function createGraphReader(http: HttpClient, signal: AbortSignal): GraphReader {
  const handler = new SharedHttpHandler(http, signal);
  const client = Client.initWithMiddleware({ middleware: handler, defaultVersion: 'v1.0' });
  return {
    async get(pathOrUrl, query = {}) {
      const what = pathOrUrl.startsWith('https://') ? 'GET managedDevices (next page)' : `GET ${pathOrUrl}`;
      handler.lastError = undefined;
      try {
        // A nextLink goes to the SDK whole: it keeps the path and query as given (asserted in the tests).
        let req = client.api(pathOrUrl);
        for (const [k, v] of Object.entries(query)) req = req.query({ [k]: v });
        return (await req.get()) as unknown;
      } catch (e) {
        if (handler.lastError !== undefined) throw handler.lastError;
        if (isAppError(e)) throw e;
        if (e instanceof GraphError) throw graphFailure(e, what);
        throw e;
      }
    },
  };
}
