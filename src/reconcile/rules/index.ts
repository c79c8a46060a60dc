/** Every rule the reconciler knows, in report order. A rule not listed here does not exist. */
import type { AnyRule } from '../types.js';
import { devMode } from './dev-mode.js';
import { deviceSilent } from './device-silent.js';
import { disabledButAssigned } from './disabled-but-assigned.js';
import { duplicateSerialConflict } from './duplicate-serial-conflict.js';
import { multipleDevices } from './multiple-devices.js';
import { noncompliant } from './noncompliant.js';
import { pastAue } from './past-aue.js';
import { studentWithoutDevice } from './student-without-device.js';
import { unknownUser } from './unknown-user.js';
import { withdrawnWithDevice } from './withdrawn-with-device.js';
import { wrongSchool } from './wrong-school.js';

export const rules: readonly AnyRule[] = [
  withdrawnWithDevice,
  studentWithoutDevice,
  deviceSilent,
  pastAue,
  wrongSchool,
  duplicateSerialConflict,
  unknownUser,
  multipleDevices,
  disabledButAssigned,
  noncompliant,
  devMode,
];

export function ruleByCode(code: string): AnyRule | undefined {
  return rules.find((r) => r.code === code);
}
