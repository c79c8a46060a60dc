import { Hono } from 'hono';
import { openapiDocument } from '../openapi.js';

export function openapiRoutes() {
  const r = new Hono();
  r.get('/openapi.json', (c) => c.json(openapiDocument));
  return r;
}
