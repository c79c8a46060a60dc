/**
 * Loads the YAML config: `${ENV}` interpolation, `*File` secret keys, zod validation of the top level, then of
 * each source and helpdesk by its connector's own schema. Every problem is reported with its key path
 * (`sources[1].auth.clientSecret: required`) so an admin can fix the file without reading code.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseDocument, parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { sinkByKind, sourceConnectors, ticketSinks } from '../../connectors/registry.js';
import type { SourceConnector, TicketSink } from '../../connectors/types.js';
import { ConfigError } from '../errors.js';
import {
  COMMON_HELPDESK_KEYS, COMMON_SOURCE_KEYS, commonHelpdeskSchema, commonSourceSchema, configSchema,
  type DeletionThreshold, type RawConfig,
} from './schema.js';

export interface SourceConfig {
  id: string;
  kind: string;
  enabled: boolean;
  schedule?: string;
  deltaSchedule?: string;
  deletionThreshold: DeletionThreshold;
  connector: SourceConnector<unknown>;
  /** The connector's own keys, already validated by its configSchema. */
  settings: unknown;
}

export interface HelpdeskConfig {
  id: string;
  kind: string;
  /** Rules that open tickets here; undefined: the rules whose `ticket` is true. */
  rules?: string[];
  templates: Record<string, { title?: string; body?: string }>;
  sink: TicketSink<unknown>;
  settings: unknown;
}

export type Config = Omit<RawConfig, 'sources' | 'helpdesks'> & {
  sources: SourceConfig[];
  helpdesks: HelpdeskConfig[];
  /** Where the config came from, for `rollcall check` and logs. */
  file: string;
};

type Path = (string | number)[];

export function formatPath(p: readonly PropertyKey[]): string {
  let out = '';
  for (const k of p) out += typeof k === 'number' ? `[${k}]` : out === '' ? String(k) : `.${String(k)}`;
  return out || '(root)';
}

function zodIssues(error: z.ZodError, prefix: Path): string[] {
  const out: string[] = [];
  for (const issue of error.issues) {
    const at = [...prefix, ...issue.path];
    if (issue.code === 'unrecognized_keys') {
      for (const k of issue.keys) out.push(`${formatPath([...at, k])}: unknown key`);
      continue;
    }
    const msg = /received undefined/.test(issue.message) ? 'required' : issue.message;
    out.push(`${formatPath(at)}: ${msg}`);
  }
  return out;
}

const ENV_REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/** Walks the parsed YAML: interpolates `${VAR}` / `${VAR:-default}` and reads `*File` keys into their base key. */
interface ResolveState {
  env: NodeJS.ProcessEnv;
  baseDir: string;
  issues: string[];
  /** Keys whose *File could not be read: their own "required" error would only repeat the cause. */
  unreadSecrets: Set<string>;
}

function resolveValues(node: unknown, at: Path, st: ResolveState): unknown {
  const { env, baseDir, issues } = st;
  if (typeof node === 'string') {
    const out = node.replace(ENV_REF, (_m, name: string, fallback: string | undefined) => {
      const v = env[name];
      if (v !== undefined && v !== '') return v;
      if (fallback !== undefined) return fallback;
      issues.push(`${formatPath(at)}: environment variable ${name} is not set`);
      return '';
    });
    // `port: ${PORT}` should be a number, as if the value had been written in the file.
    const whole = /^\$\{[^}]+\}$/.test(node);
    return whole && /^(-?\d+(\.\d+)?|true|false)$/.test(out) ? parseYaml(out) : out;
  }
  if (Array.isArray(node)) return node.map((v, i) => resolveValues(v, [...at, i], st));
  if (node && typeof node === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) {
      const resolved = resolveValues(v, [...at, k], st);
      const base = k.endsWith('File') && k.length > 4 ? k.slice(0, -4) : undefined;
      if (base === undefined) {
        out[k] = resolved;
        continue;
      }
      if (base in (node as Record<string, unknown>)) {
        issues.push(`${formatPath([...at, k])}: give either ${base} or ${k}, not both`);
        continue;
      }
      if (typeof resolved !== 'string') {
        issues.push(`${formatPath([...at, k])}: expected a file path`);
        continue;
      }
      const file = path.resolve(baseDir, resolved);
      try {
        out[base] = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code ?? 'unreadable';
        issues.push(`${formatPath([...at, k])}: cannot read secret file ${file} (${code})`);
        st.unreadSecrets.add(formatPath([...at, base]));
      }
    }
    return out;
  }
  return node;
}

/** Source paths are relative to the config file, so a config directory can be moved or mounted whole. */
function resolveSourcePaths(settings: Record<string, unknown>, baseDir: string): Record<string, unknown> {
  const out = { ...settings };
  if (typeof out.path === 'string' && !path.isAbsolute(out.path)) out.path = path.resolve(baseDir, out.path);
  return out;
}

function pick(obj: Record<string, unknown>, keys: readonly string[], keep: boolean): Record<string, unknown> {
  return Object.fromEntries(Object.entries(obj).filter(([k]) => keys.includes(k) === keep));
}

function known(kinds: Record<string, unknown>): string {
  const list = Object.keys(kinds).sort();
  return list.length ? list.join(', ') : '(none yet)';
}

