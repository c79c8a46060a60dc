/**
 * Local fakes for the live benches (node:http, in the parent bench process, so their memory is not the measured
 * phase's): OneRoster 1.2 serving the synthetic district, the Google Directory API (ChromeOS devices over org
 * units) and Microsoft Graph (Intune managedDevices). Every list page is answered after a fixed delay.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isWithdrawn } from './district/generate.js';
import type { DistrictModel, Org, Person } from './district/model.js';

export interface Fake {
  base: string;
  /** List pages served so far. */
  pages: number;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function listen(handler: (req: IncomingMessage, res: ServerResponse, fake: Fake) => Promise<void>): Promise<Fake> {
  const fake: Fake = { base: '', pages: 0, close: async () => {} };
  const server: Server = createServer((req, res) => {
    handler(req, res, fake).catch((e: unknown) => {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: String(e) }));
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  fake.base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  fake.close = () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); });
  return fake;
}

const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', ...headers });
  res.end(JSON.stringify(body));
};
const drain = (req: IncomingMessage) => new Promise<void>((r) => { req.resume(); req.on('end', () => r()); });

export const SIS_PATH = '/ims/oneroster/rostering/v1p2';
export const SIS_TOKEN = 'bench-sis-token';
const DLM = '2026-10-01T00:00:00.000Z';

/** The district as OneRoster 1.2 JSON (orgs, users, enrollments as write.ts derives them for the CSV). */
export function onerosterRecords(model: DistrictModel): Record<'orgs' | 'users' | 'enrollments', unknown[]> {
  const ref = (sourcedId: string, type: string) => ({ sourcedId, type });
  const orgs = [model.district, ...model.schools].map((o: Org) => ({
    sourcedId: o.sourcedId, status: 'active', dateLastModified: DLM, name: o.name, type: o.type, identifier: o.identifier,
    ...(o.parentSourcedId ? { parent: ref(o.parentSourcedId, 'org') } : {}),
  }));
  const users = model.people.map((p: Person) => ({
    sourcedId: p.sourcedId, status: p.status === 'tobedeleted' ? 'tobedeleted' : 'active', dateLastModified: DLM,
    enabledUser: p.enabledUser ? 'true' : 'false', username: p.email.slice(0, p.email.indexOf('@')),
    userIds: [{ type: 'LDAP', identifier: String(p.ldapId) }], givenName: p.givenName, familyName: p.familyName,
    middleName: p.middleName, identifier: p.identifier, email: p.email, grades: [...p.grades],
    roles: p.orgSourcedIds.map((o, k) => ({ roleType: k === 0 ? 'primary' : 'secondary', role: p.role, org: ref(o, 'org') })),
    ...(p.orgSourcedIds[0] ? { primaryOrg: ref(p.orgSourcedIds[0], 'org') } : {}),
  }));
  const schoolById = new Map(model.schools.map((s) => [s.sourcedId, s]));
  const enrollments: unknown[] = [];
  const teachersAt = new Map<string, number>();
  for (const p of model.people) {
    if (isWithdrawn(p)) continue;
    const school = p.orgSourcedIds.map((id) => schoolById.get(id)).find((s) => s !== undefined);
    if (!school) continue;
    let g: string | undefined;
    let primary = 'false';
    if (p.role === 'student') {
      g = p.grades[0];
      if (!g || !school.grades.includes(p.grades[0]!)) continue;
    } else if (p.role === 'teacher') {
      const k = teachersAt.get(school.sourcedId) ?? 0;
      teachersAt.set(school.sourcedId, k + 1);
      g = school.grades[k % school.grades.length]!;
      primary = k < school.grades.length ? 'true' : 'false';
    } else continue;
    enrollments.push({
      sourcedId: `enr-${String(enrollments.length + 1).padStart(7, '0')}`, status: 'active', dateLastModified: DLM, role: p.role, primary,
      user: ref(p.sourcedId, 'user'), class: ref(`cls-${school.sourcedId}-${g}`, 'class'), school: ref(school.sourcedId, 'org'),
      beginDate: model.schoolYear.start,
    });
  }
  return { orgs, users, enrollments };
}

