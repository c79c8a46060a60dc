/** The only module that reads process.env: everything else receives a Config. */
export { loadConfig, parseConfigText, configPath, formatPath } from './load.js';
export type { Config, SourceConfig, HelpdeskConfig } from './load.js';

export interface RuntimeEnv {
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export function runtimeEnv(): RuntimeEnv {
  return { env: process.env, cwd: process.cwd() };
}
