/**
 * The oracle: what rollcall's reconciliation rules should report for a synthetic district, computed straight
 * from the in-memory model with plain loops. It deliberately shares no code with rollcall's ledger or SQL
 * rules (nor with the generator's bookkeeping): it reads the model as if it were the three exports and
 * applies the rule semantics from first principles.
 *
 * Semantics (DESIGN: ledger and rules):
 * - serial normalised = trim, upper-case, no spaces; subject `device:<serial>`; `person:<sourceId>:<sourcedId>`.
 *   The same serial in GAM and Intune is one device with two observations.
 * - observation user: GAM annotatedUser (lower-cased), else the first recent user whose domain is one of
 *   `domains` or a subdomain of one; Intune primary user UPN (lower-cased). Empty = none.
 * - matched by lower(email) to a person of any status. Holder = matched user of the observation with the latest
 *   lastSync among observations whose user matched; none matched → no holder.
 * - active observation = status not DEPROVISIONED. Active person = status '' / active and enabledUser;
 *   withdrawn = enabledUser false or status tobedeleted.
 */
import type { DistrictModel, Person, RuleName } from './model.js';

export interface RulesConfig {
  /** YYYY-MM-DD (midnight UTC) or a Date. */
  asOf: string | Date;
  /** Person subject keys are `person:<sourceId>:<sourcedId>`. Default `sis`. */
  sourceId?: string;
  domains: readonly string[];
  oneToOneGrades: readonly string[];
  ouSchoolMap: Readonly<Record<string, string>>;
  staleAfterDays?: number;
  aueWarningDays?: number;
  maxDevicesPerStudent?: number;
}

export type ExpectedFindings = Record<RuleName, string[]>;

const DAY_MS = 86_400_000;

interface Observation {
  source: 'gam' | 'intune';
  /** Lower-cased, or null when the observation names no user. */
  user: string | null;
  active: boolean;
  status: string;
  lastSync: number | null;
  aue: string | null;
  orgUnitPath: string | null;
  bootMode: string | null;
  compliance: string | null;
}

function normalise(serial: string): string {
  return serial.trim().toUpperCase().replace(/ /g, '');
}

function inDomains(email: string, domains: readonly string[]): boolean {
  const at = email.lastIndexOf('@');
  if (at < 0) return false;
  const domain = email.slice(at + 1).toLowerCase();
  return domains.some((d) => {
    const want = d.toLowerCase();
    return domain === want || domain.endsWith(`.${want}`);
  });
}

function personActive(p: Person): boolean {
  return (p.status === '' || (p.status as string) === 'active') && p.enabledUser;
}

function personWithdrawn(p: Person): boolean {
  return !p.enabledUser || p.status === 'tobedeleted';
}

