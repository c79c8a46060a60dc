/**
 * Errors on their way to a log line or a stored run. A failed query carries the statement and every bound
 * parameter: on a first sync that is thousands of student emails and names. src/db/query-error.ts drops the SQL
 * and parameters; this also strips control characters and the values PostgreSQL quotes in its own messages
 * (`invalid input syntax for type date: "..."`, `Key (email)=(...)`), and caps the length.
 */
import { isAppError } from '../errors.js';
import { safeErrorMessage, scrubQueryError } from '../db/query-error.js';

const MAX = 500;

export function safeMessage(e: unknown): string {
  // eslint-disable-next-line no-control-regex
  let m = safeErrorMessage(e).replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  if (!isAppError(e)) m = m.replace(/"[^"]*"/g, '"…"').replace(/\(([^()]*)\)=\(([^()]*)\)/g, '($1)=(…)');
  return m.length > MAX ? `${m.slice(0, MAX)}…` : m;
}

/** The parts of an error that are safe to log at debug: name, code, sanitised message, stack frames. */
export function safeError(e: unknown): Record<string, unknown> {
  const scrubbed = scrubQueryError(e);
  if (!(scrubbed instanceof Error)) return { message: safeMessage(e) };
  const code = (scrubbed as { code?: unknown }).code;
  const frames = (scrubbed.stack ?? '').split('\n').filter((l) => l.trimStart().startsWith('at ')).join('\n');
  const out: Record<string, unknown> = { name: scrubbed.name, message: safeMessage(e), stack: frames };
  if (typeof code === 'string') out.code = code;
  const cause = (e as { cause?: unknown }).cause;
  if (cause !== undefined && !(e instanceof Error && 'params' in e)) out.cause = safeError(cause);
  return out;
}
