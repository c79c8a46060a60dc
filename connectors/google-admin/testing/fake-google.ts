/**
 * A fake Google for tests, as msw handlers: the OAuth token endpoint (it verifies the JWT assertion's signature
 * with the service account's public key and records its claims) and the Directory API's chromeosdevices.list
 * and countChromeOsDevices, answering in the documented shapes (vendor-facts §3). The service-account key is
 * generated per test run (node:crypto); no key is ever committed. Test-only: nothing in the connector imports it.
 */
import { createPublicKey, generateKeyPairSync, verify, type KeyObject } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { http, HttpResponse } from 'msw';

export const TOKEN_URL = 'https://oauth2.googleapis.com/token';
export const LIST_URL = 'https://admin.googleapis.com/admin/directory/v1/customer/:customerId/devices/chromeos';
export const COUNT_URL = /^https:\/\/admin\.googleapis\.com\/admin\/directory\/v1\/customer\/[^/]+\/devices\/chromeos:countChromeOsDevices/;
export const ORGUNITS_URL = 'https://admin.googleapis.com/admin/directory/v1/customer/:customerId/orgunits';
export const SA_EMAIL = 'rollcall-reader@district-proj.iam.gserviceaccount.com';

/** The fake's state: a fleet, scripted failures, and every request seen. */
export interface Fake {
  devices: unknown[];
  /** Value the count endpoint answers (default: devices.length). */
  count?: () => number;
  /** The list stops after this many devices (a list that ends early). */
  listLimit?: number;
  /** Scripted answers, consumed one per request before the normal answer. */
  listFailures: Array<() => Response>;
  countFailures: Array<() => Response>;
  tokenFailure?: () => Response;
  /** expires_in of the next tokens (default 3600). */
  tokenTtl: number[];
  tokensIssued: number;
  listRequests: URL[];
  listAuth: string[];
  countRequests: URL[];
  tokenClaims: Array<Record<string, unknown>>;
  /** orgunits.list answer (all org units under the customer's root, id `id:root`). */
  orgUnits: Array<{ orgUnitPath: string; orgUnitId: string; parentOrgUnitId: string }>;
  orgUnitRequests: URL[];
  /** Delay before each list page answers (ms). */
  pageDelayMs: number;
  /** List requests in flight now, and the most seen at once. */
  inFlight: number;
  maxInFlight: number;
}

export function newFake(): Fake {
  return {
    devices: [], listFailures: [], countFailures: [], tokenTtl: [], tokensIssued: 0,
    listRequests: [], listAuth: [], countRequests: [], tokenClaims: [],
    orgUnits: [], orgUnitRequests: [], pageDelayMs: 0, inFlight: 0, maxInFlight: 0,
  };
}

export interface ServiceAccount {
  keyFile: string;
  pem: string;
  publicKey: KeyObject;
}

/** Writes a service-account key file with a fresh RSA key into `dir`. */
export async function makeServiceAccount(dir: string): Promise<ServiceAccount> {
  const pair = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  const keyFile = join(dir, 'sa.json');
  await writeFile(keyFile, JSON.stringify({
    type: 'service_account', project_id: 'district-proj', private_key_id: 'abc123',
    private_key: pair.privateKey, client_email: SA_EMAIL, client_id: '1234567890', token_uri: TOKEN_URL,
  }));
  return { keyFile, pem: pair.privateKey, publicKey: createPublicKey(pair.publicKey) };
}

/** A minimal documented-shape ChromeOsDevice. */
export function device(i: number, over: Record<string, unknown> = {}) {
  return {
    kind: 'admin#directory#chromeosdevice',
    deviceId: `dev-${String(i).padStart(4, '0')}`,
    serialNumber: `SN${String(i).padStart(6, '0')}`,
    status: 'ACTIVE',
    model: 'Acer Chromebook 311',
    orgUnitPath: '/Students',
    lastSync: '2026-10-01T10:00:00.000Z',
    recentUsers: [{ type: 'USER_TYPE_MANAGED', email: `student${i}@district.example.org` }],
    ...over,
  };
}

