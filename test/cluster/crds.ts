/**
 * The upstream CRDs installed into the test cluster, read at run time from the Go module cache
 * (never copied into the repository). The module versions are pinned in test/cluster/crds/go.mod.
 *
 * - Flux source-controller and kustomize-controller, Gateway API (standard channel) and the
 *   VolumeSnapshot CRDs ship their YAML inside their modules.
 * - Flux helm-controller's root module is not served by the module proxy here, but its API module
 *   is: its CRD is generated from the upstream Go types with controller-gen, the same generator
 *   version and options as upstream's `make manifests`, and cached.
 * - VolSync (upstream or the Kopia fork) is not served at all: crds/local/ holds drdeck's own
 *   reduced schema of the fork's ReplicationDestination (see the comment in that file).
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync, mkdirSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { loadAllYaml, type V1CustomResourceDefinition } from '@kubernetes/client-node';
import { cacheRoot, findGo, goBuild, goEnv, requiredVersion } from './build.js';

const execFileP = promisify(execFile);

/** The helper module that pins the CRD modules (separate from go/: it pulls Kubernetes 0.36 libraries). */
export const CRD_MODULE_DIR = join(dirname(fileURLToPath(import.meta.url)), 'crds');
const LOCAL_CRD_DIR = join(CRD_MODULE_DIR, 'local');

/** Where a module keeps its CRD YAML, and which of the files drdeck's tests install. */
interface CrdSource {
  readonly module: string;
  readonly dir: string;
  readonly include: (file: string) => boolean;
}

const yamlFile = (file: string): boolean => /\.ya?ml$/.test(file) && file !== 'kustomization.yaml';

const SOURCES: readonly CrdSource[] = [
  { module: 'github.com/fluxcd/source-controller', dir: 'config/crd/bases', include: yamlFile },
  { module: 'github.com/fluxcd/kustomize-controller', dir: 'config/crd/bases', include: yamlFile },
  { module: 'sigs.k8s.io/gateway-api', dir: 'config/crd/standard', include: yamlFile },
  {
    module: 'github.com/kubernetes-csi/external-snapshotter/client/v8',
    dir: 'config/crd',
    // VolumeSnapshot, VolumeSnapshotClass and VolumeSnapshotContent; not the group snapshots.
    include: (file) => yamlFile(file) && file.startsWith('snapshot.storage.k8s.io_'),
  },
];

const HELM_API_MODULE = 'github.com/fluxcd/helm-controller/api';
const CONTROLLER_TOOLS = 'sigs.k8s.io/controller-tools';

interface ModuleInfo {
  Path: string;
  Version: string;
  Dir?: string;
  Error?: string;
}

/** Runs `go mod download -json` in the CRD module and returns each module's unpacked, read-only folder. */
export async function moduleDirs(modules: readonly string[]): Promise<Map<string, ModuleInfo>> {
  const go = findGo();
  if (!go) throw new Error('go not found: it is needed to find the CRDs in the Go module cache');
  let stdout: string;
  try {
    ({ stdout } = await execFileP(go, ['mod', 'download', '-json', ...modules], {
      cwd: CRD_MODULE_DIR,
      env: goEnv(),
      timeout: 600_000,
      maxBuffer: 16 * 1024 * 1024,
    }));
  } catch (error) {
    // go prints the JSON (with an Error field per failed module) and exits 1: report those.
    stdout = (error as { stdout?: string }).stdout ?? '';
    if (!stdout) throw error;
  }
  const infos = JSON.parse(`[${stdout.trim().replace(/\}\s*\{/g, '},{')}]`) as ModuleInfo[];
  const byPath = new Map(infos.map((info) => [info.Path, info]));
  for (const module of modules) {
    const info = byPath.get(module);
    if (!info?.Dir) throw new Error(`go mod download ${module}: ${info?.Error ?? 'no folder reported'}`);
  }
  return byPath;
}

/**
 * Generates the HelmRelease CRD from helm-controller's API module with controller-gen, as upstream's
 * `cd api; controller-gen crd:crdVersions=v1 paths=./...` does, and caches it by both versions.
 */