export function expectedFindings(model: DistrictModel, config: RulesConfig): ExpectedFindings {
  const sourceId = config.sourceId ?? 'sis';
  const staleAfterDays = config.staleAfterDays ?? 30;
  const aueWarningDays = config.aueWarningDays ?? 180;
  const maxDevices = config.maxDevicesPerStudent ?? 1;
  const asOfMs = typeof config.asOf === 'string' ? Date.parse(`${config.asOf.slice(0, 10)}T00:00:00Z`) : config.asOf.getTime();
  if (Number.isNaN(asOfMs)) throw new Error(`bad asOf ${String(config.asOf)}`);
  const oneToOne = new Set(config.oneToOneGrades);
  const personKeyOf = (p: Person) => `person:${sourceId}:${p.sourcedId}`;

  // People by lower(email); orgs by id.
  const byEmail = new Map<string, Person>();
  for (const p of model.people) {
    if (p.email) byEmail.set(p.email.trim().toLowerCase(), p);
  }
  const orgType = new Map<string, string>();
  orgType.set(model.district.sourcedId, model.district.type);
  for (const s of model.schools) orgType.set(s.sourcedId, s.type);
  const schoolOf = (p: Person): string | null => p.orgSourcedIds.find((id) => orgType.get(id) === 'school') ?? null;

  // Observations grouped by normalised serial.
  const devices = new Map<string, Observation[]>();
  const observe = (serial: string, obs: Observation) => {
    const key = normalise(serial);
    if (key === '') return;
    const list = devices.get(key);
    if (list) list.push(obs);
    else devices.set(key, [obs]);
  };
  for (const d of model.gam) {
    let user: string | null = d.annotatedUser.trim() ? d.annotatedUser.trim().toLowerCase() : null;
    if (user === null) {
      const recent = [d.recentUser].map((e) => e.trim()).filter((e) => e !== '');
      const first = recent.find((e) => inDomains(e, config.domains));
      user = first ? first.toLowerCase() : null;
    }
    const status = d.status.toUpperCase();
    observe(d.serialNumber, {
      source: 'gam',
      user,
      active: status !== 'DEPROVISIONED',
      status,
      lastSync: d.lastSync,
      aue: d.model.aue || null,
      orgUnitPath: d.orgUnitPath || null,
      bootMode: d.bootMode,
      compliance: null,
    });
  }
  for (const d of model.intune) {
    const upn = d.primaryUserUpn.trim();
    observe(d.serialNumber, {
      source: 'intune',
      user: upn ? upn.toLowerCase() : null,
      active: true,
      status: 'ACTIVE',
      lastSync: d.lastCheckIn,
      aue: null,
      orgUnitPath: null,
      bootMode: null,
      compliance: d.compliance,
    });
  }

  const out: Record<RuleName, Set<string>> = {
    'withdrawn-with-device': new Set(),
    'student-without-device': new Set(),
    'device-silent': new Set(),
    'past-aue': new Set(),
    'wrong-school': new Set(),
    'duplicate-serial-conflict': new Set(),
    'unknown-user': new Set(),
    'multiple-devices': new Set(),
    'disabled-but-assigned': new Set(),
    noncompliant: new Set(),
    'dev-mode': new Set(),
  };

  const staleBefore = asOfMs - staleAfterDays * DAY_MS;
  const aueLimit = asOfMs + aueWarningDays * DAY_MS;
  const held = new Map<Person, number>();

  // Longest matching OU prefix (whole path segments): try the path, then each parent path.
  const ouMap = new Map<string, string>();
  for (const [prefix, school] of Object.entries(config.ouSchoolMap)) {
    const p = prefix.length > 1 && prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
    ouMap.set(p, school);
  }
  const schoolForOu = (ou: string): string | null => {
    let p = ou.length > 1 && ou.endsWith('/') ? ou.slice(0, -1) : ou;
    for (;;) {
      const hit = ouMap.get(p);
      if (hit !== undefined) return hit;
      const slash = p.lastIndexOf('/');
      if (slash <= 0) return p !== '/' && ouMap.has('/') ? ouMap.get('/')! : null;
      p = p.slice(0, slash);
    }
  };

  for (const [serial, observations] of devices) {
    const key = `device:${serial}`;
    const active = observations.filter((o) => o.active);

    // Holder.
    let holder: Person | null = null;
    let holderSync = -Infinity;
    for (const o of observations) {
      if (o.user === null) continue;
      const p = byEmail.get(o.user);
      if (!p) continue;
      const t = o.lastSync ?? -Infinity;
      if (holder === null || t > holderSync) {
        holder = p;
        holderSync = t;
      }
    }
    if (holder) held.set(holder, (held.get(holder) ?? 0) + 1);

    if (holder && personWithdrawn(holder)) out['withdrawn-with-device'].add(key);

    if (holder) {
      let latest: number | null = null;
      for (const o of active) if (o.lastSync !== null && (latest === null || o.lastSync > latest)) latest = o.lastSync;
      if (latest !== null && latest < staleBefore) out['device-silent'].add(key);
    }

    for (const o of active) {
      if (o.aue === null) continue;
      const aueMs = Date.parse(`${o.aue}T00:00:00Z`);
      if (aueMs <= aueLimit) out['past-aue'].add(key);
    }

    if (holder) {
      const school = schoolOf(holder);
      const gamObs = observations.filter((o) => o.source === 'gam' && o.orgUnitPath !== null);
      const withOu = gamObs.find((o) => o.active) ?? gamObs[0];
      const ouSchool = withOu?.orgUnitPath ? schoolForOu(withOu.orgUnitPath) : null;
      if (school !== null && ouSchool !== null && school !== ouSchool) out['wrong-school'].add(key);
    }

    const users = new Set(active.map((o) => o.user).filter((u): u is string => u !== null));
    if (active.length >= 2 && users.size >= 2) out['duplicate-serial-conflict'].add(key);

    if (active.some((o) => o.user !== null && !byEmail.has(o.user))) out['unknown-user'].add(key);

    if (holder && active.length > 0 && active.every((o) => o.status === 'DISABLED')) out['disabled-but-assigned'].add(key);

    if (active.some((o) => o.compliance === 'Noncompliant')) out.noncompliant.add(key);

    if (active.some((o) => o.bootMode === 'Dev')) out['dev-mode'].add(key);
  }

  for (const p of model.people) {
    if (p.role !== 'student' || !personActive(p)) continue;
    const n = held.get(p) ?? 0;
    if (n === 0 && p.grades.some((g) => oneToOne.has(g))) out['student-without-device'].add(personKeyOf(p));
    if (n > maxDevices) out['multiple-devices'].add(personKeyOf(p));
  }

  const result = {} as ExpectedFindings;
  for (const [rule, keys] of Object.entries(out) as [RuleName, Set<string>][]) {
    result[rule] = [...keys].sort();
  }
  return result;
}
