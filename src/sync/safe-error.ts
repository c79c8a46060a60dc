/**
 * Errors on their way to a log line or a stored run. A database error from postgres.js carries the statement and
 * every bound parameter (`query`, `parameters`): on a first sync that is thousands of student emails and names.
 * Neither may leave the process. Messages are stripped of control characters and of quoted values (PostgreSQL
 * quotes the offending input: `invalid input syntax for type date: "..."`), and capped.
 */
import { isAppError } from '../errors.js';

const MAX = 500;

export function safeMessage(e: unknown): string {
  const raw = e instanceof Error ? e.message : String(e);
  // eslint-disable-next-line no-control-regex
  let m = raw.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  if (!isAppError(e)) m = m.replace(/"[^"]*"/g, '"…"').replace(/\(([^()]*)\)=\(([^()]*)\)/g, '($1)=(…)');
  return m.length > MAX ? `${m.slice(0, MAX)}…` : m;
}

/** The parts of an error that are safe to log at debug: name, code, sanitised message, stack frames. */
export function safeError(e: unknown): Record<string, unknown> {
  if (!(e instanceof Error)) return { message: safeMessage(e) };
  const code = (e as { code?: unknown }).code;
  const frames = (e.stack ?? '').split('\n').filter((l) => l.trimStart().startsWith('at ')).join('\n');
  const out: Record<string, unknown> = { name: e.name, message: safeMessage(e), stack: frames };
  if (typeof code === 'string') out.code = code;
  if (e.cause !== undefined) out.cause = safeError(e.cause);
  return out;
}
