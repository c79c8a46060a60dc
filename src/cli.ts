/**
 * `rollcall <command>`. Only commands that work are listed. Exit codes follow DESIGN §10.
 */
import { parseArgs } from 'node:util';
import { runtimeEnv } from './config/index.js';
import { databaseOptions, openDatabase } from './db/client.js';
import { safeErrorMessage } from './db/query-error.js';
import { migrate } from './db/migrate.js';
import { ConfigError, errorMessage, isAppError, ValidationError } from './errors.js';
import { checkCommand } from './cli/check.js';
import { buildContext, type CommandContext, type Io } from './cli/context.js';
import { EXIT, type ExitCode } from './cli/exit-codes.js';
import { serveCommand } from './cli/serve.js';
import { syncCommand, syncOptions } from './cli/sync.js';
import { approveCommand } from './cli/approve.js';
import { reconcileCommand } from './cli/reconcile.js';
import { reportCommand, reportOptions } from './cli/report.js';
import { quarantineCommand, quarantineOptions } from './cli/quarantine.js';
import { deliverCommand, deliverOptions } from './cli/deliver.js';
import { deliveriesCommand, deliveriesOptions, DELIVERIES_USAGE } from './cli/deliveries.js';
import { webhookReceiverCommand, webhookReceiverOptions } from './cli/webhook-receiver.js';
import { version } from './version.js';

interface Command {
  summary: string;
  usage: string;
  /** More lines for `rollcall <command> --help`. */
  help?: string;
  options?: NonNullable<Parameters<typeof parseArgs>[0]>['options'];
  positionals?: boolean;
  run(ctx: CommandContext, values: Record<string, unknown>, positionals: string[]): Promise<ExitCode>;
}

const commands: Record<string, Command> = {
  serve: {
    summary: 'migrate, schedule the sources, and serve the admin API (the container command)',
    usage: 'rollcall serve',
    run: (ctx) => serveCommand(ctx),
  },
  migrate: {
    summary: 'apply database migrations and exit',
    usage: 'rollcall migrate',
    run: async (ctx) => {
      const db = await openDatabase(databaseOptions(ctx.config.database));
      try {
        const r = await migrate(db);
        ctx.io.out(`migrations applied: ${r.applied} (${db.kind})`);
      } finally {
        await db.close();
      }
      return EXIT.ok;
    },
  },
  sync: {
    summary: 'sync sources now and print what changed (exit 3 when the deletion threshold holds a run)',
    usage: 'rollcall sync [--source ID] [--mode full|delta] [--dry-run] [--force]',
    options: syncOptions,
    run: (ctx, values) => syncCommand(ctx, values),
  },
  approve: {
    summary: "apply a held run's deactivations",
    usage: 'rollcall approve RUN_ID',
    positionals: true,
    run: (ctx, values, positionals) => approveCommand(ctx, values, positionals),
  },
  reconcile: {
    summary: 'evaluate the discrepancy rules now and print what opened and resolved',
    usage: 'rollcall reconcile',
    run: (ctx) => reconcileCommand(ctx),
  },
  report: {
    summary: 'print the reconciliation report (open discrepancies, coverage, AUE horizon, silent devices)',
    usage: 'rollcall report [--format table|csv|json] [--rule RULE] [--school SCHOOL]',
    options: reportOptions,
    run: (ctx, values) => reportCommand(ctx, values),
  },
  quarantine: {
    summary: 'list what runs rejected, kept or warned about, with file, line, field and reason (latest run of each source)',
    usage: 'rollcall quarantine [--run ID] [--source S] [--outcome rejected|kept|warning] [--format table|csv|json] [--limit N] [--raw]',
    help: [
      'Without --run: the latest committed run of each source (or of --source). Newest run first, at most --limit rows (200).',
      '--raw adds the source record as read; it can hold names and emails, so share that output with care.',
      'Exit 0, also when nothing was quarantined.',
    ].join('\n'),
    options: quarantineOptions,
    run: (ctx, values) => quarantineCommand(ctx, values),
  },
  deliver: {
    summary: 'deliver what is due now (webhooks, help desk tickets) and exit; `serve` does this continuously',
    usage: 'rollcall deliver --once',
    options: deliverOptions,
    run: (ctx, values) => deliverCommand(ctx, values),
  },
  deliveries: {
    summary: 'list deliveries, replay a dead one, or re-enable a disabled webhook endpoint',
    usage: DELIVERIES_USAGE,
    help: [
      'list: newest first (--limit, default 100); disabled or failing targets are listed above the table.',
      'replay ID: a dead (or delivered) delivery is attempted again on the next round, with the same webhook-id.',
      'enable TARGET: after a 410 or 3 days of failures an endpoint is disabled; its deliveries wait until this.',
    ].join('\n'),
    options: deliveriesOptions,
    positionals: true,
    run: (ctx, values, positionals) => deliveriesCommand(ctx, values, positionals),
  },
  'webhook-receiver': {
    summary: 'a local receiver that verifies and prints webhooks (to try delivery out, e.g. with the demo)',
    usage: 'rollcall webhook-receiver [--endpoint ID] [--port N]',
    options: webhookReceiverOptions,
    run: (ctx, values) => webhookReceiverCommand(ctx, values),
  },
  check: {
    summary: 'validate the config, test the database and its migrations, and check each source',
    usage: 'rollcall check',
    run: (ctx) => checkCommand(ctx),
  },
};

