/**
 * Finds, reads and validates the config file: `--config FILE`, else `$DRDECK_CONFIG`, else
 * `$XDG_CONFIG_HOME/drdeck/config.yaml` (default `~/.config/drdeck/config.yaml`); none at all means
 * the seed's defaults. Never a `./drdeck.yaml` by itself: a config can name the router and the file
 * its password is read from, so only the operator says which file that is; one found and not read
 * is mentioned. Relative paths inside a config resolve against its folder. Every problem becomes a
 * ConfigError that names the file, the field and what is wrong.
 */
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { readSavedHandle } from './saved-handle.js';
import { configSchema, type Config } from './schema.js';

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Where the config comes from, and which of the three places named it. */
export interface ConfigSource {
  file: string;
  via: '--config' | '$DRDECK_CONFIG' | 'XDG';
}

/** `$XDG_CONFIG_HOME/drdeck/config.yaml`, or `~/.config/drdeck/config.yaml` (a relative XDG value is ignored, as the spec says). */
export function userConfigFile(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_CONFIG_HOME;
  return join(xdg && isAbsolute(xdg) ? xdg : join(homedir(), '.config'), 'drdeck', 'config.yaml');
}

/** The config drdeck reads and why, or undefined for the defaults. A named file must exist (its read says so); the XDG one may not. */
export function configSource(explicit: string | undefined, cwd = process.cwd(), env: NodeJS.ProcessEnv = process.env): ConfigSource | undefined {
  if (explicit) return { file: resolve(cwd, explicit), via: '--config' };
  if (env.DRDECK_CONFIG) return { file: resolve(cwd, env.DRDECK_CONFIG), via: '$DRDECK_CONFIG' };
  const user = userConfigFile(env);
  return existsSync(user) ? { file: user, via: 'XDG' } : undefined;
}

/** The config file drdeck would read, or undefined when there is none. */
export function findConfigFile(explicit: string | undefined, cwd = process.cwd(), env: NodeJS.ProcessEnv = process.env): string | undefined {
  return configSource(explicit, cwd, env)?.file;
}

/** The notice for a `./drdeck.yaml` that is there and was not read, or undefined. */
export function unreadLocalConfigNotice(loaded: string | undefined, cwd = process.cwd()): string | undefined {
  const local = join(cwd, 'drdeck.yaml');
  if (!existsSync(local) || (loaded && samePath(loaded, local))) return undefined;
  return 'not reading ./drdeck.yaml (pass --config drdeck.yaml to use it)';
}

function samePath(a: string, b: string): boolean {
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return resolve(a) === resolve(b);
  }
}

function describeIssues(file: string, issues: z.core.$ZodIssue[]): string {
  const lines = issues.map((issue) => {
    const field = issue.path.length ? issue.path.join('.') : '(top level)';
    return `  ${field}: ${issue.message}`;
  });
  return `${file}: invalid config\n${lines.join('\n')}`;
}

/** Validates a plain object (from a file, or the demo's overrides) into a Config. */
export function parseConfig(raw: unknown, source: string): Config {
  const result = configSchema.safeParse(raw ?? {});
  if (!result.success) throw new ConfigError(describeIssues(source, result.error.issues));
  return result.data;
}

function readYamlFile(source: ConfigSource): unknown {
  const { file } = source;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const from = source.via === '$DRDECK_CONFIG' ? ', named by $DRDECK_CONFIG' : '';
    throw new ConfigError(`${file}: cannot read the config file (${code === 'ENOENT' ? 'no such file' : (code ?? String(err))}${from})`);
  }
  const doc = parseDocument(text);
  if (doc.errors.length > 0) {
    const first = doc.errors[0];
    const where = first.linePos ? ` at line ${first.linePos[0].line}, column ${first.linePos[0].col}` : '';
    throw new ConfigError(`${file}: not valid YAML${where}: ${first.message.split('\n')[0]}`);
  }
  return doc.toJS();
}

export interface LoadedConfig {
  config: Config;
  /** The file read, or undefined when the defaults were used. */
  file?: string;
  /** For the operator, once: a `./drdeck.yaml` that was not read. */
  notices: string[];
}

/** Loads the config, layering `overrides` (the demo's) under the file's values. */
export function loadConfig(options: { file?: string; overrides?: Record<string, unknown>; cwd?: string; env?: NodeJS.ProcessEnv } = {}): LoadedConfig {
  const cwd = options.cwd ?? process.cwd();
  const source = configSource(options.file, cwd, options.env ?? process.env);
  const file = source?.file;
  const fromFile = source ? readYamlFile(source) : {};
  if (fromFile !== null && (typeof fromFile !== 'object' || Array.isArray(fromFile))) {
    throw new ConfigError(`${file}: the config must be a YAML mapping (field: value), not ${Array.isArray(fromFile) ? 'a list' : typeof fromFile}`);
  }
  const merged = mergeDeep(options.overrides ?? {}, (fromFile ?? {}) as Record<string, unknown>);
  const config = parseConfig(merged, file ?? 'config');
  if (!config.kopia.savedVolumeHandle && config.kopia.handleSecretFile) {
    const path = resolve(file ? join(file, '..') : (options.cwd ?? process.cwd()), config.kopia.handleSecretFile);
    Object.assign(config.kopia, readSavedHandle(path, config.kopia.handleSecretKey, config.kopia.handleSecretFile));
  }
  // The router's files, like the Kopia Secret above, are where the config says relative to itself,
  // whatever folder drdeck was started in.
  const routeros = config.dns.routeros;
  const base = file ? dirname(file) : cwd;
  if (routeros?.passwordFile) routeros.passwordFile = resolve(base, routeros.passwordFile);
  if (routeros?.caFile) routeros.caFile = resolve(base, routeros.caFile);
  if (config.repo) config.repo = resolve(base, config.repo);
  const unread = unreadLocalConfigNotice(file, cwd);
  return { config, file, notices: unread ? [unread] : [] };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `over` wins; nested mappings merge, lists and scalars replace. */
function mergeDeep(under: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...under };
  for (const [key, value] of Object.entries(over)) {
    out[key] = isPlainObject(value) && isPlainObject(out[key]) ? mergeDeep(out[key] as Record<string, unknown>, value) : value;
  }
  return out;
}
