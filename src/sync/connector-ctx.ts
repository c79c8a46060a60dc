/** Builds the `ctx` a connector receives: its own config, a named HTTP client, a child logger, the signal. */
import type { Logger } from 'pino';
import type { Ctx } from '../../connectors/types.js';
import type { SourceConfig } from '../config/index.js';
import { createHttpClient } from '../http/client.js';

export function createConnectorCtx(source: SourceConfig, log: Logger, signal: AbortSignal, now: () => Date = () => new Date()): Ctx<unknown> {
  const child = log.child({ source: source.id, kind: source.kind });
  return {
    config: source.settings,
    http: createHttpClient({ name: `${source.kind}:${source.id}`, log: child }),
    log: child,
    signal,
    now,
  };
}
