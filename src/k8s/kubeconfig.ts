/**
 * Kubeconfig loading with kubectl's rules: `resolveKubeconfig` reads and merges the files with the
 * `yaml` package (cheap, synchronous, every error a one-line KubeconfigError); credentials.ts
 * authenticates from the result. `loadKubeConfig` hands it to @kubernetes/client-node (about 0.6 s
 * to import) for what drdeck leaves to it: auth providers and proxies.
 *
 * kubectl's rules (client-go clientcmd): `--kubeconfig FILE` alone; else every file of `KUBECONFIG`
 * (missing ones skipped), merged with the first definition of each cluster, user and context
 * winning, and the first non-empty current-context winning; else `~/.kube/config`. Relative paths
 * in a file are relative to that file's folder.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, isAbsolute, join, resolve, sep } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { parse } from 'yaml';
import { UsageError } from '../commands/errors.js';

/** A kubeconfig problem the user has to fix: shown as one line, never with a stack trace. */
export class KubeconfigError extends UsageError {
  constructor(message: string) {
    super(message);
    this.name = 'KubeconfigError';
  }
}

export interface KubeconfigOptions {
  /** `--kubeconfig`: this file only. */
  kubeconfig?: string;
  /** `--context`: instead of the current context. */
  context?: string;
  /** Where `KUBECONFIG` and `HOME` come from (tests). */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

type Entry = { name?: unknown; [field: string]: unknown };
type Fields = Record<string, unknown>;

/** A kubeconfig merged from its files, kubectl's way, with every path made absolute. */
export interface ResolvedKubeconfig {
  /** The files that were read, in merge order. */
  readonly files: readonly string[];
  readonly contextName: string;
  readonly clusterName: string;
  readonly userName: string;
  /** The API server URL of the context's cluster. */
  readonly server: string;
  /** The context's namespace (drdeck watches every namespace; shown for information). */
  readonly namespace?: string;
  /** The merged kubeconfig as plain data, ready for client-node. */
  readonly merged: {
    clusters: Entry[];
    users: Entry[];
    contexts: Entry[];
    'current-context': string;
  };
}

/** Where the kubeconfig comes from, as kubectl decides it. */
export function kubeconfigFiles(options: KubeconfigOptions = {}): string[] {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  if (options.kubeconfig) {
    const file = resolve(cwd, options.kubeconfig);
    if (!existsSync(file)) throw new KubeconfigError(`kubeconfig ${file} does not exist (--kubeconfig)`);
    return [file];
  }
  if (env.KUBECONFIG) {
    const listed = [
      ...new Set(
        env.KUBECONFIG.split(delimiter)
          .filter(Boolean)
          .map((f) => resolve(cwd, f)),
      ),
    ];
    const files = listed.filter((f) => existsSync(f));
    if (files.length === 0) throw new KubeconfigError(`no kubeconfig found: none of the files in KUBECONFIG exists (${listed.join(delimiter)})`);
    return files;
  }
  const home = env.HOME || homedir();
  const file = join(home, '.kube', 'config');
  if (!existsSync(file)) throw new KubeconfigError(`no kubeconfig found: ${file} does not exist (use --kubeconfig FILE or set KUBECONFIG)`);
  return [file];
}

function readFile(file: string): Fields {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new KubeconfigError(`cannot read kubeconfig ${file}: ${(error as Error).message}`);
  }
  let value: unknown;
  try {
    value = parse(text);
  } catch (error) {
    throw new KubeconfigError(`kubeconfig ${file} is not valid YAML: ${(error as Error).message.split('\n')[0].replace(/:$/, '')}`);
  }
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new KubeconfigError(`kubeconfig ${file} is not a kubeconfig (expected a mapping)`);
  return value as Fields;
}

function entries(file: string, config: Fields, field: 'clusters' | 'users' | 'contexts'): Entry[] {
  const list = config[field];
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) throw new KubeconfigError(`kubeconfig ${file}: ${field} must be a list`);
  return list.map((entry, i) => {
    if (typeof entry !== 'object' || entry === null || typeof (entry as Entry).name !== 'string' || !(entry as Entry).name) {
      throw new KubeconfigError(`kubeconfig ${file}: ${field}[${i}] has no name`);
    }
    return structuredClone(entry as Entry);
  });
}

/** kubectl resolves relative paths against the folder of the file that holds them. */
function absolutize(dir: string, section: Fields | undefined, keys: string[]): void {
  if (!section) return;
  for (const key of keys) {
    const value = section[key];
    if (typeof value === 'string' && value && !isAbsolute(value)) section[key] = resolve(dir, value);
  }
}

function makePathsAbsolute(file: string, clusters: Entry[], users: Entry[]): void {
  const dir = dirname(file);
  for (const c of clusters) absolutize(dir, c.cluster as Fields | undefined, ['certificate-authority']);
  for (const u of users) {
    const user = u.user as Fields | undefined;
    absolutize(dir, user, ['client-certificate', 'client-key', 'tokenFile']);
    // An exec command is looked up on PATH unless it names a path (client-go does the same).
    const exec = user?.exec as Fields | undefined;
    if (typeof exec?.command === 'string' && exec.command.includes(sep)) absolutize(dir, exec, ['command']);
  }
}

