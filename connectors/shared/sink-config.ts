/**
 * Keys every help desk entry shares: where the desk is (a hosted name such as `subdomain`, or `baseUrl` for an
 * on-prem proxy or tests), the outbound URL policy flags, and the inbound webhook secret. Each sink spreads
 * `deskKeys` into its own strict schema and calls `checkDeskUrl` from its superRefine.
 */
import { z } from 'zod';
import type { HttpNeeds } from '../types.js';

export const deskKeys = {
  /** Replaces the hosted URL (on-prem proxies, tests). */
  baseUrl: z.string().url().optional(),
  /** http:// base URLs are refused unless true (ticket text names students). */
  allowInsecure: z.boolean().default(false),
  /** Loopback, link-local and private addresses are refused by the outbound URL policy unless true. */
  allowPrivateNetwork: z.boolean().default(false),
  /**
   * Shared secret the desk's webhook sends (`Authorization: Bearer …` or `X-Rollcall-Token`); `inboundSecretFile`
   * reads it from a file. Without it (and without a desk signature secret) inbound calls are refused.
   */
  inboundSecret: z.string().min(16, 'at least 16 characters').optional(),
};

/** A hosted-desk name: one DNS label (no dots, no scheme), so it cannot redirect requests elsewhere. */
export const hostLabel = z.string().regex(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i, 'one DNS label, e.g. "district" (not a URL)');

/** Exactly one of `hostKey` and `baseUrl`; http:// only with allowInsecure. */
export function checkDeskUrl(
  c: { baseUrl?: string; allowInsecure: boolean } & Record<string, unknown>,
  ctx: z.RefinementCtx,
  hostKey: string,
): void {
  const host = c[hostKey];
  if ((host === undefined) === (c.baseUrl === undefined)) {
    ctx.addIssue({ code: 'custom', path: [hostKey], message: `give exactly one of ${hostKey} or baseUrl` });
  }
  if (c.baseUrl && !c.allowInsecure && !c.baseUrl.startsWith('https://')) {
    ctx.addIssue({ code: 'custom', path: ['baseUrl'], message: 'an http:// baseUrl is refused (ticket text names students); set allowInsecure: true for a local proxy' });
  }
}

export const trimSlash = (u: string): string => u.replace(/\/+$/, '');

/**
 * The HTTP needs of a hosted desk: its base URL and auth headers, a per-minute request budget, and the outbound
 * URL policy flags, the same way for every desk.
 */
export function deskHttpNeeds(
  c: { requestsPerMinute: number; allowInsecure: boolean; allowPrivateNetwork: boolean },
  desk: { baseUrl: string; headers: Record<string, string>; concurrency: number; timeoutMs: number },
): HttpNeeds {
  return {
    baseUrl: desk.baseUrl,
    auth: { headers: async () => desk.headers },
    concurrency: desk.concurrency,
    rate: { requests: c.requestsPerMinute, intervalMs: 60_000 },
    timeoutMs: desk.timeoutMs,
    allowInsecure: c.allowInsecure,
    allowPrivateNetwork: c.allowPrivateNetwork,
  };
}
