/**
 * The outbound URL policy for every address an admin configures to be called (webhook endpoints, help desk base
 * URLs). A webhook URL is a server-side request the config author points anywhere, so without a policy it is a
 * way into the district's own network and to the cloud metadata service (169.254.169.254 hands out instance
 * credentials). Refused unless the entry opts in:
 * - `http://` (the payload and its signature would cross the network in clear): `allowInsecure: true`;
 * - an address that is not public unicast: loopback, link-local (metadata), RFC 1918 / unique-local private,
 *   carrier-grade NAT, unspecified, multicast, reserved, and the IPv4-mapped forms of these:
 *   `allowPrivateNetwork: true`.
 * Host names are resolved and every address checked, since a public name can point at 10.0.0.5. The webhook
 * sender also checks the address it actually connects to (`guardedLookup`), so a name that changes its answer
 * between the check and the call (DNS rebinding) is still refused.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { promisify } from 'node:util';
import ipaddr from 'ipaddr.js';
import { AppError } from '../errors.js';

export interface UrlPolicy {
  allowInsecure: boolean;
  allowPrivateNetwork: boolean;
}

export type Resolver = (host: string) => Promise<LookupAddress[]>;

const lookupAll = promisify(dnsLookup);
export const systemResolver: Resolver = (host) => lookupAll(host, { all: true, verbatim: true });

/** Why an address is not public unicast, or null when it is. */
export function nonPublicRange(address: string): string | null {
  if (!ipaddr.isValid(address)) return 'not an IP address';
  let ip = ipaddr.parse(address);
  if (ip.kind() === 'ipv6' && (ip as ipaddr.IPv6).isIPv4MappedAddress()) ip = (ip as ipaddr.IPv6).toIPv4Address();
  const range = ip.range();
  return range === 'unicast' ? null : range;
}

function refuse(name: string, message: string, context: Record<string, unknown>): AppError {
  return new AppError('url_refused', `${name}: ${message}`, { retryable: false, context });
}

/** Scheme check alone (no DNS): for config checks at start. */
export function checkScheme(name: string, url: string, policy: UrlPolicy): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw refuse(name, 'not a valid URL', {});
  }
  if (u.username || u.password) throw refuse(name, 'credentials in the URL are refused; use the entry\'s secret or token keys', { host: u.hostname });
  if (u.protocol === 'https:') return u;
  if (u.protocol === 'http:') {
    if (policy.allowInsecure) return u;
    throw refuse(name, `http:// is refused (${u.host}); use https:// or set allowInsecure: true`, { host: u.hostname });
  }
  throw refuse(name, `scheme ${u.protocol} is refused; use https://`, { host: u.hostname });
}

/** Checks one resolved address against the policy; throws url_refused naming the range. */
export function checkAddress(name: string, host: string, address: string, policy: UrlPolicy): void {
  if (policy.allowPrivateNetwork) return;
  const range = nonPublicRange(address);
  if (range) {
    throw refuse(name, `${host} resolves to ${address} (${range}), a non-public address; set allowPrivateNetwork: true to allow it`, { host, range });
  }
}

/** Scheme, then every address the host resolves to. Returns the parsed URL. */
export async function checkOutboundUrl(name: string, url: string, policy: UrlPolicy, resolve: Resolver = systemResolver): Promise<URL> {
  const u = checkScheme(name, url, policy);
  if (policy.allowPrivateNetwork) return u;
  const host = u.hostname.replace(/^\[|\]$/g, '');
  let addresses: LookupAddress[];
  if (ipaddr.isValid(host)) {
    addresses = [{ address: host, family: host.includes(':') ? 6 : 4 }];
  } else {
    try {
      addresses = await resolve(host);
    } catch (e) {
      throw new AppError('http_network', `${name}: cannot resolve ${host}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`, { retryable: true, context: { host }, cause: e });
    }
  }
  for (const a of addresses) checkAddress(name, host, a.address, policy);
  return u;
}

/**
 * A `lookup` for node:http(s) that refuses a non-public answer at connect time, so the address checked is the
 * address connected to.
 */
export function guardedLookup(name: string, policy: UrlPolicy): typeof dnsLookup {
  const guarded = (hostname: string, options: unknown, callback: (...args: unknown[]) => void) => {
    dnsLookup(hostname, { ...(options as object), all: true }, (err, addresses) => {
      if (err) return callback(err);
      const list = addresses as LookupAddress[];
      try {
        for (const a of list) checkAddress(name, hostname, a.address, policy);
      } catch (e) {
        return callback(e);
      }
      if ((options as { all?: boolean } | undefined)?.all) return callback(null, list);
      const first = list[0];
      if (!first) return callback(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }));
      callback(null, first.address, first.family);
    });
  };
  return guarded as unknown as typeof dnsLookup;
}
