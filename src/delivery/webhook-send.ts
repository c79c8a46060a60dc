/**
 * One webhook POST. node:http(s) rather than fetch, for three reasons: it never follows a redirect (a 3xx is a
 * failed attempt, as Standard Webhooks says), its `lookup` hook lets the URL policy check the address actually
 * connected to (src/http/url-policy.ts), and a keep-alive agent per endpoint reuses connections across a
 * backlog. 15 s covers connecting, sending and the whole answer.
 */
import http from 'node:http';
import https from 'node:https';
import ipaddr from 'ipaddr.js';
import { checkAddress, checkScheme, guardedLookup, type UrlPolicy } from '../http/url-policy.js';
import { parseRetryAfter } from '../http/retry.js';

export const WEBHOOK_TIMEOUT_MS = 15_000;
/** Kept of a failed answer's body, for `deliveries list` (receivers' error pages can be large). */
const BODY_KEEP = 300;

export interface SendResult {
  status: number;
  retryAfterMs?: number;
  /** The start of the body of a non-2xx answer. */
  bodyStart?: string;
}

export interface Sender {
  send(url: string, headers: Record<string, string>, body: string, signal: AbortSignal): Promise<SendResult>;
  close(): void;
}

/** A sender for one endpoint: its policy and keep-alive agent. Throws url_refused, or the network error. */
export function createSender(name: string, policy: UrlPolicy, timeoutMs = WEBHOOK_TIMEOUT_MS): Sender {
  const lookup = guardedLookup(name, policy);
  const agents = {
    http: new http.Agent({ keepAlive: true, maxSockets: 16, lookup }),
    https: new https.Agent({ keepAlive: true, maxSockets: 16, lookup }),
  };
  return {
    async send(url, headers, body, signal) {
      const u = checkScheme(name, url, policy);
      const host = u.hostname.replace(/^\[|\]$/g, '');
      // An IP literal never goes through `lookup`, so it is checked here.
      if (ipaddr.isValid(host)) checkAddress(name, host, host, policy);
      const timeout = AbortSignal.timeout(timeoutMs);
      const both = AbortSignal.any([signal, timeout]);
      const lib = u.protocol === 'https:' ? https : http;
      const agent = u.protocol === 'https:' ? agents.https : agents.http;
      return new Promise<SendResult>((resolve, reject) => {
        const req = lib.request(u, {
          method: 'POST',
          agent,
          signal: both,
          headers: { 'content-type': 'application/json', 'user-agent': 'rollcall-webhooks', 'content-length': Buffer.byteLength(body), ...headers },
        }, (res) => {
          const status = res.statusCode ?? 0;
          const ok = status >= 200 && status < 300;
          let kept = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => {
            if (!ok && kept.length < BODY_KEEP) kept += d.slice(0, BODY_KEEP - kept.length);
          });
          res.on('end', () => resolve({
            status,
            retryAfterMs: parseRetryAfter(res.headers['retry-after'] as string | undefined),
            ...(ok ? {} : { bodyStart: kept }),
          }));
          res.on('error', reject);
        });
        req.on('error', (e) => reject(timeout.aborted ? Object.assign(new Error(`no answer within ${timeoutMs} ms`), { name: 'TimeoutError' }) : e));
        req.end(body);
      });
    },
    close() {
      agents.http.destroy();
      agents.https.destroy();
    },
  };
}
