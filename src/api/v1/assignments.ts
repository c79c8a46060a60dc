/** GET /assignments, POST /assignments (check-out), POST /assignments/{id}/end (check-in). */
import { createRoute, z } from '@hono/zod-openapi';
import { checkIn, checkOut, END_REASONS } from '../../ledger/manual-assignments.js';
import { ASSIGNMENT_SORTS, listAssignments } from '../../read/assignments.js';
import { v1Router, type V1Deps } from './context.js';
import { commonErrors, conflict, guarded, idParam, isoDate, notFound, page, pageQuery } from './schemas.js';

const AssignmentSchema = z.object({
  id: z.number().int(), deviceId: z.number().int(), serial: z.string(), assetTag: z.string().nullable(), platform: z.string(),
  personId: z.number().int(), name: z.string().nullable(), email: z.string().nullable(), origin: z.string(), sourceId: z.string().nullable(),
  startedAt: isoDate, endedAt: isoDate.nullable(), endedReason: z.string().nullable(),
}).openapi('Assignment');

const AssignmentRecordSchema = z.object({
  id: z.number().int(), deviceId: z.number().int(), serial: z.string(), personId: z.number().int(), origin: z.string(),
  startedAt: isoDate, endedAt: isoDate.nullable(), endedReason: z.string().nullable(),
}).openapi('AssignmentRecord');

const list = createRoute({
  method: 'get', path: '/assignments', tags: ['assignments'], summary: 'List assignments (who holds which device, now and before)', ...guarded('read'),
  request: {
    query: z.object({
      ...pageQuery,
      status: z.enum(['open', 'ended']).optional(),
      origin: z.enum(['mdm', 'manual', 'import']).optional(),
      personId: z.coerce.number().int().positive().optional(),
      serial: z.string().min(1).optional().openapi({ description: 'Any case and spacing' }),
      source: z.string().min(1).optional(),
      school: z.string().min(1).optional(),
      grade: z.string().min(1).optional(),
      q: z.string().min(1).max(200).optional().openapi({ description: 'Serial, asset tag, holder name or email' }),
      sort: z.enum(ASSIGNMENT_SORTS).optional(),
    }),
  },
  responses: {
    200: { description: 'One page of assignments', content: { 'application/json': { schema: page(AssignmentSchema, 'AssignmentPage') } } },
    ...commonErrors,
  },
});

const create = createRoute({
  method: 'post', path: '/assignments', tags: ['assignments'], summary: 'Check a device out to a person', ...guarded('write'),
  request: {
    body: {
      required: true,
      content: {
        'application/json': {
          schema: z.strictObject({
            serial: z.string().min(1).max(200).openapi({ example: '5CD1234XYZ' }),
            personId: z.number().int().positive(),
            reason: z.string().min(1).max(500).optional().openapi({ example: 'loaner while the usual device is repaired' }),
          }).openapi('CheckOut'),
        },
      },
    },
  },
  responses: {
    201: { description: 'Checked out', content: { 'application/json': { schema: AssignmentRecordSchema } } },
    ...commonErrors, ...notFound, ...conflict,
  },
});

const end = createRoute({
  method: 'post', path: '/assignments/{id}/end', tags: ['assignments'], summary: 'Check a device in (end the assignment)', ...guarded('write'),
  request: {
    params: idParam,
    body: {
      required: true,
      content: {
        'application/json': {
          schema: z.strictObject({
            reason: z.enum(END_REASONS),
            note: z.string().min(1).max(2000).optional(),
          }).openapi('CheckIn'),
        },
      },
    },
  },
  responses: {
    200: { description: 'Checked in', content: { 'application/json': { schema: AssignmentRecordSchema } } },
    ...commonErrors, ...notFound, ...conflict,
  },
});

export function assignmentRoutes(deps: V1Deps) {
  return v1Router()
    .openapi(list, async (c) => c.json(await listAssignments(deps.db.orm, c.req.valid('query')), 200))
    .openapi(create, async (c) => {
      const body = c.req.valid('json');
      return c.json(await checkOut(deps.db, { ...body, actor: c.get('identity').name }), 201);
    })
    .openapi(end, async (c) => {
      const body = c.req.valid('json');
      return c.json(await checkIn(deps.db, { assignmentId: c.req.valid('param').id, ...body, actor: c.get('identity').name }), 200);
    });
}
