/**
 * Direct inserts into the ledger tables for reconcile tests: each case states exactly the rows a rule sees,
 * without going through a connector. Two sources (sis, gam, intune) and two schools (lin = 101, wash = 201).
 */
import { sql, type SQL } from 'drizzle-orm';
import { parseConfigText, type Config } from '../../src/config/index.js';
import { rows, type Database } from '../../src/db/client.js';

/** The fixed clock of every reconcile test. */
export const NOW = new Date('2026-11-20T12:00:00Z');
export const daysAgo = (n: number, from = NOW) => new Date(from.getTime() - n * 86_400_000);
export const DOMAIN = 'students.maplewood.example.org';

/** A config whose `reconcile:` block is the given YAML flow mapping. */
export function reconcileConfig(reconcile = '{}', district = ''): Config {
  return parseConfigText(
    `district: { name: Test, domains: [maplewood.example.org], oneToOneGrades: ["03", "04", "05"]${district ? `, ${district}` : ''} }\nreconcile: ${reconcile}\n`,
    '/tmp/rollcall-reconcile-test.yaml', {},
  );
}

export interface PersonSeed {
  id: string;
  role?: string;
  status?: 'active' | 'inactive';
  grades?: string[];
  school?: string | null;
  email?: string | null;
  username?: string | null;
  userIds?: string[];
  given?: string;
}

export interface ObservationSeed {
  source?: string;
  externalId?: string;
  status?: string;
  active?: boolean;
  userEmail?: string | null;
  recentUsers?: string[];
  orgUnit?: string | null;
  lastSyncAt?: Date | null;
  aueDate?: string | null;
  compliance?: string | null;
  bootMode?: string | null;
}

export class LedgerSeed {
  private n = 0;
  constructor(private readonly db: Database) {}

  /** Empties the ledger and the reconciler's tables, then adds the sources and schools every case uses. */
  async reset(): Promise<void> {
    await this.db.orm.execute(sql`truncate deliveries, outbox, ticket_links, discrepancies, audit_log, assignments,
      device_observations, devices, people, orgs, sources restart identity cascade`);
    await this.db.orm.execute(sql`insert into sources (id, kind) values ('sis', 'oneroster-csv'), ('gam', 'device-csv'), ('intune', 'device-csv')`);
    await this.db.orm.execute(sql`insert into orgs (source_id, external_id, name, type, identifier, content_hash) values
      ('sis', 'lin', 'Lincoln Elementary', 'school', '101', 'x'), ('sis', 'wash', 'Washington Middle', 'school', '201', 'x')`);
  }

  async person(p: PersonSeed): Promise<number> {
    const school = p.school === undefined ? 'lin' : p.school;
    const email = p.email === undefined ? `${p.id}@${DOMAIN}` : p.email;
    const [r] = await rows<{ id: number }>(this.db.orm, sql`
      insert into people (source_id, external_id, role, status, given_name, family_name, email, username, sis_id, user_ids, user_id_keys, grades,
        school_external_id, school_id, deactivated_at, content_hash)
      values ('sis', ${p.id}, ${p.role ?? 'student'}, ${p.status ?? 'active'}, ${p.given ?? `Given${p.id}`}, ${`Family${p.id}`}, ${email},
        ${p.username === undefined ? p.id : p.username}, ${`S-${p.id}`}, ${sql.param(p.userIds ?? [])}::text[],
        ${sql.param((p.userIds ?? []).map((u) => u.slice(u.indexOf(':') + 1).toLowerCase()))}::text[], ${sql.param(p.grades ?? ['05'])}::text[],
        ${school}, (select id from orgs where source_id = 'sis' and external_id = ${school}),
        ${p.status === 'inactive' ? NOW.toISOString() : null}::timestamptz, 'x')
      returning id`);
    return Number(r!.id);
  }

  async device(serial: string, o: { platform?: string; status?: 'active' | 'inactive'; assetTag?: string | null } = {}): Promise<number> {
    const [r] = await rows<{ id: number }>(this.db.orm, sql`
      insert into devices (serial, asset_tag, platform, status) values (${serial}, ${o.assetTag === undefined ? `A-${serial}` : o.assetTag},
        ${o.platform ?? 'chromeos'}, ${o.status ?? 'active'}) returning id`);
    return Number(r!.id);
  }

  async observe(deviceId: number, o: ObservationSeed = {}): Promise<number> {
    const lastSync = o.lastSyncAt === undefined ? daysAgo(1) : o.lastSyncAt;
    const [r] = await rows<{ id: number }>(this.db.orm, sql`
      insert into device_observations (device_id, source_id, external_id, status, active, user_email, recent_users, org_unit,
        last_sync_at, aue_date, compliance, boot_mode, content_hash)
      values (${deviceId}, ${o.source ?? 'gam'}, ${o.externalId ?? `obs-${++this.n}`}, ${o.status ?? 'active'}, ${o.active ?? true},
        ${o.userEmail ?? null}, ${JSON.stringify(o.recentUsers ?? [])}::jsonb, ${o.orgUnit === undefined ? '/Students' : o.orgUnit},
        ${lastSync ? lastSync.toISOString() : null}::timestamptz, ${o.aueDate === undefined ? '2030-06-30' : o.aueDate}::date,
        ${o.compliance ?? null}, ${o.bootMode === undefined ? 'normal' : o.bootMode}, 'x')
      returning id`);
    return Number(r!.id);
  }

  async assign(deviceId: number, personId: number, o: { ended?: boolean } = {}): Promise<number> {
    const [r] = await rows<{ id: number }>(this.db.orm, sql`
      insert into assignments (device_id, person_id, origin, ended_at)
      values (${deviceId}, ${personId}, 'manual', ${o.ended ? NOW.toISOString() : null}::timestamptz) returning id`);
    return Number(r!.id);
  }

  /** A device, one observation, and (when a holder is given) an open assignment. */
  async held(serial: string, holder: number | null, obs: ObservationSeed = {}, dev: { platform?: string } = {}): Promise<number> {
    const d = await this.device(serial, dev);
    await this.observe(d, obs);
    if (holder !== null) await this.assign(d, holder);
    return d;
  }

  async exec(q: SQL): Promise<void> {
    await this.db.orm.execute(q);
  }
}

export interface Finding {
  id: number;
  rule: string;
  subject_key: string;
  severity: string;
  status: string;
  occurrence: number;
  details: Record<string, unknown>;
  person_id: number | null;
  device_id: number | null;
}

/** Live (open or suppressed) discrepancies, optionally of one rule, by subject. */
export async function live(db: Database, rule?: string): Promise<Finding[]> {
  const rs = await rows<Finding>(db.orm, sql`
    select id, rule, subject_key, severity, status, occurrence, details, person_id, device_id from discrepancies
    where status <> 'resolved' and (${rule ?? null}::text is null or rule = ${rule ?? null}) order by rule, subject_key`);
  return rs.map((r) => ({ ...r, id: Number(r.id), person_id: r.person_id === null ? null : Number(r.person_id), device_id: r.device_id === null ? null : Number(r.device_id) }));
}

export async function subjects(db: Database, rule: string): Promise<string[]> {
  return (await live(db, rule)).map((f) => f.subject_key);
}
