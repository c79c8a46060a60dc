/**
 * Bearer-token auth for /api/v1 (DESIGN §11, ADR 0010). Two steps so each status means one thing:
 * `authenticate` answers 503 when no token is configured at all (outside the demo), 401 when the request has no
 * token or one nobody configured; `requireScope` (per route) answers 403 when the token is known but its scope is
 * too low. The token's name becomes the request's actor, which every write records in audit_log.
 */
import type { MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import { errorResponse } from '../error-shape.js';
import { clientAddress, type FailedAuthGuard } from './failed-auth.js';
import { allows, type Scope, type TokenIdentity, type TokenRegistry } from './tokens.js';

export type AuthEnv = { Variables: { requestId: string; identity: TokenIdentity } };

export const NO_TOKEN_MESSAGE = 'the API has no token configured; add one under api.tokens in the config '
  + '(name, scopes, and one of token, tokenFile or tokenSha256) and restart';

/** `Authorization: Bearer <token>`, scheme case-insensitive (RFC 6750 §2.1, RFC 9110 §11.1). */
export function bearerToken(header: string | undefined): string | null {
  if (!header) return null;
  const m = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  return m ? m[1]! : null;
}

export function authenticate(tokens: TokenRegistry, demo: boolean, guard?: FailedAuthGuard): MiddlewareHandler<AuthEnv> {
  return async (c, next) => {
    // A path no route serves is a 404 whoever asks: only middleware (method ALL) matched it.
    if (!matchedRoutes(c).some((r) => r.method !== 'ALL')) return next();
    if (tokens.empty && !demo) return errorResponse(c, 503, 'api_not_configured', NO_TOKEN_MESSAGE);
    const presented = bearerToken(c.req.header('authorization'));
    const addr = clientAddress(c);
    const wait = presented && guard ? guard.retryAfter(addr) : 0;
    if (wait > 0) {
      c.header('Retry-After', String(wait));
      return errorResponse(c, 429, 'rate_limited', `too many unknown tokens from this address; retry after ${wait} s`);
    }
    const who = tokens.resolve(presented);
    if (!who) {
      if (presented) guard?.failed(addr);
      c.header('WWW-Authenticate', 'Bearer realm="rollcall"');
      return errorResponse(c, 401, 'unauthorized', presented ? 'unknown API token' : 'an API token is required: Authorization: Bearer <token>');
    }
    c.set('identity', who);
    await next();
  };
}

export function requireScope(need: Scope): MiddlewareHandler<AuthEnv> {
  return async (c, next) => {
    const who = c.get('identity');
    if (!who || !allows(who.scope, need)) {
      return errorResponse(c, 403, 'forbidden', `this needs a token with the ${need} scope; "${who?.name ?? '?'}" has ${who?.scope ?? 'none'}`);
    }
    await next();
  };
}
