/** GET /runs, GET /runs/{id}, POST /runs/{id}/approve (admin), POST /sources/{id}/sync (write, 202). */
import { createRoute, z } from '@hono/zod-openapi';
import { recordAudit } from '../../audit/record.js';
import { AppError, NotFoundError, ConflictError } from '../../errors.js';
import { getRun, listRuns, RUN_STATUSES } from '../../read/runs.js';
import { approveHeldRun, runPipeline } from '../../sync/pipeline.js';
import { safeMessage } from '../../sync/safe-error.js';
import { v1Router, type V1Deps } from './context.js';
import { commonErrors, conflict, guarded, idParam, isoDate, notFound, page, pageQuery } from './schemas.js';

const counts = z.record(z.string(), z.number());
const RunSummarySchema = z.object({
  id: z.number().int(), sourceId: z.string(), mode: z.string(), status: z.string(), dryRun: z.boolean(), triggerKey: z.string().nullable(),
  startedAt: isoDate, finishedAt: isoDate.nullable(), durationMs: z.number().nullable(), error: z.string().nullable(),
  heldReason: z.string().nullable(), streams: z.record(z.string(), counts).openapi({ description: 'Per stream: read, created, updated, deactivated, rejected…' }),
}).openapi('RunSummary');
const RunDetailSchema = RunSummarySchema.extend({
  quarantine: z.object({ rejected: z.number().int(), kept: z.number().int(), warning: z.number().int() }),
  held: counts.nullable().openapi({ description: 'What a held run would deactivate, per stream' }),
  stats: z.record(z.string(), z.unknown()),
}).openapi('RunDetail');

const list = createRoute({
  method: 'get', path: '/runs', tags: ['runs'], summary: 'List sync runs, newest first', ...guarded('read'),
  request: { query: z.object({ ...pageQuery, source: z.string().min(1).optional(), status: z.enum(RUN_STATUSES).optional() }) },
  responses: {
    200: { description: 'One page of runs', content: { 'application/json': { schema: page(RunSummarySchema, 'RunPage') } } },
    ...commonErrors,
  },
});

const detail = createRoute({
  method: 'get', path: '/runs/{id}', tags: ['runs'], summary: 'One run with per-stream and quarantine counts', ...guarded('read'),
  request: { params: idParam },
  responses: { 200: { description: 'The run', content: { 'application/json': { schema: RunDetailSchema } } }, ...commonErrors, ...notFound },
});

const RunOutcomeSchema = z.object({
  runId: z.number().int().nullable(), sourceId: z.string(), mode: z.string(), status: z.string(), error: z.string().nullable(),
}).openapi('RunOutcome');

const approve = createRoute({
  method: 'post', path: '/runs/{id}/approve', tags: ['runs'],
  summary: 'Approve a held run: re-read its source and apply only if the read matches what was held', ...guarded('admin'),
  request: { params: idParam },
  responses: {
    200: {
      description: 'The approving run (status approved/succeeded, or failed with why)',
      content: { 'application/json': { schema: z.object({ approves: z.number().int(), run: RunOutcomeSchema }).openapi('Approval') } },
    },
    ...commonErrors, ...notFound, ...conflict,
  },
});

const sync = createRoute({
  method: 'post', path: '/sources/{id}/sync', tags: ['sources'], summary: 'Start a sync of one source (then reconcile); answers once the run exists',
  ...guarded('write'),
  request: {
    params: z.object({ id: z.string().min(1).openapi({ param: { name: 'id', in: 'path' }, example: 'sis' }) }),
    body: { required: false, content: { 'application/json': { schema: z.strictObject({ mode: z.enum(['full', 'delta']).optional() }).openapi('SyncRequest') } } },
  },
  responses: {
    202: {
      description: 'The run started; follow it at GET /runs/{runId}',
      content: { 'application/json': { schema: z.object({ runId: z.number().int(), sourceId: z.string(), mode: z.string(), href: z.string() }).openapi('SyncStarted') } },
    },
    ...commonErrors, ...notFound, ...conflict,
  },
});

export function runRoutes(deps: V1Deps) {
  const pipelineDeps = { db: deps.db, config: deps.config, log: deps.log, now: deps.now };
  return v1Router()
    .openapi(list, async (c) => c.json(await listRuns(deps.db.orm, c.req.valid('query')), 200))
    .openapi(detail, async (c) => c.json(await getRun(deps.db.orm, c.req.valid('param').id), 200))
    .openapi(approve, async (c) => {
      const runId = c.req.valid('param').id;
      const actor = c.get('identity').name;
      const out = await approveHeldRun(pipelineDeps, runId, `api:${actor}`);
      const r = out.approved;
      await recordAudit(deps.db.orm, actor, 'run.approve', `run:${runId}`, { approvingRun: r.runId, status: r.status });
      return c.json({ approves: runId, run: { runId: r.runId, sourceId: r.sourceId, mode: r.mode, status: r.status, error: r.error ?? null } }, 200);
    })
    .openapi(sync, async (c) => {
      const sourceId = c.req.valid('param').id;
      const source = deps.config.sources.find((s) => s.id === sourceId);
      if (!source) throw new NotFoundError(`no configured source "${sourceId}"`, { sourceId });
      const mode = (c.req.valid('json') as { mode?: 'full' | 'delta' } | undefined)?.mode ?? 'full';
      if (mode === 'delta' && !source.connector.supportsDelta) {
        throw new AppError('delta_unsupported', `source "${sourceId}" (${source.kind}) has no delta reads; use mode full`);
      }
      // Recorded before the run starts: on the embedded database a write now would wait for the whole run.
      await recordAudit(deps.db.orm, c.get('identity').name, 'source.sync', `source:${sourceId}`, { mode });
      // The run goes on after the answer: 202 as soon as its row exists, or the reason it could not start.
      let started: (id: number) => void = () => {};
      const startedP = new Promise<number>((resolve) => (started = resolve));
      const done = runPipeline(pipelineDeps, [source], { mode, signal: deps.signal, onStarted: (id) => started(id) });
      done.catch((e: unknown) => deps.log.error({ source: sourceId, err: safeMessage(e) }, 'API-started sync failed'));
      const first = await Promise.race([startedP, done.then((r) => r, (e: unknown) => ({ error: e }))]);
      let runId: number;
      if (typeof first === 'number') runId = first;
      else if ('error' in first) throw first.error;
      else {
        const run = first.runs[0];
        if (run?.status === 'skipped') throw new ConflictError('sync_in_progress', run.skipped ?? `source "${sourceId}" is syncing`, { sourceId });
        if (run?.runId == null) throw new AppError('sync_failed', run?.error ?? `source "${sourceId}" did not start`, { context: { sourceId } });
        runId = run.runId;
      }
      return c.json({ runId, sourceId, mode, href: `/api/v1/runs/${runId}` }, 202);
    });
}
