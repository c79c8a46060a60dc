/**
 * The in-memory synthetic district. Rows are kept compact (shared arrays and interned strings, times as epoch
 * milliseconds, ids derived at write time) so half a million students fit comfortably; writeDistrict turns
 * them into OneRoster / GAM / Intune CSV files.
 */
import type { SerialKind, WindowsModel } from './names.js';

/** A Chromebook model with its AUE resolved against the district's asOf. Shared by all rows of the model. */
export interface ChromebookModel {
  name: string;
  serialKind: SerialKind;
  /** Auto-update expiration, YYYY-MM-DD. */
  aue: string;
  osVersion: string;
}

export const GRADES = ['KG', '01', '02', '03', '04', '05', '06', '07', '08', '09', '10', '11', '12'] as const;
export type Grade = (typeof GRADES)[number];

export const RULES = [
  'withdrawn-with-device',
  'student-without-device',
  'device-silent',
  'past-aue',
  'wrong-school',
  'duplicate-serial-conflict',
  'unknown-user',
  'multiple-devices',
  'disabled-but-assigned',
  'noncompliant',
  'dev-mode',
] as const;
export type RuleName = (typeof RULES)[number];

export type SchoolLevel = 'elementary' | 'middle' | 'high';

export interface Org {
  sourcedId: string;
  name: string;
  type: 'district' | 'school';
  identifier: string;
  parentSourcedId: string | null;
  /** Schools only. */
  level: SchoolLevel | null;
  grades: readonly Grade[];
  /** Schools only: `/Students/<name>`, the OU prefix in ouSchoolMap. */
  ouPath: string | null;
}

export type PersonRole = 'student' | 'teacher' | 'administrator' | 'aide';

export interface Person {
  sourcedId: string;
  role: PersonRole;
  /** OneRoster `status`: empty (active) or `tobedeleted`. */
  status: '' | 'tobedeleted';
  enabledUser: boolean;
  /** Shared between people of the same school: never mutate in place, replace it. */
  orgSourcedIds: readonly string[];
  givenName: string;
  familyName: string;
  middleName: string;
  /** Lower-case, unique across the district. username is its local part. */
  email: string;
  /** SIS number (OneRoster `identifier`); userIds is `{LDAP:<ldapId>}`. */
  identifier: string;
  ldapId: number;
  /** Students: exactly one grade; staff: none. Shared arrays. */
  grades: readonly Grade[];
}

export type GamStatus = 'ACTIVE' | 'DISABLED' | 'DEPROVISIONED';

/** One row of `gam print cros`. deviceId is derived from (seed, index) at write time. */
export interface GamDevice {
  serialNumber: string;
  /** Asset number, written as `MW-<6 digits>`; 0 = no asset tag. */
  asset: number;
  annotatedUser: string;
  orgUnitPath: string;
  status: GamStatus;
  /** Epoch ms, whole seconds; null = never synced (written empty). */
  lastSync: number | null;
  model: ChromebookModel;
  bootMode: 'Verified' | 'Dev';
  /** recentUsers.0.email; empty when none. */
  recentUser: string;
}

/** One row of the Intune device export. Device ID is derived from (seed, index) at write time. */
export interface IntuneDevice {
  deviceName: string;
  enrolledAt: number;
  lastCheckIn: number;
  osVersion: string;
  serialNumber: string;
  model: WindowsModel;
  /** Empty = no primary user (shared / lab device). */
  primaryUserUpn: string;
  compliance: 'Compliant' | 'Noncompliant';
}

/** The district/reconcile settings the generated data assumes (mirrors config `district` + `reconcile`). */
export interface DistrictSettings {
  /** Source id of the OneRoster source; person subject keys are `person:<sourceId>:<sourcedId>`. */
  sourceId: string;
  domains: string[];
  oneToOneGrades: string[];
  /** OU path prefix → school sourcedId. */
  ouSchoolMap: Record<string, string>;
  staleAfterDays: number;
  aueWarningDays: number;
  maxDevicesPerStudent: number;
  /** YYYY-MM-DD. */
  asOf: string;
}

/** A case the generator put in on purpose. `subject` is the finding's subject key. */
export interface PlantedCase {
  rule: RuleName;
  subject: string;
  note: string;
}

export interface DistrictModel {
  seed: number;
  asOf: Date;
  /** Staff email domain; students use `students.<domain>`. */
  domain: string;
  studentDomain: string;
  district: Org;
  schools: Org[];
  /** Students first, then staff. */
  people: Person[];
  gam: GamDevice[];
  intune: IntuneDevice[];
  planted: PlantedCase[];
  /** Traps: cases that look like findings but must not be (documented for the reader of plan.json). */
  traps: { rule: RuleName; subject: string; note: string }[];
  settings: DistrictSettings;
  /** School year the rosters describe. */
  schoolYear: { start: string; end: string; year: number };
}

export interface DistrictCounts {
  students: number;
  staff: number;
  schools: number;
  /** GAM rows. */
  chromebooks: number;
  /** Intune rows. */
  windows: number;
  /** Distinct normalised serials over both device files. */
  devices: number;
}

export function countDistrict(model: DistrictModel): DistrictCounts {
  let students = 0;
  for (const p of model.people) if (p.role === 'student') students++;
  const serials = new Set<string>();
  for (const d of model.gam) serials.add(normaliseSerial(d.serialNumber));
  for (const d of model.intune) serials.add(normaliseSerial(d.serialNumber));
  return {
    students,
    staff: model.people.length - students,
    schools: model.schools.length,
    chromebooks: model.gam.length,
    windows: model.intune.length,
    devices: serials.size,
  };
}

/** The ledger's serial normalisation: trim, upper-case, remove spaces. */
export function normaliseSerial(serial: string): string {
  return serial.trim().toUpperCase().replace(/\s+/g, '');
}
