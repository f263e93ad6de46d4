/**
 * The GitOps repository read the way Flux applies it: from the cluster's `flux-system` Kustomization,
 * through every Flux Kustomization it applies (their `spec.path`, components, targetNamespace,
 * patches and post-build substitutions), each path built as kustomize builds it. A file reader: it
 * reads the checkout and, with `renderer: 'flux' | 'kubectl'`, runs those tools offline; no network.
 */
import { readFileSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, posix, relative, resolve, sep } from 'node:path';
import type { KubeObject } from '../cluster.js';
import { appTemplateServices } from './app-template.js';
import { isManifestName, kustomizationFileOf, RepoFiles } from './files.js';
import { buildDir, type BuildContext, type FluxOverlay, type Res } from './kustomize.js';
import { substitute } from './substitute.js';
import { findTool, renderWithFlux, renderWithKubectl, ToolError } from './tools.js';
import type { DesiredObject, DesiredState, FluxKustomization, SourceRef } from './types.js';

/** The repository could not be read at all (not a folder, no entry, several entries); one line. */
export class RepoError extends Error {
  override readonly name = 'RepoError';
}

/** How to read the repository. */
export interface ReadOptions {
  /** The cluster's folder (`clusters/home`), its name (`home`), or the flux-system Kustomization's path. */
  cluster?: string;
  /** Who renders each Kustomization's path (default `built-in`); the built-in resolver always maps file:line. */
  renderer?: 'built-in' | 'flux' | 'kubectl';
  fluxBinary?: string;
  kubectlBinary?: string;
}

const FLUX_KS = 'kustomize.toolkit.fluxcd.io/';
const OWNER_LABELS = ['kustomize.toolkit.fluxcd.io/name', 'kustomize.toolkit.fluxcd.io/namespace'];
const SUBSTITUTE_DISABLED = 'kustomize.toolkit.fluxcd.io/substitute';

const isMap = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** True for a Flux Kustomization object (not a kustomize kustomization.yaml). */
export function isFluxKustomization(object: unknown): object is KubeObject {
  return isMap(object) && object.kind === 'Kustomization' && typeof object.apiVersion === 'string' && object.apiVersion.startsWith(FLUX_KS);
}

