/**
 * OneRoster CSV source (1.0, 1.1, 1.2): a directory or .zip exported by the SIS. Streams orgs, then people,
 * then enrollments. The manifest decides which files are read and whether each is bulk or delta; every batch
 * carries `checkpoint: { file, processingMode }` so the ledger only deactivates by absence after a bulk file.
 */
import { z } from 'zod';
import { Batcher, drain } from '../shared/batcher.js';
import { encodingSchema } from '../shared/decode.js';
import { errorMessage } from '../shared/errors.js';
import { personRoleSchema, type Batch, type CheckResult, type Ctx, type ReadOptions, type SourceConnector } from '../types.js';
import {
  FILE_NAMES, MANIFEST_FILE, enrollmentRowSchema, orgRowSchema, requiredHeaders, roleRowSchema,
  userRow11Schema, userRow12Schema, userRowSchema,
  type ProcessingMode, type RosterFile,
} from './api-types.js';
import { openRoster, openRosterCsv, readManifest, type Manifest, type RosterSource } from './client.js';
import { unsuppliedNotice, unsuppliedOf } from './columns.js';
import { mapEnrollment, mapOrg, mapPerson, mapRoleRow, type UserRoles } from './mapper.js';

export const configSchema = z.strictObject({
  /** Absolute path to the export directory or .zip (the config loader resolves relative paths). */
  path: z.string().min(1),
  batchSize: z.number().int().positive().default(2000),
  /** Org types that count as a school when choosing a person's primary org. */
  schoolTypes: z.array(z.string().min(1)).min(1).default(['school']),
  /** The files' text encoding when they have no BOM (a BOM always wins). */
  encoding: encodingSchema,
  /**
   * The district's own role words → canonical roles (`{ pupil: student, counselor: staff }`), matched
   * case-insensitively. A role word that is neither a OneRoster role nor listed here keeps the person unreadable.
   */
  roleMap: z.record(z.string().min(1), personRoleSchema)
    .transform((m) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k.trim().toLowerCase(), v])))
    .optional(),
});
export type OneRosterCsvConfig = z.infer<typeof configSchema>;

export interface OneRosterCheckpoint {
  file: string;
  processingMode: ProcessingMode;
}

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

async function* read(ctx: Ctx<OneRosterCsvConfig>, _opts: ReadOptions): AsyncIterable<Batch> {
  const { config, log, signal } = ctx;
  const { encoding } = config;
  const src = await openRoster(config.path);
  const manifest = await readManifest(src, log, encoding);
  const files = plan(src, manifest);
  const size = config.batchSize;
  const checkpoint = (file: RosterFile, mode: ProcessingMode): OneRosterCheckpoint => ({ file: FILE_NAMES[file], processingMode: mode });
  const csv = (mode: ProcessingMode) => ({ log, signal, encoding, allowEmpty: mode === 'delta' });
  log.info({ kind: src.kind, version: manifest?.version ?? null, files }, 'reading OneRoster CSV set');

  // Orgs first: they are few, and people need their types to pick a primary school.
  const orgTypes = new Map<string, string>();
  if (files.orgs) {
    const at = { file: FILE_NAMES.orgs, mode: files.orgs };
    const f = await openRosterCsv(src, at.file, orgRowSchema, csv(at.mode));
    const u = unsuppliedOf('orgs', f.present);
    const b = new Batcher('orgs', {
      size, processingMode: at.mode, unsupplied: u.fields, notices: unsuppliedNotice(at.file, u), checkpoint: checkpoint('orgs', at.mode),
    });
    yield* drain(b, f.rows(), (row) => {
      const m = mapOrg(row, at);
      if (m.ok) orgTypes.set(m.record.externalId, m.record.type);
      return m;
    });
  }

  if (files.users) {
    const at = { file: FILE_NAMES.users, mode: files.users };
    const batchOpts = { size, processingMode: at.mode, checkpoint: checkpoint('users', at.mode) };
    // roles.csv is held in memory grouped by user: a person's role and orgs need all of their rows.
    let roles: Map<string, UserRoles> | null = null;
    const early: Batch[] = [];
    const roleRejects = new Batcher('people', batchOpts);
    if (files.roles) {
      roles = new Map();
      const rat = { file: FILE_NAMES.roles, mode: files.roles };
      const rf = await openRosterCsv(src, rat.file, roleRowSchema, csv(rat.mode));
      for await (const row of rf.rows()) {
        const m = mapRoleRow(row, rat);
        if (!m.ok) {
          // No usable userSourcedId: the row belongs to nobody we can name.
          const out = roleRejects.addReject(m.reject);
          if (out) early.push(out);
          continue;
        }
        const { user, ref, broken, warnings } = m.record;
        const entry = roles.get(user) ?? { refs: [], warnings: [] };
        if (ref) entry.refs.push(ref);
        if (broken && !entry.broken) entry.broken = broken;
        entry.warnings.push(...warnings);
        roles.set(user, entry);
      }
    }
    // Columns of both versions are recognised; only what is required differs (1.1 needs role on the user row).
    const require = requiredHeaders(roles ? userRow12Schema : userRow11Schema);
    const f = await openRosterCsv(src, at.file, userRowSchema, { ...csv(at.mode), require });
    const u = unsuppliedOf('users', f.present, roles !== null);
    const b = new Batcher('people', { ...batchOpts, unsupplied: u.fields, notices: unsuppliedNotice(at.file, u) });
    const pat = {
      ...at, orgTypes, roles, roleMap: config.roleMap ?? {},
      schoolTypes: new Set(config.schoolTypes.map((t) => t.toLowerCase())),
    };
    const rest = roleRejects.end();
    // Rejects from roles.csv travel in the people stream, ahead of the users, carrying the same unsupplied list.
    for (const early1 of [...early, ...(rest && rest.rejects.length > 0 ? [rest] : [])]) {
      yield { ...early1, ...(u.fields.length > 0 ? { unsupplied: u.fields } : {}) } as Batch;
    }
    const seen = new Set<string>();
    yield* drain(b, f.rows(), (row) => {
      const m = mapPerson(row, pat);
      const id = m.ok ? m.record.externalId : m.reject.externalId;
      if (id) seen.add(id);
      return m;
    });
    // A user whose role rows are broken but who has no users.csv row: still named, so kept rather than dropped.
    const orphans = [...(roles ?? [])]
      .filter(([user, r]) => r.broken && !seen.has(user))
      .map(([user, r]) => ({ externalId: user, field: r.broken!.field, reason: r.broken!.reason, location: r.broken!.location, raw: {} }));
    for (let i = 0; i < orphans.length; i += size) {
      yield { stream: 'people', records: [], rejects: orphans.slice(i, i + size), processingMode: at.mode, checkpoint: batchOpts.checkpoint, ...(u.fields.length > 0 ? { unsupplied: u.fields } : {}) };
    }
  }

  if (files.enrollments) {
    const at = { file: FILE_NAMES.enrollments, mode: files.enrollments };
    const f = await openRosterCsv(src, at.file, enrollmentRowSchema, csv(at.mode));
    const u = unsuppliedOf('enrollments', f.present);
    const b = new Batcher('enrollments', {
      size, processingMode: at.mode, unsupplied: u.fields, notices: unsuppliedNotice(at.file, u), checkpoint: checkpoint('enrollments', at.mode),
    });
    yield* drain(b, f.rows(), (row) => mapEnrollment(row, at));
  }
}

async function check(ctx: Ctx<OneRosterCsvConfig>): Promise<CheckResult> {
  try {
    const src = await openRoster(ctx.config.path);
    const manifest = await readManifest(src, ctx.log, ctx.config.encoding);
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
