/**
 * pino, JSON in production and pretty on a terminal. Redaction is a backstop: code should not log secrets or
 * student data in the first place (log ids and counts, not names and emails).
 */
import { pino, type Logger, type LoggerOptions } from 'pino';
import { scrubQueryError } from './db/query-error.js';

export const REDACT_PATHS = [
  'authorization', '*.authorization', 'headers.authorization', '*.headers.authorization',
  'password', '*.password', 'token', '*.token', 'secret', '*.secret', 'clientSecret', '*.clientSecret',
  'apiKey', '*.apiKey', 'accessToken', '*.accessToken', 'refresh_token', '*.refresh_token',
  'email', '*.email', 'userEmail', '*.userEmail', 'givenName', '*.givenName', 'familyName', '*.familyName',
  'database.url', 'url.password',
];

export function createLogger(opts: { level: string; pretty?: boolean; destination?: NodeJS.WritableStream }): Logger {
  const base: LoggerOptions = {
    level: opts.level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    // A failed query's error carries its SQL parameters (emails, names): logged errors lose them here, whoever logs.
    serializers: { err: (e: unknown) => pino.stdSerializers.err(scrubQueryError(e) as Error) },
    base: { service: 'rollcall' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (opts.pretty) {
    return pino({ ...base, transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss' } } });
  }
  return opts.destination ? pino(base, opts.destination as pino.DestinationStream) : pino(base);
}

export const silentLogger: Logger = pino({ level: 'silent' });
export type { Logger };
