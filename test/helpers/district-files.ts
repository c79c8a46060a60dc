/** Small OneRoster 1.1 and GAM files written by tests, so each case states exactly what the source says. */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface TestUser {
  id: string;
  role?: string;
  email?: string;
  grade?: string;
  school?: string;
  status?: string;
  enabled?: boolean;
  given?: string;
}

const MANIFEST = ['manifest.version,1.0', 'oneroster.version,1.1', 'file.orgs,bulk', 'file.users,bulk', 'file.enrollments,absent',
  'file.academicSessions,absent', 'file.classes,absent', 'file.courses,absent', 'file.demographics,absent'];

export function tempDir(prefix: string): string {
  return mkdtempSync(path.join(tmpdir(), `rollcall-${prefix}-`));
}

export function writeRoster(dir: string, users: TestUser[], opts: { usersCsv?: string } = {}): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'manifest.csv'), `propertyName,value\n${MANIFEST.join('\n')}\n`);
  writeFileSync(path.join(dir, 'orgs.csv'), [
    'sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId',
    'd1,,2026-08-01T00:00:00Z,Maplewood USD,district,MUSD,',
    'lin,,2026-08-01T00:00:00Z,Lincoln Elementary,school,101,d1',
    'wash,,2026-08-01T00:00:00Z,Washington Middle,school,201,d1',
  ].join('\n') + '\n');
  const header = 'sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,role,username,userIds,givenName,familyName,middleName,identifier,email,sms,phone,agentSourcedIds,grades,password';
  const lines = users.map((u) => [
    u.id, u.status ?? '', '2026-08-01T00:00:00Z', u.enabled === false ? 'false' : 'true', u.school ?? 'lin', u.role ?? 'student',
    u.id, `{LDAP:${u.id}}`, u.given ?? `Given${u.id}`, `Family${u.id}`, '', `S${u.id}`, u.email ?? `${u.id}@students.maplewood.example.org`,
    '', '', '', u.grade ?? '05', '',
  ].join(','));
  writeFileSync(path.join(dir, 'users.csv'), opts.usersCsv ?? `${header}\n${lines.join('\n')}\n`);
  return dir;
}

export interface TestDevice {
  id: string;
  serial: string;
  user?: string;
  status?: string;
  lastSync?: string;
  ou?: string;
}

export function writeGam(file: string, devices: TestDevice[]): string {
  const header = 'deviceId,serialNumber,annotatedAssetId,annotatedUser,orgUnitPath,status,lastSync,model,osVersion,bootMode,autoUpdateThrough,recentUsers.0.email,recentUsers.0.type';
  const lines = devices.map((d) => [
    d.id, d.serial, `A-${d.id}`, d.user ?? '', d.ou ?? '/Students', d.status ?? 'ACTIVE', d.lastSync ?? '2026-11-20T10:00:00.000Z',
    'Lenovo 300e Chromebook Gen 3', '129.0.6668.99', 'Verified', '2029-06-30', '', '',
  ].join(','));
  writeFileSync(file, `${header}\n${lines.join('\n')}\n`);
  return file;
}

export function students(n: number, from = 1): TestUser[] {
  return Array.from({ length: n }, (_, i) => ({ id: `s${from + i}` }));
}
