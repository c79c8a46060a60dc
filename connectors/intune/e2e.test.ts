/**
 * `rollcall sync` as a separate process against a real local HTTP server serving 3,000 Intune devices in pages
 * of 1,000. The vendors' hosts are routed to it by a `--import` preload (fixtures/route-vendors.ts), so the
 * product runs unchanged: the real @azure/identity token request, the real Graph SDK, the shared HTTP helper.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../test/helpers/spawn.js';

const TENANT = '11111111-2222-4333-8444-555555555555';
const SECRET = 'e2e~secret.never-printed';
const TOTAL = 3000;
const PAGE = 1000;
const LIST = '/graph.microsoft.com/v1.0/deviceManagement/managedDevices';
const preload = fileURLToPath(new URL('./fixtures/route-vendors.ts', import.meta.url));

const state = { pagesServed: 0, dropLastPage: false, tokenCalls: 0 };
let server: Server;
let base = '';
let dir = '';

function device(n: number) {
  return {
    id: `e2e-${n}`, deviceName: `PC${n}`, serialNumber: `E2E${String(n).padStart(6, '0')}`, userPrincipalName: `s${n}@maplewood.example.org`,
    emailAddress: null, userId: null, complianceState: n % 10 === 0 ? 'noncompliant' : 'compliant', lastSyncDateTime: '2026-11-20T08:00:00Z',
    enrolledDateTime: '0001-01-01T00:00:00Z', operatingSystem: 'Windows', osVersion: '10.0.22631', model: '11e', manufacturer: 'LENOVO',
    managedDeviceOwnerType: 'company', azureADDeviceId: null, wiFiMacAddress: null, managementState: 'managed',
  };
}

// The child needs PATH and HOME, as test/helpers/spawn.ts passes them.
// eslint-disable-next-line no-restricted-properties
const { PATH, HOME } = process.env;

function sync(): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--import', preload, join(repoRoot, 'src/main.ts'), 'sync', '--config', join(dir, 'rollcall.yaml'), '--source', 'intune'], {
      cwd: repoRoot, env: { PATH, HOME, ROLLCALL_TEST_ROUTE_TO: base }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => resolve({ code, out, err }));
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'intune-e2e-'));
  server = createServer((req, res) => {
    const u = new URL(req.url!, 'http://local');
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method === 'POST' && u.pathname === `/login.microsoftonline.com/${TENANT}/oauth2/v2.0/token`) {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        state.tokenCalls++;
        if (new URLSearchParams(body).get('client_secret') !== SECRET) return json(401, { error: 'invalid_client', error_description: 'AADSTS7000215: Invalid client secret provided.' });
        json(200, { token_type: 'Bearer', expires_in: 3599, access_token: 'e2e-token' });
      });
      return;
    }
    if (req.headers.authorization !== 'Bearer e2e-token') return json(401, { error: { code: 'InvalidAuthenticationToken' } });
    if (u.pathname === '/graph.microsoft.com/v1.0/deviceManagement/managedDeviceOverview') return json(200, { enrolledDeviceCount: TOTAL });
    if (u.pathname === LIST) {
      const page = Number(u.searchParams.get('$skiptoken') ?? '0');
      state.pagesServed++;
      const last = state.dropLastPage ? 1 : TOTAL / PAGE - 1;
      const value = Array.from({ length: PAGE }, (_, i) => device(page * PAGE + i + 1));
      const next = page < last ? { '@odata.nextLink': `https://graph.microsoft.com/v1.0/deviceManagement/managedDevices?$select=id&$top=${PAGE}&$skiptoken=${page + 1}` } : {};
      return json(200, { value, ...next });
    }
    json(404, { error: { code: 'NotFound' } });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  writeFileSync(join(dir, 'secret'), `${SECRET}\n`);
  writeFileSync(join(dir, 'rollcall.yaml'), [
    'district: { name: E2E, domains: [maplewood.example.org] }',
    `database: { dataDir: ${join(dir, 'data')} }`,
    'sources:',
    '  - id: intune',
    '    kind: intune',
    `    tenantId: ${TENANT}`,
    '    clientId: 99999999-8888-4777-8666-555555555555',
    '    clientSecretFile: secret',
    '',
  ].join('\n'));
});
afterAll(async () => {
  await new Promise((r) => server?.close(r));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('rollcall sync (separate process) against a local Graph', () => {
  it('reads 3,000 devices over 3 pages; a list that ends early fails and deactivates nothing', async () => {
    const first = await sync();
    expect(first.err).not.toContain(SECRET);
    expect(first.out).not.toContain(SECRET);
    expect(first.code, first.out + first.err).toBe(0);
    expect(first.out).toMatch(/devices: 3000 new, 0 updated, 0 reactivated, 0 deactivated/);
    expect(state.pagesServed).toBe(3);

    state.dropLastPage = true;
    const short = await sync();
    expect(short.code).not.toBe(0);
    expect(short.out + short.err).toMatch(/listed 2000 managed devices but Intune reports 3000/);
    expect(short.out + short.err).not.toContain(SECRET);

    // Had the short run deactivated the missing 1,000, this complete run would reactivate them.
    state.dropLastPage = false;
    const again = await sync();
    expect(again.code, again.out + again.err).toBe(0);
    expect(again.out).toMatch(/devices: 0 new, 0 updated, 0 reactivated, 0 deactivated/);
  }, 180_000);
});