function helpText(): string {
  const width = Math.max(...Object.keys(commands).map((k) => k.length), 7);
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return [
    `rollcall ${version}: the 1:1 device ledger`,
    '',
    'usage: rollcall <command> [options]',
    '',
    'commands:',
    ...lines,
    `  ${'version'.padEnd(width)}  print the version`,
    '',
    'options:',
    '  --config FILE  config file (default: $ROLLCALL_CONFIG, config/rollcall.yaml, else config/demo.yaml)',
    '  --help         show help',
    '',
    'exit codes: 0 ok, 1 failure, 2 bad usage or config, 3 run held by the deletion threshold',
  ].join('\n');
}

export async function runCli(argv: string[], io: Io = defaultIo, stderrIsTty = Boolean(process.stderr.isTTY)): Promise<ExitCode> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out(helpText());
    return name ? EXIT.ok : EXIT.usage;
  }
  if (name === 'version' || name === '--version') {
    io.out(version);
    return EXIT.ok;
  }
  const command = commands[name];
  if (!command) {
    io.err(`unknown command "${name}"\n\n${helpText()}`);
    return EXIT.usage;
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: rest,
      options: { config: { type: 'string' }, help: { type: 'boolean', short: 'h' }, ...command.options },
      allowPositionals: Boolean(command.positionals),
      strict: true,
    });
  } catch (e) {
    io.err(`${errorMessage(e)}\nusage: ${command.usage}`);
    return EXIT.usage;
  }
  if (parsed.values.help) {
    io.out(`${command.summary}\nusage: ${command.usage}${command.help ? `\n\n${command.help}` : ''}`);
    return EXIT.ok;
  }
  let ctx: CommandContext;
  try {
    ctx = buildContext(runtimeEnv(), parsed.values.config as string | undefined, io, stderrIsTty);
  } catch (e) {
    if (e instanceof ConfigError) {
      io.err(e.message);
      return EXIT.usage;
    }
    throw e;
  }
  try {
    return await command.run(ctx, parsed.values, parsed.positionals);
  } catch (e) {
    if (e instanceof ConfigError || e instanceof ValidationError) {
      io.err(e.message);
      return EXIT.usage;
    }
    io.err(`rollcall ${name} failed: ${isAppError(e) ? `[${e.code}] ` : ''}${safeErrorMessage(e)}`);
    ctx.log.debug({ err: e }, 'command failed');
    return EXIT.failure;
  }
}

const defaultIo: Io = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};
