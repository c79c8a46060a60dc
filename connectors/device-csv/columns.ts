/**
 * Which header feeds which canonical field. Each format lists candidate headers per field in preference order;
 * the mapper takes the first non-empty cell among the candidates present, which is how GAM's newer
 * `autoUpdateThrough` wins over the deprecated `autoUpdateExpiration`, and Intune's UPN over its email column.
 * Headers match case- and whitespace-insensitively, because exports get re-saved by hand.
 */
import { basename } from 'node:path';
import { SourceFormatError } from '../shared/errors.js';
import type { Platform } from '../types.js';
import { GAM_RECENT_USER_EMAIL } from './api-types.js';

export const CANONICAL_FIELDS = [
  'externalId', 'serial', 'assetTag', 'model', 'manufacturer', 'platform', 'status', 'userEmail', 'orgUnit',
  'orgUnitId', 'annotatedLocation', 'notes', 'macAddress',
  'osVersion', 'lastSyncAt', 'enrolledAt', 'aueDate', 'compliance', 'bootMode',
] as const;
export type CanonicalField = (typeof CANONICAL_FIELDS)[number];

export type Format = 'gam' | 'intune' | 'generic';
/** Config `columns`: canonical field -> header name in the file. */
export type ColumnOverrides = Partial<Record<CanonicalField, string>>;

interface FormatSpec {
  candidates: Partial<Record<CanonicalField, readonly string[]>>;
  required: readonly CanonicalField[];
}

/** Header names: see api-types.ts for the vendor documentation behind each. */
export const FORMAT_SPECS: Record<'gam' | 'intune', FormatSpec> = {
  gam: {
    candidates: {
      externalId: ['deviceId'],
      serial: ['serialNumber'],
      assetTag: ['annotatedAssetId'],
      model: ['model'],
      status: ['status'],
      userEmail: ['annotatedUser'],
      orgUnit: ['orgUnitPath'],
      orgUnitId: ['orgUnitId'],
      annotatedLocation: ['annotatedLocation'],
      notes: ['notes'],
      macAddress: ['macAddress'],
      osVersion: ['osVersion'],
      lastSyncAt: ['lastSync'],
      enrolledAt: ['lastEnrollmentTime'],
      aueDate: ['autoUpdateThrough', 'autoUpdateExpiration'],
      bootMode: ['bootMode'],
    },
    // Without status every row would be rejected; without deviceId the ledger could not track the device.
    required: ['externalId', 'serial', 'status'],
  },
  intune: {
    // Portal names first, then the unlocalised Graph export-API names and older portal spellings.
    candidates: {
      externalId: ['Device ID', 'DeviceId', 'Intune Device ID'],
      serial: ['Serial number', 'SerialNumber'],
      model: ['Model'],
      manufacturer: ['Manufacturer'],
      platform: ['OS', 'Operating system', 'OperatingSystem'],
      status: ['Device state', 'DeviceState', 'Management state', 'ManagementState'],
      userEmail: [
        'Primary user UPN', 'UPN', 'User principal name', 'UserPrincipalName',
        'Primary user email address', 'UserEmail', 'Email address',
      ],
      osVersion: ['OS version', 'OSVersion'],
      macAddress: ['Wi-Fi MAC', 'WiFiMacAddress', 'Wi-Fi MAC address'],
      lastSyncAt: ['Last check-in', 'LastContact', 'Last check in', 'LastSyncDateTime'],
      enrolledAt: ['Enrollment date', 'CreatedDate', 'Enrolled date', 'EnrolledDateTime'],
      compliance: ['Compliance', 'ComplianceState', 'CompliantState', 'Compliance state'],
    },
    // `platform` joins this list unless the config pins the platform (see resolveColumns).
    required: ['serial'],
  },
};

