/**
 * Builds the real tools that `drdeck preflight` wraps, for the tests, into a cache outside the work
 * tree (`${XDG_CACHE_HOME:-~/.cache}/drdeck/tools/`):
 *
 * - the flux CLI from the Go module github.com/fluxcd/flux2/v2, pinned below;
 * - kubectl from k8s.io/kubernetes, pinned by the helper module kubectl/go.mod at the release the test
 *   API server runs (test/cluster/go/go.mod), so the two builds share much of Go's build cache.
 *
 *   node --import tsx test/tools/build.ts [--force]     build what is missing, print the paths
 *
 * Each binary is built only when missing or when it does not report the pinned version, in a
 * temporary name renamed into place, under a lock so that two test processes never build at once.
 * See README.md beside this file for the times measured and what flux's offline build does.
 */
import { execFile } from 'node:child_process';
import {
  chmodSync,
  closeSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { findGo, goBuild, goEnv, requiredVersion } from '../cluster/build.js';

const execFileP = promisify(execFile);

/** The flux CLI's Go module and the release the tests build. */
export const FLUX_MODULE = 'github.com/fluxcd/flux2/v2';
export const FLUX_VERSION = 'v2.9.5';
/**
 * The module zip's hash as go.sum records it (`go mod download` also checks it against the checksum
 * database): a build never starts from a module other than the one this file was written against.
 */
export const FLUX_MODULE_SUM = 'h1:jwCccxvkD+2QnsjN+pl5QqM8KnFUwA8pIoQ1Lf0avkA=';

/** How long a process waits for another one's build before giving up (a cold flux build takes ~20 min on a busy 2-core machine). */
const LOCK_WAIT_MS = 90 * 60_000;

type Log = (line: string) => void;

/** Options for {@link ensureFlux} and {@link ensureKubectl}. */
export interface ToolBuildOptions {
  /** Progress lines (default: stderr). */
  readonly log?: Log;
  /** Build even when a cached binary reports the right version. */
  readonly force?: boolean;
}

const stderrLog: Log = (line) => process.stderr.write(`${line}\n`);

/** `${XDG_CACHE_HOME:-~/.cache}/drdeck/tools`. */
export function toolsCacheRoot(): string {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'drdeck', 'tools');
}

/** Where the flux binary of {@link FLUX_VERSION} is cached. */
export function fluxPath(): string {
  return join(toolsCacheRoot(), `flux-${FLUX_VERSION}`, 'flux');
}

/** The helper module that pins kubectl (test/cluster/go/go.mod lacks the go.sum lines of kubectl's own dependencies). */
export const KUBECTL_MODULE_DIR = join(dirname(fileURLToPath(import.meta.url)), 'kubectl');

/** The Kubernetes release kubectl is built from, e.g. `v1.35.4`. */
export function kubectlVersion(): string {
  return requiredVersion(readFileSync(join(KUBECTL_MODULE_DIR, 'go.mod'), 'utf8'), 'k8s.io/kubernetes');
}

/** Where the kubectl binary of {@link kubectlVersion} is cached. */
export function kubectlPath(): string {
  return join(toolsCacheRoot(), `kubectl-${kubectlVersion()}`, 'kubectl');
}

/** True when BINARY exists and `BINARY ...ARGS` prints EXPECTED. */
async function reports(binary: string, args: readonly string[], expected: string): Promise<boolean> {
  if (!existsSync(binary)) return false;
  try {
    const { stdout } = await execFileP(binary, args, { timeout: 30_000, env: { PATH: process.env.PATH ?? '', KUBECONFIG: '/dev/null' } });
    return stdout.includes(expected);
  } catch {
    return false;
  }
}

/** True when the cached flux binary exists and reports {@link FLUX_VERSION}. */
export function fluxReady(binary = fluxPath()): Promise<boolean> {
  // `--version` is cobra's own flag: it prints before any command runs, so no kubeconfig is read.
  return reports(binary, ['--version'], `flux version ${FLUX_VERSION.replace(/^v/, '')}\n`);
}

/** True when the cached kubectl binary exists and reports {@link kubectlVersion}. */
export function kubectlReady(binary = kubectlPath()): Promise<boolean> {
  return reports(binary, ['version', '--client'], `Client Version: ${kubectlVersion()}\n`);
}

