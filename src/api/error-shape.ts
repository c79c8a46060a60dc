/** The API's one error shape: `{ error: { code, message, requestId } }`. */
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Logger } from 'pino';
import { AppError } from '../errors.js';

export interface ErrorBody {
  error: { code: string; message: string; requestId: string };
}

export function errorResponse(c: Context, status: ContentfulStatusCode, code: string, message: string) {
  const body: ErrorBody = { error: { code, message, requestId: c.get('requestId') ?? '' } };
  return c.json(body, status);
}

export function handleError(log: Logger) {
  return (err: Error, c: Context) => {
    if (err instanceof AppError) {
      if (err.status >= 500) log.error({ err, requestId: c.get('requestId') }, 'request failed');
      return errorResponse(c, err.status as ContentfulStatusCode, err.code, err.message);
    }
    log.error({ err, requestId: c.get('requestId') }, 'unhandled error');
    return errorResponse(c, 500, 'internal', 'internal error');
  };
}