export interface ResolvedColumns {
  /** Field -> headers present in the file, in preference order. A field with no entry is not in the export. */
  fields: Partial<Record<CanonicalField, string[]>>;
  /** GAM `recentUsers.N.email` headers sorted by N (numerically: 2 before 10, whatever the file order). */
  recentUsers: string[];
}

export interface ResolveOptions {
  format: Format;
  columns?: ColumnOverrides;
  platform?: Platform;
}

const norm = (h: string) => h.trim().replace(/\s+/g, ' ').toLowerCase();

/** Matches the header against the format; throws SourceFormatError naming file and column when one is missing. */
export function resolveColumns(header: readonly string[], opts: ResolveOptions, path: string): ResolvedColumns {
  const file = basename(path);
  const byName = new Map<string, string[]>();
  for (const h of header) {
    if (h === '') continue;
    const k = norm(h);
    byName.set(k, [...(byName.get(k) ?? []), h]);
  }
  const find = (name: string): string | undefined => {
    const found = byName.get(norm(name));
    if (found && found.length > 1) {
      throw new SourceFormatError(`${file}: column '${name}' appears ${found.length} times in the header`, {
        file: path, column: name, format: opts.format,
      });
    }
    return found?.[0];
  };

  const spec: FormatSpec =
    opts.format === 'generic'
      ? { candidates: {}, required: ['serial'] }
      : { ...FORMAT_SPECS[opts.format] };
  const required = new Set(spec.required);
  if (opts.format === 'intune' && !opts.platform) required.add('platform');

  const fields: ResolvedColumns['fields'] = {};
  for (const field of CANONICAL_FIELDS) {
    const override = opts.columns?.[field];
    if (override !== undefined) {
      // A column the admin named explicitly must exist: silently mapping it to null would hide a typo.
      const h = find(override);
      if (!h) throw missing(path, opts.format, field, [override]);
      fields[field] = [h];
      continue;
    }
    const candidates = spec.candidates[field] ?? [];
    const present = candidates.map(find).filter((h): h is string => h !== undefined);
    if (present.length > 0) fields[field] = present;
    else if (required.has(field)) throw missing(path, opts.format, field, candidates);
  }

  const recentUsers =
    opts.format === 'gam'
      ? header
          .map((h) => ({ h, m: GAM_RECENT_USER_EMAIL.exec(h) }))
          .filter((x): x is { h: string; m: RegExpExecArray } => x.m !== null)
          .sort((a, b) => Number(a.m[1]) - Number(b.m[1]))
          .map((x) => x.h)
      : [];

  return { fields, recentUsers };
}

function missing(path: string, format: Format, field: CanonicalField, candidates: readonly string[]): SourceFormatError {
  const column = candidates[0] ?? field;
  const alts = candidates.length > 1 ? ` (or ${candidates.slice(1).map((c) => `'${c}'`).join(', ')})` : '';
  return new SourceFormatError(
    `${basename(path)}: required column '${column}'${alts} for ${field} is missing from the ${format} export header`,
    { file: path, column, field, format },
  );
}

/**
 * Canonical fields this export does not supply at all (no column resolved for them): the ledger keeps their
 * stored values instead of reading them as empty. serial and externalId are never listed (a row without them
 * is rejected, not partial); a field the config or the format fixes (GAM's platform, a configured platform,
 * GAM's manufacturer read from the model) counts as supplied.
 */
export function unsuppliedFields(resolved: ResolvedColumns, opts: ResolveOptions): string[] {
  const has = (f: CanonicalField) => (resolved.fields[f]?.length ?? 0) > 0;
  const out: string[] = [];
  for (const field of CANONICAL_FIELDS) {
    if (field === 'serial' || field === 'externalId' || has(field)) continue;
    if (field === 'platform' && (opts.platform || opts.format === 'gam')) continue;
    if (field === 'manufacturer' && opts.format === 'gam' && has('model')) continue;
    out.push(field);
  }
  if (resolved.recentUsers.length === 0) out.push('recentUsers');
  return out;
}
