/** The generated OpenAPI document validates and lists exactly the routes the app answers. */
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { buildTokenRegistry } from '../../src/api/auth/tokens.js';
import { createMetrics } from '../../src/api/metrics.js';
import { webRoutes } from '../../src/web/routes.js';
import { apiApp, apiConfig, call, type App } from '../helpers/api.js';
import { freshDatabase, type TestDb } from '../helpers/db.js';

/** `/api/v1/devices/:serial` → `/api/v1/devices/{serial}`. */
const toOpenapiPath = (p: string) => p.replace(/:(\w+)/g, '{$1}');

describe('the OpenAPI document', () => {
  let t: TestDb;
  let app: App;
  let doc: { openapi: string; paths: Record<string, Record<string, { security?: unknown; responses: Record<string, unknown> }>> };
  beforeAll(async () => {
    t = await freshDatabase('pglite');
    app = apiApp(t.db);
    const res = await call(app, null, '/openapi.json');
    expect(res.status).toBe(200);
    doc = await res.json();
  });
  afterAll(async () => t?.drop());

  it('is a valid OpenAPI 3.1 document', async () => {
    const validator = new Validator();
    const result = await validator.validate(doc as unknown as Parameters<Validator['validate']>[0]);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(doc.openapi).toBe('3.1.0');
  });

  it('lists every route that answers, and nothing else', () => {
    // The admin pages (src/web) answer HTML on the same app; they are not API routes and not in the document.
    const pages = new Set(webRoutes({ config: apiConfig(), db: t.db, log: pino({ level: 'silent' }), metrics: createMetrics(), version: '0', tokens: buildTokenRegistry(apiConfig()) })
      .routes.map((r) => `${r.method} ${r.path}`));
    const served = new Set(
      app.routes
        .filter((r) => r.method !== 'ALL') // middleware
        .filter((r) => !pages.has(`${r.method} ${r.path}`))
        .map((r) => `${r.method.toLowerCase()} ${toOpenapiPath(r.path)}`),
    );
    const documented = new Set(Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m} ${p}`)));
    expect([...documented].sort()).toEqual([...served].sort());
    expect(served.has('get /api/v1/devices/{serial}')).toBe(true);
    expect(served.has('get /healthz')).toBe(true);
  });

  it('every /api/v1 route declares bearer auth and the one error shape for 401/403', () => {
    for (const [p, ops] of Object.entries(doc.paths)) {
      if (!p.startsWith('/api/v1/') || p === '/api/v1/inbound/{helpdeskId}') continue;
      for (const [m, op] of Object.entries(ops)) {
        expect(op.security, `${m} ${p}`).toEqual([{ bearer: [] }]);
        expect(Object.keys(op.responses), `${m} ${p}`).toEqual(expect.arrayContaining(['400', '401', '403']));
      }
    }
  });

  it('documents the help desk webhook as not bearer-authenticated, answering 401 for an unverified call', () => {
    const op = doc.paths['/api/v1/inbound/{helpdeskId}']?.post;
    expect(op?.security).toEqual([]);
    expect(Object.keys(op?.responses ?? {})).toEqual(expect.arrayContaining(['200', '202', '400', '401', '413']));
  });

  it('serves a browsable reference at /docs', async () => {
    const res = await app.request('/docs');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    const html = await res.text();
    expect(res.headers.get('content-security-policy')).toMatch(/script-src 'self';/);
    // Every script and stylesheet the page loads is served here: no CDN, nothing third-party.
    const refs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(refs.filter((r) => !r.startsWith('/'))).toEqual([]);
    for (const ref of refs.filter((r) => r.startsWith('/docs/assets/'))) {
      const asset = await app.request(ref);
      expect(asset.status, ref).toBe(200);
      expect((await asset.arrayBuffer()).byteLength, ref).toBeGreaterThan(0);
    }
    expect(await (await app.request('/docs/assets/init.js')).text()).toContain("url: '/openapi.json'");
    const other = await app.request('/docs/assets/package.json');
    expect(other.status).toBe(404);
    expect(((await other.json()) as { error: { code: string } }).error.code).toBe('not_found');
    expect((await app.request('/docs/assets/..%2Fpackage.json')).status).toBe(404);
  });
});
