/**
 * Writes a generated district as the files a district really has: a OneRoster 1.1 CSV set, a GAM `print cros`
 * export and an Intune device export. Streams row by row (bounded memory at 500k students); the same model
 * always gives byte-identical files.
 */
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { once } from 'node:events';
import path from 'node:path';
import { DAY, SEC, isWithdrawn } from './generate.js';
import { guid, pad } from './random.js';
import type { DistrictModel, Grade, Org, Person } from './model.js';

/** RFC 4180 field: quoted when it holds a comma, quote, CR/LF, or leading/trailing white space. */
export function csvField(v: string): string {
  if (v === '') return v;
  if (NEEDS_QUOTES.test(v) || v.charCodeAt(0) <= 32 || v.charCodeAt(v.length - 1) <= 32) return `"${v.replace(/"/g, '""')}"`;
  return v;
}
const NEEDS_QUOTES = /[",\r\n]/;

/** Writes rows to `file` through a write stream, in ~1 MB chunks, respecting back-pressure. */
export async function writeCsv(file: string, header: readonly string[], rows: Iterable<readonly string[]>): Promise<number> {
  const out = createWriteStream(file, { encoding: 'utf8' });
  const failed = new Promise<never>((_, reject) => out.once('error', reject));
  failed.catch(() => undefined);
  let chunk = header.map(csvField).join(',') + '\n';
  let count = 0;
  for (const row of rows) {
    let line = '';
    for (let i = 0; i < row.length; i++) line += (i === 0 ? '' : ',') + csvField(row[i]!);
    chunk += line + '\n';
    count++;
    if (chunk.length >= 1 << 20) {
      const ok = out.write(chunk);
      chunk = '';
      if (!ok) await Promise.race([once(out, 'drain'), failed]);
    }
  }
  out.end(chunk);
  await Promise.race([once(out, 'finish'), failed]);
  return count;
}

export const ONEROSTER_HEADERS = {
  academicSessions: ['sourcedId', 'status', 'dateLastModified', 'title', 'type', 'startDate', 'endDate', 'parentSourcedId', 'schoolYear'],
  orgs: ['sourcedId', 'status', 'dateLastModified', 'name', 'type', 'identifier', 'parentSourcedId'],
  courses: ['sourcedId', 'status', 'dateLastModified', 'schoolYearSourcedId', 'title', 'courseCode', 'grades', 'orgSourcedId', 'subjects', 'subjectCodes'],
  classes: ['sourcedId', 'status', 'dateLastModified', 'title', 'grades', 'courseSourcedId', 'classCode', 'classType', 'location', 'schoolSourcedId', 'termSourcedIds', 'subjects', 'subjectCodes', 'periods'],
  users: ['sourcedId', 'status', 'dateLastModified', 'enabledUser', 'orgSourcedIds', 'role', 'username', 'userIds', 'givenName', 'familyName', 'middleName', 'identifier', 'email', 'sms', 'phone', 'agentSourcedIds', 'grades', 'password'],
  enrollments: ['sourcedId', 'status', 'dateLastModified', 'classSourcedId', 'schoolSourcedId', 'userSourcedId', 'role', 'primary', 'beginDate', 'endDate'],
} as const;

export const GAM_HEADER = [
  'deviceId', 'serialNumber', 'annotatedAssetId', 'annotatedUser', 'orgUnitPath', 'status', 'lastSync', 'model',
  'osVersion', 'bootMode', 'autoUpdateThrough', 'recentUsers.0.email', 'recentUsers.0.type',
] as const;

export const INTUNE_HEADER = [
  'Device ID', 'Device name', 'Enrollment date', 'Last check-in', 'OS', 'OS version', 'Serial number',
  'Manufacturer', 'Model', 'Primary user UPN', 'Compliance', 'Managed by', 'Ownership',
] as const;

function gamTime(ms: number): string {
  return new Date(ms).toISOString();
}

function intuneTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')}.0000000`;
}

const classId = (school: Org, g: Grade) => `cls-${school.sourcedId}-${g}`;
const courseId = (school: Org, g: Grade) => `crs-${school.sourcedId}-${g}`;
const gradeTitle = (g: Grade) => (g === 'KG' ? 'Kindergarten' : `Grade ${Number(g)}`);

export interface WrittenDistrict {
  files: { path: string; rows: number }[];
}

