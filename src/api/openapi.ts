/**
 * The OpenAPI 3.1 document for what this build serves, generated from the routes' zod declarations
 * (@hono/zod-openapi). The few routes outside /api/v1 that are plain Hono handlers (probes, metrics, this
 * document, the reference page) are registered here by hand so the document still lists every route that
 * answers; a test compares the document's paths with the app's routes.
 */
import { z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Env } from 'hono';
import { mountReferencePage } from './reference-page.js';
import { ErrorSchema } from './v1/schemas.js';

const API_DESCRIPTION = `Admin API of the rollcall 1:1 device ledger.

Authenticate with \`Authorization: Bearer <token>\` using a token from \`api.tokens\` in the config. Scopes are ordered
read < write < admin; a token holding a higher scope may use every route of the lower ones. 401 means no token or an
unknown one, 403 a scope too low, 503 that no token is configured yet. Each token may make 600 requests per minute
(\`api.rateLimit\`); over that the API answers 429 with Retry-After. A client address that presents more than
\`api.rateLimit.failedAuthPerMinute\` unknown tokens a minute (default 10) also gets 429, before its token is checked.

Lists page with \`?limit=&cursor=\`: pass the previous page's \`nextCursor\` back as \`cursor\` until it is null. Paging
is keyset-based, so rows inserted while you page never make a row repeat or vanish.`;

function registerPlainRoutes<E extends Env>(app: OpenAPIHono<E>): void {
  const reg = app.openAPIRegistry;
  reg.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer', description: 'An API token from api.tokens' });
  const text = (description: string) => ({ description, content: { 'text/plain': { schema: z.string() } } });
  const json = (description: string) => ({ description, content: { 'application/json': { schema: z.object({ status: z.string() }).passthrough() } } });
  reg.registerPath({ method: 'get', path: '/healthz', tags: ['operations'], summary: 'Liveness: the process is up', responses: { 200: json('up') } });
  reg.registerPath({
    method: 'get', path: '/readyz', tags: ['operations'], summary: 'Readiness: database reachable and migrations applied',
    responses: { 200: json('ready'), 503: json('not ready') },
  });
  reg.registerPath({ method: 'get', path: '/metrics', tags: ['operations'], summary: 'Prometheus metrics, read from the ledger at scrape time', responses: { 200: text('text exposition format') } });
  reg.registerPath({
    method: 'get', path: '/openapi.json', tags: ['operations'], summary: 'This document',
    responses: { 200: { description: 'OpenAPI 3.1 document', content: { 'application/json': { schema: z.object({}).passthrough() } } } },
  });
  reg.registerPath({
    method: 'get', path: '/docs', tags: ['operations'], summary: 'Browsable API reference',
    responses: { 200: { description: 'HTML page', content: { 'text/html': { schema: z.string() } } } },
  });
  reg.registerPath({
    method: 'get', path: '/docs/assets/{file}', tags: ['operations'], summary: 'The reference page\'s script, stylesheet and icon (served locally, no CDN)',
    request: { params: z.object({ file: z.string() }) },
    responses: {
      200: { description: 'The file', content: { 'text/javascript': { schema: z.string() }, 'text/css': { schema: z.string() } } },
      404: { description: 'Not one of the page\'s files', content: { 'application/json': { schema: ErrorSchema } } },
    },
  });
  reg.register('Error', ErrorSchema);
}

export function openapiDocument<E extends Env>(app: OpenAPIHono<E>, version: string) {
  return app.getOpenAPI31Document({
    openapi: '3.1.0',
    info: { title: 'rollcall', version, description: API_DESCRIPTION },
    tags: [
      { name: 'devices' }, { name: 'people' }, { name: 'assignments' }, { name: 'discrepancies' }, { name: 'runs' },
      { name: 'sources' }, { name: 'reports' }, { name: 'quarantine' }, { name: 'time travel' }, { name: 'operations' },
    ],
  });
}

/** Adds /openapi.json and /docs; call after every route is mounted. */
export function mountOpenapi<E extends Env>(app: OpenAPIHono<E>, version: string): void {
  registerPlainRoutes(app);
  let doc: ReturnType<typeof openapiDocument> | undefined;
  app.get('/openapi.json', (c) => c.json((doc ??= openapiDocument(app, version))));
  mountReferencePage(app);
}
