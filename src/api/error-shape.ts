/**
 * The API's one error shape: `{ error: { code, message, requestId } }`, and the one place an error code becomes an
 * HTTP status. Errors carry what went wrong (their code); how HTTP says it is the API's business, so the CLI,
 * scheduler and connectors never pick statuses.
 */
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Logger } from 'pino';
import { AppError, type ErrorCode } from '../errors.js';

export interface ErrorBody {
  error: { code: string; message: string; requestId: string };
}

/** Every code has a status: a `Record` over the closed set makes a missing one a compile error. */
export const httpStatusByCode: Record<ErrorCode, ContentfulStatusCode> = {
  config_invalid: 500,
  validation_failed: 400,
  not_found: 404,
  unauthorized: 401,
  forbidden: 403,
  internal: 500,
  discrepancy_resolved: 409,
  discrepancy_not_suppressed: 409,
  device_assigned: 409,
  assignment_ended: 409,
  rate_limited: 429,
  payload_too_large: 413,
  // Not a fault of the caller's request: the operator has not configured any API token yet.
  api_not_configured: 503,
  // An upstream failed, not us: 502 tells a caller the gateway's far side is the problem.
  http_status: 502,
  http_timeout: 502,
  http_network: 502,
  http_aborted: 502,
  http_attempts_exhausted: 502,
  http_bad_body: 502,
  incomplete_read: 502,
  source_format: 422,
  sync_failed: 500,
  sync_in_progress: 409,
  run_not_held: 409,
  run_superseded: 409,
  approval_mismatch: 409,
  delta_unsupported: 400,
  interrupted: 503,
  // An outbound URL the policy refuses is a configuration problem, not an upstream one.
  url_refused: 422,
  delivery_not_replayable: 409,
  database_unavailable: 503,
  database_locked: 503,
  database_open_failed: 503,
  database_connect_failed: 503,
  migration_pending: 503,
  port_in_use: 500,
};

export function httpStatusOf(code: ErrorCode): ContentfulStatusCode {
  return httpStatusByCode[code] ?? 500;
}

export function errorResponse(c: Context, status: ContentfulStatusCode, code: string, message: string) {
  const body: ErrorBody = { error: { code, message, requestId: c.get('requestId') ?? '' } };
  return c.json(body, status);
}

export function handleError(log: Logger) {
  return (err: Error, c: Context) => {
    if (err instanceof AppError) {
      const status = httpStatusOf(err.code);
      if (status >= 500) log.error({ err, requestId: c.get('requestId') }, 'request failed');
      return errorResponse(c, status, err.code, err.message);
    }
    log.error({ err, requestId: c.get('requestId') }, 'unhandled error');
    return errorResponse(c, 500, 'internal', 'internal error');
  };
}