/** OneRoster 1.2: POST /oauth/token (client credentials), GET /orgs|/users|/enrollments with limit/offset. */
export function fakeOneRoster(data: Record<string, unknown[]>, delayMs: number): Promise<Fake> {
  return listen(async (req, res, fake) => {
    const url = new URL(req.url ?? '/', 'http://local');
    if (req.method === 'POST' && url.pathname === '/oauth/token') {
      await drain(req);
      return send(res, 200, { access_token: SIS_TOKEN, token_type: 'Bearer', expires_in: 3600 });
    }
    if (req.headers.authorization !== `Bearer ${SIS_TOKEN}`) return send(res, 401, { imsx_codeMajor: 'failure' });
    const m = /^\/ims\/oneroster\/rostering\/v1p2\/(orgs|users|enrollments)$/.exec(url.pathname);
    if (!m) return send(res, 404, {});
    const all = data[m[1]!]!;
    const limit = Math.min(Number(url.searchParams.get('limit') ?? 100), 10_000);
    const offset = Number(url.searchParams.get('offset') ?? 0);
    fake.pages++;
    await sleep(delayMs);
    send(res, 200, { [m[1]!]: all.slice(offset, offset + limit) }, { 'X-Total-Count': String(all.length) });
  });
}

export const GOOGLE_LIST = '/admin/directory/v1/customer/my_customer/devices/chromeos';
export const orgUnitPathOf = (k: number) => `/Schools/School-${String(k + 1).padStart(2, '0')}`;

/** A documented-shape ChromeOsDevice (projection FULL, the fields the mapper reads). */
export function chromebook(i: number, orgUnits: number) {
  return {
    kind: 'admin#directory#chromeosdevice', deviceId: `dev-${String(i).padStart(6, '0')}`, serialNumber: `CB${String(i).padStart(7, '0')}`,
    status: 'ACTIVE', model: 'Acer Chromebook 311', orgUnitPath: orgUnitPathOf(i % orgUnits), lastSync: '2026-10-01T10:00:00.000Z',
    annotatedUser: `student${i}@students.maplewood.example.org`, annotatedAssetId: `MW-${String(i).padStart(6, '0')}`,
    osVersion: '128.0.6613.133', autoUpdateExpiration: '1780272000000',
    recentUsers: [{ type: 'USER_TYPE_MANAGED', email: `student${i}@students.maplewood.example.org` }],
  };
}

/**
 * The Directory API: POST /token (any JWT assertion), chromeosdevices.list (pageToken paging, orgUnitPath +
 * includeChildOrgunits), countChromeOsDevices, orgunits.list. All `orgUnits` org units are children of one
 * `/Schools` parent that holds no devices; the root (id:root) holds none either.
 */
