/**
 * OneRoster CSV source (1.0, 1.1, 1.2): a directory or .zip exported by the SIS. Streams orgs, then people,
 * then enrollments. The manifest decides which files are read and whether each is bulk or delta; every batch
 * carries `checkpoint: { file, processingMode }` so the ledger only deactivates by absence after a bulk file.
 */
import { z } from 'zod';
import type { Batch, CheckResult, Ctx, ReadOptions, RecordByStream, Reject, SourceConnector } from '../types.js';
import { errorMessage } from '../../src/errors.js';
import {
  FILE_NAMES, MANIFEST_FILE, enrollmentRowSchema, orgRowSchema, requiredHeaders, roleRowSchema,
  userRow11Schema, userRow12Schema, userRowSchema,
  type ProcessingMode, type RosterFile,
} from './api-types.js';
import { openRoster, readCsvRows, readManifest, type CsvRow, type Manifest, type RosterSource } from './client.js';
import { mapEnrollment, mapOrg, mapPerson, mapRoleRow, type Mapped, type RoleRef } from './mapper.js';

export const configSchema = z.strictObject({
  /** Absolute path to the export directory or .zip (the config loader resolves relative paths). */
  path: z.string().min(1),
  batchSize: z.number().int().positive().default(2000),
  /** Org types that count as a school when choosing a person's primary org. */
  schoolTypes: z.array(z.string().min(1)).min(1).default(['school']),
});
export type OneRosterCsvConfig = z.infer<typeof configSchema>;

export interface OneRosterCheckpoint {
  file: string;
  processingMode: ProcessingMode;
}

type RosterStream = 'orgs' | 'people' | 'enrollments';

/** Which of our files to read and how. Without a manifest, every standard file present is read as bulk. */
function plan(src: RosterSource, manifest: Manifest | null): Partial<Record<RosterFile, ProcessingMode>> {
  const out: Partial<Record<RosterFile, ProcessingMode>> = {};
  for (const file of Object.keys(FILE_NAMES) as RosterFile[]) {
    const declared = manifest ? manifest.files[file] : src.has(FILE_NAMES[file]) ? 'bulk' : undefined;
    // A manifest-listed file that is missing fails in open() with IncompleteReadError: it was promised.
    if (declared && declared !== 'absent') out[file] = declared;
  }
  return out;
}

/** Groups rows into batches of `size` (records + rejects), always yielding at least one batch per stream. */
class Batcher<S extends RosterStream> {
  private records: RecordByStream[S][] = [];
  private rejects: Reject[] = [];
  private yielded = false;
  constructor(private readonly stream: S, private readonly checkpoint: OneRosterCheckpoint, private readonly size: number) {}

  add(m: Mapped<RecordByStream[S] | null>): Batch | null {
    if (!m.ok) this.rejects.push(m.reject);
    else if (m.record) this.records.push(m.record);
    return this.records.length + this.rejects.length >= this.size ? this.take() : null;
  }

  /** Rejects that belong to this stream but come from a helper file (roles.csv for people). */
  addReject(r: Reject): Batch | null {
    return this.add({ ok: false, reject: r });
  }

  end(): Batch | null {
    return this.records.length + this.rejects.length > 0 || !this.yielded ? this.take() : null;
  }

  private take(): Batch {
    // Batch is a union keyed by stream; S ties records to the stream, which TS cannot see through the generic.
    const batch = { stream: this.stream, records: this.records, rejects: this.rejects, processingMode: this.checkpoint.processingMode, checkpoint: this.checkpoint } as Batch;
    this.records = [];
    this.rejects = [];
    this.yielded = true;
    return batch;
  }
}

/** Maps every row of a file into the batcher, yielding full batches and then the remainder. */
async function* drain<S extends RosterStream>(
  b: Batcher<S>, rows: AsyncIterable<CsvRow>, map: (row: CsvRow) => Mapped<RecordByStream[S]>,
): AsyncGenerator<Batch> {
  for await (const row of rows) {
    const out = b.add(map(row));
    if (out) yield out;
  }
  const last = b.end();
  if (last) yield last;
}