/** Writes `oneroster/*.csv`, `devices/gam-cros.csv` and `devices/intune-devices.csv` under `outDir`. */
export async function writeDistrict(model: DistrictModel, outDir: string): Promise<WrittenDistrict> {
  const orDir = path.join(outDir, 'oneroster');
  const devDir = path.join(outDir, 'devices');
  await mkdir(orDir, { recursive: true });
  await mkdir(devDir, { recursive: true });
  const files: WrittenDistrict['files'] = [];
  const put = async (file: string, header: readonly string[], rows: Iterable<readonly string[]>) => {
    files.push({ path: file, rows: await writeCsv(file, header, rows) });
  };
  const asOfMs = model.asOf.getTime();
  const dlm = new Date(asOfMs - DAY + 6 * 3600 * SEC).toISOString();
  const sy = model.schoolYear;
  const yearId = `as-${sy.year}`;
  const terms = [`${yearId}-s1`, `${yearId}-s2`];
  const midYear = `${sy.year}-01-09`;

  await put(path.join(orDir, 'manifest.csv'), ['propertyName', 'value'], [
    ['manifest.version', '1.0'],
    ['oneroster.version', '1.1'],
    ['file.academicSessions', 'bulk'],
    ['file.categories', 'absent'],
    ['file.classes', 'bulk'],
    ['file.classResources', 'absent'],
    ['file.courses', 'bulk'],
    ['file.courseResources', 'absent'],
    ['file.demographics', 'absent'],
    ['file.enrollments', 'bulk'],
    ['file.lineItems', 'absent'],
    ['file.orgs', 'bulk'],
    ['file.resources', 'absent'],
    ['file.results', 'absent'],
    ['file.users', 'bulk'],
    ['source.systemName', 'rollcall-demo'],
    ['source.systemCode', 'demo'],
  ]);

  await put(path.join(orDir, 'academicSessions.csv'), ONEROSTER_HEADERS.academicSessions, [
    [yearId, '', dlm, `${sy.year - 1}-${sy.year}`, 'schoolYear', sy.start, sy.end, '', String(sy.year)],
    [terms[0]!, '', dlm, `Fall ${sy.year - 1}`, 'semester', sy.start, `${sy.year}-01-08`, yearId, String(sy.year)],
    [terms[1]!, '', dlm, `Spring ${sy.year}`, 'semester', midYear, sy.end, yearId, String(sy.year)],
  ]);

  await put(path.join(orDir, 'orgs.csv'), ONEROSTER_HEADERS.orgs, (function* () {
    const d = model.district;
    yield [d.sourcedId, '', dlm, d.name, d.type, d.identifier, ''];
    for (const s of model.schools) yield [s.sourcedId, '', dlm, s.name, s.type, s.identifier, s.parentSourcedId ?? ''];
  })());

  await put(path.join(orDir, 'courses.csv'), ONEROSTER_HEADERS.courses, (function* () {
    for (const s of model.schools) {
      for (const g of s.grades) {
        yield [courseId(s, g), '', dlm, yearId, `${gradeTitle(g)} Homeroom`, `HR-${g}`, g, s.sourcedId, 'Homeroom', ''];
      }
    }
  })());

  await put(path.join(orDir, 'classes.csv'), ONEROSTER_HEADERS.classes, (function* () {
    for (const s of model.schools) {
      for (let k = 0; k < s.grades.length; k++) {
        const g = s.grades[k]!;
        yield [
          classId(s, g), '', dlm, `${gradeTitle(g)} Homeroom - ${s.name}`, g, courseId(s, g), `HR-${g}`, 'homeroom',
          `Room ${100 + k + 1}`, s.sourcedId, terms.join(','), 'Homeroom', '', '1',
        ];
      }
    }
  })());

  const schoolById = new Map<string, Org>(model.schools.map((s) => [s.sourcedId, s]));
  const firstSchool = (p: Person): Org | undefined => {
    for (const id of p.orgSourcedIds) {
      const s = schoolById.get(id);
      if (s) return s;
    }
    return undefined;
  };

  await put(path.join(orDir, 'users.csv'), ONEROSTER_HEADERS.users, (function* () {
    for (const p of model.people) {
      yield [
        p.sourcedId, p.status, dlm, p.enabledUser ? 'true' : 'false', p.orgSourcedIds.join(','), p.role,
        p.email.slice(0, p.email.indexOf('@')), `{LDAP:${p.ldapId}}`, p.givenName, p.familyName, p.middleName,
        p.identifier, p.email, '', '', '', p.grades.join(','), '',
      ];
    }
  })());

  await put(path.join(orDir, 'enrollments.csv'), ONEROSTER_HEADERS.enrollments, (function* () {
    let n = 0;
    const teachersAt = new Map<string, number>();
    for (const p of model.people) {
      if (isWithdrawn(p)) continue;
      const school = firstSchool(p);
      if (!school) continue;
      if (p.role === 'student') {
        const g = p.grades[0];
        if (!g || !school.grades.includes(g)) continue;
        yield [`enr-${pad(++n, 7)}`, '', dlm, classId(school, g), school.sourcedId, p.sourcedId, 'student', 'false', sy.start, ''];
      } else if (p.role === 'teacher') {
        const k = teachersAt.get(school.sourcedId) ?? 0;
        teachersAt.set(school.sourcedId, k + 1);
        const g = school.grades[k % school.grades.length]!;
        const primary = k < school.grades.length ? 'true' : 'false';
        yield [`enr-${pad(++n, 7)}`, '', dlm, classId(school, g), school.sourcedId, p.sourcedId, 'teacher', primary, sy.start, ''];
      }
    }
  })());

  const seed = model.seed;
  await put(path.join(devDir, 'gam-cros.csv'), GAM_HEADER, (function* () {
    for (let i = 0; i < model.gam.length; i++) {
      const d = model.gam[i]!;
      const at = d.recentUser.lastIndexOf('@');
      const domain = at < 0 ? '' : d.recentUser.slice(at + 1).toLowerCase();
      const managed = domain === model.domain || domain === model.studentDomain;
      yield [
        guid(seed, 'gam', i), d.serialNumber, d.asset > 0 ? `MW-${pad(d.asset, 6)}` : '', d.annotatedUser, d.orgUnitPath,
        d.status, d.lastSync === null ? '' : gamTime(d.lastSync), d.model.name, d.model.osVersion, d.bootMode,
        d.model.aue, d.recentUser, d.recentUser === '' ? '' : managed ? 'USER_TYPE_MANAGED' : 'USER_TYPE_UNMANAGED',
      ];
    }
  })());

  await put(path.join(devDir, 'intune-devices.csv'), INTUNE_HEADER, (function* () {
    for (let i = 0; i < model.intune.length; i++) {
      const d = model.intune[i]!;
      yield [
        guid(seed, 'intune', i), d.deviceName, intuneTime(d.enrolledAt), intuneTime(d.lastCheckIn), 'Windows',
        d.osVersion, d.serialNumber, d.model.manufacturer, d.model.name, d.primaryUserUpn, d.compliance, 'Intune',
        'Corporate',
      ];
    }
  })());

  return { files };
}
