/** The admin API mounted without a socket, with one token per scope, and a small seeded ledger. */
import { sql } from 'drizzle-orm';
import { pino } from 'pino';
import { createApp } from '../../src/api/app.js';
import { buildTokenRegistry } from '../../src/api/auth/tokens.js';
import { createMetrics } from '../../src/api/metrics.js';
import type { Config } from '../../src/config/index.js';
import { rows, type Database } from '../../src/db/client.js';
import { configWith } from './ledger.js';

export const TOKENS = {
  read: 'read-token-0123456789',
  write: 'write-token-0123456789',
  admin: 'admin-token-0123456789',
} as const;

export function apiConfig(extra = ''): Config {
  return configWith('  []', `api:\n  tokens:\n${Object.entries(TOKENS).map(([scope, token]) => `    - { name: ${scope}-bot, token: ${token}, scopes: [${scope}] }`).join('\n')}\n${extra}`);
}

export function apiApp(db: Database, config: Config = apiConfig(), opts: { clock?: () => number } = {}) {
  return createApp({
    config, db, log: pino({ level: 'silent' }), metrics: createMetrics(db), version: '0.0.0-test', tokens: buildTokenRegistry(config), clock: opts.clock,
  });
}

export type App = ReturnType<typeof apiApp>;

/** A response whose JSON tests read freely (the schemas are checked by the routes themselves). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type JsonResponse = Omit<Response, 'json'> & { json(): Promise<any> };

export function call(app: App, scope: keyof typeof TOKENS | null, path: string, init: { method?: string; body?: unknown } = {}): Promise<JsonResponse> {
  const headers: Record<string, string> = {};
  if (scope) headers.authorization = `Bearer ${TOKENS[scope]}`;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  return app.request(path, { method: init.method ?? 'GET', headers, body: init.body === undefined ? undefined : JSON.stringify(init.body) }) as Promise<JsonResponse>;
}

/**
 * Two schools, three students, four devices (one held by Ana, one by Ben since March after Cy, one unassigned,
 * one inactive), a run and a discrepancy.
 */
export async function seedLedger(db: Database): Promise<{ ana: number; ben: number; cy: number; runId: number; discrepancyId: number }> {
  const ex = (q: ReturnType<typeof sql>) => db.orm.execute(q);
  await ex(sql`insert into sources (id, kind) values ('sis', 'oneroster-csv'), ('google', 'google-admin')`);
  await ex(sql`insert into orgs (source_id, external_id, name, type, identifier, content_hash) values
    ('sis', 'org-n', 'North High', 'school', 'NHS', 'h'), ('sis', 'org-s', 'South Middle', 'school', 'SMS', 'h')`);
  await ex(sql`insert into people (source_id, external_id, role, status, given_name, family_name, email, sis_id, grades, school_external_id, school_id, content_hash) values
    ('sis', 'p-ana', 'student', 'active', 'Ana', 'Álvarez', 'ana@maplewood.example.org', '1001', '{09}', 'org-n', (select id from orgs where external_id = 'org-n'), 'h'),
    ('sis', 'p-ben', 'student', 'active', 'Ben', 'Brown', 'ben@maplewood.example.org', '1002', '{07}', 'org-s', (select id from orgs where external_id = 'org-s'), 'h'),
    ('sis', 'p-cy', 'student', 'inactive', 'Cy', 'Chen', 'cy@maplewood.example.org', '1003', '{07}', 'org-s', (select id from orgs where external_id = 'org-s'), 'h')`);
  await ex(sql`insert into devices (serial, asset_tag, model, platform, status, first_seen_at, last_seen_at) values
    ('5CD1234XYZ', 'MW-0001', 'Chromebook 314', 'chromeos', 'active', '2026-01-05T00:00:00Z', '2026-11-20T00:00:00Z'),
    ('5CD5555AAA', 'MW-0002', 'Chromebook 314', 'chromeos', 'active', '2026-01-05T00:00:00Z', '2026-11-21T00:00:00Z'),
    ('C02XW0AAJG5J', 'MW-0003', 'MacBook Air', 'macos', 'active', '2026-01-05T00:00:00Z', '2026-11-22T00:00:00Z'),
    ('PF3OLD0001', null, 'ThinkPad', 'windows', 'inactive', '2025-01-05T00:00:00Z', '2025-06-01T00:00:00Z')`);
  await ex(sql`insert into device_observations (device_id, source_id, external_id, status, user_email, org_unit, content_hash, aue_date) values
    ((select id from devices where serial = '5CD1234XYZ'), 'google', 'g-1', 'ACTIVE', 'ana@maplewood.example.org', '/Students/North', 'h', '2029-06-01'),
    ((select id from devices where serial = '5CD5555AAA'), 'google', 'g-2', 'ACTIVE', 'ben@maplewood.example.org', '/Students/South', 'h', '2028-06-01')`);
  const id = async (q: ReturnType<typeof sql>) => Number((await rows<{ id: number }>(db.orm, q))[0]!.id);
  const ana = await id(sql`select id from people where external_id = 'p-ana'`);
  const ben = await id(sql`select id from people where external_id = 'p-ben'`);
  const cy = await id(sql`select id from people where external_id = 'p-cy'`);
  await ex(sql`insert into assignments (device_id, person_id, origin, source_id, started_at, ended_at, ended_reason) values
    ((select id from devices where serial = '5CD1234XYZ'), ${ana}, 'mdm', 'google', '2026-01-10T00:00:00Z', null, null),
    ((select id from devices where serial = '5CD5555AAA'), ${cy}, 'mdm', 'google', '2026-01-10T00:00:00Z', '2026-03-01T00:00:00Z', 'mdm-user-changed'),
    ((select id from devices where serial = '5CD5555AAA'), ${ben}, 'mdm', 'google', '2026-03-01T00:00:00Z', null, null)`);
  await ex(sql`insert into events (run_id, actor, entity, entity_id, action, diff)
    select null, 'sync:google', 'assignment', id, 'start', '{}'::jsonb from assignments`);
  const runId = await id(sql`insert into sync_runs (source_id, mode, status, started_at, finished_at, stats) values
    ('google', 'full', 'succeeded', '2026-11-20T05:00:00Z', '2026-11-20T05:00:30Z', '{"streams":{"devices":{"read":2,"created":2,"rejected":1}}}') returning id`);
  await ex(sql`insert into quarantine (run_id, source_id, stream, outcome, external_id, reason, field, location) values
    (${runId}, 'google', 'devices', 'rejected', 'g-9', 'no serial number', 'serialNumber', 'page 1')`);
  const discrepancyId = await id(sql`insert into discrepancies (rule, subject_key, device_id, person_id, severity, status, details) values
    ('device-silent', 'device:1', (select id from devices where serial = '5CD1234XYZ'), ${ana}, 'medium', 'open', '{"daysSilent": 40, "thresholdDays": 30}') returning id`);
  return { ana, ben, cy, runId, discrepancyId };
}
