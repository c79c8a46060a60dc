/** `rollcall reconcile`: evaluate every rule now and print what changed, per rule. */
import { reconcile, type ReconcileSummary, type RuleSummary } from '../reconcile/engine.js';
import type { CommandContext } from './context.js';
import { EXIT, type ExitCode } from './exit-codes.js';
import { renderTable } from './table.js';
import { withDatabase } from './with-database.js';

const COLUMNS: [keyof RuleSummary, string][] = [
  ['opened', 'opened'], ['recurred', 'recurred'], ['reopened', 'reopened'], ['resolved', 'resolved'],
  ['stillOpen', 'still open'], ['suppressed', 'suppressed'],
];

export function formatSummary(s: ReconcileSummary): string {
  const title = `reconcile as of ${s.asOf}: ${s.opened + s.recurred + s.reopened} opened, ${s.resolved} resolved, `
    + `${s.stillOpen} still open, ${s.suppressed} suppressed in ${(s.durationMs / 1000).toFixed(1)} s`;
  const body = Object.entries(s.byRule).map(([rule, r]) => [rule, ...COLUMNS.map(([k]) => r[k])]);
  body.push(['total', ...COLUMNS.map(([k]) => s[k])]);
  return `${title}\n${renderTable(['rule', ...COLUMNS.map(([, h]) => h)], body)}`;
}

export async function reconcileCommand(ctx: CommandContext): Promise<ExitCode> {
  const summary = await withDatabase(ctx.config, (db) => reconcile(db, ctx.config, { log: ctx.log }));
  ctx.io.out(formatSummary(summary));
  return EXIT.ok;
}
