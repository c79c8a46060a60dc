import { Hono } from 'hono';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { handleError, httpStatusByCode } from '../../src/api/error-shape.js';
import { AppError, ConflictError, errorCodes, NotFoundError } from '../../src/errors.js';

describe('error codes', () => {
  it('every ErrorCode has an HTTP status, and the mapping has no stray codes', () => {
    for (const code of errorCodes.options) {
      const s = httpStatusByCode[code];
      expect(s, code).toBeGreaterThanOrEqual(400);
      expect(s, code).toBeLessThan(600);
    }
    expect(Object.keys(httpStatusByCode).sort()).toEqual([...errorCodes.options].sort());
  });

  it('the API answers with the mapped status in the one error shape', async () => {
    const app = new Hono<{ Variables: { requestId: string } }>();
    app.use('*', async (c, next) => {
      c.set('requestId', 'req-1');
      await next();
    });
    app.get('/conflict', () => {
      throw new ConflictError('sync_in_progress', 'busy');
    });
    app.get('/missing', () => {
      throw new NotFoundError('nope');
    });
    // The code alone decides the status.
    app.get('/delta', () => {
      throw new AppError('delta_unsupported', 'no delta');
    });
    app.get('/boom', () => {
      throw new Error('secret detail');
    });
    app.onError(handleError(pino({ level: 'silent' })));
    const conflict = await app.request('/conflict');
    expect(conflict.status).toBe(409);
    expect(await conflict.json()).toEqual({ error: { code: 'sync_in_progress', message: 'busy', requestId: 'req-1' } });
    expect((await app.request('/missing')).status).toBe(404);
    expect((await app.request('/delta')).status).toBe(400);
    const boom = await app.request('/boom');
    expect(boom.status).toBe(500);
    expect(await boom.json()).toEqual({ error: { code: 'internal', message: 'internal error', requestId: 'req-1' } });
  });
});
