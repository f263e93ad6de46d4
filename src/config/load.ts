/**
 * Finds, reads and validates the config file, the way DESIGN.md orders it: `--config FILE`, else
 * `./drdeck.yaml`, else `$XDG_CONFIG_HOME/drdeck/config.yaml`; none at all means the seed's
 * defaults. Every problem becomes a ConfigError that names the file, the field and what is wrong.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
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

/** The config file drdeck would read, or undefined when there is none. */
export function findConfigFile(explicit: string | undefined, cwd = process.cwd(), env = process.env): string | undefined {
  if (explicit) return resolve(cwd, explicit);
  const local = join(cwd, 'drdeck.yaml');
  if (existsSync(local)) return local;
  const base = env.XDG_CONFIG_HOME || join(homedir(), '.config');
  const user = join(base, 'drdeck', 'config.yaml');
  return existsSync(user) ? user : undefined;
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

function readYamlFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(`${file}: cannot read the config file (${code === 'ENOENT' ? 'no such file' : (code ?? String(err))})`);
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
}

/** Loads the config, layering `overrides` (the demo's) under the file's values. */
export function loadConfig(options: { file?: string; overrides?: Record<string, unknown>; cwd?: string } = {}): LoadedConfig {
  const file = findConfigFile(options.file, options.cwd);
  const fromFile = file ? readYamlFile(file) : {};
  if (fromFile !== null && (typeof fromFile !== 'object' || Array.isArray(fromFile))) {
    throw new ConfigError(`${file}: the config must be a YAML mapping (field: value), not ${Array.isArray(fromFile) ? 'a list' : typeof fromFile}`);
  }
  const merged = mergeDeep(options.overrides ?? {}, (fromFile ?? {}) as Record<string, unknown>);
  const config = parseConfig(merged, file ?? 'config');
  if (!config.kopia.savedVolumeHandle && config.kopia.handleSecretFile) {
    const path = resolve(file ? join(file, '..') : (options.cwd ?? process.cwd()), config.kopia.handleSecretFile);
    Object.assign(config.kopia, readSavedHandle(path, config.kopia.handleSecretKey, config.kopia.handleSecretFile));
  }
  return { config, file };
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
