/**
 * Raw shapes of the Directory API answers this connector reads, as documented. Only the fields the mapper uses
 * are typed; everything else passes through (`z.looseObject`), because Google adds fields without notice and a
 * new field must never fail a read. Every field is optional apart from `deviceId`: "missing fields are normal"
 * (projection, device age and licence all decide what is present).
 *
 * - ChromeOsDevice resource: https://developers.google.com/workspace/admin/directory/reference/rest/v1/chromeosdevices
 * - chromeosdevices.list: https://developers.google.com/workspace/admin/directory/reference/rest/v1/chromeosdevices/list
 * - countChromeOsDevices: https://developers.google.com/workspace/admin/directory/reference/rest/v1/customer.devices.chromeos/countChromeOsDevices
 *
 * Quirks (see /work/shared/vendor-facts.md §3):
 * - `status` is upper-case (ACTIVE, DISABLED, DEPROVISIONED, PRE_PROVISIONED, INACTIVE, DELINQUENT, ...).
 * - `bootMode` is mixed case: `Verified` or `Dev`.
 * - `recentUsers[].email` is only present for `USER_TYPE_MANAGED`.
 * - `autoUpdateExpiration` (deprecated) is epoch milliseconds as a *string*; `autoUpdateThrough` is a timestamp.
 * - the count is an int64 as a string.
 */
import { z } from 'zod';

const str = z.string().optional();

export const recentUserSchema = z.looseObject({
  /** USER_TYPE_MANAGED | USER_TYPE_UNMANAGED */
  type: str,
  /** Only present when type is USER_TYPE_MANAGED. */
  email: str,
});

export const chromeOsDeviceSchema = z.looseObject({
  kind: str,
  etag: str,
  deviceId: z.string(),
  serialNumber: str,
  status: str,
  lastSync: str,
  lastEnrollmentTime: str,
  firstEnrollmentTime: str,
  annotatedUser: str,
  annotatedLocation: str,
  annotatedAssetId: str,
  notes: str,
  model: str,
  osVersion: str,
  platformVersion: str,
  firmwareVersion: str,
  macAddress: str,
  ethernetMacAddress: str,
  bootMode: str,
  orgUnitPath: str,
  orgUnitId: str,
  /** Deprecated: epoch milliseconds as a string. */
  autoUpdateExpiration: str,
  /** RFC 3339 timestamp (output only). */
  autoUpdateThrough: str,
  supportEndDate: str,
  chromeOsType: str,
  recentUsers: z.array(z.unknown()).optional(),
});
export type RawChromeOsDevice = z.infer<typeof chromeOsDeviceSchema>;

/** One page of chromeosdevices.list. A page without `chromeosdevices` is an empty result, not an error. */
export const listPageSchema = z.looseObject({
  kind: str,
  chromeosdevices: z.array(z.unknown()).optional(),
  nextPageToken: str,
});
export type ListPage = z.infer<typeof listPageSchema>;

export const countSchema = z.looseObject({
  count: z.union([z.string().regex(/^\d+$/), z.number().int().nonnegative()]),
});

/** The service-account key file (JSON as downloaded from the Cloud console); only these two keys are used. */
export const serviceAccountKeySchema = z.looseObject({
  type: z.literal('service_account').optional(),
  client_email: z.string().min(1),
  private_key: z.string().includes('PRIVATE KEY'),
});

/** Google API error body: `{ error: { code, message, errors: [{ reason, domain, message }] } }`. */
export const apiErrorSchema = z.looseObject({
  error: z.looseObject({
    code: z.number().optional(),
    status: str,
    errors: z.array(z.looseObject({ reason: str, domain: str })).optional(),
  }),
});

/** OAuth token endpoint error body: `{ error: 'unauthorized_client', error_description: '...' }`. */
export const tokenErrorSchema = z.looseObject({ error: z.string(), error_description: str });
