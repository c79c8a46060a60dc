/** What every CLI command receives: loaded config, logger, output streams. */
import type { Logger } from 'pino';
import { loadConfig, type Config, type RuntimeEnv } from '../config/index.js';
import { createLogger } from '../log.js';
import { resolveRules } from '../reconcile/rule-config.js';

export interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
}

export interface CommandContext {
  config: Config;
  log: Logger;
  io: Io;
}

export function buildContext(runtime: RuntimeEnv, configFile: string | undefined, io: Io, stderrIsTty: boolean): CommandContext {
  const config = loadConfig({ file: configFile, env: runtime.env, cwd: runtime.cwd });
  resolveRules(config.reconcile); // rule options are the rules' own schemas: a typo exits 2 here, like any key
  // Commands print their results to stdout; logs go to stderr so output can be piped.
  const log = createLogger({ level: config.server.logLevel, pretty: stderrIsTty, destination: process.stderr });
  return { config, log, io };
}
