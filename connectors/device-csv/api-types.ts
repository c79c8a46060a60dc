/**
 * Raw row shapes of the device exports this connector reads. csv-parse hands every cell over as a string, so
 * every column is `z.string()`; a column the export may leave out is `.optional()`. The keys are the exact
 * header names the vendor writes; `columns.ts` matches them case-insensitively and knows the aliases.
 *
 * These schemas are the contract with anyone producing files for us (the demo-data generator, test fixtures):
 * a file whose header holds the required keys below is readable.
 */
import { z } from 'zod';

const cell = z.string();
const optional = z.string().optional();

/**
 * GAM `gam print cros` (GAM7 / GAMADV-XTD3). GAM flattens the Directory API ChromeOsDevice resource into one
 * column per JSON path, so list fields become `recentUsers.0.email`, `recentUsers.0.type`, `recentUsers.1.email`...
 * and GAM sorts the headers (deviceId first, then alphabetical), which is why we read by name, never position.
 *
 * - GAM wiki: https://github.com/GAM-team/GAM/wiki/ChromeOS-Devices#print-chromeos-devices
 * - Resource: https://developers.google.com/admin-sdk/directory/reference/rest/v1/chromeosdevices
 *
 * Quirks the mapper handles:
 * - `status` is upper-case: ACTIVE, DISABLED, DEPROVISIONED, PROVISIONED, INACTIVE, PRE_PROVISIONED, ...
 * - `lastSync` / `lastEnrollmentTime` are RFC 3339 (`2026-10-02T14:03:11.123Z`); GAM can print local offsets.
 * - `autoUpdateExpiration` is epoch milliseconds as a string in the API (`"1845961200000"`), but GAM prints it as
 *   a date (`2027-06-30`) when it formats times. It is deprecated in favour of `autoUpdateThrough` (a timestamp).
 * - `bootMode` is `Verified` or `Dev` (older devices/exports say `Normal`).
 * - `recentUsers.N.email` is only present for USER_TYPE_MANAGED users; unmanaged users usually have a type but
 *   no email.
 */
export const gamCrosRowSchema = z
  .object({
    deviceId: cell,
    serialNumber: cell,
    status: cell,
    annotatedAssetId: optional,
    annotatedUser: optional,
    annotatedLocation: optional,
    orgUnitPath: optional,
    lastSync: optional,
    lastEnrollmentTime: optional,
    model: optional,
    osVersion: optional,
    platformVersion: optional,
    firmwareVersion: optional,
    bootMode: optional,
    autoUpdateExpiration: optional,
    autoUpdateThrough: optional,
    macAddress: optional,
    ethernetMacAddress: optional,
    notes: optional,
  })
  // `recentUsers.N.email` / `recentUsers.N.type` and any other fields the admin asked GAM for.
  .catchall(z.string());
export type GamCrosRow = z.infer<typeof gamCrosRowSchema>;

/** `recentUsers.<N>.email`, N from 0 in GAM's own order (most recent first, as the API lists them). */
export const GAM_RECENT_USER_EMAIL = /^recentUsers\.(\d+)\.email$/i;

/**
 * Intune admin center, Devices > All devices > Export ("Include all inventory data" or only the visible columns).
 * Files usually arrive with a BOM and CRLF line ends (and UTF-16 after a trip through Excel); the column set
 * grows over time, so nothing but the serial (and the OS, unless `platform` is configured) is required.
 *
 * - The portal export is the `DevicesWithInventory` report of the Graph export API (report list:
 *   https://learn.microsoft.com/en-us/intune/device-management/reports/ref-graph-available-reports ); exported
 *   through Graph it carries the unlocalised names we accept as aliases (`DeviceId`, `SerialNumber`, `UPN`,
 *   `LastContact`, ...): https://learn.microsoft.com/en-us/mem/intune/fundamentals/reports-export-graph-apis
 * - Field meanings: https://learn.microsoft.com/en-us/graph/api/resources/intune-devices-manageddevice
 *
 * Quirks the mapper handles:
 * - Dates are UTC without a zone, `2026-10-02 14:03:11.0000000`, or in the admin's locale after a trip through
 *   Excel, `10/2/2026 2:03:11 PM` (see the `dateFormat` option).
 * - Whitebox PCs and VMs report placeholder serials: `0`, `Default string`, `To be filled by O.E.M.`,
 *   `System Serial Number`, or nothing.
 * - `OS` is `Windows`, `iOS/iPadOS` (older: `iOS`, `iPadOS`), `macOS`, `Android`, `AndroidEnterprise`, `Linux`.
 * - `Compliance`: `Compliant`, `Noncompliant` (older: `Not compliant`), `In grace period`, `Not evaluated`,
 *   `Conflict`, `Error`, `ConfigManager`, `Unknown`.
 * - `Device state` (management state): `Managed`, `Retire pending`, `Wipe pending`, `Delete pending`, ...
 */
export const intuneDeviceRowSchema = z
  .object({
    'Serial number': cell,
    'Device ID': optional,
    'Device name': optional,
    'Enrollment date': optional,
    'Last check-in': optional,
    'Azure AD Device ID': optional,
    OS: optional,
    'OS version': optional,
    Manufacturer: optional,
    Model: optional,
    'Primary user UPN': optional,
    'Primary user email address': optional,
    'Primary user display name': optional,
    Compliance: optional,
    'Managed by': optional,
    Ownership: optional,
    'Device state': optional,
    Category: optional,
    Supervised: optional,
    Encrypted: optional,
    JoinType: optional,
  })
  .catchall(z.string());
export type IntuneDeviceRow = z.infer<typeof intuneDeviceRowSchema>;

/** A generic inventory export: any headers; the `columns` config says which is which. */
export const genericRowSchema = z.record(z.string(), z.string());
export type GenericRow = z.infer<typeof genericRowSchema>;

/** What the client yields for every format: header name -> cell, exactly as in the file. */
export type RawRow = Record<string, string>;
