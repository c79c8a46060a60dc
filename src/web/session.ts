/**
 * The admin pages' session: one cookie, `rollcall_session`, holding `payload.signature` where the payload is
 * base64url JSON `{ sid, d, exp }` (a random session id, the SHA-256 of the API token signed in with, the expiry)
 * and the signature is HMAC-SHA256 over it with `server.sessionSecret` (or a random per-process key when unset).
 * The token itself is never in the cookie; the digest is resolved against the token registry on every request,
 * so removing a token from config ends its sessions at the next restart.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { TokenIdentity, TokenRegistry } from '../api/auth/tokens.js';
import { sha256 } from '../api/auth/tokens.js';

export const SESSION_COOKIE = 'rollcall_session';
/** A working day and then some: staff sign in in the morning, not every hour. */
export const SESSION_TTL_SECONDS = 12 * 3600;

export interface SessionKey {
  sign(data: string): string;
}

export function sessionKey(secret: string | undefined): SessionKey {
  const key = secret !== undefined ? Buffer.from(secret, 'utf8') : randomBytes(32);
  return { sign: (data) => createHmac('sha256', key).update(data).digest('base64url') };
}

export interface Session {
  sid: string;
  identity: TokenIdentity;
}

interface Payload {
  sid: string;
  d: string;
  exp: number;
}

/** Whether cookies need `Secure`: the request came over https, or the configured public URL is https. */
export function isHttps(c: Context, publicUrl: string | undefined): boolean {
  return new URL(c.req.url).protocol === 'https:' || (publicUrl?.startsWith('https:') ?? false);
}

export function startSession(c: Context, key: SessionKey, token: string, secure: boolean, now = Date.now()): string {
  const payload: Payload = { sid: randomBytes(16).toString('base64url'), d: sha256(token).toString('hex'), exp: Math.floor(now / 1000) + SESSION_TTL_SECONDS };
  const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
  setCookie(c, SESSION_COOKIE, `${body}.${key.sign(body)}`, {
    httpOnly: true, sameSite: 'Strict', secure, path: '/', maxAge: SESSION_TTL_SECONDS,
  });
  return payload.sid;
}

export function endSession(c: Context, secure: boolean): void {
  deleteCookie(c, SESSION_COOKIE, { path: '/', secure, httpOnly: true, sameSite: 'Strict' });
}

/** The signed-in session, or null: no cookie, a bad signature, expired, or a token no longer configured. */
export function readSession(c: Context, key: SessionKey, tokens: TokenRegistry, now = Date.now()): Session | null {
  const raw = getCookie(c, SESSION_COOKIE);
  if (!raw) return null;
  const dot = raw.indexOf('.');
  if (dot <= 0) return null;
  const body = raw.slice(0, dot);
  const given = Buffer.from(raw.slice(dot + 1));
  const expected = Buffer.from(key.sign(body));
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  let p: Payload;
  try {
    p = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Payload;
  } catch {
    return null;
  }
  if (typeof p.sid !== 'string' || typeof p.d !== 'string' || typeof p.exp !== 'number' || p.exp * 1000 <= now) return null;
  const identity = tokens.resolveDigest(Buffer.from(p.d, 'hex'));
  return identity ? { sid: p.sid, identity } : null;
}
