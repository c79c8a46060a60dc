/**
 * Inbound help desk webhooks: header lookup in any case, constant-time secret and HMAC comparison. Both sides are
 * hashed before `timingSafeEqual`, so neither the content nor the length of the secret leaks through timing.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { ValidationError } from '../../src/errors.js';
import type { InboundRequest } from '../types.js';

export function header(req: InboundRequest, name: string): string | undefined {
  const want = name.toLowerCase();
  for (const [k, v] of Object.entries(req.headers)) if (k.toLowerCase() === want && v !== undefined) return v;
  return undefined;
}

export function safeEqual(a: string, b: string): boolean {
  const da = createHash('sha256').update(a, 'utf8').digest();
  const db = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(da, db);
}

/**
 * A shared secret the desk sends as `Authorization: Bearer <secret>` or in `X-Rollcall-Token` (desks whose webhook
 * editor takes custom headers but no auth scheme). Unset secret → nothing is accepted.
 */
export function sharedSecretOk(req: InboundRequest, secret: string | undefined): boolean {
  if (!secret) return false;
  const auth = header(req, 'authorization');
  const bearer = auth && /^bearer\s+/i.test(auth) ? auth.replace(/^bearer\s+/i, '').trim() : undefined;
  const token = header(req, 'x-rollcall-token')?.trim();
  let ok = false;
  // Both are compared (no early exit) so the timing does not say which header was tried.
  if (safeEqual(bearer ?? '\u0000none', secret)) ok = true;
  if (safeEqual(token ?? '\u0000none', secret)) ok = true;
  return ok;
}

/** base64 HMAC-SHA256 of `content` with `key`. */
export function hmacBase64(key: string, content: string): string {
  return createHmac('sha256', key).update(content, 'utf8').digest('base64');
}

/** Parses a JSON webhook body into an object, or throws naming the desk. */
export function jsonObject(kind: string, raw: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    throw new ValidationError(`${kind} inbound webhook: body is not JSON`, { sink: kind });
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new ValidationError(`${kind} inbound webhook: body is not a JSON object`, { sink: kind });
  return v as Record<string, unknown>;
}

/** A scalar field as a trimmed string (numbers allowed: desks send ids either way), or undefined. */
export function field(obj: Record<string, unknown>, name: string): string | undefined {
  const v = obj[name];
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v === 'string' && v.trim() !== '') return v.trim();
  return undefined;
}

export function requireField(kind: string, obj: Record<string, unknown>, name: string): string {
  const v = field(obj, name);
  if (v === undefined) throw new ValidationError(`${kind} inbound webhook: field ${name} is required`, { sink: kind, field: name });
  return v;
}
