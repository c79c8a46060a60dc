/**
 * One error base for the whole product. `code` is stable and machine-readable (it is what the API returns and
 * what tests assert on), so it is a closed set: a new failure mode is a new entry here, and the compiler then
 * asks src/api/error-shape.ts for its HTTP status. `retryable` tells the HTTP helper and the scheduler whether
 * trying again can help; `context` carries identifiers (source id, record id, field) but never secrets or
 * personal data.
 */
import { z } from 'zod';

export const errorCodes = z.enum([
  // configuration and usage
  'config_invalid',
  'validation_failed',
  // API
  'not_found',
  'unauthorized',
  'forbidden',
  'internal',
  'discrepancy_resolved',
  'discrepancy_not_suppressed',
  'device_assigned',
  'assignment_ended',
  'rate_limited',
  'payload_too_large',
  'api_not_configured',
  // upstream reads
  'http_status',
  'http_timeout',
  'http_network',
  'http_aborted',
  'http_attempts_exhausted',
  'http_bad_body',
  'incomplete_read',
  'source_format',
  // sync runs
  'sync_failed',
  'sync_in_progress',
  'run_not_held',
  'run_superseded',
  'approval_mismatch',
  'delta_unsupported',
  'interrupted',
  // database and process
  'database_unavailable',
  'database_locked',
  'database_open_failed',
  'database_connect_failed',
  'migration_pending',
  'port_in_use',
  // delivery
  'url_refused',
  'delivery_not_replayable',
]);
export type ErrorCode = z.infer<typeof errorCodes>;
export type HttpErrorCode = Extract<ErrorCode, `http_${string}`>;

export interface AppErrorOptions {
  retryable?: boolean;
  context?: Record<string, unknown>;
  cause?: unknown;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly context: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, opts: AppErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = code;
    this.retryable = opts.retryable ?? false;
    this.context = opts.context ?? {};
  }
}

/** Bad configuration or bad CLI usage: the process exits 2. */
export class ConfigError extends AppError {
  readonly issues: string[];
  constructor(message: string, issues: string[] = [], opts: AppErrorOptions = {}) {
    super('config_invalid', message, opts);
    this.issues = issues;
  }
}

/** An upstream HTTP call failed (after retries, when retryable). */
export class HttpError extends AppError {
  constructor(code: HttpErrorCode, message: string, opts: AppErrorOptions & { httpStatus?: number } = {}) {
    super(code, message, opts);
    this.httpStatus = opts.httpStatus;
  }
  readonly httpStatus: number | undefined;
}

/** A full read did not return everything it promised: nothing may be deactivated on its account. */
export class IncompleteReadError extends AppError {
  constructor(message: string, context: Record<string, unknown> = {}, cause?: unknown) {
    super('incomplete_read', message, { context, cause });
  }
}

/** A source file or page could not be parsed at all (as opposed to one bad record, which is quarantined). */
export class SourceFormatError extends AppError {
  constructor(message: string, context: Record<string, unknown> = {}, cause?: unknown) {
    super('source_format', message, { context, cause });
  }
}

export class NotFoundError extends AppError {
  constructor(message: string, context: Record<string, unknown> = {}) {
    super('not_found', message, { context });
  }
}

/** The request is valid but the state forbids it now (a run in progress, a resolved discrepancy...): 409. */
export class ConflictError extends AppError {
  constructor(code: ErrorCode, message: string, context: Record<string, unknown> = {}) {
    super(code, message, { context });
  }
}

export class ValidationError extends AppError {
  constructor(message: string, context: Record<string, unknown> = {}) {
    super('validation_failed', message, { context });
  }
}

export class AuthError extends AppError {
  constructor(code: 'unauthorized' | 'forbidden', message: string) {
    super(code, message);
  }
}

export function isAppError(e: unknown): e is AppError {
  return e instanceof AppError;
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
