/**
 * Is this error the database connection going away (rather than a query being wrong)? Used by the transaction
 * guard (src/db/transaction-guard.ts), by /readyz, and by the process-level last resort in src/main.ts, which keeps
 * the daemon up only for these.
 */

/** postgres.js's own codes for a socket that closed, was destroyed, or never opened. */
const DRIVER_CODES = new Set(['CONNECTION_CLOSED', 'CONNECTION_DESTROYED', 'CONNECTION_ENDED', 'CONNECT_TIMEOUT']);
/** Node socket errors. */
const SOCKET_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

export function isConnectionLoss(e: unknown): boolean {
  for (let cur: unknown = e, depth = 0; cur && typeof cur === 'object' && depth < 5; cur = (cur as { cause?: unknown }).cause, depth++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code !== 'string') continue;
    if (DRIVER_CODES.has(code) || SOCKET_CODES.has(code)) return true;
    // SQLSTATE class 08 (connection exception) and 57P0x (admin/crash shutdown, cannot connect now, database
    // dropped): the server ended or refused the session. 57P01 is what pg_terminate_backend sends.
    if (/^08[0-9A-Z]{3}$/.test(code) || /^57P0[1-4]$/.test(code)) return true;
    // `alter database … allow_connections false` (maintenance) refuses new sessions with this generic state.
    if (code === '55000' && /not currently accepting connections/.test(String((cur as { message?: unknown }).message))) return true;
  }
  return false;
}
