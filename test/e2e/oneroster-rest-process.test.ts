/**
 * `rollcall sync` as a separate process against a real local HTTP server (node:http, not msw) serving
 * OneRoster 1.2 for 5,000 users: OAuth2 client credentials with the secret in a file, X-Total-Count, a server
 * that caps pages at 50 though 100 is asked, and a 429 with Retry-After. LOG_LEVEL=debug, and neither the
 * secret, the token nor any student's email or name appears in the process output.
 */
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/district-files.js';
import { runCliToEnd } from '../helpers/spawn.js';

const N = 5000;
const SECRET = 'e2e-client-secret-7Hq';
const TOKEN = 'e2e-access-token-Zk2';
const stats = { token: 0, users: 0, throttled: 0 };

const user = (i: number) => ({
  sourcedId: `u${String(i).padStart(5, '0')}`, status: 'active', dateLastModified: '2026-10-01T00:00:00.000Z', enabledUser: 'true',
  givenName: `Given${i}`, familyName: `Family${i}`, email: `student${i}@maplewood.example.org`, username: `s${i}`,
  identifier: `9${String(i).padStart(6, '0')}`, grades: ['07'],
  roles: [{ roleType: 'primary', role: 'student', org: { href: 'https://elsewhere.example/orgs/sch-1', sourcedId: 'sch-1', type: 'org' } }],
});
const enrollment = (i: number) => ({
  sourcedId: `e${i}`, status: 'active', dateLastModified: '2026-10-01T00:00:00.000Z', role: 'student', primary: 'false',
  user: { sourcedId: `u${String(i).padStart(5, '0')}`, type: 'user' }, class: { sourcedId: `c${i % 40}`, type: 'class' }, school: { sourcedId: 'sch-1', type: 'org' },
});
const DATA: Record<string, (i: number) => unknown> = { users: user, enrollments: enrollment };
const ORGS = [
  { sourcedId: 'dist-1', status: 'active', dateLastModified: '2026-10-01T00:00:00.000Z', name: 'Maplewood', type: 'district', identifier: '06' },
  { sourcedId: 'sch-1', status: 'active', dateLastModified: '2026-10-01T00:00:00.000Z', name: 'Lincoln MS', type: 'school', identifier: '0601', parent: { sourcedId: 'dist-1', type: 'org' } },
];

let srv: Server;
let base = '';
beforeAll(async () => {
  srv = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    if (req.method === 'POST' && url.pathname === '/oauth/token') {
      stats.token++;
      const [id, secret] = Buffer.from((req.headers.authorization ?? '').replace(/^Basic /, ''), 'base64').toString().split(':').map(decodeURIComponent);
      req.resume();
      return id === 'rollcall' && secret === SECRET
        ? send(200, { access_token: TOKEN, token_type: 'Bearer', expires_in: 3600 })
        : send(401, { error: 'invalid_client' });
    }
    if (req.headers.authorization !== `Bearer ${TOKEN}`) return send(401, { imsx_codeMajor: 'failure', imsx_severity: 'error' });
    const m = /^\/ims\/oneroster\/rostering\/v1p2\/(orgs|users|enrollments)$/.exec(url.pathname);
    if (!m) return send(404, {});
    const coll = m[1]!;
    const limit = Math.min(Number(url.searchParams.get('limit')), 50); // caps what was asked
    const offset = Number(url.searchParams.get('offset'));
    if (coll === 'orgs') return send(200, { orgs: ORGS.slice(offset, offset + limit) }, { 'X-Total-Count': String(ORGS.length) });
    if (coll === 'users' && ++stats.users === 7 && stats.throttled === 0) {
      stats.throttled++;
      return send(429, { imsx_codeMajor: 'failure', imsx_severity: 'error', imsx_CodeMinor: { imsx_codeMinorField: [{ imsx_codeMinorFieldName: 'x', imsx_codeMinorFieldValue: 'server_busy' }] } }, { 'Retry-After': '1' });
    }
    const items = [];
    for (let i = offset; i < Math.min(N, offset + limit); i++) items.push(DATA[coll]!(i));
    return send(200, { [coll]: items }, { 'X-Total-Count': String(N) });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(srv.address() as { port: number }).port}`;
});
afterAll(() => new Promise<void>((r) => srv.close(() => r())));

describe('rollcall sync (separate process) against a local OneRoster 1.2 server', () => {
  it('reads 5,000 users and their enrollments completely, with no secret or student data in debug output', async () => {
    const dir = tempDir('oneroster-rest-e2e');
    writeFileSync(path.join(dir, 'sis-secret'), `${SECRET}\n`);
    const file = path.join(dir, 'rollcall.yaml');
    writeFileSync(file, [
      `database: { dataDir: "${path.join(dir, 'data')}" }`,
      'district: { name: E2E, domains: [maplewood.example.org] }',
      'sources:',
      '  - id: sis',
      '    kind: oneroster-rest',
      '    version: "1.2"',
      `    baseUrl: ${base}/ims/oneroster/rostering/v1p2`,
      '    auth:',
      '      type: oauth2',
      `      tokenUrl: ${base}/oauth/token`,
      '      clientId: rollcall',
      '      clientSecretFile: sis-secret',
      '      scope: https://purl.imsglobal.org/spec/or/v1p2/scope/roster-core.readonly',
      '      clientAuth: basic',
      '    pageSize: 100',
      '    maxConcurrency: 2',
      '    allowInsecure: true',
      '',
    ].join('\n'));
    const r = await runCliToEnd(['sync', '--config', file], { env: { LOG_LEVEL: 'debug' } });
    const output = r.stdout + r.stderr;
    expect(r.code, output.slice(-2000)).toBe(0);
    expect(r.stdout).toMatch(/^people\s+5000\s+5000\s/m);
    expect(r.stdout).toMatch(/^enrollments\s+5000\s+5000\s/m);
    expect(stats.token).toBe(1);
    expect(stats.throttled).toBe(1);
    expect(stats.users).toBe(N / 50 + 1); // 100 pages of 50, one of them asked twice after the 429
    expect(output).toContain('retrying request');
    expect(output).toContain('OneRoster access token obtained'); // a debug-level line: LOG_LEVEL=debug took effect
    for (const bad of [SECRET, TOKEN, 'student1@', 'Given1', 'Family1']) expect(output).not.toContain(bad);
  }, 240_000);
});
