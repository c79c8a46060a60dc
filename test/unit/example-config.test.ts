import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/index.js';
import { resolveRules } from '../../src/reconcile/rule-config.js';
import { repoRoot } from '../helpers/spawn.js';

describe('shipped config files', () => {
  it('config/rollcall.example.yaml is valid, rules and all', () => {
    const file = path.join(repoRoot, 'config/rollcall.example.yaml');
    const c = parseConfigText(readFileSync(file, 'utf8'), file, { ROLLCALL_ADMIN_TOKEN: 'a-long-enough-admin-token' });
    expect(c.sources.map((s) => `${s.id}:${s.kind}`)).toEqual(['sis:oneroster-csv', 'google:device-csv', 'intune:device-csv']);
    expect(c.api.tokens[0]!.scopes).toEqual(['read', 'write', 'admin']);
    const rules = resolveRules(c.reconcile);
    expect(rules.find((r) => r.rule.code === 'dev-mode')!.enabled).toBe(false);
    expect(rules.find((r) => r.rule.code === 'device-silent')!.options).toMatchObject({ staleAfterDays: 45, platforms: { windows: 14 } });
  });

  it('config/demo.yaml is valid and its source paths exist', () => {
    const file = path.join(repoRoot, 'config/demo.yaml');
    const c = parseConfigText(readFileSync(file, 'utf8'), file, {});
    expect(c.sources.map((s) => s.id)).toEqual(['sis', 'google', 'intune']);
    for (const s of c.sources) expect(() => readFileSync(path.join((s.settings as { path: string }).path, s.kind === 'oneroster-csv' ? 'manifest.csv' : ''))).not.toThrow();
    expect(resolveRules(c.reconcile)).toHaveLength(11);
  });
});