function validateSources(raw: unknown[], baseDir: string, issues: string[]): SourceConfig[] {
  const out: SourceConfig[] = [];
  const ids = new Set<string>();
  raw.forEach((entry, i) => {
    const at: Path = ['sources', i];
    if (!entry || typeof entry !== 'object' || Array.isArray(entry)) {
      issues.push(`${formatPath(at)}: expected a mapping`);
      return;
    }
    const obj = entry as Record<string, unknown>;
    const common = commonSourceSchema.safeParse(pick(obj, COMMON_SOURCE_KEYS, true));
    if (!common.success) {
      issues.push(...zodIssues(common.error, at));
      return;
    }
    const c = common.data;
    if (ids.has(c.id)) issues.push(`${formatPath([...at, 'id'])}: duplicate source id "${c.id}"`);
    ids.add(c.id);
    const connector = sourceConnectors[c.kind];
    if (!connector) {
      issues.push(`${formatPath([...at, 'kind'])}: unknown kind "${c.kind}"; known kinds: ${known(sourceConnectors)}`);
      return;
    }
    const settings = connector.configSchema.safeParse(resolveSourcePaths(pick(obj, COMMON_SOURCE_KEYS, false), baseDir));
    if (!settings.success) {
      issues.push(...zodIssues(settings.error, at));
      return;
    }
    if (c.deltaSchedule && !connector.supportsDelta) {
      issues.push(`${formatPath([...at, 'deltaSchedule'])}: kind "${c.kind}" has no delta reads`);
    }
    out.push({ ...c, connector, settings: settings.data });
  });
  return out;
}

function validateHelpdesks(raw: unknown[], issues: string[]): HelpdeskConfig[] {
  const out: HelpdeskConfig[] = [];
  const ids = new Set<string>();
  raw.forEach((entry, i) => {
    const at: Path = ['helpdesks', i];
    if (!entry || typeof entry !== 'object' || Array.isArray(entry)) {
      issues.push(`${formatPath(at)}: expected a mapping`);
      return;
    }
    const obj = entry as Record<string, unknown>;
    const common = commonHelpdeskSchema.safeParse(pick(obj, COMMON_HELPDESK_KEYS, true));
    if (!common.success) {
      issues.push(...zodIssues(common.error, at));
      return;
    }
    if (ids.has(common.data.id)) issues.push(`${formatPath([...at, 'id'])}: duplicate helpdesk id "${common.data.id}"`);
    ids.add(common.data.id);
    const sink = sinkByKind(common.data.kind);
    if (!sink) {
      issues.push(`${formatPath([...at, 'kind'])}: unknown kind "${common.data.kind}"; known kinds: ${known(ticketSinks)}`);
      return;
    }
    const settings = sink.configSchema.safeParse(pick(obj, COMMON_HELPDESK_KEYS, false));
    if (!settings.success) {
      issues.push(...zodIssues(settings.error, at));
      return;
    }
    out.push({ ...common.data, sink, settings: settings.data });
  });
  return out;
}

/** Which file to read: explicit > ROLLCALL_CONFIG > config/rollcall.yaml > the bundled demo. */
export function configPath(explicit: string | undefined, env: NodeJS.ProcessEnv, cwd: string): string {
  if (explicit) return path.resolve(cwd, explicit);
  if (env.ROLLCALL_CONFIG) return path.resolve(cwd, env.ROLLCALL_CONFIG);
  const local = path.resolve(cwd, 'config/rollcall.yaml');
  return existsSync(local) ? local : path.resolve(cwd, 'config/demo.yaml');
}

export function parseConfigText(text: string, file: string, env: NodeJS.ProcessEnv): Config {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    throw new ConfigError(`${file}: not valid YAML: ${e.message.split('\n')[0]}`, doc.errors.map((x) => x.message.split('\n')[0]!));
  }
  const issues: string[] = [];
  const baseDir = path.dirname(file);
  const unreadSecrets = new Set<string>();
  const parsed = resolveValues(doc.toJS() ?? {}, [], { env, baseDir, issues, unreadSecrets }) as Record<string, unknown>;
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new ConfigError(`${file}: expected a mapping at the top level`);

  // Environment overrides that containers expect to work without editing the file.
  const database = { ...(parsed.database as Record<string, unknown> | undefined) };
  if (env.DATABASE_URL && database.url === undefined) database.url = env.DATABASE_URL;
  if (env.ROLLCALL_DATA_DIR && database.dataDir === undefined) database.dataDir = env.ROLLCALL_DATA_DIR;
  const server = { ...(parsed.server as Record<string, unknown> | undefined) };
  if (env.PORT && server.port === undefined) server.port = Number(env.PORT);
  if (env.LOG_LEVEL && server.logLevel === undefined) server.logLevel = env.LOG_LEVEL;
  const withEnv: Record<string, unknown> = { ...parsed, database, server };

  const top = configSchema.safeParse(withEnv);
  if (!top.success) issues.push(...zodIssues(top.error, []));
  else {
    const seen = new Set<string>();
    top.data.webhooks.endpoints.forEach((e, i) => {
      if (seen.has(e.id)) issues.push(`${formatPath(['webhooks', 'endpoints', i, 'id'])}: duplicate endpoint id "${e.id}"`);
      seen.add(e.id);
    });
  }
  const sources = Array.isArray(withEnv.sources) ? validateSources(withEnv.sources, baseDir, issues) : [];
  const helpdesks = Array.isArray(withEnv.helpdesks) ? validateHelpdesks(withEnv.helpdesks, issues) : [];
  const shown = issues.filter((i) => !unreadSecrets.has(i.slice(0, i.indexOf(': '))));
  if (shown.length > 0 || !top.success) {
    throw new ConfigError(`${file}: ${shown.length} problem${shown.length === 1 ? '' : 's'}:\n  ${shown.join('\n  ')}`, shown);
  }
  return { ...top.data, sources, helpdesks, file };
}

export function loadConfig(opts: { file?: string; env: NodeJS.ProcessEnv; cwd: string }): Config {
  const file = configPath(opts.file, opts.env, opts.cwd);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(`cannot read config file ${file} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  return parseConfigText(text, file, opts.env);
}
