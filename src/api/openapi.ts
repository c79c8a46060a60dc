/**
 * The OpenAPI document for what this build serves. Only routes that exist are listed; a test checks every
 * documented path answers (not 404) so the document cannot drift ahead of the code.
 */
const errorSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message', 'requestId'],
      properties: { code: { type: 'string' }, message: { type: 'string' }, requestId: { type: 'string' } },
    },
  },
};

export const openapiDocument = {
  openapi: '3.1.0',
  info: { title: 'rollcall', version: '0.1.0', description: 'Admin API of the rollcall 1:1 device ledger.' },
  components: { schemas: { Error: errorSchema } },
  paths: {
    '/healthz': {
      get: { summary: 'Liveness: the process is up', responses: { '200': { description: 'up' } } },
    },
    '/readyz': {
      get: {
        summary: 'Readiness: database reachable and migrations applied',
        responses: { '200': { description: 'ready' }, '503': { description: 'not ready' } },
      },
    },
    '/metrics': {
      get: { summary: 'Prometheus metrics', responses: { '200': { description: 'text exposition format' } } },
    },
    '/openapi.json': {
      get: { summary: 'This document', responses: { '200': { description: 'OpenAPI 3.1 document' } } },
    },
  },
} as const;
