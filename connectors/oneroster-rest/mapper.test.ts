/** mapper.ts on spec-shaped fixtures: 1.1 and 1.2 users, orgs, enrollments; string booleans; rejects and warnings. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { MapResult } from '../../connectors/shared/map-result.js';
import type { PersonRecord } from '../types.js';
import { extractItems } from './client.js';
import { mapEnrollment, mapOrg, mapPerson, type PeopleContext } from './mapper.js';

const fixture = (name: string): unknown => JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8'));
const people = (over: Partial<PeopleContext> = {}): PeopleContext => ({
  location: '/users?offset=0', mode: 'bulk', orgTypes: new Map([['sch-1', 'school'], ['dist-1', 'district']]),
  schoolTypes: new Set(['school']), roleMap: {}, ...over,
});

describe('oneroster-rest mapper', () => {
  it('1.1 users under a `students` key: role + orgs, "false" string is false, inactive = tobedeleted, roleMap, rejects', () => {
    const items = extractItems(fixture('users-1p1.json'), 'users');
    const [a, b, noId, bad] = items.map((u) => mapPerson(u, people({ roleMap: { pupil: 'student' } }))) as [MapResult<PersonRecord>, MapResult<PersonRecord>, MapResult<PersonRecord>, MapResult<PersonRecord>];
    expect(a).toMatchObject({ ok: true, record: {
      externalId: 'stu-1', role: 'student', status: 'inactive', deleted: false, grades: ['09', '10'],
      orgExternalIds: ['sch-1'], primaryOrgExternalId: 'sch-1', userIds: ['LDAP:12'], sisId: '900001',
    } });
    expect(JSON.stringify(a)).not.toContain('plaintext-never-stored');
    // `inactive` (1.1) is an explicit delete; enabledUser true (a JSON boolean) is active; primary org = first school.
    expect(b).toMatchObject({ ok: true, record: { externalId: 'stu-2', deleted: true, status: 'active', role: 'student', primaryOrgExternalId: 'sch-1' } });
    // No sourcedId: rejected outright (no externalId).
    expect(noId.ok).toBe(false);
    if (!noId.ok) expect(noId.reject.externalId).toBeUndefined();
    // Unknown role word: kept-unreadable (externalId set) with a roleMap hint; a bad enabledUser would only warn.
    expect(bad.ok).toBe(false);
    if (!bad.ok) {
      expect(bad.reject.externalId).toBe('tea-1');
      expect(bad.reject.reason).toMatch(/not a OneRoster role; add it to this source's roleMap/);
    }
  });

  it('a bad optional field is a FieldWarning and the record still applies', () => {
    const m = mapPerson({ sourcedId: 'x', status: 'active', role: 'teacher', enabledUser: 'maybe', givenName: 'A\u0001' }, people());
    expect(m.ok).toBe(true);
    if (m.ok) {
      expect(m.record.status).toBe('active');
      expect(m.record.givenName).toBeNull();
      expect(m.warnings?.map((w) => w.field).sort()).toEqual(['givenName', 'status']);
      expect(JSON.stringify(m.warnings)).not.toContain('A\u0001');
    }
  });

  it('1.2 users: the primary roleType decides role and school; primaryOrg wins; tobedeleted', () => {
    const [a, b] = extractItems(fixture('users-1p2.json'), 'users').map((u) => mapPerson(u, people()));
    expect(a).toMatchObject({ ok: true, record: {
      externalId: 'u-1', role: 'administrator', status: 'active', preferredName: 'D', grades: ['09'],
      orgExternalIds: ['sch-2', 'dist-1'], primaryOrgExternalId: 'dist-1', metadata: { 'ext:building': 'B' },
    } });
    expect(b).toMatchObject({ ok: true, record: { externalId: 'u-2', deleted: true, status: 'inactive', primaryOrgExternalId: 'sch-3' } });
  });

  it('orgs and enrollments: parent ref, string booleans, a bad date only warns', () => {
    const orgs = extractItems(fixture('orgs-1p2.json'), 'orgs').map((o) => mapOrg(o, { location: '/orgs', mode: 'bulk' }));
    expect(orgs[1]).toMatchObject({ ok: true, record: { externalId: 'sch-1', type: 'school', parentExternalId: 'dist-1', identifier: '060000100001' } });
    const [e1, e2] = extractItems(fixture('enrollments-1p2.json'), 'enrollments').map((e) => mapEnrollment(e, { location: '/enrollments', mode: 'bulk' }));
    expect(e1).toMatchObject({ ok: true, record: { primary: false, schoolExternalId: 'sch-1', beginDate: '2026-08-15', endDate: '2027-06-01' } });
    expect(e2).toMatchObject({ ok: true, record: { primary: true, beginDate: null }, warnings: [{ field: 'beginDate', externalId: 'e-2' }] });
    const noClass = mapEnrollment({ sourcedId: 'e-3', status: 'active', user: { sourcedId: 'u-1' }, role: 'student' }, { location: '/enrollments', mode: 'bulk' });
    expect(noClass).toMatchObject({ ok: false, reject: { externalId: 'e-3', field: 'classExternalId' } });
  });

  it('a delta object without status is kept-unreadable (cannot tell update from delete)', () => {
    const m = mapOrg({ sourcedId: 'o', name: 'N', type: 'school' }, { location: '/orgs', mode: 'delta' });
    expect(m.ok).toBe(false);
    if (!m.ok) expect(m.reject).toMatchObject({ externalId: 'o', field: 'status' });
    expect(mapOrg({ sourcedId: 'o', name: 'N', type: 'school' }, { location: '/orgs', mode: 'bulk' }).ok).toBe(true);
  });

  it('an envelope without a known key is a format error naming keys, not values', () => {
    expect(() => extractItems({ people: [{ email: 'x@y' }] }, 'users')).toThrow(/no users\/students\/teachers array \(keys: people\)/);
  });
});
