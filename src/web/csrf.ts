/**
 * CSRF protection for every form post of the admin pages, two checks that each stop a cross-site post alone:
 * - a synchronizer token in a hidden `_csrf` field: HMAC of the session id (signed in) or of a random
 *   pre-session cookie (the sign-in form, so a login cannot be forced either), compared in constant time;
 * - an `Origin` header, when the browser sends one, naming this host.
 * The session cookie is also SameSite=Strict; the token is what holds when a browser ignores that.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import type { SessionKey } from './session.js';

export const PRESESSION_COOKIE = 'rollcall_presession';
export const CSRF_FIELD = '_csrf';

export function csrfFor(key: SessionKey, sid: string): string {
  return key.sign(`csrf:${sid}`);
}

/** The pre-session id for the sign-in form, set when missing. */
export function presession(c: Context, secure: boolean): string {
  const have = getCookie(c, PRESESSION_COOKIE);
  if (have && /^[\w-]{22}$/.test(have)) return have;
  const id = randomBytes(16).toString('base64url');
  setCookie(c, PRESESSION_COOKIE, id, { httpOnly: true, sameSite: 'Strict', secure, path: '/', maxAge: 3600 });
  return id;
}

export function sameOrigin(c: Context): boolean {
  const origin = c.req.header('origin');
  if (origin === undefined) return true;
  if (origin === 'null') return false;
  try {
    return new URL(origin).host === (c.req.header('host') ?? new URL(c.req.url).host);
  } catch {
    return false;
  }
}

/** Whether a posted form carries the right token for `sid` (the session id or the pre-session id). */
export function csrfValid(key: SessionKey, sid: string | undefined, posted: unknown): boolean {
  if (!sid || typeof posted !== 'string') return false;
  const expected = Buffer.from(csrfFor(key, sid));
  const given = Buffer.from(posted);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export function presessionId(c: Context): string | undefined {
  return getCookie(c, PRESESSION_COOKIE);
}