/** True while a process with this id exists (EPERM: it exists, owned by someone else). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Runs FN while holding the lock file LOCK (created with O_EXCL, holding the owner's pid). Waits,
 * polling, while another live process holds it; takes over a lock whose owner has exited (a killed
 * build leaves its lock behind). The lock only saves a second build's work: the binaries are renamed
 * into place whole, so even two builds racing past a stale lock leave a correct binary.
 */
export async function withLock<T>(lock: string, fn: () => Promise<T>, log: Log = stderrLog): Promise<T> {
  const deadline = Date.now() + LOCK_WAIT_MS;
  let waitingFor: number | undefined;
  for (;;) {
    try {
      const fd = openSync(lock, 'wx');
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    let owner: number | undefined;
    let age: number;
    try {
      owner = Number.parseInt(readFileSync(lock, 'utf8'), 10) || undefined;
      age = Date.now() - statSync(lock).mtimeMs;
    } catch {
      continue; // released between our open and read: try again
    }
    // No pid yet: its owner is between creating and writing it, unless it died right there.
    if ((owner !== undefined && !alive(owner)) || (owner === undefined && age > 60_000)) {
      log(`taking over ${lock}: process ${owner ?? '(unknown)'} has exited`);
      rmSync(lock, { force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${lock} (held by process ${owner})`);
    if (waitingFor !== owner) log(`waiting for process ${owner}, which is building (${lock})`);
    waitingFor = owner;
    await new Promise((resolve) => setTimeout(resolve, 2_000));
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { force: true });
  }
}

/** Removes what killed builds left beside OUT: goBuild's `OUT.tmp-PID` files and our `.build-*` folders. */
function removeLeftovers(out: string): void {
  const dir = dirname(out);
  for (const name of readdirSync(dir)) {
    if (name.startsWith('.build-') || name.startsWith(`${basename(out)}.tmp-`)) rmSync(join(dir, name), { recursive: true, force: true });
  }
}

/** Makes a copied tree writable: the module cache's files are read-only (0444, folders 0555). */
function makeWritable(path: string): void {
  chmodSync(path, statSync(path).isDirectory() ? 0o755 : 0o644);
  if (statSync(path).isDirectory()) for (const name of readdirSync(path)) makeWritable(join(path, name));
}

interface ModuleInfo {
  Path?: string;
  Version?: string;
  Dir?: string;
  Sum?: string;
  Error?: string;
}

/** Downloads the flux module into Go's module cache (verified against the checksum database) and returns its read-only folder. */
async function fluxModuleDir(go: string): Promise<string> {
  // Outside any module, so that no go.mod is consulted or touched.
  const cwd = mkdtempSync(join(tmpdir(), 'drdeck-flux-mod-'));
  try {
    let stdout: string;
    try {
      ({ stdout } = await execFileP(go, ['mod', 'download', '-json', `${FLUX_MODULE}@${FLUX_VERSION}`], { cwd, env: goEnv(), timeout: 600_000 }));
    } catch (error) {
      stdout = (error as { stdout?: string }).stdout ?? '';
      if (!stdout) throw error;
    }
    const info = JSON.parse(stdout) as ModuleInfo;
    if (!info.Dir) throw new Error(`go mod download ${FLUX_MODULE}@${FLUX_VERSION}: ${info.Error ?? 'no folder reported'}`);
    if (info.Sum !== FLUX_MODULE_SUM) throw new Error(`${FLUX_MODULE}@${FLUX_VERSION} has hash ${info.Sum}, expected ${FLUX_MODULE_SUM}`);
    return info.Dir;
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
}

/**
 * Makes sure the cached flux CLI exists and reports {@link FLUX_VERSION}, building it when it does
 * not. Throws when `go` is missing or the build fails.
 *
 * The build runs inside a writable copy of the module with the module's own go.mod and go.sum (so
 * flux's own dependency versions and its `replace` line are used as released; no helper go.mod is
 * needed). `cmd/flux` embeds `manifests/*.yaml`, which flux's release process generates and the
 * module does not ship: one placeholder file satisfies the embed. Only `flux install` and
 * `flux bootstrap` read those manifests; drdeck's tests never run them.
 */
export async function ensureFlux(options: ToolBuildOptions = {}): Promise<string> {
  const log = options.log ?? stderrLog;
  const out = fluxPath();
  if (!options.force && (await fluxReady(out))) return out;
  const go = findGo();
  if (!go) throw new Error('go not found: install Go 1.26+ to build the flux CLI for the tests');
  mkdirSync(dirname(out), { recursive: true });
  return withLock(
    `${out}.lock`,
    async () => {
      if (!options.force && (await fluxReady(out))) return out; // built by the process we waited for
      removeLeftovers(out);
      const started = Date.now();
      const moduleDir = await fluxModuleDir(go);
      // In the cache folder, not /tmp: goBuild renames the binary into place, which must not cross file systems.
      const work = mkdtempSync(join(dirname(out), '.build-'));
      try {
        const src = join(work, 'flux2');
        cpSync(moduleDir, src, { recursive: true });
        makeWritable(src);
        mkdirSync(join(src, 'cmd', 'flux', 'manifests'), { recursive: true });
        const placeholder = '# Placeholder: the release process generates these manifests; only `flux install` reads them.\n';
        writeFileSync(join(src, 'cmd', 'flux', 'manifests', 'placeholder.yaml'), placeholder);
        const ldflags = `-s -w -X main.VERSION=${FLUX_VERSION.replace(/^v/, '')}`;
        await goBuild(go, { cwd: src, pkg: './cmd/flux', ldflags, out }, log);
      } finally {
        rmSync(work, { recursive: true, force: true });
      }
      if (!(await fluxReady(out))) throw new Error(`the built ${out} does not report flux version ${FLUX_VERSION}`);
      log(`flux ${FLUX_VERSION} ready in ${((Date.now() - started) / 1000).toFixed(0)} s: ${out}`);
      return out;
    },
    log,
  );
}

/**
 * Makes sure the cached kubectl exists and reports {@link kubectlVersion}, building it from the
 * helper module kubectl/go.mod when it does not (stamped like upstream's release, as
 * test/cluster/build.ts stamps kube-apiserver). Throws when `go` is missing or the build fails.
 */
export async function ensureKubectl(options: ToolBuildOptions = {}): Promise<string> {
  const log = options.log ?? stderrLog;
  const out = kubectlPath();
  if (!options.force && (await kubectlReady(out))) return out;
  const go = findGo();
  if (!go) throw new Error('go not found: install Go 1.26+ to build kubectl for the tests');
  mkdirSync(dirname(out), { recursive: true });
  return withLock(
    `${out}.lock`,
    async () => {
      if (!options.force && (await kubectlReady(out))) return out;
      removeLeftovers(out);
      const started = Date.now();
      const version = kubectlVersion();
      const [, major, minor] = /^v(\d+)\.(\d+)\./.exec(version) ?? [];
      const stamp = (pkg: string): string[] => [
        `-X ${pkg}.gitVersion=${version}`,
        `-X ${pkg}.gitMajor=${major}`,
        `-X ${pkg}.gitMinor=${minor}`,
        `-X ${pkg}.gitTreeState=clean`,
      ];
      const ldflags = ['-s', '-w', ...stamp('k8s.io/component-base/version'), ...stamp('k8s.io/client-go/pkg/version')].join(' ');
      await goBuild(go, { cwd: KUBECTL_MODULE_DIR, pkg: 'k8s.io/kubernetes/cmd/kubectl', ldflags, out }, log);
      if (!(await kubectlReady(out))) throw new Error(`the built ${out} does not report ${version}`);
      log(`kubectl ${version} ready in ${((Date.now() - started) / 1000).toFixed(0)} s: ${out}`);
      return out;
    },
    log,
  );
}

let fluxOnce: Promise<string> | undefined;
let kubectlOnce: Promise<string> | undefined;

/** The path of the flux CLI for tests: built on first use (minutes when cold), then cached. */
export function fluxBinary(log?: Log): Promise<string> {
  fluxOnce ??= ensureFlux({ log });
  return fluxOnce;
}

/** The path of kubectl for tests: built on first use, then cached. */
export function kubectlBinary(log?: Log): Promise<string> {
  kubectlOnce ??= ensureKubectl({ log });
  return kubectlOnce;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const force = process.argv.includes('--force');
  const run = async (): Promise<void> => {
    for (const [name, ensure] of [
      ['flux', ensureFlux],
      ['kubectl', ensureKubectl],
    ] as const) {
      const started = Date.now();
      const path = await ensure({ force });
      console.log(`${name}: ${path} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    }
  };
  run().catch((error: unknown) => {
    console.error(`build failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  });
}
