/**
 * The typed registry of connector kinds. src/config validates each `sources[]` / `helpdesks[]` entry with the
 * schema registered here, so adding a connector is one line.
 */
import { clever } from './clever/index.js';
import { deviceCsv } from './device-csv/index.js';
import { googleAdmin } from './google-admin/index.js';
import { intune } from './intune/index.js';
import { onerosterCsv } from './oneroster-csv/index.js';
import { onerosterRest } from './oneroster-rest/index.js';
import type { SourceConnector } from './types.js';

export { SINK_KINDS, sinkByKind, ticketSinks } from './sink-registry.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each entry keeps its own config type
export const sourceConnectors: Record<string, SourceConnector<any>> = {
  [onerosterCsv.kind]: onerosterCsv,
  [deviceCsv.kind]: deviceCsv,
  [googleAdmin.kind]: googleAdmin,
  [intune.kind]: intune,
  [onerosterRest.kind]: onerosterRest,
  [clever.kind]: clever,
};
