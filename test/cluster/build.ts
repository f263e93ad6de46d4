/**
 * Builds the test API server (kube-apiserver and etcd) from the upstream Go modules pinned in
 * test/cluster/go/go.mod, into a cache outside the work tree keyed by the Kubernetes version.
 *
 *   node --import tsx test/cluster/build.ts     build if missing, print the binaries' paths
 *
 * A cold build downloads the modules and compiles for a long while on 2 cores (see the README);
 * later runs only check that the cached binaries report the pinned versions.
 */
import { execFile, spawn } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

/** The helper module that pins kube-apiserver and etcd. */
export const GO_MODULE_DIR = join(dirname(fileURLToPath(import.meta.url)), 'go');

/** Where the built binaries live and which versions they must report. */
export interface Binaries {
  readonly dir: string;
  readonly kubeApiserver: string;
  readonly etcd: string;
  /** Kubernetes version, e.g. `v1.35.4`. */
  readonly k8sVersion: string;
  /** etcd version, e.g. `v3.6.5`. */
  readonly etcdVersion: string;
}

/** Options for {@link ensureBinaries}. */
export interface BuildOptions {
  /** Progress lines (default: stderr). */
  readonly log?: (line: string) => void;
  /** Build even when cached binaries exist. */
  readonly force?: boolean;
}

/** Finds the `go` command: on PATH, else Go's default install location; undefined when absent. */
export function findGo(): string | undefined {
  const dirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  for (const dir of [...dirs, '/usr/local/go/bin']) {
    const candidate = join(dir, 'go');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Reads the version a go.mod requires for a module (indirect requirements included). */
export function requiredVersion(goMod: string, module: string): string {
  const escaped = module.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const match = new RegExp(`^\\s*(?:require\\s+)?${escaped}\\s+(v\\S+)`, 'm').exec(goMod);
  if (!match) throw new Error(`${module} is not required in ${join(GO_MODULE_DIR, 'go.mod')}`);
  return match[1];
}

/** The test cluster's cache outside the work tree: `${XDG_CACHE_HOME:-~/.cache}/drdeck/testcluster`. */
export function cacheRoot(): string {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'drdeck', 'testcluster');
}

/** The cache folder and binary paths for the versions pinned in the helper go.mod. */
export function binaryPaths(): Binaries {
  const goMod = readFileSync(join(GO_MODULE_DIR, 'go.mod'), 'utf8');
  const k8sVersion = requiredVersion(goMod, 'k8s.io/kubernetes');
  const etcdVersion = requiredVersion(goMod, 'go.etcd.io/etcd/server/v3');
  const dir = join(cacheRoot(), k8sVersion);
  return { dir, kubeApiserver: join(dir, 'kube-apiserver'), etcd: join(dir, 'etcd'), k8sVersion, etcdVersion };
}

/** True when both cached binaries exist and report the pinned versions. */
export async function binariesReady(bins: Binaries = binaryPaths()): Promise<boolean> {
  if (!existsSync(bins.kubeApiserver) || !existsSync(bins.etcd)) return false;
  try {
    const api = await execFileP(bins.kubeApiserver, ['--version'], { timeout: 30_000 });
    const etcd = await execFileP(bins.etcd, ['--version'], { timeout: 30_000 });
    return api.stdout.trim() === `Kubernetes ${bins.k8sVersion}` && etcd.stdout.includes(`etcd Version: ${bins.etcdVersion.replace(/^v/, '')}`);
  } catch {
    return false;
  }
}

/** The environment of every go command: the machine's own toolchain, static binaries, no edits to go.mod. */
export function goEnv(): NodeJS.ProcessEnv {
  const goflags = [process.env.GOFLAGS, '-mod=readonly'].filter(Boolean).join(' ');
  return { ...process.env, GOTOOLCHAIN: 'local', CGO_ENABLED: '0', GOFLAGS: goflags, GOWORK: 'off' };
}

/** Runs `go build` in a Go module into a temporary name, then renames it into place so a killed build leaves no half binary. */
export async function goBuild(go: string, build: { cwd: string; pkg: string; ldflags: string; out: string }, log: (line: string) => void): Promise<void> {
  const tmp = `${build.out}.tmp-${process.pid}`;
  const args = ['build', '-pgo=off', '-trimpath', '-ldflags', build.ldflags, '-o', tmp, build.pkg];
  const started = Date.now();
  log(`go ${args.join(' ')}`);
  mkdirSync(dirname(build.out), { recursive: true });
  await new Promise<void>((resolve, reject) => {
    const child = spawn(go, args, { cwd: build.cwd, env: goEnv(), stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', reject);
    child.on('exit', (code, signal) => (code === 0 ? resolve() : reject(new Error(`go build ${build.pkg} failed (${signal ?? `exit ${code}`})`))));
  });
  renameSync(tmp, build.out);
  log(`built ${build.out} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

/**
 * Makes sure the cached kube-apiserver and etcd exist and report the pinned versions, building
 * them when they do not. Throws when `go` is missing or a build fails.
 */
export async function ensureBinaries(options: BuildOptions = {}): Promise<Binaries> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const bins = binaryPaths();
  if (!options.force && (await binariesReady(bins))) return bins;
  const go = findGo();
  if (!go) throw new Error('go not found: install Go 1.25+ to build the test API server');
  mkdirSync(bins.dir, { recursive: true });
  for (const stale of [bins.kubeApiserver, bins.etcd]) rmSync(stale, { force: true });

  const [, major, minor] = /^v(\d+)\.(\d+)\./.exec(bins.k8sVersion) ?? [];
  // Stamp the release like upstream's hack/lib/version.sh: unstamped, the binary reports
  // "v0.0.0-master+$Format:%H$" from --version and GET /version (it still starts), so neither the
  // cache check above nor a client reading the server version could tell which release it is.
  const stamp = (pkg: string): string[] => [
    `-X ${pkg}.gitVersion=${bins.k8sVersion}`,
    `-X ${pkg}.gitMajor=${major}`,
    `-X ${pkg}.gitMinor=${minor}`,
    `-X ${pkg}.gitTreeState=clean`,
    `-X ${pkg}.buildDate=${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}`,
  ];
  const apiLdflags = ['-s', '-w', ...stamp('k8s.io/component-base/version'), ...stamp('k8s.io/client-go/pkg/version')];
  const cwd = GO_MODULE_DIR;
  await goBuild(go, { cwd, pkg: 'k8s.io/kubernetes/cmd/kube-apiserver', ldflags: apiLdflags.join(' '), out: bins.kubeApiserver }, log);
  await goBuild(go, { cwd, pkg: 'go.etcd.io/etcd/server/v3', ldflags: '-s -w', out: bins.etcd }, log);
  if (!(await binariesReady(bins))) throw new Error(`built binaries in ${bins.dir} do not report ${bins.k8sVersion} / ${bins.etcdVersion}`);
  return bins;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const started = Date.now();
  ensureBinaries({ force: process.argv.includes('--force') })
    .then((bins) => {
      console.log(`kube-apiserver ${bins.k8sVersion}: ${bins.kubeApiserver}`);
      console.log(`etcd ${bins.etcdVersion}: ${bins.etcd}`);
      console.log(`ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    })
    .catch((error: unknown) => {
      console.error(`build failed: ${error instanceof Error ? error.message : String(error)}`);
      process.exitCode = 1;
    });
}
