/** GET /devices, GET /devices/{serial}, GET /devices/{serial}/holder (time travel). */
import { createRoute, z } from '@hono/zod-openapi';
import { DEVICE_PLATFORMS, DEVICE_SORTS, getDeviceDetail, listDevices } from '../../read/devices.js';
import { holderAt } from '../../read/time-travel.js';
import { v1Router, type V1Deps } from './context.js';
import { commonErrors, DiscrepancyRefSchema, guarded, HistoryEventSchema, instant, isoDate, notFound, page, pageQuery } from './schemas.js';

const HolderSchema = z.object({
  assignmentId: z.number().int(), personId: z.number().int(), name: z.string().nullable(), email: z.string().nullable(), since: isoDate,
}).openapi('Holder');

export const DeviceSummarySchema = z.object({
  id: z.number().int(),
  serial: z.string().openapi({ example: '5CD1234XYZ' }),
  assetTag: z.string().nullable(),
  model: z.string().nullable(),
  manufacturer: z.string().nullable(),
  platform: z.string(),
  status: z.string(),
  firstSeenAt: isoDate,
  lastSeenAt: isoDate,
  sources: z.array(z.string()),
  holder: HolderSchema.nullable(),
}).openapi('DeviceSummary');

const ObservationSchema = z.object({
  id: z.number().int(), sourceId: z.string(), externalId: z.string(), status: z.string(), active: z.boolean(),
  userEmail: z.string().nullable(), orgUnit: z.string().nullable(), osVersion: z.string().nullable(), assetTag: z.string().nullable(),
  model: z.string().nullable(), lastSyncAt: isoDate.nullable(), enrolledAt: isoDate.nullable(), aueDate: z.string().nullable(),
  compliance: z.string().nullable(), bootMode: z.string().nullable(), firstSeenAt: isoDate, lastSeenAt: isoDate, deactivatedAt: isoDate.nullable(),
}).openapi('Observation');

export const AssignmentRefSchema = z.object({
  id: z.number().int(), personId: z.number().int(), name: z.string().nullable(), email: z.string().nullable(), origin: z.string(),
  sourceId: z.string().nullable(), startedAt: isoDate, endedAt: isoDate.nullable(), endedReason: z.string().nullable(),
}).openapi('AssignmentRef');

const DeviceDetailSchema = DeviceSummarySchema.extend({
  deactivatedAt: isoDate.nullable(),
  observations: z.array(ObservationSchema),
  assignments: z.array(AssignmentRefSchema),
  discrepancies: z.array(DiscrepancyRefSchema),
  history: z.array(HistoryEventSchema),
}).openapi('DeviceDetail');

const serialParam = z.object({
  serial: z.string().min(1).max(200).openapi({ param: { name: 'serial', in: 'path' }, description: 'Any case and spacing', example: '5cd 1234 xyz' }),
});

const list = createRoute({
  method: 'get', path: '/devices', tags: ['devices'], summary: 'List devices (filter, sort, cursor paging)', ...guarded('read'),
  request: {
    query: z.object({
      ...pageQuery,
      status: z.enum(['active', 'inactive']).optional(),
      platform: z.enum(DEVICE_PLATFORMS).optional(),
      source: z.string().min(1).optional().openapi({ description: 'Reported by this source' }),
      school: z.string().min(1).optional().openapi({ description: 'Held by someone at this school (SIS id, identifier or name)' }),
      grade: z.string().min(1).optional().openapi({ description: 'Held by someone in this grade' }),
      q: z.string().min(1).max(200).optional().openapi({ description: 'Serial, asset tag, holder name or email' }),
      sort: z.enum(DEVICE_SORTS).optional(),
    }),
  },
  responses: {
    200: { description: 'One page of devices', content: { 'application/json': { schema: page(DeviceSummarySchema, 'DevicePage') } } },
    ...commonErrors,
  },
});

const detail = createRoute({
  method: 'get', path: '/devices/{serial}', tags: ['devices'], summary: 'One device: observations per source, assignments, history',
  ...guarded('read'),
  request: { params: serialParam },
  responses: {
    200: { description: 'The device', content: { 'application/json': { schema: DeviceDetailSchema } } },
    ...commonErrors, ...notFound,
  },
});

const holder = createRoute({
  method: 'get', path: '/devices/{serial}/holder', tags: ['time travel'], summary: 'Who held the device at a moment, from assignment history',
  ...guarded('read'),
  request: { params: serialParam, query: z.object({ at: instant.openapi({ description: 'A date (start of day, UTC) or timestamp' }) }) },
  responses: {
    200: {
      description: 'The holder then, or null',
      content: { 'application/json': { schema: z.object({ serial: z.string(), at: isoDate, holder: AssignmentRefSchema.nullable() }).openapi('HolderAt') } },
    },
    ...commonErrors, ...notFound,
  },
});

export function deviceRoutes(deps: V1Deps) {
  return v1Router()
    .openapi(list, async (c) => c.json(await listDevices(deps.db.orm, c.req.valid('query')), 200))
    .openapi(detail, async (c) => c.json(await getDeviceDetail(deps.db.orm, c.req.valid('param').serial), 200))
    .openapi(holder, async (c) => {
      const { serial } = c.req.valid('param');
      const { at } = c.req.valid('query');
      return c.json(await holderAt(deps.db.orm, serial, at), 200);
    });
}
