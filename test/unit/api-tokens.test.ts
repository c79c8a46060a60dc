import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { allows, buildTokenRegistry, makeDemoToken } from '../../src/api/auth/tokens.js';
import { parseConfigText } from '../../src/config/index.js';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

describe('API tokens', () => {
  const config = parseConfigText(
    `district: { name: T }
api:
  tokens:
    - { name: helpdesk, token: helpdesk-token-0123456789, scopes: [write] }
    - { name: grafana, tokenSha256: "${sha('grafana-token-0123456789')}", scopes: [read] }
    - { name: ops, token: ops-token-0123456789abc, scopes: [read, admin] }`,
    '/tmp/t.yaml', {},
  );
  const reg = buildTokenRegistry(config);

  it('resolves a token given in full or by its SHA-256 to its name and highest scope', () => {
    expect(reg.empty).toBe(false);
    expect(reg.resolve('helpdesk-token-0123456789')).toEqual({ name: 'helpdesk', scope: 'write' });
    expect(reg.resolve('grafana-token-0123456789')).toEqual({ name: 'grafana', scope: 'read' });
    expect(reg.resolve('ops-token-0123456789abc')).toEqual({ name: 'ops', scope: 'admin' });
  });

  it('knows no other token, an empty one, or a prefix of a real one', () => {
    expect(reg.resolve('helpdesk-token-012345678')).toBeNull();
    expect(reg.resolve('')).toBeNull();
    expect(reg.resolve(undefined)).toBeNull();
  });

  it('orders scopes read < write < admin', () => {
    expect(allows('admin', 'write')).toBe(true);
    expect(allows('write', 'read')).toBe(true);
    expect(allows('write', 'admin')).toBe(false);
    expect(allows('read', 'write')).toBe(false);
  });

  it('refuses an entry with both a token and its hash, or neither', () => {
    expect(() => parseConfigText(
      `district: { name: T }\napi: { tokens: [{ name: x, scopes: [read] }] }`, '/tmp/t.yaml', {},
    )).toThrow(/exactly one of token, tokenFile or tokenSha256/);
  });

  it('adds the demo token when asked, and an unconfigured registry is empty', () => {
    const demo = makeDemoToken();
    const none = buildTokenRegistry({ api: { tokens: [] } });
    expect(none.empty).toBe(true);
    expect(buildTokenRegistry({ api: { tokens: [] } }, [demo]).resolve(demo.token)).toEqual({ name: 'demo', scope: 'admin' });
  });
});
