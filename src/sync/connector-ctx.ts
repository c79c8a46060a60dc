/**
 * Builds the `ctx` a connector receives: its own config, a named HTTP client, a child logger, the signal. An API
 * connector's declared `HttpNeeds` (base URL, auth hook, concurrency, rate, timeout) shape that client; a file
 * connector declares none and gets a client with the helper's defaults and no base URL.
 */
import type { Logger } from 'pino';
import type { Ctx, HttpNeeds, TicketSink } from '../../connectors/types.js';
import type { SourceConfig } from '../config/index.js';
import { createHttpClient } from '../http/client.js';

export function createConnectorCtx(source: SourceConfig, log: Logger, signal: AbortSignal, now: () => Date = () => new Date()): Ctx<unknown> {
  const child = log.child({ source: source.id, kind: source.kind });
  const needs: HttpNeeds | undefined = source.connector.http?.(source.settings, { fetch: globalThis.fetch, log: child, now });
  return {
    config: source.settings,
    http: createHttpClient({
      name: `${source.kind}:${source.id}`,
      log: child,
      baseUrl: needs?.baseUrl,
      auth: needs?.auth,
      concurrency: needs?.concurrency,
      intervalCap: needs?.rate?.requests,
      intervalMs: needs?.rate?.intervalMs,
      timeoutMs: needs?.timeoutMs,
    }),
    log: child,
    signal,
    now,
  };
}

/** A help desk's `ctx`: the same construction from the sink's `http(config)` (base URL, auth, rate, timeout). */
export function createSinkCtx(
  desk: { id: string; kind: string; sink: TicketSink<unknown>; settings: unknown },
  log: Logger,
  signal: AbortSignal,
  now: () => Date = () => new Date(),
): Ctx<unknown> {
  const child = log.child({ helpdesk: desk.id, kind: desk.kind });
  const needs = desk.sink.http(desk.settings, { fetch: globalThis.fetch, log: child, now });
  return {
    config: desk.settings,
    http: createHttpClient({
      name: `${desk.kind}:${desk.id}`,
      log: child,
      baseUrl: needs.baseUrl,
      auth: needs.auth,
      concurrency: needs.concurrency,
      intervalCap: needs.rate?.requests,
      intervalMs: needs.rate?.intervalMs,
      timeoutMs: needs.timeoutMs,
    }),
    log: child,
    signal,
    now,
  };
}
