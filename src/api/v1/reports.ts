/** GET /reports/reconciliation (JSON or ?format=csv), GET /quarantine, GET /search. */
import { createRoute, z } from '@hono/zod-openapi';
import { QUARANTINE_OUTCOMES, listQuarantine } from '../../quarantine/list.js';
import { SEVERITIES } from '../../read/discrepancies.js';
import { reconciliationReport, reportCsv } from '../../read/report.js';
import { search } from '../../read/search.js';
import { allows } from '../auth/tokens.js';
import { AuthError } from '../../errors.js';
import { v1Router, type V1Deps } from './context.js';
import { DeviceSummarySchema } from './devices.js';
import { PersonSummarySchema } from './people.js';
import { commonErrors, guarded, isoDate } from './schemas.js';

const counts = z.object({ low: z.number(), medium: z.number(), high: z.number(), critical: z.number(), total: z.number() });
const ReportSchema = z.object({
  district: z.string(),
  generatedAt: isoDate,
  asOf: z.string(),
  filters: z.object({ rule: z.string().nullable(), school: z.object({ externalId: z.string(), name: z.string() }).nullable() }),
  freshness: z.array(z.object({
    source: z.string(), kind: z.string(), lastSuccessAt: isoDate.nullable(), ageSeconds: z.number().nullable(), age: z.string().nullable(),
    lastFailure: z.object({ at: isoDate, error: z.string().nullable() }).nullable(),
  })),
  everSynced: z.boolean(),
  totals: z.object({
    open: z.number(), suppressed: z.number(), bySeverity: counts,
    byRule: z.array(counts.extend({ rule: z.string(), title: z.string() })),
    bySchool: z.array(counts.extend({ school: z.string().nullable() })),
  }),
  coverage: z.object({
    grades: z.array(z.string()), eligible: z.number(), covered: z.number(), percent: z.number().nullable(),
    bySchool: z.array(z.object({ school: z.string().nullable(), eligible: z.number(), covered: z.number(), percent: z.number().nullable() })),
  }),
  devicesPerStudent: z.array(z.object({ devices: z.string(), students: z.number() })),
  aueHorizon: z.object({ expired: z.number(), quarters: z.array(z.object({ quarter: z.string(), devices: z.number() })), unknown: z.number() }),
  silentDevices: z.array(z.object({ range: z.string(), devices: z.number(), assigned: z.number() })),
  discrepancies: z.array(z.object({
    id: z.number(), rule: z.string(), severity: z.enum(SEVERITIES), occurrence: z.number(), serial: z.string().nullable(), assetTag: z.string().nullable(),
    person: z.object({ name: z.string(), sisId: z.string().nullable() }).nullable(), mdmUser: z.string().nullable(), school: z.string().nullable(),
    since: isoDate, note: z.string(), remediation: z.string(), details: z.record(z.string(), z.unknown()),
  })),
}).openapi('ReconciliationReport');

const report = createRoute({
  method: 'get', path: '/reports/reconciliation', tags: ['reports'], summary: 'The reconciliation report (JSON, or CSV with ?format=csv)', ...guarded('read'),
  request: {
    query: z.object({
      format: z.enum(['json', 'csv']).optional(),
      rule: z.string().min(1).optional(),
      school: z.string().min(1).optional().openapi({ description: 'SIS id, identifier or name' }),
      severity: z.enum(SEVERITIES).optional(),
      q: z.string().min(1).max(200).optional().openapi({ description: 'Serial, asset tag, name, SIS id or MDM user' }),
    }),
  },
  responses: {
    200: {
      description: 'The report',
      content: {
        'application/json': { schema: ReportSchema },
        'text/csv': { schema: z.string().openapi({ description: 'UTF-8 with a byte order mark; one row per open discrepancy' }) },
      },
    },
    ...commonErrors,
  },
});

const QuarantineSchema = z.object({
  runs: z.array(z.object({
    id: z.number().int(), sourceId: z.string(), mode: z.string(), status: z.string(), startedAt: isoDate,
    counts: z.object({ rejected: z.number(), kept: z.number(), warning: z.number() }),
  })),
  total: z.number().int(),
  rows: z.array(z.object({
    id: z.number().int(), runId: z.number().int(), sourceId: z.string(), stream: z.string(), outcome: z.enum(QUARANTINE_OUTCOMES),
    externalId: z.string().nullable(), location: z.string().nullable(), field: z.string().nullable(), reason: z.string(), at: isoDate,
    raw: z.unknown().optional(),
  })),
}).openapi('Quarantine');

const quarantine = createRoute({
  method: 'get', path: '/quarantine', tags: ['quarantine'],
  summary: 'What runs rejected, kept or warned about: source, file and line, why (latest committed run per source by default)', ...guarded('read'),
  request: {
    query: z.object({
      run: z.coerce.number().int().positive().optional(),
      source: z.string().min(1).optional(),
      outcome: z.enum(QUARANTINE_OUTCOMES).optional(),
      limit: z.coerce.number().int().min(1).max(5000).optional(),
      raw: z.enum(['true', 'false']).optional().openapi({ description: 'Include the source record (may hold personal data); admin scope' }),
    }),
  },
  responses: { 200: { description: 'Quarantined records', content: { 'application/json': { schema: QuarantineSchema } } }, ...commonErrors },
});

const find = createRoute({
  method: 'get', path: '/search', tags: ['devices', 'people'], summary: 'Search devices and people by serial, asset tag, name or email', ...guarded('read'),
  request: { query: z.object({ q: z.string().trim().min(2).max(200) }) },
  responses: {
    200: {
      description: 'The first matches',
      content: {
        'application/json': {
          schema: z.object({
            q: z.string(), devices: z.array(DeviceSummarySchema), people: z.array(PersonSummarySchema),
            more: z.object({ devices: z.boolean(), people: z.boolean() }),
          }).openapi('SearchResult'),
        },
      },
    },
    ...commonErrors,
  },
});

export function reportRoutes(deps: V1Deps) {
  return v1Router()
    .openapi(report, async (c) => {
      const { format, ...q } = c.req.valid('query');
      const r = await reconciliationReport(deps.db, deps.config, { ...q, now: deps.now?.() });
      if (format === 'csv') {
        const day = r.generatedAt.slice(0, 10);
        return c.body(reportCsv(r), 200, {
          'content-type': 'text/csv; charset=utf-8',
          'content-disposition': `attachment; filename="rollcall-reconciliation-${day}.csv"`,
        });
      }
      return c.json(r, 200);
    })
    .openapi(quarantine, async (c) => {
      const q = c.req.valid('query');
      if (q.raw === 'true' && !allows(c.get('identity').scope, 'admin')) {
        throw new AuthError('forbidden', 'raw=true shows source records, which may hold personal data: it needs the admin scope');
      }
      return c.json(await listQuarantine(deps.db, { runId: q.run, source: q.source, outcome: q.outcome, limit: q.limit, raw: q.raw === 'true' }), 200);
    })
    .openapi(find, async (c) => c.json(await search(deps.db.orm, c.req.valid('query').q), 200));
}
