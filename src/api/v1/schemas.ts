/**
 * The zod schemas the /api/v1 routes share: the one error shape, paging, and the responses every authenticated
 * route can give. Each route file adds its own request and response schemas; the OpenAPI document is generated
 * from all of them.
 */
import { z } from '@hono/zod-openapi';
import { MAX_LIMIT } from '../../read/cursor.js';
import type { Scope } from '../auth/tokens.js';
import { requireScope } from '../auth/middleware.js';

export const ErrorSchema = z.object({
  error: z.object({
    code: z.string().openapi({ example: 'validation_failed' }),
    message: z.string(),
    requestId: z.string(),
  }),
}).openapi('Error');

const err = (description: string) => ({ description, content: { 'application/json': { schema: ErrorSchema } } });

/** The error answers any authenticated route may give; routes add 404/409 as they apply. */
export const commonErrors = {
  400: err('A parameter or the body is invalid; the message names the field'),
  401: err('No token, or a token no one configured'),
  403: err('The token\'s scope is too low for this route'),
  413: err('The body is larger than the API accepts'),
  429: err('Too many requests for this token; see Retry-After'),
  503: err('No API token is configured (outside the demo), or the database is unavailable'),
} as const;
export const notFound = { 404: err('No such resource') } as const;
export const conflict = { 409: err('The resource\'s state forbids this now') } as const;

/** `middleware` and `security` for a route that needs `scope`. */
export function guarded(scope: Scope) {
  return { middleware: requireScope(scope), security: [{ bearer: [] }] };
}

export const pageQuery = {
  limit: z.coerce.number().int().min(1).max(MAX_LIMIT).optional()
    .openapi({ description: `Rows per page, 1 to ${MAX_LIMIT} (default 50)`, example: 50 }),
  cursor: z.string().min(1).optional().openapi({ description: 'The nextCursor of the previous page' }),
};

export function page<T extends z.ZodType>(item: T, name: string) {
  return z.object({
    data: z.array(item),
    nextCursor: z.string().nullable().openapi({ description: 'Pass as cursor for the next page; null on the last page' }),
  }).openapi(name);
}

export const isoDate = z.string().openapi({ format: 'date-time', example: '2026-03-01T14:00:00.000Z' });

export const HistoryEventSchema = z.object({
  id: z.number().int(),
  at: isoDate,
  runId: z.number().int().nullable(),
  actor: z.string(),
  entity: z.string(),
  entityId: z.number().int(),
  action: z.string(),
  diff: z.unknown(),
}).openapi('HistoryEvent');

export const DiscrepancyRefSchema = z.object({
  id: z.number().int(), rule: z.string(), severity: z.string(), status: z.string(), openedAt: isoDate,
}).openapi('DiscrepancyRef');

export const idParam = z.object({
  id: z.coerce.number().int().positive().openapi({ param: { name: 'id', in: 'path' }, example: 42 }),
});

/** A `YYYY-MM-DD` date (start of that day, UTC) or a full ISO 8601 timestamp. */
export const instant = z.string()
  .refine((s) => /^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(s) && !Number.isNaN(Date.parse(s)), 'expected a date (2026-03-01) or an ISO 8601 timestamp')
  .transform((s) => new Date(s))
  .openapi({ example: '2026-03-01' });
