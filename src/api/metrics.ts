/** Prometheus metrics. A registry per app instance, so tests and several apps in one process don't collide. */
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

export interface Metrics {
  registry: Registry;
  httpDuration: Histogram<'method' | 'route' | 'status'>;
  syncRuns: Counter<'source' | 'status'>;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'rollcall_' });
  return {
    registry,
    httpDuration: new Histogram({
      name: 'rollcall_http_request_duration_seconds',
      help: 'Admin API request duration by route',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    syncRuns: new Counter({
      name: 'rollcall_sync_runs_total',
      help: 'Sync runs finished, by source and final status',
      labelNames: ['source', 'status'],
      registers: [registry],
    }),
  };
}
