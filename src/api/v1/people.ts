/** GET /people, GET /people/{id}, GET /people/{id}/devices?at= (time travel). */
import { createRoute, z } from '@hono/zod-openapi';
import { getPersonDetail, listPeople, PEOPLE_SORTS } from '../../read/people.js';
import { devicesHeldAt } from '../../read/time-travel.js';
import { v1Router, type V1Deps } from './context.js';
import { commonErrors, DiscrepancyRefSchema, guarded, HistoryEventSchema, idParam, instant, isoDate, notFound, page, pageQuery } from './schemas.js';

export const PersonSummarySchema = z.object({
  id: z.number().int(), sourceId: z.string(), externalId: z.string(), role: z.string(), status: z.string(),
  name: z.string().nullable(), email: z.string().nullable(), sisId: z.string().nullable(), grades: z.array(z.string()),
  school: z.string().nullable(), devicesHeld: z.number().int(),
}).openapi('PersonSummary');

const HeldDeviceSchema = z.object({
  assignmentId: z.number().int(), deviceId: z.number().int(), serial: z.string(), assetTag: z.string().nullable(), model: z.string().nullable(),
  platform: z.string(), origin: z.string(), startedAt: isoDate, endedAt: isoDate.nullable(), endedReason: z.string().nullable(),
}).openapi('HeldDevice');

const PersonDetailSchema = PersonSummarySchema.extend({
  username: z.string().nullable(), firstSeenAt: isoDate, lastSeenAt: isoDate, deactivatedAt: isoDate.nullable(),
  devicesNow: z.array(HeldDeviceSchema), devicesBefore: z.array(HeldDeviceSchema),
  discrepancies: z.array(DiscrepancyRefSchema), history: z.array(HistoryEventSchema),
}).openapi('PersonDetail');

const list = createRoute({
  method: 'get', path: '/people', tags: ['people'], summary: 'List people (filter, sort, cursor paging)', ...guarded('read'),
  request: {
    query: z.object({
      ...pageQuery,
      status: z.enum(['active', 'inactive']).optional(),
      role: z.string().min(1).optional().openapi({ example: 'student' }),
      source: z.string().min(1).optional(),
      school: z.string().min(1).optional().openapi({ description: 'SIS id, identifier or name of the school' }),
      grade: z.string().min(1).optional().openapi({ example: '09' }),
      q: z.string().min(1).max(200).optional().openapi({ description: 'Name, email, username or SIS id' }),
      sort: z.enum(PEOPLE_SORTS).optional(),
    }),
  },
  responses: {
    200: { description: 'One page of people', content: { 'application/json': { schema: page(PersonSummarySchema, 'PersonPage') } } },
    ...commonErrors,
  },
});

const detail = createRoute({
  method: 'get', path: '/people/{id}', tags: ['people'], summary: 'One person: devices held now and before, history', ...guarded('read'),
  request: { params: idParam },
  responses: {
    200: { description: 'The person', content: { 'application/json': { schema: PersonDetailSchema } } },
    ...commonErrors, ...notFound,
  },
});

const heldAt = createRoute({
  method: 'get', path: '/people/{id}/devices', tags: ['time travel'], summary: 'The devices a person held at a moment, from assignment history',
  ...guarded('read'),
  request: { params: idParam, query: z.object({ at: instant.openapi({ description: 'A date (start of day, UTC) or timestamp' }) }) },
  responses: {
    200: {
      description: 'The devices held then',
      content: { 'application/json': { schema: z.object({ personId: z.number().int(), at: isoDate, devices: z.array(HeldDeviceSchema) }).openapi('DevicesHeldAt') } },
    },
    ...commonErrors, ...notFound,
  },
});

export function peopleRoutes(deps: V1Deps) {
  return v1Router()
    .openapi(list, async (c) => c.json(await listPeople(deps.db.orm, c.req.valid('query')), 200))
    .openapi(detail, async (c) => c.json(await getPersonDetail(deps.db.orm, c.req.valid('param').id), 200))
    .openapi(heldAt, async (c) => c.json(await devicesHeldAt(deps.db.orm, c.req.valid('param').id, c.req.valid('query').at), 200));
}
