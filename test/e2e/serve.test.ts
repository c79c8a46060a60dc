import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, runCliToEnd, spawnCli, waitFor, type Spawned } from '../helpers/spawn.js';

describe('rollcall serve (real process, embedded database)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'rollcall-serve-'));
  let proc: Spawned | undefined;
  afterAll(() => proc?.child.kill('SIGKILL'));

  it('serves /healthz, /readyz and /metrics, refuses a second process on the same data dir, and exits 0 on SIGTERM', async () => {
    const port = await freePort();
    const config = path.join(dir, 'rollcall.yaml');
    writeFileSync(config, `server: { port: ${port}, host: 127.0.0.1, shutdownTimeoutMs: 5000 }\ndatabase: { dataDir: ${path.join(dir, 'data')} }\ndistrict: { name: Test }\n`);
    proc = spawnCli(['serve'], { env: { ROLLCALL_CONFIG: config } });
    const health = await waitFor(`http://127.0.0.1:${port}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok' });
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', database: 'ok' });
    expect(ready.headers.get('x-request-id')).toBeTruthy();
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toContain('rollcall_http_request_duration_seconds_bucket{le="0.005",method="GET",route="/readyz",status="200"}');
    const missing = await fetch(`http://127.0.0.1:${port}/api/v1/nothing`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { code: 'not_found', requestId: expect.any(String) } });

    const second = await runCliToEnd(['migrate'], { env: { ROLLCALL_CONFIG: config } });
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/\[database_locked\] the embedded database in .* is in use by another rollcall process/);

    const started = Date.now();
    proc.child.kill('SIGTERM');
    const { code } = await proc.exited;
    expect(code).toBe(0);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(proc.stderr()).toContain('"msg":"stopped"');
  });
});

describe('rollcall check', () => {
  it('exits 2 on a broken config, naming the key path', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rollcall-check-'));
    const config = path.join(dir, 'broken.yaml');
    writeFileSync(config, 'district: { name: Test }\nserver: { port: "http" }\nsources:\n  - { id: sis, kind: oneroster-csvv }\n');
    const r = await runCliToEnd(['check', '--config', config]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('server.port:');
    expect(r.stderr).toContain('sources[0].kind: unknown kind "oneroster-csvv"');
  });

  it('exits 0 on the bundled demo config', async () => {
    const r = await runCliToEnd(['check']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/config .*demo\.yaml: ok/);
  });

  it('prints help, the version, and exits 2 on an unknown command', async () => {
    const help = await runCliToEnd(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/usage: rollcall <command>/);
    expect((await runCliToEnd(['version'])).stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const bad = await runCliToEnd(['frobnicate']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('unknown command "frobnicate"');
  });
});
