/**
 * One error base for the whole product. `code` is stable and machine-readable (it is what the API returns and
 * what tests assert on); `retryable` tells the HTTP helper and the scheduler whether trying again can help;
 * `context` carries identifiers (source id, record id, field) but never secrets or personal data.
 */
export interface AppErrorOptions {
  retryable?: boolean;
  context?: Record<string, unknown>;
  cause?: unknown;
  status?: number;
}

export class AppError extends Error {
  readonly code: string;
  readonly retryable: boolean;
  readonly context: Record<string, unknown>;
  /** HTTP status the API answers with when this error escapes a route. */
  readonly status: number;

  constructor(code: string, message: string, opts: AppErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = code;
    this.retryable = opts.retryable ?? false;
    this.context = opts.context ?? {};
    this.status = opts.status ?? 500;
  }
}

/** Bad configuration or bad CLI usage: the process exits 2. */
export class ConfigError extends AppError {
  readonly issues: string[];
  constructor(message: string, issues: string[] = [], opts: AppErrorOptions = {}) {
    super('config_invalid', message, { status: 500, ...opts });
    this.issues = issues;
  }
}

/** An upstream HTTP call failed (after retries, when retryable). */
export class HttpError extends AppError {
  constructor(
    code: 'http_status' | 'http_timeout' | 'http_network' | 'http_aborted' | 'http_attempts_exhausted' | 'http_bad_body',
    message: string,
    opts: AppErrorOptions & { httpStatus?: number } = {},
  ) {
    super(code, message, { status: 502, ...opts });
    this.httpStatus = opts.httpStatus;
  }
  readonly httpStatus: number | undefined;
}

/** A full read did not return everything it promised: nothing may be deactivated on its account. */
export class IncompleteReadError extends AppError {
  constructor(message: string, context: Record<string, unknown> = {}, cause?: unknown) {
    super('incomplete_read', message, { context, cause, status: 502 });
  }
}

/** A source file or page could not be parsed at all (as opposed to one bad record, which is quarantined). */
export class SourceFormatError extends AppError {
  constructor(message: string, context: Record<string, unknown> = {}, cause?: unknown) {
    super('source_format', message, { context, cause, status: 422 });
  }
}

export class NotFoundError extends AppError {
  constructor(message: string, context: Record<string, unknown> = {}) {
    super('not_found', message, { context, status: 404 });
  }
}

export class ConflictError extends AppError {
  constructor(code: string, message: string, context: Record<string, unknown> = {}) {
    super(code, message, { context, status: 409 });
  }
}

export class ValidationError extends AppError {
  constructor(message: string, context: Record<string, unknown> = {}) {
    super('validation_failed', message, { context, status: 400 });
  }
}

export class AuthError extends AppError {
  constructor(code: 'unauthorized' | 'forbidden', message: string) {
    super(code, message, { status: code === 'unauthorized' ? 401 : 403 });
  }
}

export function isAppError(e: unknown): e is AppError {
  return e instanceof AppError;
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
