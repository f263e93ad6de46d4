/**
 * The real tools preflight compares its own resolver with: the flux CLI (`flux build kustomization
 * --dry-run`, the exact build Flux's kustomize-controller applies, offline) and kubectl (`kubectl
 * kustomize`, plain kustomize without Flux's layer). Each is optional: where one is missing, preflight
 * says so and relies on its built-in resolver.
 *
 * Every run: no shell (execFile with an argument list), a timeout, a bound on what it may print, a
 * minimal environment with KUBECONFIG=/dev/null (no cluster is ever contacted, whatever the user's
 * kubeconfig says), and one clear line when it fails: the tool's first line on stderr.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants, realpathSync, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../cluster.js';

/** The tools drdeck can run. */
export type ToolName = 'flux' | 'kubectl';

/** Where the tools are and how long and how much they may run and print. */
export interface ToolOptions {
  /** The flux binary; else `$DRDECK_FLUX`; else `flux` on PATH. */
  readonly flux?: string;
  /** The kubectl binary; else `$DRDECK_KUBECTL`; else `kubectl` on PATH. */
  readonly kubectl?: string;
  /** Each run's time limit (default 60 s); the tool is killed when it is reached. */
  readonly timeoutMs?: number;
  /** Bytes a run may print on stdout or stderr (default 64 MiB); the tool is killed past it. */
  readonly maxOutputBytes?: number;
  /** Where DRDECK_FLUX, DRDECK_KUBECTL and PATH are read (default `process.env`). */
  readonly env?: NodeJS.ProcessEnv;
}

/** A tool that was found and answered with its version. */
export interface ToolInfo {
  readonly name: ToolName;
  readonly path: string;
  /** e.g. `v2.9.5` for flux, `v1.35.4` for kubectl. */
  readonly version: string;
  /** kubectl only: the kustomize built into it, e.g. `v5.7.1`. */
  readonly kustomizeVersion?: string;
}

/** Whether a tool can be used: its version, or why not (one line). */
export type ToolStatus = ({ readonly available: true } & ToolInfo) | { readonly available: false; readonly name: ToolName; readonly reason: string };

/** What {@link renderWithFlux} builds: one Flux Kustomization, read from a file of the checkout. */
export interface FluxRender {
  /** The checkout's root (Flux's source root: `spec.path` is relative to it). */
  readonly repo: string;
  /** `metadata.name` of the Flux Kustomization. */
  readonly name: string;
  /** `metadata.namespace` of the Flux Kustomization (flux also accepts a document without one). */
  readonly namespace: string;
  /** Its `spec.path`, relative to REPO (`./kubernetes/apps/...`). */
  readonly path: string;
  /** The file holding the Kustomization, relative to REPO or absolute; other documents in it are ignored. */
  readonly kustomizationFile: string;
}

/** A tool was missing, failed, timed out or printed something that is not Kubernetes YAML; the message is one line. */
export class ToolError extends Error {
  override readonly name = 'ToolError';
}

const DEFAULT_TIMEOUT_MS = 60_000;
const DEFAULT_MAX_OUTPUT = 64 * 1024 * 1024;
/** metadata.name / metadata.namespace of a Kustomization: a DNS-1123 subdomain (namespaces are stricter; flux checks that). */
const K8S_NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
/** Longest message kept from a tool's stderr: kustomize can print a whole object in one line. */
const MAX_MESSAGE = 400;

/** Finds a tool: the option, else `$DRDECK_FLUX` / `$DRDECK_KUBECTL`, else the first executable on PATH. */
export function findTool(name: ToolName, options: ToolOptions = {}): string | undefined {
  const env = options.env ?? process.env;
  const given = options[name] ?? env[`DRDECK_${name.toUpperCase()}`];
  // A relative path is the caller's, not the tool's working folder's (flux runs in the repository).
  if (given) return given.includes(sep) ? resolve(given) : given;
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** The environment of every run: enough to start, nothing that points at a cluster or a secret. */
function toolEnv(options: ToolOptions): NodeJS.ProcessEnv {
  const env = options.env ?? process.env;
  return {
    PATH: env.PATH ?? '',
    HOME: env.HOME ?? '',
    ...(env.TMPDIR ? { TMPDIR: env.TMPDIR } : {}),
    // An empty kubeconfig: flux and kubectl load one at start even when they never use it.
    KUBECONFIG: '/dev/null',
  };
}

/** klog's header (`E1201 19:55:00.261178   22899 run.go:72] `), which kubectl puts before its errors. */
const KLOG_HEADER = /^[IWEF]\d{4} \d{2}:\d{2}:\d{2}\.\d+\s+\d+ [^\]]+\] /;

