/** reconcile.rules.<code>: defaults, overrides, and errors that name the key path. */
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/index.js';
import { ConfigError } from '../../src/errors.js';
import { resolveAsOf } from '../../src/reconcile/as-of.js';
import { resolveRules } from '../../src/reconcile/rule-config.js';
import { rules } from '../../src/reconcile/rules/index.js';

const reconcileOf = (yaml: string) => parseConfigText(`district: { name: T }\nreconcile: ${yaml}\n`, '/tmp/x.yaml', {}).reconcile;

function issues(yaml: string): string[] {
  try {
    resolveRules(reconcileOf(yaml));
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).issues;
  }
  throw new Error('expected a ConfigError');
}

describe('rule config', () => {
  it('has every rule of DESIGN §7, enabled with its defaults', () => {
    const resolved = resolveRules(reconcileOf('{}'));
    expect(resolved.map((r) => r.rule.code)).toEqual([
      'withdrawn-with-device', 'student-without-device', 'device-silent', 'past-aue', 'wrong-school', 'duplicate-serial-conflict',
      'unknown-user', 'multiple-devices', 'disabled-but-assigned', 'noncompliant', 'dev-mode',
    ]);
    expect(resolved.every((r) => r.enabled && r.pinnedSeverity === null)).toBe(true);
    const by = Object.fromEntries(resolved.map((r) => [r.rule.code, r]));
    expect(by['multiple-devices']!.options).toEqual({ maxDevicesPerStudent: 1 });
    expect(by['student-without-device']!.options).toEqual({ exemptSchools: [], exemptGrades: [] });
    expect(by['past-aue']!.options).toEqual({ mediumWithinDays: 90 });
    expect(Object.fromEntries(resolved.map((r) => [r.rule.code, [r.severity, r.ticket]]))).toEqual({
      'withdrawn-with-device': ['high', true], 'student-without-device': ['medium', false], 'device-silent': ['low', false],
      'past-aue': ['high', false], 'wrong-school': ['medium', false], 'duplicate-serial-conflict': ['high', true],
      'unknown-user': ['medium', false], 'multiple-devices': ['low', false], 'disabled-but-assigned': ['medium', false],
      'noncompliant': ['medium', false], 'dev-mode': ['high', true],
    });
    for (const r of rules) expect(r.remediation.length, r.code).toBeGreaterThan(20);
  });

  it('applies enabled, severity, ticket and the rule options', () => {
    const by = Object.fromEntries(resolveRules(reconcileOf(
      '{ rules: { dev-mode: { enabled: false }, device-silent: { severity: medium, ticket: true, staleAfterDays: 45, platforms: { windows: 14 } } } }',
    )).map((r) => [r.rule.code, r]));
    expect(by['dev-mode']!.enabled).toBe(false);
    expect(by['device-silent']).toMatchObject({ severity: 'medium', pinnedSeverity: 'medium', ticket: true, options: { staleAfterDays: 45, platforms: { windows: 14 } } });
  });

  it('names the key path of a bad option, and lists the known rules for an unknown one', () => {
    expect(issues('{ rules: { multiple-devices: { maxDevicesPerStudent: 0, maxDevices: 2 } } }')).toEqual([
      expect.stringMatching(/^reconcile\.rules\.multiple-devices\.maxDevicesPerStudent: /),
      'reconcile.rules.multiple-devices.maxDevices: unknown option',
    ]);
    expect(issues('{ rules: { device-silent: { platforms: { beos: 3 } } } }')).toEqual([expect.stringMatching(/^reconcile\.rules\.device-silent\.platforms(\.beos)?: /)]);
    expect(issues('{ rules: { student-without-device: { exemptSchools: lincoln } } }')).toEqual([expect.stringMatching(/^reconcile\.rules\.student-without-device\.exemptSchools: /)]);
    const [unknown] = issues('{ rules: { dev-mod: { enabled: false } } }');
    expect(unknown).toBe(`reconcile.rules.dev-mod: unknown rule; known rules: ${rules.map((r) => r.code).join(', ')}`);
  });

  it('judges as of reconcile.asOf, else the clock in the district time zone', () => {
    const at = new Date('2026-11-20T03:00:00Z');
    expect(resolveAsOf({ reconcile: reconcileOf('{ asOf: "2026-11-01" }'), district: { name: 'T', timezone: 'UTC', domains: [], oneToOneGrades: [], replacementCost: {} } }, at))
      .toEqual({ at: new Date('2026-11-01T00:00:00Z'), date: '2026-11-01' });
    expect(resolveAsOf({ reconcile: reconcileOf('{}'), district: { name: 'T', timezone: 'America/Chicago', domains: [], oneToOneGrades: [], replacementCost: {} } }, at))
      .toEqual({ at, date: '2026-11-19' });
  });
});