export async function fakeGoogle(devices: number, orgUnits: number, delayMs: number): Promise<Fake> {
  const fleet = Array.from({ length: devices }, (_, i) => chromebook(i, orgUnits));
  const units = [
    { orgUnitPath: '/Schools', orgUnitId: 'id:schools', parentOrgUnitId: 'id:root', name: 'Schools' },
    ...Array.from({ length: orgUnits }, (_, k) => ({ orgUnitPath: orgUnitPathOf(k), orgUnitId: `id:ou${k + 1}`, parentOrgUnitId: 'id:schools', name: `School-${k + 1}` })),
  ];
  const byScope = new Map<string, unknown[]>();
  const scoped = (url: URL): unknown[] => {
    const raw = url.searchParams.get('orgUnitPath');
    const children = url.searchParams.get('includeChildOrgunits') !== 'false';
    const key = `${raw ?? ''}|${children}`;
    let list = byScope.get(key);
    if (!list) {
      const p = raw === null || raw === 'id:root' ? '/' : raw.startsWith('id:') ? units.find((u) => u.orgUnitId === raw)?.orgUnitPath ?? '?' : `/${raw.replace(/^\/+/, '')}`;
      list = p === '/' && children ? fleet
        : fleet.filter((d) => d.orgUnitPath === p || (children && d.orgUnitPath.startsWith(`${p}/`)));
      byScope.set(key, list);
    }
    return list;
  };
  return listen(async (req, res, fake) => {
    const url = new URL(req.url ?? '/', 'http://local');
    if (req.method === 'POST' && url.pathname === '/token') {
      await drain(req);
      return send(res, 200, { access_token: 'ya29.bench', expires_in: 3600, token_type: 'Bearer' });
    }
    if (req.headers.authorization !== 'Bearer ya29.bench') return send(res, 401, { error: { code: 401, message: 'Invalid Credentials', errors: [{ reason: 'authError' }] } });
    if (url.pathname === `${GOOGLE_LIST}:countChromeOsDevices`) return send(res, 200, { count: String(scoped(url).length) });
    if (url.pathname === '/admin/directory/v1/customer/my_customer/orgunits') {
      return send(res, 200, { kind: 'admin#directory#orgUnits', organizationUnits: units });
    }
    if (url.pathname === GOOGLE_LIST) {
      const list = scoped(url);
      const size = Number(url.searchParams.get('maxResults') ?? 100);
      const start = Number(url.searchParams.get('pageToken') ?? 0);
      fake.pages++;
      await sleep(delayMs);
      const next = start + size < list.length ? { nextPageToken: String(start + size) } : {};
      return send(res, 200, { kind: 'directory#chromeosdevices', chromeosdevices: list.slice(start, start + size), ...next });
    }
    send(res, 404, { error: { code: 404, message: 'not found' } });
  });
}

export const GRAPH_LIST = '/graph.microsoft.com/v1.0/deviceManagement/managedDevices';
export const TENANT = '11111111-2222-4333-8444-555555555555';

function managedDevice(n: number) {
  return {
    id: `bench-${n}`, deviceName: `PC${n}`, serialNumber: `PF${String(n).padStart(7, '0')}`, userPrincipalName: `t${n}@maplewood.example.org`,
    emailAddress: null, userId: null, complianceState: n % 10 === 0 ? 'noncompliant' : 'compliant', lastSyncDateTime: '2026-11-20T08:00:00Z',
    enrolledDateTime: '2025-08-01T00:00:00Z', operatingSystem: 'Windows', osVersion: '10.0.22631', model: '11e', manufacturer: 'LENOVO',
    managedDeviceOwnerType: 'company', azureADDeviceId: null, wiFiMacAddress: null, managementState: 'managed',
  };
}

/**
 * Graph behind fixtures/route-vendors.ts (paths are `/<host>/<path>`): the Entra token endpoint, managedDevices
 * at `pageSize` a page with @odata.nextLink, managedDeviceOverview.
 */
export function fakeGraph(devices: number, pageSize: number, delayMs: number): Promise<Fake> {
  return listen(async (req, res, fake) => {
    const u = new URL(req.url ?? '/', 'http://local');
    if (req.method === 'POST' && u.pathname === `/login.microsoftonline.com/${TENANT}/oauth2/v2.0/token`) {
      await drain(req);
      return send(res, 200, { token_type: 'Bearer', expires_in: 3599, access_token: 'bench-graph-token' });
    }
    if (req.headers.authorization !== 'Bearer bench-graph-token') return send(res, 401, { error: { code: 'InvalidAuthenticationToken' } });
    if (u.pathname === '/graph.microsoft.com/v1.0/deviceManagement/managedDeviceOverview') return send(res, 200, { enrolledDeviceCount: devices });
    if (u.pathname === GRAPH_LIST) {
      const page = Number(u.searchParams.get('$skiptoken') ?? '0');
      fake.pages++;
      await sleep(delayMs);
      const value = [];
      for (let i = page * pageSize; i < Math.min(devices, (page + 1) * pageSize); i++) value.push(managedDevice(i + 1));
      const next = (page + 1) * pageSize < devices
        ? { '@odata.nextLink': `https://graph.microsoft.com/v1.0/deviceManagement/managedDevices?$top=${pageSize}&$skiptoken=${page + 1}` } : {};
      return send(res, 200, { '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#deviceManagement/managedDevices', value, ...next });
    }
    send(res, 404, { error: { code: 'NotFound' } });
  });
}
