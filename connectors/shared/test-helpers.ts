/** Test helpers shared by the connector tests: a Ctx with a silent logger and a stub HTTP client, and readAll. */
import pino from 'pino';
import type { Batch, Ctx, SourceConnector } from '../types.js';
import type { HttpClient } from './http.js';

export function testCtx<C>(connector: SourceConnector<C>, input: unknown): Ctx<C> {
  return {
    config: connector.configSchema.parse(input),
    http: {} as HttpClient,
    log: pino({ level: 'silent' }),
    signal: new AbortController().signal,
    now: () => new Date(),
  };
}

export async function readBatches<C>(connector: SourceConnector<C>, input: unknown): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const b of connector.read(testCtx(connector, input), { mode: 'full' })) out.push(b);
  return out;
}
