/** The reconciliation report's shape: what `rollcall report`, the admin API and the HTML pages all render. */
import type { Severity } from './types.js';

export type SeverityCounts = Record<Severity, number> & { total: number };

export interface ReportSchool {
  externalId: string;
  name: string;
}

export interface CoverageRow {
  school: string | null;
  eligible: number;
  covered: number;
  /** covered / eligible in percent, one decimal; null when no one is eligible. */
  percent: number | null;
}

export interface ReportRow {
  id: number;
  rule: string;
  severity: Severity;
  occurrence: number;
  /** The device's serial; for a person finding about several devices, their serials space-separated. */
  serial: string | null;
  assetTag: string | null;
  /** The person the finding is about or the device's holder: name and SIS id (the report is for admins). */
  person: { name: string; sisId: string | null } | null;
  /** The user the MDM names for the device, when that is the point (unknown-user) or there is no holder. */
  mdmUser: string | null;
  school: string | null;
  /** When this occurrence opened (ISO 8601). */
  since: string;
  /** The finding in one line (days silent, AUE date, OU vs school...). */
  note: string;
  remediation: string;
  details: Record<string, unknown>;
}

/** How current one configured source's data is: the report is only as good as the last sync. */
export interface SourceFreshness {
  source: string;
  kind: string;
  /** When its last successful (succeeded or approved) run finished; null if it never had one. */
  lastSuccessAt: string | null;
  /** Seconds from lastSuccessAt to generatedAt; null if never. */
  ageSeconds: number | null;
  /** The same for people: "3 h ago", "12 days ago". */
  age: string | null;
  /** The latest failed run, only when it is more recent than the last success (a failure since then). */
  lastFailure: { at: string; error: string | null } | null;
}

export interface ReconciliationReport {
  district: string;
  generatedAt: string;
  /** The date rules and this report judge time against. */
  asOf: string;
  filters: { rule: string | null; school: ReportSchool | null };
  /** Per configured source, in config order. */
  freshness: SourceFreshness[];
  /** False while no source has ever had a successful run: every number below is then empty, not good news. */
  everSynced: boolean;
  totals: {
    open: number;
    suppressed: number;
    bySeverity: SeverityCounts;
    byRule: ({ rule: string; title: string } & SeverityCounts)[];
    bySchool: ({ school: string | null } & SeverityCounts)[];
  };
  /** Active students in 1:1 grades holding a working device (live, not disabled, not past AUE). */
  coverage: { grades: string[] } & Omit<CoverageRow, 'school'> & { bySchool: CoverageRow[] };
  /** Active students by how many devices they hold. */
  devicesPerStudent: { devices: string; students: number }[];
  /** Active devices by their update expiry: already expired, then per calendar quarter. */
  aueHorizon: { expired: number; quarters: { quarter: string; devices: number }[]; unknown: number };
  /** Active devices by days since any MDM last heard from them; `assigned` of them in someone's hands. */
  silentDevices: { range: string; devices: number; assigned: number }[];
  discrepancies: ReportRow[];
}
