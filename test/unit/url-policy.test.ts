/** The outbound URL policy: schemes, resolved addresses, IPv4-mapped forms, the opt-ins. */
import { describe, expect, it } from 'vitest';
import { checkOutboundUrl, nonPublicRange, type Resolver } from '../../src/http/url-policy.js';

const dns = (map: Record<string, string[]>): Resolver => async (host) => {
  const a = map[host];
  if (!a) throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
  return a.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
};
const strict = { allowInsecure: false, allowPrivateNetwork: false };
const resolver = dns({
  'hooks.example.org': ['93.184.216.34'],
  'intranet.example.org': ['10.1.2.3'],
  'sneaky.example.org': ['93.184.216.34', '192.168.1.10'],
  'meta.example.org': ['169.254.169.254'],
  'v6.example.org': ['2606:4700::6810:84e5'],
  'v6local.example.org': ['fd00:ec2::254'],
});

describe('outbound URL policy', () => {
  it('accepts https to a public address', async () => {
    await expect(checkOutboundUrl('t', 'https://hooks.example.org/x', strict, resolver)).resolves.toBeInstanceOf(URL);
    await expect(checkOutboundUrl('t', 'https://v6.example.org/x', strict, resolver)).resolves.toBeInstanceOf(URL);
  });

  it('refuses http:// unless allowInsecure', async () => {
    await expect(checkOutboundUrl('t', 'http://hooks.example.org/x', strict, resolver)).rejects.toMatchObject({ code: 'url_refused', message: expect.stringMatching(/http:\/\/ is refused/) });
    await expect(checkOutboundUrl('t', 'http://hooks.example.org/x', { ...strict, allowInsecure: true }, resolver)).resolves.toBeInstanceOf(URL);
    await expect(checkOutboundUrl('t', 'ftp://hooks.example.org/x', { allowInsecure: true, allowPrivateNetwork: true }, resolver)).rejects.toMatchObject({ code: 'url_refused' });
  });

  it('refuses private, loopback, link-local and metadata addresses, literal or resolved, unless allowPrivateNetwork', async () => {
    for (const url of [
      'https://127.0.0.1/', 'https://[::1]/', 'https://10.0.0.1/', 'https://172.16.5.4/', 'https://192.168.0.1/',
      'https://169.254.169.254/latest/meta-data/', 'https://[::ffff:127.0.0.1]/', 'https://[fe80::1]/', 'https://0.0.0.0/',
      'https://100.100.100.200/', 'https://intranet.example.org/', 'https://sneaky.example.org/', 'https://meta.example.org/',
      'https://v6local.example.org/',
    ]) {
      await expect(checkOutboundUrl('t', url, strict, resolver), url).rejects.toMatchObject({ code: 'url_refused' });
      await expect(checkOutboundUrl('t', url, { ...strict, allowPrivateNetwork: true }, resolver), url).resolves.toBeInstanceOf(URL);
    }
  });

  it('names the range, and refuses credentials in the URL', async () => {
    await expect(checkOutboundUrl('webhook x', 'https://meta.example.org/', strict, resolver)).rejects.toThrow(/webhook x: meta.example.org resolves to 169.254.169.254 \(linkLocal\)/);
    await expect(checkOutboundUrl('t', 'https://user:pw@hooks.example.org/', strict, resolver)).rejects.toThrow(/credentials/);
    expect(nonPublicRange('8.8.8.8')).toBeNull();
    expect(nonPublicRange('::ffff:10.0.0.1')).toBe('private');
  });

  it('an unresolvable name is a retryable network error, not a refusal', async () => {
    await expect(checkOutboundUrl('t', 'https://nowhere.example.org/', strict, resolver)).rejects.toMatchObject({ code: 'http_network', retryable: true });
  });
});
