/**
 * The demo district synced into a fresh database, with the app built on it and three tokens (read, write,
 * admin): for the admin pages' tests. The demo files are copied to a temp folder so a test can change a source
 * (to make a held run) without touching config/demo.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createApp } from '../../src/api/app.js';
import { buildTokenRegistry } from '../../src/api/auth/tokens.js';
import { createMetrics } from '../../src/api/metrics.js';
import { loadConfig, type Config } from '../../src/config/index.js';
import { runPipeline } from '../../src/sync/pipeline.js';
import { freshDatabase, type Engine, type TestDb } from './db.js';
import { quietLog } from './ledger.js';
import { repoRoot } from './spawn.js';

export const TOKENS = {
  read: 'read-token-0123456789abcdef',
  write: 'write-token-0123456789abcdef',
  admin: 'admin-token-0123456789abcdef',
} as const;

export interface DemoApp {
  t: TestDb;
  config: Config;
  dir: string;
  app: ReturnType<typeof createApp>;
  /** Rewrites the Intune export to its first `keep` share of rows and syncs it: a run held by the deletion threshold. */
  holdIntune(keep?: number): Promise<number>;
  close(): Promise<void>;
}

export async function demoApp(engine: Engine, opts: { publicUrl?: string } = {}): Promise<DemoApp> {
  const dir = mkdtempSync(path.join(tmpdir(), 'rollcall-web-'));
  cpSync(path.join(repoRoot, 'config/demo/oneroster'), path.join(dir, 'demo/oneroster'), { recursive: true });
  cpSync(path.join(repoRoot, 'config/demo/devices'), path.join(dir, 'demo/devices'), { recursive: true });
  const yaml = readFileSync(path.join(repoRoot, 'config/demo.yaml'), 'utf8').replace(/^demo: true$/m, `demo: false
server:
  sessionSecret: test-session-secret-0123456789abcdef
${opts.publicUrl ? `  publicUrl: ${opts.publicUrl}\n` : ''}api:
  tokens:
    - { name: viewer, token: ${TOKENS.read}, scopes: [read] }
    - { name: helpdesk, token: ${TOKENS.write}, scopes: [write] }
    - { name: it-admin, token: ${TOKENS.admin}, scopes: [admin] }`);
  const file = path.join(dir, 'rollcall.yaml');
  writeFileSync(file, yaml);
  const config = loadConfig({ file, env: {}, cwd: dir });
  const t = await freshDatabase(engine);
  await runPipeline({ db: t.db, config, log: quietLog }, config.sources, { force: true });
  const app = createApp({ config, db: t.db, log: quietLog, metrics: createMetrics(), version: '0.0.0', migrated: true, tokens: buildTokenRegistry(config) });
  return {
    t, config, dir, app,
    async holdIntune(keep = 0.5) {
      const f = path.join(dir, 'demo/devices/intune-devices.csv');
      const lines = readFileSync(f, 'utf8').trimEnd().split('\n');
      writeFileSync(f, `${lines.slice(0, 1 + Math.floor((lines.length - 1) * keep)).join('\n')}\n`);
      const out = await runPipeline({ db: t.db, config, log: quietLog }, config.sources.filter((s) => s.id === 'intune'));
      if (out.runs[0]?.status !== 'held') throw new Error(`expected a held run, got ${out.runs[0]?.status}`);
      return out.runs[0].runId!;
    },
    async close() {
      await t.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Cookies from a response's Set-Cookie headers, as a Cookie header value (name=value; ...). */
export function cookieHeader(res: Response, prev = ''): string {
  const jar = new Map(prev.split('; ').filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)] as [string, string]));
  for (const sc of res.headers.getSetCookie()) {
    const [pair] = sc.split(';');
    const i = pair!.indexOf('=');
    const name = pair!.slice(0, i);
    const value = pair!.slice(i + 1);
    if (value === '' || /max-age=0/i.test(sc)) jar.delete(name);
    else jar.set(name, value);
  }
  return [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
}
