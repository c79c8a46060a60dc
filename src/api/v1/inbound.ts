/**
 * POST /inbound/{helpdeskId}: a help desk's own webhook (Zendesk trigger, Freshservice workflow, iiQ rule webhook,
 * a webhook-ticket callback). Not bearer-authenticated: the desk proves itself with its sink's `verifyInbound`
 * (shared secret or signature) over the raw body, checked before anything is parsed. An unknown desk id and a bad
 * or missing signature get the same 401, so the answer does not say which desk ids exist.
 */
import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { InboundRequest } from '../../../connectors/types.js';
import type { HelpdeskConfig } from '../../config/index.js';
import { applyInboundEvent } from '../../delivery/index.js';
import { errorResponse } from '../error-shape.js';
import { describeIssues, type V1Deps, type V1Env } from './context.js';
import { ErrorSchema } from './schemas.js';

type InboundEnv = { Variables: V1Env['Variables'] & { helpdesk: HelpdeskConfig; inbound: InboundRequest } };

const err = (description: string) => ({ description, content: { 'application/json': { schema: ErrorSchema } } });

const InboundResultSchema = z.object({
  result: z.enum(['returned', 'already-returned', 'ignored']),
  ticket: z.string().openapi({ description: 'The desk\'s ticket id' }),
  reason: z.enum(['not-collected', 'unknown-ticket', 'no-device']).optional(),
  assignmentId: z.number().int().optional(),
}).openapi('InboundResult');

const inbound = createRoute({
  method: 'post', path: '/inbound/{helpdeskId}', tags: ['inbound'],
  summary: 'A help desk\'s webhook: a "collect device" ticket closed as collected ends the assignment (reason returned)',
  description: 'Authenticated by the desk\'s shared secret (`Authorization: Bearer` or `X-Rollcall-Token`) or its own signature '
    + '(Zendesk `X-Zendesk-Webhook-Signature`), not by an API token. Idempotent: a repeated call changes nothing.',
  security: [],
  request: {
    params: z.object({ helpdeskId: z.string().min(1).max(100).openapi({ param: { name: 'helpdeskId', in: 'path' }, example: 'desk' }) }),
    body: { required: false, content: { 'application/json': { schema: z.record(z.string(), z.unknown()).openapi('InboundWebhook') } } },
  },
  responses: {
    200: { description: 'The assignment was ended, or had been already', content: { 'application/json': { schema: InboundResultSchema } } },
    202: { description: 'Received; nothing to do (not a collected close, or not a ticket rollcall opened here)', content: { 'application/json': { schema: InboundResultSchema } } },
    400: err('Verified, but the body is not a webhook this desk sends; the message names the field'),
    401: err('Unknown help desk id, or no or a bad shared secret / signature'),
    413: err('The body is larger than the API accepts'),
  },
});

/** Reads the raw body once (Hono caches it for the JSON validator) and lets in only a verified desk. */
function verifyDesk(deps: V1Deps): MiddlewareHandler<InboundEnv> {
  return async (c, next) => {
    const desk = deps.config.helpdesks.find((h) => h.id === c.req.param('helpdeskId'));
    const rawBody = await c.req.text();
    const headers: Record<string, string> = {};
    c.req.raw.headers.forEach((v, k) => { headers[k] = v; });
    const now = deps.now?.() ?? new Date();
    if (!desk || !desk.sink.verifyInbound(desk.settings, { headers, rawBody }, now)) {
      return errorResponse(c, 401, 'unauthorized', 'not a verified call from a configured help desk: check the webhook URL and its secret or signing secret');
    }
    c.set('helpdesk', desk);
    c.set('inbound', { headers, rawBody });
    await next();
  };
}

export function inboundRoutes(deps: V1Deps) {
  const maxBodyBytes = deps.config.api.maxBodyBytes;
  const limit = bodyLimit({
    maxSize: maxBodyBytes,
    onError: (c) => errorResponse(c, 413, 'payload_too_large', `the request body is larger than ${maxBodyBytes} bytes`),
  });
  return new OpenAPIHono<InboundEnv>({
    defaultHook: (result, c) => (result.success ? undefined : errorResponse(c, 400, 'validation_failed', describeIssues(result.target, result.error))),
  }).openapi({ ...inbound, middleware: [limit, verifyDesk(deps)] as const }, async (c) => {
    const desk = c.get('helpdesk');
    const event = desk.sink.parseInbound(desk.settings, c.get('inbound'));
    const out = await applyInboundEvent(deps.db, desk.id, event);
    if (out.result === 'ignored') {
      deps.log.info({ helpdesk: desk.id, ticket: out.ticket, reason: out.reason }, 'inbound help desk call: nothing to do');
      return c.json({ result: out.result, ticket: out.ticket, reason: out.reason }, 202);
    }
    deps.log.info({ helpdesk: desk.id, ticket: out.ticket, result: out.result }, 'inbound help desk call: device collected');
    return c.json({ result: out.result, ticket: out.ticket, ...(out.result === 'returned' ? { assignmentId: out.assignment.id } : {}) }, 200);
  });
}
