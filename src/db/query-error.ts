/**
 * Database errors without the data. drizzle wraps every failed query in an error whose message, and whose
 * `params` property, carry the bound values: for the ledger's staged upserts those are students' emails and
 * names. Anything shown to a person or written to a log goes through here: the driver's own message and SQLSTATE
 * stay (they say what went wrong), the SQL and its parameters go.
 */
import { errorMessage } from '../errors.js';

interface DriverError {
  code: string;
  message: string;
}

/** drizzle's DrizzleQueryError, recognised by shape so no driver-specific import is needed. */
function isQueryError(e: unknown): e is Error & { params: unknown; cause?: unknown } {
  return e instanceof Error && 'params' in e && e.message.startsWith('Failed query:');
}

/** The first error in the chain carrying a SQLSTATE (five characters, e.g. 55P03). */
export function driverError(e: unknown): DriverError | undefined {
  for (let cur: unknown = e, depth = 0; cur && depth < 6; cur = (cur as { cause?: unknown }).cause, depth++) {
    const c = cur as { code?: unknown; message?: unknown };
    if (typeof c.code === 'string' && /^[0-9A-Z]{5}$/.test(c.code) && typeof c.message === 'string') return { code: c.code, message: c.message };
  }
  return undefined;
}

/** What to do about the SQLSTATEs the config's timeouts produce. */
function hint(d: DriverError): string {
  if (d.code === '55P03') return ': waited longer than database.lockTimeoutMs for a lock another session holds; try again once it is released';
  if (d.code === '57014' && /statement timeout/.test(d.message)) return ': ran longer than database.statementTimeoutMs';
  return '';
}

/** A one-line message for `e` that never includes SQL parameters. */
export function safeErrorMessage(e: unknown): string {
  if (!hasQueryError(e)) return errorMessage(e);
  const d = driverError(e);
  const what = d ? `${d.message} (SQLSTATE ${d.code})${hint(d)}` : 'a database query failed';
  return isQueryError(e) ? what : `${errorMessage(e)}: ${what}`;
}

function hasQueryError(e: unknown): boolean {
  for (let cur: unknown = e, depth = 0; cur && depth < 6; cur = (cur as { cause?: unknown }).cause, depth++) if (isQueryError(cur)) return true;
  return false;
}

/**
 * For the logger: an error with the same stack frames whose message (and stack's first line) has no parameters,
 * and no `params` or `query` property. Other errors pass through untouched.
 */
export function scrubQueryError(e: unknown): unknown {
  if (!(e instanceof Error) || !hasQueryError(e)) return e;
  const safe = new Error(safeErrorMessage(e));
  safe.name = isQueryError(e) ? 'DatabaseQueryError' : e.name;
  const frames = (e.stack ?? '').split('\n').filter((l) => /^\s+at /.test(l));
  safe.stack = [`${safe.name}: ${safe.message}`, ...frames].join('\n');
  const d = driverError(e);
  const code = (e as { code?: unknown }).code ?? d?.code;
  if (code !== undefined) Object.assign(safe, { code });
  return safe;
}

/**
 * An error already stored as text (sync_runs.error): drizzle's "Failed query: <sql>\nparams: <values>" becomes
 * a plain statement that a query failed; the `[code]` prefix is kept.
 */
export function safeStoredError(text: string | null): string | null {
  if (text === null) return null;
  const m = /^(\[[a-z_]+\] )?Failed query:/.exec(text);
  if (m) return `${m[1] ?? ''}a database query failed (the log has the database's message)`;
  return text.split('\nparams:')[0]!;
}
