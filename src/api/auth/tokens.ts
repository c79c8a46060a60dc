/**
 * API tokens (DESIGN §11): who a presented bearer token is and what it may do. Tokens are kept only as SHA-256
 * digests and every configured digest is compared in constant time, so neither the comparison nor the order of
 * the list tells a caller how close a guess came.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Config } from '../../config/index.js';

export type Scope = 'read' | 'write' | 'admin';
const RANK: Record<Scope, number> = { read: 1, write: 2, admin: 3 };

export interface TokenIdentity {
  /** The token's configured name: the actor in audit_log. Never the token itself. */
  name: string;
  /** The highest scope the token holds (scopes are ordered read < write < admin). */
  scope: Scope;
}

export interface TokenRegistry {
  /** No token is configured: outside the demo the API answers 503 saying how to add one. */
  readonly empty: boolean;
  resolve(presented: string | null | undefined): TokenIdentity | null;
}

interface Entry {
  name: string;
  digest: Buffer;
  scope: Scope;
}

export function sha256(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

export function highestScope(scopes: readonly Scope[]): Scope {
  return scopes.reduce<Scope>((best, s) => (RANK[s] > RANK[best] ? s : best), 'read');
}

/** Whether a token holding `have` may do what needs `need`. */
export function allows(have: Scope, need: Scope): boolean {
  return RANK[have] >= RANK[need];
}

export interface ExtraToken {
  name: string;
  token: string;
  scopes: Scope[];
}

export function buildTokenRegistry(config: { api: Pick<Config['api'], 'tokens'> }, extra: readonly ExtraToken[] = []): TokenRegistry {
  const entries: Entry[] = [
    ...config.api.tokens.map((t) => ({
      name: t.name,
      digest: t.token !== undefined ? sha256(t.token) : Buffer.from(t.tokenSha256!, 'hex'),
      scope: highestScope(t.scopes),
    })),
    ...extra.map((t) => ({ name: t.name, digest: sha256(t.token), scope: highestScope(t.scopes) })),
  ];
  return {
    empty: entries.length === 0,
    resolve(presented) {
      if (!presented) return null;
      const digest = sha256(presented);
      let found: Entry | null = null;
      // No early exit: every entry is compared whatever matched first.
      for (const e of entries) if (timingSafeEqual(e.digest, digest) && !found) found = e;
      return found ? { name: found.name, scope: found.scope } : null;
    },
  };
}

/** The demo's one-off admin token, printed at start; 32 random bytes, base64url. */
export function makeDemoToken(): ExtraToken {
  return { name: 'demo', token: `demo_${randomBytes(24).toString('base64url')}`, scopes: ['admin'] };
}
