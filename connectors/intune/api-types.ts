/**
 * Raw Graph shapes for the fields this connector `$select`s, validated before mapping. Every field is optional
 * and nullable: list responses leave properties out or null them (vendor-facts §4), and a missing field is
 * normal, not an error. Only `id` is needed to keep a device; the mapper decides everything else.
 *
 * Reference (v1.0): https://learn.microsoft.com/en-us/graph/api/resources/intune-devices-manageddevice
 * List:             https://learn.microsoft.com/en-us/graph/api/intune-devices-manageddevice-list
 * Overview (count): https://learn.microsoft.com/en-us/graph/api/resources/intune-devices-manageddeviceoverview
 */
import { z } from 'zod';

/** The `$select` list, in the order the reference lists them; the mapper reads nothing else. */
export const SELECT_FIELDS = [
  'id', 'deviceName', 'serialNumber', 'userPrincipalName', 'emailAddress', 'userId', 'complianceState',
  'lastSyncDateTime', 'enrolledDateTime', 'operatingSystem', 'osVersion', 'model', 'manufacturer',
  'managedDeviceOwnerType', 'azureADDeviceId', 'wiFiMacAddress', 'managementState',
] as const;

const str = z.string().nullish();

/** managedDevice (v1.0), `$select`ed fields only. Unknown extra properties are ignored. */
export const managedDeviceSchema = z.object({
  id: z.string(),
  deviceName: str,
  serialNumber: str,
  userPrincipalName: str,
  emailAddress: str,
  userId: str,
  /** complianceState enum: unknown|compliant|noncompliant|conflict|error|inGracePeriod|configManager. */
  complianceState: str,
  /** DateTimeOffset, `0001-01-01T00:00:00Z` when never set. */
  lastSyncDateTime: str,
  enrolledDateTime: str,
  operatingSystem: str,
  osVersion: str,
  model: str,
  manufacturer: str,
  /** managedDeviceOwnerType enum: unknown|company|personal. */
  managedDeviceOwnerType: str,
  azureADDeviceId: str,
  wiFiMacAddress: str,
  /** managementState enum (beta and v1.0 `$select`): managed|retirePending|retireFailed|wipePending|... */
  managementState: str,
});
export type ManagedDevice = z.infer<typeof managedDeviceSchema>;

/** One page of the collection: items are validated one by one, so one odd device is a reject, not a failed page. */
export const managedDevicePageSchema = z.object({
  '@odata.nextLink': z.string().url().optional(),
  '@odata.count': z.number().int().optional(),
  value: z.array(z.unknown()),
});
export type ManagedDevicePage = z.infer<typeof managedDevicePageSchema>;

/** GET /deviceManagement/managedDeviceOverview: only the count is read. */
export const managedDeviceOverviewSchema = z.object({
  enrolledDeviceCount: z.number().int().nonnegative(),
});