function mustExist(path: unknown, what: string): void {
  if (typeof path !== 'string' || !path) return;
  try {
    statSync(path);
  } catch {
    throw new KubeconfigError(`${what} ${path} does not exist`);
  }
}

/**
 * Reads and merges the kubeconfig files, picks the context (`--context`, else the current one) and
 * checks that its cluster and user exist and that the files they name are there. Synchronous and
 * light: it does not load the Kubernetes client. Throws a KubeconfigError naming the file and the
 * problem.
 */
export function resolveKubeconfig(options: KubeconfigOptions = {}): ResolvedKubeconfig {
  const files = kubeconfigFiles(options);
  const clusters = new Map<string, Entry>();
  const users = new Map<string, Entry>();
  const contexts = new Map<string, Entry>();
  let current = '';
  for (const file of files) {
    const config = readFile(file);
    const [c, u, x] = [entries(file, config, 'clusters'), entries(file, config, 'users'), entries(file, config, 'contexts')];
    makePathsAbsolute(file, c, u);
    for (const [target, list] of [
      [clusters, c],
      [users, u],
      [contexts, x],
    ] as const) {
      for (const entry of list) if (!target.has(entry.name as string)) target.set(entry.name as string, entry);
    }
    const cc = config['current-context'];
    if (!current && typeof cc === 'string') current = cc;
  }
  const where = files.length === 1 ? files[0] : `${files.length} kubeconfig files (${files.join(delimiter)})`;
  const available = contexts.size ? ` (contexts: ${[...contexts.keys()].join(', ')})` : ' (it has no contexts)';

  const contextName = options.context || current;
  if (!contextName) throw new KubeconfigError(`no current context in ${where}; pass --context${available}`);
  if (!contexts.has(contextName)) throw new KubeconfigError(`context "${contextName}" not found in ${where}${available}`);
  const context = contexts.get(contextName)?.context as Fields | undefined;
  const clusterName = typeof context?.cluster === 'string' ? context.cluster : '';
  const cluster = clusters.get(clusterName)?.cluster as Fields | undefined;
  if (!cluster) throw new KubeconfigError(`context "${contextName}" names cluster "${clusterName}", which is not in ${where}`);
  const server = typeof cluster.server === 'string' ? cluster.server : '';
  if (!server) throw new KubeconfigError(`cluster "${clusterName}" in ${where} has no server`);
  try {
    new URL(server);
  } catch {
    throw new KubeconfigError(`cluster "${clusterName}" in ${where} has an invalid server URL "${server}"`);
  }
  mustExist(cluster['certificate-authority'], `certificate-authority of cluster "${clusterName}":`);

  let userName = typeof context?.user === 'string' ? context.user : '';
  if (userName && !users.has(userName)) throw new KubeconfigError(`context "${contextName}" names user "${userName}", which is not in ${where}`);
  if (!userName) {
    // client-node applies no TLS settings at all without a user; an anonymous one keeps the CA.
    userName = 'drdeck-anonymous';
    users.set(userName, { name: userName, user: {} });
    contexts.set(contextName, { name: contextName, context: { ...context, user: userName } });
  }
  const user = (users.get(userName)?.user ?? {}) as Fields;
  mustExist(user['client-certificate'], `client-certificate of user "${userName}":`);
  mustExist(user['client-key'], `client-key of user "${userName}":`);
  mustExist(user.tokenFile, `tokenFile of user "${userName}":`);

  return {
    files,
    contextName,
    clusterName,
    userName,
    server,
    namespace: typeof context?.namespace === 'string' ? context.namespace : undefined,
    merged: {
      clusters: [...clusters.values()],
      users: [...users.values()],
      contexts: [...contexts.values()],
      'current-context': contextName,
    },
  };
}

/**
 * Builds client-node's KubeConfig from a resolved kubeconfig (loads the client: about 0.6 s the
 * first time). drdeck authenticates by itself (credentials.ts); this is for what it leaves to
 * client-node: auth providers and proxies.
 */
export async function loadKubeConfig(resolved: ResolvedKubeconfig): Promise<KubeConfig> {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  const merged = structuredClone(resolved.merged);
  for (const entry of merged.users) {
    const user = entry.user as Fields | undefined;
    if (user && typeof user.tokenFile === 'string' && !user.token && !user.exec && !user['auth-provider']) {
      // kubectl's `tokenFile` (client-node only knows `token-file`, read once): its file
      // authenticator re-reads the token every minute, as client-go does for rotated tokens.
      user['auth-provider'] = { name: 'tokenFile', config: { tokenFile: user.tokenFile } };
    }
  }
  try {
    // JSON is YAML, and client-node parses the file format (kebab-case keys) only from a string.
    kc.loadFromString(JSON.stringify(merged));
  } catch (error) {
    throw new KubeconfigError(`kubeconfig ${resolved.files.join(delimiter)}: ${(error as Error).message}`);
  }
  kc.setCurrentContext(resolved.contextName);
  return kc;
}