/** `./a/b/` → `a/b`; `.` and `./` → `` (the repository root). */
export function normalisePath(path: string): string {
  return path
    .replace(/\\/g, '/')
    .replace(/^(\.\/)+/, '')
    .replace(/^\.$/, '')
    .replace(/\/+$/, '')
    .replace(/\/\.\//g, '/');
}

interface Candidate {
  object: KubeObject;
  source: SourceRef;
  path: string;
}

/** Every `flux-system` Kustomization in the repository (the cluster entries). */
function entryCandidates(files: RepoFiles): Candidate[] {
  const out: Candidate[] = [];
  for (const abs of files.walk(files.root, isManifestName)) {
    let text: string;
    try {
      if (statSync(abs).size > 1024 * 1024) continue;
      text = readFileSync(abs, 'utf8');
    } catch {
      continue;
    }
    // Cheap test before parsing: most files are not an entry.
    if (!text.includes('flux-system') || !text.includes(FLUX_KS)) continue;
    const parsed = files.parse(abs);
    for (const doc of parsed.docs) {
      if (!isFluxKustomization(doc.value) || doc.value.metadata?.name !== 'flux-system') continue;
      const path = (doc.value.spec as Record<string, unknown> | undefined)?.path;
      out.push({ object: doc.value, source: { file: parsed.rel, line: doc.line }, path: normalisePath(typeof path === 'string' ? path : '') });
    }
  }
  const unique = new Map<string, Candidate>();
  for (const c of out) if (!unique.has(c.path)) unique.set(c.path, c);
  return [...unique.values()];
}

/** The entry the options name, or the only one; a RepoError otherwise. */
function pickEntry(files: RepoFiles, repo: string, cluster: string | undefined): { candidate?: Candidate; cluster: string; path: string } {
  const candidates = entryCandidates(files);
  const list = () => candidates.map((c) => c.path || '.').join(', ');
  if (cluster !== undefined) {
    const wanted = normalisePath(isAbsolute(cluster) ? relative(files.root, cluster).split(sep).join('/') : cluster);
    const hit =
      candidates.find((c) => c.path === wanted) ??
      candidates.find((c) => c.source.file.startsWith(`${wanted}/`)) ??
      candidates.find((c) => c.path.split('/').pop() === wanted);
    if (hit) return { candidate: hit, cluster: wanted.includes('/') || files.isDir(resolve(files.root, wanted)) ? wanted : hit.path, path: hit.path };
    const abs = resolve(files.root, wanted);
    if (files.inside(abs) && files.isDir(abs)) {
      files.note('info', `no flux-system Kustomization has the path ${wanted}: the folder is read as the entry`, wanted);
      return { cluster: wanted, path: wanted };
    }
    throw new RepoError(`--cluster ${cluster}: no such folder in ${repo}${candidates.length ? ` (clusters found: ${list()})` : ''}`);
  }
  if (candidates.length === 0) throw new RepoError(`no Flux entry in ${repo}: no Kustomization named flux-system (name the cluster's folder with --cluster)`);
  if (candidates.length > 1) throw new RepoError(`several clusters in ${repo}: ${list()}; choose one with --cluster`);
  return { candidate: candidates[0], cluster: candidates[0].path, path: candidates[0].path };
}

function refOf(object: KubeObject): string {
  return `${object.metadata.namespace ?? 'flux-system'}/${object.metadata.name}`;
}

/** What one Flux Kustomization says, read from its object. */
function describe(object: KubeObject, source: SourceRef, appliedBy: string | undefined): FluxKustomization {
  const spec = (isMap(object.spec) ? object.spec : {}) as Record<string, unknown>;
  const path = normalisePath(typeof spec.path === 'string' ? spec.path : '');
  const postBuild = isMap(spec.postBuild) ? spec.postBuild : {};
  const components = (Array.isArray(spec.components) ? spec.components : []).filter((c): c is string => typeof c === 'string');
  const from = (Array.isArray(postBuild.substituteFrom) ? postBuild.substituteFrom : []).filter(isMap).map((f) => `${String(f.kind)}/${String(f.name)}`);
  return {
    ref: refOf(object),
    source,
    path,
    suspended: spec.suspend === true,
    components: components.map((c) => normalisePath(posix.normalize(`${path || '.'}/${c}`))),
    ...(typeof spec.targetNamespace === 'string' && spec.targetNamespace ? { targetNamespace: spec.targetNamespace } : {}),
    substitute: isMap(postBuild.substitute) ? Object.fromEntries(Object.entries(postBuild.substitute).map(([k, v]) => [k, String(v)])) : {},
    dependsOn: (Array.isArray(spec.dependsOn) ? spec.dependsOn : [])
      .filter(isMap)
      .map((d) => `${typeof d.namespace === 'string' ? d.namespace : (object.metadata.namespace ?? 'flux-system')}/${String(d.name)}`),
    wait: spec.wait === true,
    healthChecks: (Array.isArray(spec.healthChecks) ? spec.healthChecks : []).filter(isMap).map((h) => ({
      ...(typeof h.apiVersion === 'string' ? { apiVersion: h.apiVersion } : {}),
      ...(typeof h.kind === 'string' ? { kind: h.kind } : {}),
      ...(typeof h.name === 'string' ? { name: h.name } : {}),
      ...(typeof h.namespace === 'string' ? { namespace: h.namespace } : {}),
    })),
    ...(appliedBy ? { appliedBy } : {}),
    ...(from.length ? { substituteFrom: from } : {}),
  };
}

/** The variables of `substituteFrom` that are plain in the repository (ConfigMap data, Secret stringData/data). */
function substituteFromVars(files: RepoFiles, ks: KubeObject, ksRef: FluxKustomization, known: readonly DesiredObject[]): Record<string, string> {
  const vars: Record<string, string> = {};
  const postBuild = isMap(ks.spec) && isMap(ks.spec.postBuild) ? ks.spec.postBuild : {};
  const namespace = ks.metadata.namespace ?? 'flux-system';
  for (const from of Array.isArray(postBuild.substituteFrom) ? postBuild.substituteFrom : []) {
    if (!isMap(from)) continue;
    const found = known.find(
      (d) => d.object.kind === from.kind && d.object.metadata.name === from.name && (d.object.metadata.namespace ?? namespace) === namespace,
    );
    if (!found) {
      files.note(
        'info',
        `${ksRef.ref}: substituteFrom ${String(from.kind)}/${String(from.name)} is not in the repository; its variables are unknown`,
        ksRef.source.file,
        ksRef.source.line,
      );
      continue;
    }
    if (found.encrypted) {
      files.note(
        'info',
        `${ksRef.ref}: substituteFrom ${String(from.kind)}/${String(from.name)} is SOPS-encrypted; its variables are unknown`,
        found.source.file,
        found.source.line,
      );
      continue;
    }
    const o = found.object as Record<string, unknown>;
    if (isMap(o.data)) {
      for (const [k, v] of Object.entries(o.data)) vars[k] = from.kind === 'Secret' ? Buffer.from(String(v), 'base64').toString('utf8') : String(v);
    }
    if (isMap(o.stringData)) for (const [k, v] of Object.entries(o.stringData)) vars[k] = String(v);
  }
  return vars;
}

/** A scalar the way YAML reads it back: Flux substitutes the text and parses it again. */
function retype(text: string): unknown {
  if (/^[-+]?(0|[1-9][0-9]*)$/.test(text)) return Number(text);
  if (/^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/.test(text)) return Number(text);
  if (text === 'true' || text === 'false') return text === 'true';
  if (text === 'null' || text === '~') return null;
  return text;
}

/** VALUE with every string (keys included) substituted; errors collected. */
function substituteValue(value: unknown, vars: Record<string, string>, errors: string[]): unknown {
  if (typeof value === 'string') {
    if (!value.includes('${')) return value;
    const result = substitute(value, vars);
    if (result.error) errors.push(result.error);
    return retype(result.text);
  }
  if (Array.isArray(value)) return value.map((item) => substituteValue(item, vars, errors));
  if (isMap(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key.includes('${') ? substitute(key, vars).text : key] = substituteValue(item, vars, errors);
    return out;
  }
  return value;
}

/**
 * Flux's post-build substitution. Flux substitutes each object's YAML text and parses it again (so an
 * unquoted `${PORT:=8080}` becomes a number); drdeck substitutes each string of the object and reads
 * the result as YAML reads a plain scalar, which is the same for values written unquoted.
 */
function substituteAll(files: RepoFiles, list: Res[], vars: Record<string, string>, ks: FluxKustomization): void {
  for (const r of list) {
    const meta = r.object.metadata;
    if (meta.labels?.[SUBSTITUTE_DISABLED] === 'disabled' || meta.annotations?.[SUBSTITUTE_DISABLED] === 'disabled') continue;
    const errors: string[] = [];
    const substituted = substituteValue(r.object, vars, errors);
    if (errors.length > 0) files.note('warn', `${ks.ref}: ${errors[0]}; Flux would fail this build`, r.source.file, r.source.line);
    if (isMap(substituted) && isMap(substituted.metadata)) r.object = substituted as KubeObject;
  }
}

function idOf(object: KubeObject): string {
  const apiVersion = String(object.apiVersion ?? '');
  const group = apiVersion.includes('/') ? apiVersion.split('/')[0] : '';
  return `${group}|${String(object.kind)}|${object.metadata.namespace ?? ''}|${object.metadata.name}`;
}

/** OBJECT without the owner labels kustomize-controller adds (the built-in resolver does not add them). */
function withoutOwnerLabels(object: KubeObject): KubeObject {
  const { labels, annotations, ...metadata } = object.metadata;
  const keptLabels = Object.fromEntries(Object.entries(labels ?? {}).filter(([k]) => !OWNER_LABELS.includes(k)));
  // kustomize's origin annotation: flux's build adds it to the objects of components.
  const keptAnnotations = Object.fromEntries(Object.entries(annotations ?? {}).filter(([k]) => k !== 'config.kubernetes.io/origin'));
  return {
    ...object,
    metadata: {
      ...metadata,
      ...(Object.keys(keptLabels).length ? { labels: keptLabels } : {}),
      ...(Object.keys(keptAnnotations).length ? { annotations: keptAnnotations } : {}),
    },
  };
}

/** One Kustomization's objects from a real tool, mapped back to the built-in resolver's file:line. */
function fromTool(files: RepoFiles, rendered: KubeObject[], builtIn: Res[], ks: FluxKustomization): Res[] {
  const byId = new Map(builtIn.map((r) => [idOf(r.object), r]));
  return rendered.map((raw) => {
    const object = withoutOwnerLabels(raw);
    const match = byId.get(idOf(object));
    if (!match) {
      files.note(
        'info',
        `${ks.ref}: ${String(object.kind)} ${object.metadata.name} rendered by the tool but not by drdeck; its line is the Kustomization's`,
        ks.source.file,
        ks.source.line,
      );
      return { object, source: ks.source, via: [], encrypted: false };
    }
    // flux replaces an encrypted Secret's values with **SOPS**: the file's own values say more.
    return match.encrypted ? match : { ...match, object };
  });
}

/** The desired state of one cluster in the repository REPO. Throws a RepoError only when nothing can be read. */
export async function readDesiredState(repo: string, options: ReadOptions = {}): Promise<DesiredState> {
  let root: string;
  try {
    root = realpathSync(resolve(repo));
    if (!statSync(root).isDirectory()) throw new RepoError(`${repo}: not a folder`);
  } catch (error) {
    if (error instanceof RepoError) throw error;
    throw new RepoError(`${repo}: no such folder`);
  }
  const files = new RepoFiles(root);
  const entry = pickEntry(files, repo, options.cluster);

  let renderer = options.renderer ?? 'built-in';
  if (renderer !== 'built-in' && !findTool(renderer, { flux: options.fluxBinary, kubectl: options.kubectlBinary })) {
    files.note('warn', `${renderer} not found (on PATH or DRDECK_${renderer.toUpperCase()}): the built-in resolver rendered everything`);
    renderer = 'built-in';
  }

  const ctx: BuildContext = { files, used: new Set(), stack: [] };
  const kustomizations: FluxKustomization[] = [];
  const objects: DesiredObject[] = [];
  const followed = new Set<string>();
  const entryObject: KubeObject = entry.candidate?.object ?? {
    apiVersion: `${FLUX_KS}v1`,
    kind: 'Kustomization',
    metadata: { name: 'flux-system', namespace: 'flux-system' },
    spec: { path: `./${entry.path}`, sourceRef: { kind: 'GitRepository', name: 'flux-system' } },
  };
  const entrySource = entry.candidate?.source ?? { file: entry.path, line: 1 };
  const rootSource = isMap(entryObject.spec) && isMap(entryObject.spec.sourceRef) ? String(entryObject.spec.sourceRef.name) : 'flux-system';
  const queue: Array<{ object: KubeObject; source: SourceRef; appliedBy?: string; suspended: boolean; fromFile: boolean }> = [
    { object: entryObject, source: entrySource, suspended: false, fromFile: entry.candidate !== undefined },
  ];
  const seen = new Set<string>();
  const tools = { flux: options.fluxBinary, kubectl: options.kubectlBinary };

  while (queue.length > 0) {
    const item = queue.shift()!;
    const ref = refOf(item.object);
    if (seen.has(ref)) {
      // The entry applies its own Kustomization again (gotk-sync.yaml): that is Flux's usual layout.
      if (ref !== 'flux-system/flux-system')
        files.note('warn', `${ref} is applied more than once (again by ${item.appliedBy ?? '?'}); followed once`, item.source.file, item.source.line);
      continue;
    }
    seen.add(ref);
    const ks = describe(item.object, item.source, item.appliedBy);
    const suspended = item.suspended || ks.suspended;
    kustomizations.push(ks);
    const spec = (isMap(item.object.spec) ? item.object.spec : {}) as Record<string, unknown>;
    const sourceRef = isMap(spec.sourceRef) ? spec.sourceRef : {};
    if ((sourceRef.kind !== undefined && sourceRef.kind !== 'GitRepository') || (sourceRef.name !== undefined && sourceRef.name !== rootSource)) {
      files.note('info', `${ref} applies ${String(sourceRef.kind)} ${String(sourceRef.name)}, another source: not read`, ks.source.file, ks.source.line);
      continue;
    }
    if (suspended) files.note('info', `${ref} is suspended: its objects are listed, marked suspended`, ks.source.file, ks.source.line);
    const dir = resolve(root, ks.path || '.');
    if (!files.inside(dir) || !files.isDir(dir)) {
      files.note('warn', `${ref}: path ./${ks.path} does not exist; Flux would fail this Kustomization`, ks.source.file, ks.source.line);
      continue;
    }
    followed.add(dir);
    const overlay: FluxOverlay = {
      components: ks.components.map((c) => resolve(root, c)),
      ...(ks.targetNamespace ? { targetNamespace: ks.targetNamespace } : {}),
      patches: Array.isArray(spec.patches) ? spec.patches : [],
      ...(typeof spec.namePrefix === 'string' ? { namePrefix: spec.namePrefix } : {}),
      ...(typeof spec.nameSuffix === 'string' ? { nameSuffix: spec.nameSuffix } : {}),
      ...(isMap(spec.commonMetadata) ? { commonMetadata: spec.commonMetadata as FluxOverlay['commonMetadata'] } : {}),
    };
    for (const c of overlay.components) if (files.isDir(c)) followed.add(c);
    let list = buildDir(ctx, dir, [], overlay);
    const postBuild = isMap(spec.postBuild) ? spec.postBuild : {};
    const hasFrom = Array.isArray(postBuild.substituteFrom) && postBuild.substituteFrom.length > 0;
    if (Object.keys(ks.substitute).length > 0 || hasFrom || postBuild.substituteStrategy === 'Always') {
      substituteAll(files, list, { ...substituteFromVars(files, item.object, ks, objects), ...ks.substitute }, ks);
    }
    ks.renderer = 'built-in';
    if (renderer === 'flux' && item.fromFile) {
      if (hasFrom) files.note('info', `${ref}: rendered by drdeck, not flux (flux build reads no substituteFrom)`, ks.source.file, ks.source.line);
      else {
        try {
          const rendered = await renderWithFlux(
            {
              repo: root,
              name: item.object.metadata.name,
              namespace: item.object.metadata.namespace ?? 'flux-system',
              path: `./${ks.path}`,
              kustomizationFile: item.source.file,
            },
            tools,
          );
          list = fromTool(files, rendered, list, ks);
          ks.renderer = 'flux';
        } catch (error) {
          files.note(
            'warn',
            `${ref}: ${error instanceof ToolError ? error.message : String(error)}; rendered by drdeck instead`,
            ks.source.file,
            ks.source.line,
          );
        }
      }
    } else if (renderer === 'kubectl') {
      // Plain kustomize: only where Flux adds nothing to the build.
      const plain = !ks.targetNamespace && ks.components.length === 0 && !hasFrom && Object.keys(ks.substitute).length === 0 && overlay.patches.length === 0;
      if (plain && kustomizationFileOf(files, dir)) {
        try {
          list = fromTool(files, await renderWithKubectl(dir, tools), list, ks);
          ks.renderer = 'kubectl';
        } catch (error) {
          files.note(
            'warn',
            `${ref}: ${error instanceof ToolError ? error.message : String(error)}; rendered by drdeck instead`,
            ks.source.file,
            ks.source.line,
          );
        }
      }
    }
    for (const r of list) {
      objects.push({
        object: r.object,
        source: r.source,
        kustomization: ref,
        via: r.via,
        ...(r.encrypted ? { encrypted: true } : {}),
        ...(suspended ? { suspended: true } : {}),
      });
      if (isFluxKustomization(r.object)) queue.push({ object: r.object, source: r.source, appliedBy: ref, suspended, fromFile: true });
    }
  }

  objects.push(...appTemplateServices(files, objects));

  // Files under the followed paths that nothing applied (a manifest left out of its kustomization.yaml).
  const appliedFiles = new Set(objects.filter((o) => !o.generatedFrom).map((o) => o.source.file));
  const usedRel = new Set([...ctx.used].map((abs) => files.rel(abs)));
  const present = new Set<string>();
  // Walk only the outermost followed folders: the others lie inside them.
  const outermost = [...followed].sort().filter((dir, i, all) => !all.slice(0, i).some((top) => dir.startsWith(`${top}${sep}`)));
  for (const dir of outermost) for (const abs of files.walk(dir, isManifestName)) present.add(files.rel(abs));
  const unreferenced = [...present].filter((f) => !usedRel.has(f) && !appliedFiles.has(f)).sort();
  for (const f of unreferenced) files.note('info', 'not applied: no kustomization lists it', f);

  return {
    repo: root,
    entry: { cluster: entry.cluster, path: entry.path },
    kustomizations,
    objects,
    notes: files.notes,
    files: { applied: [...appliedFiles].sort(), unreferenced },
    renderer: kustomizations.some((k) => k.renderer === renderer) ? renderer : 'built-in',
  };
}

/**
 * Plain kustomize on one folder of REPO (`kubectl kustomize DIR` without Flux's layer): its objects,
 * and the notes of what was skipped. For comparing with kubectl, and for folders no Kustomization applies.
 */
export function kustomizeBuild(repo: string, dir: string): { objects: KubeObject[]; notes: DesiredState['notes'] } {
  const files = new RepoFiles(realpathSync(resolve(repo)));
  const ctx: BuildContext = { files, used: new Set(), stack: [] };
  const objects = buildDir(ctx, realpathSync(resolve(files.root, dir)), []).map((r) => r.object);
  return { objects, notes: files.notes };
}