/** Google's error body: `{ error: { code, message, errors: [{ domain, reason, message }] } }`. */
export const googleError = (code: number, reason: string, message: string) =>
  HttpResponse.json({ error: { code, message, errors: [{ domain: code === 429 ? 'usageLimits' : 'global', reason, message }] } }, { status: code });

/** The devices a list or count for this URL's orgUnitPath / includeChildOrgunits covers. */
function inScope(fake: Fake, url: URL, devices: unknown[]): unknown[] {
  const p = url.searchParams.get('orgUnitPath');
  if (p === null) return devices;
  const path = p.startsWith('id:')
    ? (p === 'id:root' ? '/' : fake.orgUnits.find((u) => u.orgUnitId === p)?.orgUnitPath)
    : `/${p.replace(/^\/+/, '')}`;
  const children = url.searchParams.get('includeChildOrgunits') === 'true';
  return devices.filter((d) => {
    const ou = (d as { orgUnitPath?: string }).orgUnitPath ?? '/';
    return ou === path || (children && (path === '/' || ou.startsWith(`${path}/`)));
  });
}

const b64url = (s: string) => Buffer.from(s.replace(/-/g, '+').replace(/_/g, '/'), 'base64');

/** The handlers, reading the current fake and key through the getters (tests swap them per case). */
export function googleHandlers(state: () => Fake, key: () => KeyObject) {
  return [
    http.post(TOKEN_URL, async ({ request }) => {
      const fake = state();
      const form = new URLSearchParams(await request.text());
      const [h, p, s] = (form.get('assertion') ?? '').split('.');
      // The assertion must really be signed with the service account's key.
      if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer' || !p || !s
        || !verify('RSA-SHA256', Buffer.from(`${h}.${p}`), key(), b64url(s))) {
        return HttpResponse.json({ error: 'invalid_grant', error_description: 'Invalid JWT Signature.' }, { status: 400 });
      }
      fake.tokenClaims.push(JSON.parse(b64url(p).toString('utf8')) as Record<string, unknown>);
      if (fake.tokenFailure) return fake.tokenFailure();
      fake.tokensIssued++;
      const ttl = fake.tokenTtl.shift() ?? 3600;
      return HttpResponse.json({ access_token: `ya29.fake-token-${fake.tokensIssued}`, expires_in: ttl, token_type: 'Bearer' });
    }),
    http.get(COUNT_URL, ({ request }) => {
      const fake = state();
      fake.countRequests.push(new URL(request.url));
      const f = fake.countFailures.shift();
      if (f) return f();
      return HttpResponse.json({ count: String(fake.count ? fake.count() : inScope(fake, new URL(request.url), fake.devices).length) });
    }),
    http.get(ORGUNITS_URL, ({ request }) => {
      const fake = state();
      fake.orgUnitRequests.push(new URL(request.url));
      return HttpResponse.json({ kind: 'admin#directory#orgUnits', organizationUnits: fake.orgUnits.map((u) => ({ kind: 'admin#directory#orgUnit', name: u.orgUnitPath.split('/').pop(), ...u })) });
    }),
    http.get(LIST_URL, async ({ request }) => {
      const fake = state();
      const url = new URL(request.url);
      fake.listRequests.push(url);
      fake.listAuth.push(request.headers.get('authorization') ?? '');
      const f = fake.listFailures.shift();
      if (f) return f();
      const size = Number(url.searchParams.get('maxResults') ?? 100);
      const start = Number(url.searchParams.get('pageToken')?.replace(/^tok:/, '') ?? 0);
      const all = inScope(fake, url, fake.devices.slice(0, fake.listLimit ?? fake.devices.length));
      if (fake.pageDelayMs > 0) {
        fake.inFlight++;
        fake.maxInFlight = Math.max(fake.maxInFlight, fake.inFlight);
        await new Promise((r) => setTimeout(r, fake.pageDelayMs));
        fake.inFlight--;
      }
      const page = all.slice(start, start + size);
      const next = start + size < all.length ? { nextPageToken: `tok:${start + size}` } : {};
      return HttpResponse.json({ kind: 'directory#chromeosdevices', ...(page.length ? { chromeosdevices: page } : {}), ...next });
    }),
  ];
}
