/** GET /deliveries (read), POST /deliveries/{id}/replay (write): the delivery module's list and replay (DESIGN §8). */
import { createRoute, z } from '@hono/zod-openapi';
import { DELIVERY_STATUSES, replayDelivery } from '../../delivery/index.js';
import { listDeliveryPage } from '../../read/deliveries.js';
import { v1Router, type V1Deps } from './context.js';
import { commonErrors, conflict, guarded, idParam, isoDate, notFound, page, pageQuery } from './schemas.js';

const DeliverySchema = z.object({
  id: z.number().int(),
  outboxId: z.number().int(),
  type: z.string().openapi({ example: 'discrepancy.opened' }),
  target: z.string().openapi({ description: '`webhook:<endpoint id>` or `helpdesk:<desk id>`', example: 'helpdesk:desk' }),
  status: z.enum(DELIVERY_STATUSES),
  attempt: z.number().int(),
  failures: z.number().int(),
  nextAttemptAt: isoDate,
  lastAttemptAt: isoDate.nullable(),
  deliveredAt: isoDate.nullable(),
  lastStatus: z.number().int().nullable().openapi({ description: 'HTTP status of the last attempt' }),
  lastError: z.string().nullable(),
  createdAt: isoDate,
}).openapi('Delivery');

const list = createRoute({
  method: 'get', path: '/deliveries', tags: ['deliveries'], summary: 'List webhook and ticket deliveries, newest first', ...guarded('read'),
  request: {
    query: z.object({
      ...pageQuery,
      status: z.enum(DELIVERY_STATUSES).optional(),
      target: z.string().min(1).max(200).optional().openapi({ example: 'webhook:sis-team' }),
    }),
  },
  responses: {
    200: { description: 'One page of deliveries', content: { 'application/json': { schema: page(DeliverySchema, 'DeliveryPage') } } },
    ...commonErrors,
  },
});

const replay = createRoute({
  method: 'post', path: '/deliveries/{id}/replay', tags: ['deliveries'], summary: 'Queue a dead (or delivered) delivery again, now', ...guarded('write'),
  request: { params: idParam },
  responses: {
    200: { description: 'Queued again (pending, attempt 0)', content: { 'application/json': { schema: DeliverySchema } } },
    ...commonErrors, ...notFound, ...conflict,
  },
});

export function deliveryRoutes(deps: V1Deps) {
  return v1Router()
    .openapi(list, async (c) => c.json(await listDeliveryPage(deps.db, c.req.valid('query')), 200))
    .openapi(replay, async (c) => {
      const now = deps.now?.() ?? new Date();
      return c.json(await replayDelivery(deps.db, c.req.valid('param').id, c.get('identity').name, now), 200);
    });
}
