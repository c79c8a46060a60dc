import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { configPath, loadConfig, parseConfigText } from '../../src/config/index.js';
import { ConfigError } from '../../src/errors.js';

const dir = mkdtempSync(path.join(tmpdir(), 'rollcall-config-'));
const file = path.join(dir, 'rollcall.yaml');

function parse(text: string, env: NodeJS.ProcessEnv = {}) {
  return parseConfigText(text, file, env);
}

function issuesOf(text: string, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    parse(text, env);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).issues;
  }
  throw new Error('expected a ConfigError');
}

describe('config', () => {
  it('reads a good file with defaults, env interpolation and secret files', () => {
    const secret = path.join(dir, 'token.txt');
    writeFileSync(secret, 'a-very-long-api-token-value\n');
    const c = parse(
      `
server:
  port: \${ROLLCALL_PORT:-9000}
district:
  name: \${DISTRICT_NAME}
  domains: [maplewood.example.org]
  oneToOneGrades: ["03", "04"]
api:
  tokens:
    - { name: ops, tokenFile: token.txt, scopes: [read] }
`,
      { DISTRICT_NAME: 'Maplewood' },
    );
    expect(c.server.port).toBe(9000);
    expect(c.server.host).toBe('0.0.0.0');
    expect(c.district.name).toBe('Maplewood');
    expect(c.district.timezone).toBe('UTC');
    expect(c.api.tokens[0]!.token).toBe('a-very-long-api-token-value');
    expect(c.database.dataDir).toBe('./data');
    expect(c.reconcile.staleAfterDays).toBe(30);
    expect(c.sources).toEqual([]);
  });

  it('takes DATABASE_URL from the environment when the file has none', () => {
    const c = parse('district: { name: X }', { DATABASE_URL: 'postgres://u:p@db/rollcall' });
    expect(c.database.url).toBe('postgres://u:p@db/rollcall');
  });

  it('rejects bad YAML naming the file', () => {
    expect(() => parse('district: { name: [unclosed')).toThrow(/rollcall\.yaml: not valid YAML/);
  });

  it('rejects an unknown source kind, listing the known kinds', () => {
    const issues = issuesOf('district: { name: X }\nsources:\n  - { id: sis, kind: no-such-thing }');
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatch(/^sources\[0\]\.kind: unknown kind "no-such-thing"; known kinds: /);
  });

  it('rejects a missing secret file naming the key path', () => {
    const issues = issuesOf('district: { name: X }\napi:\n  tokens:\n    - { name: a, tokenFile: /nonexistent/secret, scopes: [read] }');
    expect(issues).toEqual(['api.tokens[0].tokenFile: cannot read secret file /nonexistent/secret (ENOENT)']);
  });

  it('rejects a wrong type, a missing key, an unknown key and an unset env var, all at once', () => {
    const issues = issuesOf('server: { port: eighty, colour: blue }\ndistrict: { timezone: Mars/Base }\ndatabase: { url: "${NOPE_URL}" }');
    expect(issues).toEqual(
      expect.arrayContaining([
        'database.url: environment variable NOPE_URL is not set',
        expect.stringMatching(/^server\.port: .*number/),
        'server.colour: unknown key',
        'district.name: required',
        expect.stringMatching(/^district\.timezone: expected an IANA time zone/),
      ]),
    );
  });

  it('refuses both a key and its *File twin', () => {
    expect(issuesOf('district: { name: X }\ndatabase: { url: a, urlFile: b }')).toEqual([
      'database.urlFile: give either url or urlFile, not both',
    ]);
  });

  it('picks the file: explicit, then ROLLCALL_CONFIG, then config/rollcall.yaml, then the demo', () => {
    expect(configPath('x.yaml', {}, '/srv')).toBe('/srv/x.yaml');
    expect(configPath(undefined, { ROLLCALL_CONFIG: '/etc/r.yaml' }, '/srv')).toBe('/etc/r.yaml');
    expect(configPath(undefined, {}, dir)).toBe(path.join(dir, 'config/demo.yaml'));
  });

  it('reports an unreadable config file', () => {
    expect(() => loadConfig({ file: path.join(dir, 'missing.yaml'), env: {}, cwd: dir })).toThrow(/cannot read config file .*missing\.yaml \(ENOENT\)/);
  });
});