async function* read(ctx: Ctx<OneRosterCsvConfig>, _opts: ReadOptions): AsyncIterable<Batch> {
  const { config, log, signal } = ctx;
  const src = await openRoster(config.path);
  const manifest = await readManifest(src, log);
  const files = plan(src, manifest);
  const size = config.batchSize;
  const checkpoint = (file: RosterFile, mode: ProcessingMode): OneRosterCheckpoint => ({ file: FILE_NAMES[file], processingMode: mode });
  const csv = (mode: ProcessingMode) => ({ log, signal, allowEmpty: mode === 'delta' });
  log.info({ kind: src.kind, version: manifest?.version ?? null, files }, 'reading OneRoster CSV set');

  // Orgs first: they are few, and people need their types to pick a primary school.
  const orgTypes = new Map<string, string>();
  if (files.orgs) {
    const at = { file: FILE_NAMES.orgs, mode: files.orgs };
    const b = new Batcher('orgs', checkpoint('orgs', files.orgs), size);
    yield* drain(b, readCsvRows(src, at.file, orgRowSchema, csv(at.mode)), (row) => {
      const m = mapOrg(row, at);
      if (m.ok) orgTypes.set(m.record.externalId, m.record.type);
      return m;
    });
  }

  if (files.users) {
    const at = { file: FILE_NAMES.users, mode: files.users };
    const b = new Batcher('people', checkpoint('users', files.users), size);
    // roles.csv is held in memory grouped by user: a person's role and orgs need all of their rows.
    const roles = files.roles ? new Map<string, RoleRef[]>() : null;
    if (roles && files.roles) {
      const rat = { file: FILE_NAMES.roles, mode: files.roles };
      for await (const row of readCsvRows(src, rat.file, roleRowSchema, csv(rat.mode))) {
        const m = mapRoleRow(row, rat);
        if (!m.ok) {
          const out = b.addReject(m.reject);
          if (out) yield out;
        } else if (m.record) {
          const list = roles.get(m.record.user) ?? [];
          list.push(m.record.ref);
          roles.set(m.record.user, list);
        }
      }
    }
    // Columns of both versions are recognised; only what is required differs (1.1 needs role on the user row).
    const require = requiredHeaders(roles ? userRow12Schema : userRow11Schema);
    const pat = { ...at, orgTypes, roles, schoolTypes: new Set(config.schoolTypes.map((t) => t.toLowerCase())) };
    yield* drain(b, readCsvRows(src, at.file, userRowSchema, { ...csv(at.mode), require }), (row) => mapPerson(row, pat));
  }

  if (files.enrollments) {
    const at = { file: FILE_NAMES.enrollments, mode: files.enrollments };
    const b = new Batcher('enrollments', checkpoint('enrollments', files.enrollments), size);
    yield* drain(b, readCsvRows(src, at.file, enrollmentRowSchema, csv(at.mode)), (row) => mapEnrollment(row, at));
  }
}

async function check(ctx: Ctx<OneRosterCsvConfig>): Promise<CheckResult> {
  try {
    const src = await openRoster(ctx.config.path);
    const manifest = await readManifest(src, ctx.log);
    const details = { kind: src.kind, files: src.files, version: manifest?.version ?? null, plan: plan(src, manifest) };
    if (!manifest && !src.has(FILE_NAMES.users)) {
      return { ok: false, message: `no ${MANIFEST_FILE} or ${FILE_NAMES.users} in ${src.kind}`, details };
    }
    const missing = Object.entries(details.plan)
      .map(([f]) => FILE_NAMES[f as RosterFile])
      .filter((name) => !src.has(name));
    if (missing.length > 0) {
      return { ok: false, message: `manifest lists ${missing.join(', ')} but the set lacks them`, details };
    }
    const read = Object.entries(details.plan).map(([f, mode]) => `${FILE_NAMES[f as RosterFile]} (${mode})`);
    return { ok: true, message: `OneRoster ${details.version ?? '(no manifest)'} ${src.kind}: ${read.join(', ')}`, details };
  } catch (e) {
    return { ok: false, message: errorMessage(e) };
  }
}

export const onerosterCsv: SourceConnector<OneRosterCsvConfig> = {
  kind: 'oneroster-csv',
  configSchema,
  streams: ['orgs', 'people', 'enrollments'],
  // The manifest says per file whether it is bulk or delta; the batch checkpoint carries it.
  supportsDelta: true,
  check,
  read,
};
