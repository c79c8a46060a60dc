/**
 * `rollcall deliveries list [--status pending|delivered|dead] [--target T] [--limit N] [--format table|json]`,
 * `rollcall deliveries replay ID` (re-queue a dead or delivered delivery now), and
 * `rollcall deliveries enable TARGET` (re-enable a webhook endpoint disabled after 410 or 3 days of failures).
 */
import { userInfo } from 'node:os';
import { DELIVERY_STATUSES, enableTarget, listDeliveries, replayDelivery, targetStates, type DeliveryStatus } from '../delivery/list.js';
import { ValidationError } from '../errors.js';
import type { CommandContext } from './context.js';
import { EXIT, type ExitCode } from './exit-codes.js';
import { renderTable } from './table.js';
import { withDatabase } from './with-database.js';

export const deliveriesOptions = {
  status: { type: 'string' },
  target: { type: 'string' },
  limit: { type: 'string' },
  format: { type: 'string' },
} as const;

export const DELIVERIES_USAGE = 'rollcall deliveries list [--status pending|delivered|dead] [--target TARGET] [--limit N] [--format table|json] | replay ID | enable TARGET';

/** Who did it, for audit_log: the OS user running the CLI. */
function actor(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return 'cli';
  }
}

export async function deliveriesCommand(ctx: CommandContext, values: Record<string, unknown>, positionals: string[]): Promise<ExitCode> {
  const [sub, arg, ...extra] = positionals;
  if (extra.length > 0) throw new ValidationError(`unexpected arguments: ${extra.join(' ')}\nusage: ${DELIVERIES_USAGE}`);
  if (sub === 'replay') {
    if (!arg || !/^[1-9]\d*$/.test(arg)) throw new ValidationError(`deliveries replay needs a delivery id\nusage: ${DELIVERIES_USAGE}`);
    const r = await withDatabase(ctx.config, (db) => replayDelivery(db, Number(arg), actor()));
    ctx.io.out(`delivery ${r.id} (${r.type} → ${r.target}) re-queued; it is attempted on the next delivery round`);
    return EXIT.ok;
  }
  if (sub === 'enable') {
    if (!arg) throw new ValidationError(`deliveries enable needs a target such as webhook:sis-team\nusage: ${DELIVERIES_USAGE}`);
    const ok = await withDatabase(ctx.config, (db) => enableTarget(db, arg, actor()));
    ctx.io.out(ok ? `${arg} enabled; its waiting deliveries are attempted on the next round` : `${arg} was not disabled`);
    return EXIT.ok;
  }
  if (sub !== 'list' || arg !== undefined) throw new ValidationError(`usage: ${DELIVERIES_USAGE}`);
  const status = values.status as string | undefined;
  if (status !== undefined && !(DELIVERY_STATUSES as readonly string[]).includes(status)) {
    throw new ValidationError(`--status must be one of ${DELIVERY_STATUSES.join(', ')}, not "${status}"`);
  }
  const limitText = values.limit as string | undefined;
  if (limitText !== undefined && !/^[1-9]\d*$/.test(limitText)) throw new ValidationError(`--limit must be a positive whole number, not "${limitText}"`);
  const format = (values.format as string | undefined) ?? 'table';
  if (format !== 'table' && format !== 'json') throw new ValidationError(`--format must be table or json, not "${format}"`);
  const { list, states } = await withDatabase(ctx.config, async (db) => ({
    list: await listDeliveries(db, { status: status as DeliveryStatus | undefined, target: values.target as string | undefined, limit: limitText ? Number(limitText) : 100 }),
    states: await targetStates(db),
  }));
  if (format === 'json') {
    ctx.io.out(JSON.stringify({ ...list, targets: states }, null, 2));
    return EXIT.ok;
  }
  const out: string[] = [];
  for (const s of states) {
    out.push(s.disabledAt ? `${s.target}: DISABLED since ${s.disabledAt} (${s.disabledReason}); rollcall deliveries enable ${s.target}` : `${s.target}: failing since ${s.failingSince}`);
  }
  if (list.total === 0) {
    out.push(`No deliveries${status ? ` with status ${status}` : ''}.`);
  } else {
    if (out.length) out.push('');
    out.push(renderTable(
      ['id', 'event', 'target', 'status', 'attempts', 'next attempt', 'last', 'error'],
      list.rows.map((r) => [r.id, r.type, r.target, r.status, r.attempt, r.status === 'pending' ? r.nextAttemptAt : '-', r.lastStatus ?? '-', (r.lastError ?? '').slice(0, 80)]),
    ));
    if (list.rows.length < list.total) out.push(`\nShowing ${list.rows.length} of ${list.total}; use --limit to see more.`);
  }
  ctx.io.out(out.join('\n'));
  return EXIT.ok;
}
