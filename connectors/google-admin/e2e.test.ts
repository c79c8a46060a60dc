/**
 * `rollcall sync` as a separate process against a real local HTTP server serving 3,000 ChromeOS devices in the
 * Directory API's shapes. The vendors' hosts are routed to it by a Node preload (testing/route-google.mjs), so
 * the product runs unchanged: real config loading (serviceAccountKeyFile read by src/config), real
 * @googleapis/admin client, real JWT signing, the embedded database.
 */
import { createServer, type Server } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliToEnd } from '../../test/helpers/spawn.js';
import { device, makeServiceAccount } from './testing/fake-google.js';

const preload = fileURLToPath(new URL('./testing/route-google.mjs', import.meta.url));
const FLEET = 3000;

let dir: string;
let server: Server;
let base: string;
const state = { listed: FLEET, count: FLEET, tokens: 0, pages: 0, counts: 0 };
const fleet = Array.from({ length: FLEET }, (_, i) => device(i));

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'google-admin-e2e-'));
  const { keyFile } = await makeServiceAccount(dir);
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://local');
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' });
      res.end(JSON.stringify(body));
    };
    if (req.method === 'POST' && url.pathname === '/token') {
      req.resume();
      req.on('end', () => { state.tokens++; json(200, { access_token: `ya29.e2e-${state.tokens}`, expires_in: 3600, token_type: 'Bearer' }); });
      return;
    }
    if (!/^Bearer ya29\.e2e-\d+$/.test(req.headers.authorization ?? '')) return json(401, { error: { code: 401, message: 'Invalid Credentials', errors: [{ reason: 'authError' }] } });
    if (url.pathname === '/admin/directory/v1/customer/my_customer/devices/chromeos:countChromeOsDevices') {
      state.counts++;
      return json(200, { count: String(state.count) });
    }
    if (url.pathname === '/admin/directory/v1/customer/my_customer/devices/chromeos') {
      state.pages++;
      const size = Number(url.searchParams.get('maxResults'));
      const start = Number(url.searchParams.get('pageToken') ?? 0);
      const page = fleet.slice(0, state.listed).slice(start, start + size);
      const next = start + size < state.listed ? { nextPageToken: String(start + size) } : {};
      return json(200, { kind: 'directory#chromeosdevices', chromeosdevices: page, ...next });
    }
    json(404, { error: { code: 404, message: 'not found' } });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  await writeFile(join(dir, 'rollcall.yaml'), [
    'district: { name: E2E, domains: [district.example.org] }',
    'sources:',
    '  - id: chromebooks',
    '    kind: google-admin',
    `    serviceAccountKeyFile: ${keyFile}`,
    '    subject: it.admin@district.example.org',
    '    queriesPerMinute: 2400',
    '    deletionThreshold: { percent: 50, absolute: 2000 }',
    '',
  ].join('\n'));
});
afterAll(async () => {
  await new Promise((r) => server?.close(r));
  await rm(dir, { recursive: true, force: true });
});

describe('rollcall sync with google-admin, as a separate process', () => {
  const env = () => ({
    ROLLCALL_DATA_DIR: join(dir, 'data'), ROLLCALL_CONFIG: join(dir, 'rollcall.yaml'), LOG_LEVEL: 'info',
    ROLLCALL_TEST_GOOGLE_URL: base, NODE_OPTIONS: `--import ${preload}`,
  });

  it('reads 3,000 devices in 15 pages, then fails a run whose list ends early', async () => {
    const ok = await runCliToEnd(['sync'], { env: env() });
    expect(ok.code, ok.stderr.slice(-2000)).toBe(0);
    expect(state.pages).toBe(15);
    expect(state.counts).toBe(2);
    expect(state.tokens).toBe(1);
    const done = ok.stderr.split('\n').find((l) => l.includes('google-admin: read complete'));
    expect(done && JSON.parse(done)).toMatchObject({ listed: FLEET, countBefore: FLEET, countAfter: FLEET, records: FLEET, rejects: 0 });
    expect(ok.stderr + ok.stdout).not.toContain('PRIVATE KEY');
    expect(ok.stderr + ok.stdout).not.toContain('ya29.');

    state.listed = 2500; // the list ends early; the count still says 3,000
    const bad = await runCliToEnd(['sync'], { env: env() });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr + bad.stdout).toContain('listed 2500 devices but countChromeOsDevices says 3000');
  });
});