async function helmReleaseCrd(helmApiDir: string, helmApiVersion: string, log: (line: string) => void): Promise<string> {
  const goMod = readFileSync(join(CRD_MODULE_DIR, 'go.mod'), 'utf8');
  const toolsVersion = requiredVersion(goMod, CONTROLLER_TOOLS);
  const out = join(cacheRoot(), 'crds', `helm-controller-api@${helmApiVersion}`, `controller-gen@${toolsVersion}`, 'helm.toolkit.fluxcd.io_helmreleases.yaml');
  if (existsSync(out)) return out;

  const go = findGo();
  if (!go) throw new Error('go not found: it is needed to generate the HelmRelease CRD');
  const controllerGen = join(cacheRoot(), 'tools', `controller-gen@${toolsVersion}`);
  if (!existsSync(controllerGen)) {
    await goBuild(go, { cwd: CRD_MODULE_DIR, pkg: `${CONTROLLER_TOOLS}/cmd/controller-gen`, ldflags: '-s -w', out: controllerGen }, log);
  }
  // The module cache is read-only and go refuses to treat it as a main module: work on a copy.
  const work = mkdtempSync(join(tmpdir(), 'drdeck-helm-api-'));
  try {
    cpSync(helmApiDir, work, { recursive: true });
    chmodSync(work, 0o755);
    const genDir = join(work, 'generated');
    log(`controller-gen crd:crdVersions=v1 paths=./... (helm-controller/api ${helmApiVersion})`);
    await execFileP(controllerGen, ['crd:crdVersions=v1', 'paths=./...', `output:crd:artifacts:config=${genDir}`], {
      cwd: work,
      env: goEnv(),
      timeout: 600_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    const generated = join(genDir, 'helm.toolkit.fluxcd.io_helmreleases.yaml');
    if (!existsSync(generated)) throw new Error(`controller-gen wrote no HelmRelease CRD (${readdirSync(genDir).join(', ')})`);
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(`${out}.tmp`, readFileSync(generated));
    renameSync(`${out}.tmp`, out);
    return out;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Lists the CRD files to install: from the module cache, the generated HelmRelease CRD, and crds/local. */
export async function crdFiles(log: (line: string) => void = () => {}): Promise<string[]> {
  const modules = await moduleDirs([...SOURCES.map((source) => source.module), HELM_API_MODULE]);
  const files: string[] = [];
  for (const source of SOURCES) {
    const dir = join(modules.get(source.module)?.Dir ?? '', source.dir);
    const names = readdirSync(dir).filter(source.include).sort();
    if (names.length === 0) throw new Error(`no CRD files in ${dir}`);
    files.push(...names.map((name) => join(dir, name)));
  }
  const helm = modules.get(HELM_API_MODULE);
  files.push(await helmReleaseCrd(helm?.Dir ?? '', helm?.Version ?? '', log));
  files.push(
    ...readdirSync(LOCAL_CRD_DIR)
      .filter(yamlFile)
      .sort()
      .map((name) => join(LOCAL_CRD_DIR, name)),
  );
  return files;
}

/**
 * Parses the CustomResourceDefinitions in YAML files (other documents are ignored) into client-node's
 * typed models. The typed API calls serialize from those models, mapping `xKubernetesPreserveUnknownFields`
 * back to `x-kubernetes-preserve-unknown-fields`: a plain YAML object passed to them would lose every
 * `x-kubernetes-*` key and `$ref`-style name.
 */
export function readCrds(files: readonly string[]): V1CustomResourceDefinition[] {
  const crds: V1CustomResourceDefinition[] = [];
  for (const file of files) {
    let docs: unknown[];
    try {
      docs = loadAllYaml(readFileSync(file, 'utf8'));
    } catch (error) {
      throw new Error(`${file}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    for (const doc of docs) {
      if ((doc as { kind?: string } | null)?.kind === 'CustomResourceDefinition') crds.push(doc as V1CustomResourceDefinition);
    }
  }
  return crds;
}