/**
 * The first non-empty line of TEXT as a message: without flux's "✗ " mark or kubectl's "error: ",
 * for a klog line (`"command failed" err="..."`) only the error; shortened to {@link MAX_MESSAGE}.
 */
export function firstLine(text: string): string {
  let line = (text.split('\n').find((l) => l.trim() !== '') ?? '').trim().replace(/^✗\s*/, '');
  if (KLOG_HEADER.test(line)) {
    line = line.replace(KLOG_HEADER, '');
    const quoted = /\berr=("(?:[^"\\]|\\.)*")/.exec(line)?.[1];
    if (quoted) {
      try {
        line = JSON.parse(quoted) as string;
      } catch {
        // keep the line as kubectl printed it
      }
    }
  }
  // flux joins a generate error with its clean-up's error, printing " <nil>" when there was none.
  line = line
    .replace(/^error:\s*/i, '')
    .replace(/\s+<nil>$/, '')
    .replace(/\s+/g, ' ');
  return line.length > MAX_MESSAGE ? `${line.slice(0, MAX_MESSAGE - 1)}…` : line;
}

/** Runs BINARY with ARGS (never through a shell) and returns its stdout; throws a ToolError with one line. */
function run(binary: string, args: readonly string[], what: string, options: ToolOptions, cwd?: string): Promise<string> {
  const timeout = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxBuffer = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT;
  return new Promise((resolvePromise, reject) => {
    execFile(binary, args, { cwd, env: toolEnv(options), timeout, killSignal: 'SIGKILL', maxBuffer, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (!error) {
        resolvePromise(stdout);
        return;
      }
      const err = error as NodeJS.ErrnoException & { killed?: boolean; signal?: string | null; code?: string | number | null };
      if (err.code === 'ENOENT' || err.code === 'EACCES') reject(new ToolError(`${what}: cannot run ${binary} (${err.code})`));
      else if (err.code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER') reject(new ToolError(`${what}: printed more than ${maxBuffer} bytes; stopped`));
      else if (err.killed && err.signal) reject(new ToolError(`${what}: no answer within ${Number((timeout / 1000).toFixed(1))} s; stopped`));
      else reject(new ToolError(`${what}: ${firstLine(stderr) || firstLine(stdout) || `exit ${String(err.code ?? err.signal)}`}`));
    });
  });
}

/** The binary of a tool, or a ToolError naming where it was looked for. */
function requireTool(name: ToolName, options: ToolOptions): string {
  const binary = findTool(name, options);
  if (!binary) throw new ToolError(`${name} not found on PATH (or set DRDECK_${name.toUpperCase()})`);
  return binary;
}

/** Runs the tool's version command; throws a ToolError when it is missing or does not answer. */
export async function toolInfo(name: ToolName, options: ToolOptions = {}): Promise<ToolInfo> {
  const path = requireTool(name, options);
  if (name === 'flux') {
    // cobra's own --version flag prints before any command runs: no kubeconfig, no cluster.
    const out = await run(path, ['--version'], 'flux --version', options);
    const version = /^flux version (\S+)/m.exec(out)?.[1];
    if (!version) throw new ToolError(`flux --version: unexpected answer "${firstLine(out)}"`);
    return { name, path, version: version.startsWith('v') ? version : `v${version}` };
  }
  const out = await run(path, ['version', '--client', '--output=json'], 'kubectl version', options);
  let parsed: { clientVersion?: { gitVersion?: string }; kustomizeVersion?: string };
  try {
    parsed = JSON.parse(out) as typeof parsed;
  } catch {
    throw new ToolError(`kubectl version: unexpected answer "${firstLine(out)}"`);
  }
  const version = parsed.clientVersion?.gitVersion;
  if (!version) throw new ToolError(`kubectl version: no clientVersion.gitVersion in its answer`);
  return { name, path, version, ...(parsed.kustomizeVersion ? { kustomizeVersion: parsed.kustomizeVersion } : {}) };
}

/** Both tools' status; never throws. */
export async function findTools(options: ToolOptions = {}): Promise<Record<ToolName, ToolStatus>> {
  const status = async (name: ToolName): Promise<ToolStatus> => {
    try {
      return { available: true, ...(await toolInfo(name, options)) };
    } catch (error) {
      return { available: false, name, reason: error instanceof Error ? error.message : String(error) };
    }
  };
  const [flux, kubectl] = await Promise.all([status('flux'), status('kubectl')]);
  return { flux, kubectl };
}

/** Parses multi-document YAML printed by a tool into objects; a document that is not one is an error. */
export function parseObjects(text: string, what: string): KubeObject[] {
  const objects: KubeObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new ToolError(`${what}: its output is not YAML (${firstLine(doc.errors[0].message)})`);
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    const object = value as Partial<KubeObject>;
    if (typeof object !== 'object' || Array.isArray(object) || typeof object.kind !== 'string' || typeof object.metadata?.name !== 'string') {
      throw new ToolError(`${what}: its output holds a document that is not a Kubernetes object`);
    }
    objects.push(object as KubeObject);
  }
  return objects;
}

