/** GET /discrepancies, POST /discrepancies/{id}/suppress, POST /discrepancies/{id}/unsuppress. */
import { createRoute, z } from '@hono/zod-openapi';
import { DISCREPANCY_SORTS, DISCREPANCY_STATUSES, listDiscrepancies, SEVERITIES } from '../../read/discrepancies.js';
import { resolveRules } from '../../reconcile/rule-config.js';
import { suppressDiscrepancy, unsuppressDiscrepancy } from '../../reconcile/suppress.js';
import { v1Router, type V1Deps } from './context.js';
import { commonErrors, conflict, guarded, idParam, isoDate, notFound, page, pageQuery } from './schemas.js';

const DiscrepancySchema = z.object({
  id: z.number().int(), rule: z.string(), severity: z.string(), status: z.string(), occurrence: z.number().int(), subjectKey: z.string(),
  device: z.object({ id: z.number().int(), serial: z.string(), assetTag: z.string().nullable() }).nullable(),
  person: z.object({ id: z.number().int(), name: z.string().nullable(), email: z.string().nullable() }).nullable(),
  openedAt: isoDate, lastSeenAt: isoDate, resolvedAt: isoDate.nullable(), resolvedReason: z.string().nullable(),
  suppressedUntil: isoDate.nullable(), details: z.record(z.string(), z.unknown()),
}).openapi('Discrepancy');

const list = createRoute({
  method: 'get', path: '/discrepancies', tags: ['discrepancies'], summary: 'List discrepancies (open by default; most severe first)', ...guarded('read'),
  request: {
    query: z.object({
      ...pageQuery,
      status: z.enum(DISCREPANCY_STATUSES).optional(),
      rule: z.string().min(1).optional().openapi({ example: 'device-silent' }),
      severity: z.enum(SEVERITIES).optional(),
      school: z.string().min(1).optional(),
      grade: z.string().min(1).optional(),
      q: z.string().min(1).max(200).optional().openapi({ description: 'Serial, asset tag, name or email' }),
      sort: z.enum(DISCREPANCY_SORTS).optional(),
    }),
  },
  responses: {
    200: { description: 'One page of discrepancies', content: { 'application/json': { schema: page(DiscrepancySchema, 'DiscrepancyPage') } } },
    ...commonErrors,
  },
});

const suppress = createRoute({
  method: 'post', path: '/discrepancies/{id}/suppress', tags: ['discrepancies'], summary: 'Suppress a finding ("known, leave it"), optionally until a date',
  ...guarded('write'),
  request: {
    params: idParam,
    body: {
      required: true,
      content: {
        'application/json': {
          schema: z.strictObject({
            note: z.string().trim().min(1).max(2000).openapi({ example: 'out for screen repair' }),
            until: z.iso.datetime({ offset: true }).or(z.iso.date()).optional().openapi({ example: '2026-12-01' }),
          }).openapi('Suppress'),
        },
      },
    },
  },
  responses: {
    200: {
      description: 'Suppressed',
      content: { 'application/json': { schema: z.object({ id: z.number().int(), rule: z.string(), subjectKey: z.string(), status: z.literal('suppressed'), suppressedUntil: isoDate.nullable() }).openapi('Suppressed') } },
    },
    ...commonErrors, ...notFound, ...conflict,
  },
});

const unsuppress = createRoute({
  method: 'post', path: '/discrepancies/{id}/unsuppress', tags: ['discrepancies'], summary: 'End a suppression now (the finding opens again)',
  ...guarded('write'),
  request: {
    params: idParam,
    body: { required: true, content: { 'application/json': { schema: z.strictObject({ note: z.string().trim().min(1).max(2000) }).openapi('Unsuppress') } } },
  },
  responses: {
    200: {
      description: 'Open again',
      content: { 'application/json': { schema: z.object({ id: z.number().int(), rule: z.string(), subjectKey: z.string(), status: z.literal('open') }).openapi('Unsuppressed') } },
    },
    ...commonErrors, ...notFound, ...conflict,
  },
});

export function discrepancyRoutes(deps: V1Deps) {
  const ticket = (rule: string) => resolveRules(deps.config.reconcile).find((r) => r.rule.code === rule)?.ticket ?? false;
  return v1Router()
    .openapi(list, async (c) => c.json(await listDiscrepancies(deps.db.orm, c.req.valid('query')), 200))
    .openapi(suppress, async (c) => {
      const { note, until } = c.req.valid('json');
      const s = await suppressDiscrepancy(deps.db, c.req.valid('param').id, {
        reason: note, until: until ? new Date(until) : undefined, actor: c.get('identity').name, now: deps.now?.(),
      });
      return c.json({ ...s, suppressedUntil: s.suppressedUntil ? s.suppressedUntil.toISOString() : null }, 200);
    })
    .openapi(unsuppress, async (c) => {
      const r = await unsuppressDiscrepancy(deps.db, c.req.valid('param').id, { reason: c.req.valid('json').note, actor: c.get('identity').name, ticket });
      return c.json(r, 200);
    });
}
