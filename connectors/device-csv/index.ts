/**
 * device-csv: devices from an MDM export file (GAM `print cros`, the Intune device export, or any inventory
 * spreadsheet with a column mapping). An export is always a whole snapshot, so there is no delta mode and every
 * batch says `processingMode: 'bulk'`.
 */
import { basename, isAbsolute } from 'node:path';
import { z } from 'zod';
import { Batcher } from '../shared/batcher.js';
import { encodingSchema } from '../shared/decode.js';
import { errorMessage, isAppError, SourceFormatError } from '../shared/errors.js';
import { platformSchema, type Batch, type CheckResult, type Ctx, type SourceConnector } from '../types.js';
import { openCsv } from './client.js';
import { CANONICAL_FIELDS, resolveColumns, unsuppliedFields, type CanonicalField } from './columns.js';
import { createMapper } from './mapper.js';

const header = z.string().trim().min(1);
const columnsSchema = z.strictObject(
  Object.fromEntries(CANONICAL_FIELDS.map((f) => [f, header.optional()])) as Record<
    CanonicalField,
    z.ZodOptional<typeof header>
  >,
);

export const configSchema = z
  .strictObject({
    path: z.string().refine(isAbsolute, 'must be an absolute file path'),
    format: z.enum(['gam', 'intune', 'generic']),
    /** Canonical field -> header name. Required for generic; for gam/intune it overrides or adds a mapping. */
    columns: columnsSchema.optional(),
    /** Used when a row does not say (generic default 'other'; gam is chromeos; intune reads the OS column). */
    platform: platformSchema.optional(),
    batchSize: z.number().int().positive().max(50_000).default(2000),
    /** How to read d/m/y-looking dates; 'iso' still accepts slash dates when they are unambiguous. */
    dateFormat: z.enum(['iso', 'mdy', 'dmy']).default('iso'),
    /** The file's text encoding when it has no BOM (a BOM always wins). */
    encoding: encodingSchema,
  })
  .superRefine((c, ctx) => {
    if (c.format === 'generic' && !c.columns?.serial) {
      ctx.addIssue({ code: 'custom', path: ['columns', 'serial'], message: "generic format needs columns.serial" });
    }
  });
export type DeviceCsvConfig = z.infer<typeof configSchema>;

async function check(ctx: Ctx<DeviceCsvConfig>): Promise<CheckResult> {
  const { config } = ctx;
  const file = basename(config.path);
  try {
    const csv = await openCsv(config.path, { encoding: config.encoding, signal: ctx.signal });
    try {
      const cols = resolveColumns(csv.header, config, config.path);
      const columns = Object.fromEntries(Object.entries(cols.fields).map(([f, hs]) => [f, hs.join(' | ')]));
      return {
        ok: true,
        message: `${file}: ${config.format} export, ${Object.keys(columns).length} fields mapped`,
        details: {
          format: config.format,
          file,
          headerColumns: csv.header.length,
          columns,
          ...(config.format === 'gam' ? { recentUserColumns: cols.recentUsers.length } : {}),
        },
      };
    } finally {
      csv.close();
    }
  } catch (e) {
    if (!isAppError(e)) throw e;
    return { ok: false, message: errorMessage(e), details: { format: config.format, file, ...e.context } };
  }
}

async function* read(ctx: Ctx<DeviceCsvConfig>): AsyncGenerator<Batch> {
  // ReadOptions are ignored on purpose: mode 'delta' cannot exist for a file, it is always a full snapshot.
  const { config } = ctx;
  const file = basename(config.path);
  const log = ctx.log.child({ connector: 'device-csv', format: config.format, file });
  const checkpoint = { processingMode: 'bulk' as const, file: config.path };

  const csv = await openCsv(config.path, { encoding: config.encoding, signal: ctx.signal });
  try {
    const columns = resolveColumns(csv.header, config, config.path);
    const unsupplied = unsuppliedFields(columns, config);
    log.info({ fields: Object.keys(columns.fields), unsupplied, recentUserColumns: columns.recentUsers.length }, 'reading export');
    const mapper = createMapper({
      format: config.format, file, columns, platform: config.platform, dateFormat: config.dateFormat,
    });
    const notices = unsupplied.length > 0
      ? [`${file} has no column for ${unsupplied.join(', ')}: those fields are not supplied by this export, so stored values are kept`]
      : [];
    const batcher = new Batcher('devices', { size: config.batchSize, processingMode: 'bulk', unsupplied, notices, checkpoint });

    let rows = 0;
    for await (const row of csv.rows()) {
      ctx.signal.throwIfAborted();
      rows++;
      const out = batcher.add(mapper.map(row.values, row.line));
      if (out) yield out;
    }
    if (rows === 0) {
      // A header with nothing under it is what a failed export job leaves behind; treating it as "the fleet is
      // empty" would deactivate every device, so it fails the run instead.
      throw new SourceFormatError(`${file}: the export has a header but no device rows`, { file, path: config.path });
    }
    const last = batcher.end();
    if (last) yield last;
    const { stats } = mapper;
    log.info(
      {
        rows, ...batcher.totals,
        duplicates: stats.duplicates,
        userEmailNotEmail: stats.userEmailNotEmail,
        recentUsersNotEmail: stats.recentUsersNotEmail,
      },
      'export read',
    );
    if (stats.unknownDeviceStates.size > 0) {
      log.warn({ states: [...stats.unknownDeviceStates] }, 'unrecognised Intune device states, treated as active');
    }
  } finally {
    csv.close();
  }
}

export const deviceCsv: SourceConnector<DeviceCsvConfig> = {
  kind: 'device-csv',
  configSchema,
  streams: ['devices'],
  supportsDelta: false,
  check,
  read,
};