/** REPO/P resolved, refused when it leaves REPO (flux reads nothing outside its source root either). */
function inside(repo: string, p: string, what: string): string {
  const full = resolve(repo, p);
  const rel = relative(repo, full);
  if (rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) throw new ToolError(`${what}: ${p} is outside the repository ${repo}`);
  return full;
}

/**
 * `flux build kustomization NAME --path PATH --kustomization-file FILE --dry-run` in the checkout:
 * the objects Flux would apply for that Kustomization, with its `targetNamespace`, `components`,
 * patches, `postBuild.substitute` and the owner labels kustomize-controller adds. Offline:
 * `postBuild.substituteFrom` is not read (see test/tools/README.md for what that changes).
 *
 * `--in-memory-build` keeps the checkout untouched (by default flux writes a kustomization.yaml into
 * PATH for the build and removes it afterwards). Child Kustomizations in the output are returned
 * as objects, not followed.
 */
export async function renderWithFlux(render: FluxRender, options: ToolOptions = {}): Promise<KubeObject[]> {
  const what = `flux build kustomization ${render.name}`;
  // Names come from the repository's files: one that is not a Kubernetes name could read as a flag.
  for (const [field, value] of [
    ['name', render.name],
    ['namespace', render.namespace],
  ]) {
    if (!K8S_NAME.test(value)) throw new ToolError(`${what}: ${JSON.stringify(value)} is not a valid Kubernetes ${field}`);
  }
  const binary = requireTool('flux', options);
  let repo: string;
  try {
    // The real path: flux roots its in-memory file system at its working folder and compares paths
    // after resolving symlinks, so a checkout reached through a symlink would read as outside it.
    repo = realpathSync(resolve(render.repo));
  } catch (error) {
    throw new ToolError(`${what}: cannot read the repository ${render.repo} (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  const path = inside(repo, render.path, what);
  const file = inside(repo, render.kustomizationFile, what);
  // flux's own build timeout; ours (below) kills it a little later if it does not stop by itself.
  const fluxTimeout = `${Math.max(1, Math.floor((options.timeoutMs ?? DEFAULT_TIMEOUT_MS) / 1000) - 1)}s`;
  const args = [
    'build',
    'kustomization',
    render.name,
    `--namespace=${render.namespace}`,
    `--path=${path}`,
    `--kustomization-file=${file}`,
    '--dry-run',
    '--in-memory-build',
    `--timeout=${fluxTimeout}`,
  ];
  // The working folder is the repository: flux's in-memory build reads only below it.
  return parseObjects(await run(binary, args, what, options, repo), what);
}

/**
 * `kubectl kustomize DIR` with Flux's load restrictions (`LoadRestrictionsNone`, so a kustomization
 * may read a patch file outside its folder as Flux allows): plain kustomize, without what Flux adds
 * (no generated kustomization.yaml for a folder without one, no targetNamespace, no substitution).
 */
export async function renderWithKubectl(dir: string, options: ToolOptions = {}): Promise<KubeObject[]> {
  const what = `kubectl kustomize ${dir}`;
  const binary = requireTool('kubectl', options);
  return parseObjects(await run(binary, ['kustomize', resolve(dir), '--load-restrictor=LoadRestrictionsNone'], what, options), what);
}
