/**
 * Turns a failed first contact with PostgreSQL into one line an admin can act on: where we tried (host, port,
 * database, user), what went wrong, and what to check. The password is never printed: the line is built from the
 * parsed URL's other parts, and any driver text that is passed through has the password masked first.
 */
import { AppError } from '../errors.js';

export interface ConnectTarget {
  host: string;
  port: string;
  database: string;
  user: string;
}

/** The parts of a connection string that are safe to print. */
export function describeTarget(url: string): ConnectTarget {
  try {
    const u = new URL(url);
    const params = u.searchParams;
    return {
      // libpq-style `?host=/var/run/postgresql` (a socket directory) overrides an empty authority.
      host: params.get('host') ?? (u.hostname || 'localhost'),
      port: params.get('port') ?? (u.port || '5432'),
      database: decodeURIComponent(u.pathname.replace(/^\//, '')) || decodeURIComponent(u.username) || 'postgres',
      user: decodeURIComponent(u.username) || 'postgres',
    };
  } catch {
    return { host: '?', port: '?', database: '?', user: '?' };
  }
}

/** `url` with its password replaced by `***`, for anything that must show the URL. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url.replace(/(\/\/[^:/@]*:)[^@]*@/, '$1***@');
  }
}

/** Masks the URL's password (raw and percent-decoded) wherever it appears in `text`. */
export function redactSecret(text: string, url: string): string {
  let password = '';
  try {
    password = new URL(url).password;
  } catch {
    password = /\/\/[^:/@]*:([^@]*)@/.exec(url)?.[1] ?? '';
  }
  if (!password) return text;
  let out = text;
  for (const p of new Set([password, safeDecode(password)])) if (p) out = out.split(p).join('***');
  return out;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** The driver's error code through the cause chain: SQLSTATE from the server, or a Node errno such as ECONNREFUSED. */
function driverCode(e: unknown): string | undefined {
  for (let cur: unknown = e, depth = 0; cur && depth < 5; cur = (cur as { cause?: unknown }).cause, depth++) {
    const c = (cur as { code?: unknown }).code;
    if (typeof c === 'string' && c.length > 0) return c;
    // Happy-eyeballs (localhost → ::1 and 127.0.0.1) fails with an AggregateError whose parts carry the code.
    const parts = (cur as { errors?: unknown[] }).errors;
    if (Array.isArray(parts) && parts.length > 0) return driverCode(parts[0]);
  }
  return undefined;
}

/** What happened and what to do about it, by driver code. */
function cause(code: string | undefined, t: ConnectTarget): string | undefined {
  switch (code) {
    case '28P01':
      return `authentication failed for user "${t.user}" (28P01): check the user and password`;
    case '28000':
      return `the server refused user "${t.user}" (28000, no pg_hba.conf entry?): check pg_hba.conf and sslmode`;
    case '3D000':
      return `database "${t.database}" does not exist (3D000): create it or fix the database name`;
    case 'ECONNREFUSED':
      return 'connection refused (ECONNREFUSED): is PostgreSQL running and listening on that host and port?';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `host "${t.host}" not found (${code}): check the host name`;
    case 'CONNECT_TIMEOUT':
    case 'ETIMEDOUT':
      return `timed out connecting (${code}): check the host, port and any firewall in between`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `host unreachable (${code}): check the host and the network`;
    case '57P03':
      return 'the server is starting up or shutting down (57P03): try again shortly';
    case '53300':
      return 'too many connections (53300): lower database.poolSize or raise max_connections';
    default:
      return undefined;
  }
}

/** The one-line error for a failed connection to `url`. */
export function connectError(e: unknown, url: string): AppError {
  const t = describeTarget(url);
  const code = driverCode(e);
  const what = cause(code, t) ?? `${redactSecret(e instanceof Error ? e.message : String(e), url)}${code ? ` (${code})` : ''}`;
  return new AppError(
    'database_connect_failed',
    `cannot connect to PostgreSQL at ${t.host}:${t.port}, database "${t.database}": ${what} (database.url / DATABASE_URL)`,
    { cause: e, context: { host: t.host, port: t.port, database: t.database, driverCode: code } },
  );
}
