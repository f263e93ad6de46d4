/**
 * drdeck's own kustomize build: a folder's kustomization (or the one Flux generates for a folder
 * without one), its resources, components, patches and transformers, each object remembered with
 * the file and line its document starts at. Never throws on a repository's content: what kustomize
 * would refuse is noted and skipped.
 */
import { resolve } from 'node:path';
import type { KubeObject } from '../cluster.js';
import { isManifestName, kustomizationFileOf, type RepoFiles } from './files.js';
import { jsonPatch, strategicMerge } from './patch.js';
import type { SourceRef } from './types.js';

/** One object of a build, with where it comes from. */
export interface Res {
  object: KubeObject;
  source: SourceRef;
  via: string[];
  encrypted: boolean;
}

/** What Flux adds to the root kustomization of a Kustomization's path. */
export interface FluxOverlay {
  components: string[];
  targetNamespace?: string;
  patches: unknown[];
  namePrefix?: string;
  nameSuffix?: string;
  commonMetadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
}

/** Shared by one build: the repository, the files the build used, the folders being built (cycles). */
export interface BuildContext {
  files: RepoFiles;
  /** Absolute paths of every file the build read: manifests, kustomization files, patches. */
  used: Set<string>;
  stack: string[];
}

const isMap = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const asArray = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

/** Kinds Kubernetes serves cluster-scoped that kustomize knows from its built-in schema. */
const CLUSTER_SCOPED = new Set([
  'Namespace',
  'Node',
  'PersistentVolume',
  'StorageClass',
  'ClusterRole',
  'ClusterRoleBinding',
  'CustomResourceDefinition',
  'APIService',
  'MutatingWebhookConfiguration',
  'ValidatingWebhookConfiguration',
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding',
  'PriorityClass',
  'CSIDriver',
  'CSINode',
  'VolumeAttachment',
  'RuntimeClass',
  'IngressClass',
  'CertificateSigningRequest',
  'ComponentStatus',
  'FlowSchema',
  'PriorityLevelConfiguration',
]);

/** Workloads whose selector and pod template commonLabels reach. */
const WORKLOADS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job']);

function groupVersion(apiVersion: unknown): { group: string; version: string } {
  const text = typeof apiVersion === 'string' ? apiVersion : '';
  const slash = text.indexOf('/');
  return slash < 0 ? { group: '', version: text } : { group: text.slice(0, slash), version: text.slice(slash + 1) };
}

/** A manifest document as kustomize accepts it: a map with kind and metadata.name; a `List` expanded. */
function objectsOfDoc(value: unknown): KubeObject[] | string {
  if (!isMap(value)) return 'not a Kubernetes object';
  if (typeof value.kind === 'string' && value.kind.endsWith('List') && Array.isArray(value.items)) {
    return value.items.filter((item): item is KubeObject => isMap(item) && typeof item.kind === 'string');
  }
  if (typeof value.kind !== 'string' || !isMap(value.metadata) || typeof value.metadata.name !== 'string') return 'missing kind or metadata.name';
  return [value as KubeObject];
}

/** The objects of a manifest file (SOPS metadata dropped: the controller decrypts it live, drdeck never). */
function readManifest(ctx: BuildContext, abs: string, via: string[]): Res[] {
  const file = ctx.files.parse(abs);
  ctx.used.add(abs);
  if (file.error) {
    ctx.files.note('warn', `skipped: ${file.error}${file.template ? ' (a template?)' : ''}; Flux would fail this build`, file.rel);
    return [];
  }
  if (file.template) {
    ctx.files.note('warn', 'skipped: a template ({{ }}), not a manifest; Flux would fail this build', file.rel);
    return [];
  }
  const out: Res[] = [];
  for (const doc of file.docs) {
    const objects = objectsOfDoc(doc.value);
    if (typeof objects === 'string') {
      ctx.files.note('warn', `skipped a document: ${objects}`, file.rel, doc.line);
      continue;
    }
    for (const raw of objects) {
      const object = structuredClone(raw);
      const encrypted = file.sops && ('sops' in object || JSON.stringify(object).includes('ENC['));
      if (encrypted) {
        delete object.sops;
        ctx.files.note('info', `${String(object.kind)} ${object.metadata.name}: SOPS-encrypted values kept as written (not decrypted)`, file.rel, doc.line);
      }
      out.push({ object, source: { file: file.rel, line: doc.line }, via, encrypted });
    }
  }
  return out;
}

/** Flux's generated kustomization for DIR: every `*.yaml`/`*.yml` under it; a sub-folder with a kustomization is one resource. */
function generated(ctx: BuildContext, dir: string, via: string[]): Res[] {
  const here = [...via, `${ctx.files.rel(dir) || '.'} (no kustomization.yaml: every manifest under it)`];
  const out: Res[] = [];
  const entries = ctx.files.walk(dir, isManifestName, (d) => kustomizationFileOf(ctx.files, d) !== undefined);
  for (const entry of entries) {
    if (ctx.files.isDir(entry)) out.push(...buildDir(ctx, entry, here));
    else out.push(...readManifest(ctx, entry, here));
  }
  return out;
}

/** The objects of DIR built as kustomize does (a folder without a kustomization: as Flux generates one). */
export function buildDir(ctx: BuildContext, dir: string, via: string[], overlay?: FluxOverlay): Res[] {
  if (ctx.stack.includes(dir)) {
    ctx.files.note('warn', `a kustomization cycle: ${ctx.files.rel(dir)} includes itself; not followed again`, ctx.files.rel(dir));
    return [];
  }
  if (ctx.stack.length > 50) {
    ctx.files.note('warn', `kustomizations nested more than 50 deep: ${ctx.files.rel(dir)} not followed`);
    return [];
  }
  ctx.stack.push(dir);
  try {
    const kfile = kustomizationFileOf(ctx.files, dir);
    if (!kfile) {
      if (!overlay) return generated(ctx, dir, via);
      return applyKustomization(ctx, dir, undefined, {}, [], via, overlay);
    }
    const parsed = ctx.files.parse(kfile);
    ctx.used.add(kfile);
    const rel = ctx.files.rel(kfile);
    if (parsed.error || parsed.docs.length > 1 || (parsed.docs[0] && !isMap(parsed.docs[0].value))) {
      ctx.files.note('warn', `skipped: ${parsed.error ?? 'not one kustomization document'}; kustomize would fail`, rel);
      return [];
    }
    const k = (parsed.docs[0]?.value ?? {}) as Record<string, unknown>;
    if (k.kind === 'Component') ctx.files.note('warn', `${rel} is a Component, listed as a resource; kustomize would fail`, rel);
    return applyKustomization(ctx, dir, kfile, k, [], [...via, rel], overlay);
  } finally {
    ctx.stack.pop();
  }
}

/** A URL-like entry kustomize would fetch (drdeck reads no network). */
const REMOTE = /^(https?:\/\/|git@|github\.com\/|ssh:\/\/)/;

/**
 * One kustomization at DIR (K its content; KFILE absent for a generated one) applied: for a component,
 * onto INPUT (the resources accumulated so far); otherwise INPUT is empty.
 */
function applyKustomization(
  ctx: BuildContext,
  dir: string,
  kfile: string | undefined,
  k: Record<string, unknown>,
  input: Res[],
  via: string[],
  overlay?: FluxOverlay,
): Res[] {
  const rel = kfile ? ctx.files.rel(kfile) : ctx.files.rel(dir);
  let list: Res[] = [...input];
  if (!kfile) list.push(...generated(ctx, dir, via));
  for (const entry of asArray(k.resources)) {
    if (typeof entry !== 'string') continue;
    if (REMOTE.test(entry)) {
      ctx.files.note('info', `remote resource ${entry} not read (drdeck reads no network)`, rel);
      continue;
    }
    const abs = resolve(dir, entry);
    if (!ctx.files.inside(abs)) {
      ctx.files.note('warn', `resource ${entry} is missing or outside the repository; kustomize would fail`, rel);
      continue;
    }
    if (ctx.files.isDir(abs)) {
      if (!kustomizationFileOf(ctx.files, abs)) ctx.files.note('warn', `resource ${entry} is a folder without a kustomization.yaml; kustomize would fail`, rel);
      list.push(...buildDir(ctx, abs, via));
    } else list.push(...readManifest(ctx, abs, via));
  }
  for (const key of ['configMapGenerator', 'secretGenerator'] as const) {
    if (asArray(k[key]).length > 0) ctx.files.note('info', `${key} not rendered (objects with hashed names)`, rel);
  }
  if (asArray(k.helmCharts).length > 0) ctx.files.note('info', 'helmCharts not rendered', rel);
  const components = [
    ...asArray(k.components)
      .filter((c): c is string => typeof c === 'string')
      .map((c) => resolve(dir, c)),
    ...(overlay?.components ?? []),
  ];
  for (const component of components) list = applyComponent(ctx, component, list, via, rel);
  // Transformers, in kustomize's order.
  for (const entry of asArray(k.patchesStrategicMerge))
    list = applyPatchEntry(ctx, dir, rel, list, typeof entry === 'string' && !entry.includes('\n') ? { path: entry } : { patch: entry });
  for (const entry of [...asArray(k.patches), ...(overlay?.patches ?? [])]) if (isMap(entry)) list = applyPatchEntry(ctx, dir, rel, list, entry);
  const namespace = overlay?.targetNamespace ?? (typeof k.namespace === 'string' ? k.namespace : undefined);
  if (namespace) for (const r of list) setNamespace(r.object, namespace);
  const prefix = overlay?.namePrefix ?? (typeof k.namePrefix === 'string' ? k.namePrefix : '');
  const suffix = overlay?.nameSuffix ?? (typeof k.nameSuffix === 'string' ? k.nameSuffix : '');
  if (prefix || suffix) {
    for (const r of list)
      if (r.object.kind !== 'Namespace' && r.object.kind !== 'CustomResourceDefinition') r.object.metadata.name = `${prefix}${r.object.metadata.name}${suffix}`;
  }
  if (isMap(k.commonLabels)) for (const r of list) addLabels(r.object, strings(k.commonLabels), true, true);
  for (const entry of asArray(k.labels)) {
    if (isMap(entry) && isMap(entry.pairs))
      for (const r of list)
        addLabels(r.object, strings(entry.pairs), entry.includeSelectors === true, entry.includeTemplates === true || entry.includeSelectors === true);
  }
  if (isMap(k.commonAnnotations)) for (const r of list) addAnnotations(r.object, strings(k.commonAnnotations), true);
  for (const entry of asArray(k.patchesJson6902)) if (isMap(entry)) list = applyPatchEntry(ctx, dir, rel, list, entry);
  if (asArray(k.images).length > 0) ctx.files.note('info', 'images: not applied by the built-in resolver', rel);
  if (overlay?.commonMetadata) {
    for (const r of list) {
      if (overlay.commonMetadata.labels) addLabels(r.object, overlay.commonMetadata.labels, false, false);
      if (overlay.commonMetadata.annotations) addAnnotations(r.object, overlay.commonMetadata.annotations, false);
    }
  }
  return dedupe(ctx, list, rel);
}

/** Two objects with the same id: kustomize refuses the build; drdeck keeps the first and says so. */
function dedupe(ctx: BuildContext, list: Res[], rel: string): Res[] {
  const seen = new Set<string>();
  const out: Res[] = [];
  for (const r of list) {
    const id = `${groupVersion(r.object.apiVersion).group}|${String(r.object.kind)}|${r.object.metadata.namespace ?? ''}|${r.object.metadata.name}`;
    if (seen.has(id)) {
      ctx.files.note(
        'warn',
        `${String(r.object.kind)} ${r.object.metadata.name} is listed twice (${r.source.file}:${r.source.line}); kustomize would fail`,
        rel,
      );
      continue;
    }
    seen.add(id);
    out.push(r);
  }
  return out;
}

function applyComponent(ctx: BuildContext, dir: string, list: Res[], via: string[], from: string): Res[] {
  const rel = ctx.files.rel(dir);
  if (!ctx.files.inside(dir) || !ctx.files.isDir(dir)) {
    ctx.files.note('warn', `component ${rel} is missing; Flux would fail this build`, from);
    return list;
  }
  if (ctx.stack.includes(dir)) {
    ctx.files.note('warn', `a component cycle: ${rel}; not followed again`, from);
    return list;
  }
  const kfile = kustomizationFileOf(ctx.files, dir);
  if (!kfile) {
    ctx.files.note('warn', `component ${rel} has no kustomization.yaml; kustomize would fail`, from);
    return list;
  }
  const parsed = ctx.files.parse(kfile);
  ctx.used.add(kfile);
  const k = parsed.docs[0]?.value;
  if (parsed.error || !isMap(k)) {
    ctx.files.note('warn', `component ${rel}: ${parsed.error ?? 'empty'}; kustomize would fail`, ctx.files.rel(kfile));
    return list;
  }
  if (k.kind !== 'Component')
    ctx.files.note('warn', `${ctx.files.rel(kfile)} is used as a component but its kind is ${String(k.kind)}; kustomize would fail`, ctx.files.rel(kfile));
  ctx.stack.push(dir);
  try {
    return applyKustomization(ctx, dir, kfile, k, list, [...via, `${rel} (component)`]);
  } finally {
    ctx.stack.pop();
  }
}

function strings(map: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(map).map(([key, value]) => [key, String(value)]));
}

function setNamespace(object: KubeObject, namespace: string): void {
  if (object.kind === 'Namespace') object.metadata.name = namespace;
  else if (!CLUSTER_SCOPED.has(String(object.kind))) object.metadata.namespace = namespace;
}

function addLabels(object: KubeObject, labels: Record<string, string>, selectors: boolean, templates: boolean): void {
  object.metadata.labels = { ...(object.metadata.labels ?? {}), ...labels };
  const spec = object.spec as Record<string, unknown> | undefined;
  if (selectors && object.kind === 'Service') object.spec = { ...(spec ?? {}), selector: { ...((spec?.selector as object) ?? {}), ...labels } };
  if (WORKLOADS.has(String(object.kind)) && spec) {
    if (selectors) {
      const selector = isMap(spec.selector) ? spec.selector : {};
      spec.selector = { ...selector, matchLabels: { ...((selector.matchLabels as object) ?? {}), ...labels } };
    }
    if (templates && isMap(spec.template)) {
      const meta = isMap(spec.template.metadata) ? spec.template.metadata : {};
      spec.template.metadata = { ...meta, labels: { ...((meta.labels as object) ?? {}), ...labels } };
    }
  }
}

function addAnnotations(object: KubeObject, annotations: Record<string, string>, templates: boolean): void {
  object.metadata.annotations = { ...(object.metadata.annotations ?? {}), ...annotations };
  const spec = object.spec as Record<string, unknown> | undefined;
  if (templates && WORKLOADS.has(String(object.kind)) && spec && isMap(spec.template)) {
    const meta = isMap(spec.template.metadata) ? spec.template.metadata : {};
    spec.template.metadata = { ...meta, annotations: { ...((meta.annotations as object) ?? {}), ...annotations } };
  }
}

/** kustomize's selector: every field a regular expression matched whole; label/annotation selectors `k=v,k2`. */
function matches(object: KubeObject, target: Record<string, unknown>): boolean {
  const { group, version } = groupVersion(object.apiVersion);
  const re = (pattern: unknown, value: string | undefined) => {
    if (typeof pattern !== 'string' || pattern === '') return true;
    try {
      return new RegExp(`^(?:${pattern})$`).test(value ?? '');
    } catch {
      return pattern === value;
    }
  };
  const selector = (text: unknown, map: Record<string, string> | undefined) => {
    if (typeof text !== 'string' || text.trim() === '') return true;
    return text.split(',').every((term) => {
      const [key, value] = term.split(/!?=/).map((s) => s.trim());
      const has = map?.[key];
      if (term.includes('!=')) return has !== value;
      return value === undefined ? has !== undefined : has === value;
    });
  };
  return (
    re(target.group, group) &&
    re(target.version, version) &&
    re(target.kind, String(object.kind)) &&
    re(target.name, object.metadata.name) &&
    re(target.namespace, object.metadata.namespace) &&
    selector(target.labelSelector, object.metadata.labels) &&
    selector(target.annotationSelector, object.metadata.annotations)
  );
}

/** The patch documents of an entry (`path` read relative to DIR, or inline `patch`), or undefined when unreadable. */
function patchDocs(ctx: BuildContext, dir: string, rel: string, entry: Record<string, unknown>): unknown[] | undefined {
  if (typeof entry.path === 'string') {
    const abs = resolve(dir, entry.path);
    if (!ctx.files.inside(abs) || !ctx.files.isFile(abs)) {
      ctx.files.note('warn', `patch ${entry.path} is missing; kustomize would fail`, rel);
      return undefined;
    }
    ctx.used.add(abs);
    const parsed = ctx.files.parse(abs);
    if (parsed.error) {
      ctx.files.note('warn', `patch skipped: ${parsed.error}`, parsed.rel);
      return undefined;
    }
    return parsed.docs.map((d) => d.value);
  }
  if (typeof entry.patch === 'string') {
    const parsed = ctx.files.parseText(entry.patch);
    if (parsed === undefined) ctx.files.note('warn', 'an inline patch is not YAML; skipped', rel);
    return parsed;
  }
  if (isMap(entry.patch) || Array.isArray(entry.patch)) return [entry.patch];
  return undefined;
}

function applyPatchEntry(ctx: BuildContext, dir: string, rel: string, list: Res[], entry: Record<string, unknown>): Res[] {
  const docs = patchDocs(ctx, dir, rel, entry);
  if (!docs) return list;
  const target = isMap(entry.target) ? entry.target : undefined;
  let out = list;
  for (const doc of docs) {
    if (Array.isArray(doc)) {
      if (!target) {
        ctx.files.note('warn', 'a JSON 6902 patch without a target; skipped', rel);
        continue;
      }
      out = out.map((r) => {
        if (!matches(r.object, target)) return r;
        try {
          return { ...r, object: jsonPatch(r.object, doc) as KubeObject };
        } catch (error) {
          ctx.files.note('warn', `patch on ${String(r.object.kind)} ${r.object.metadata.name} failed: ${(error as Error).message}; kustomize would fail`, rel);
          return r;
        }
      });
      continue;
    }
    if (!isMap(doc)) continue;
    const meta = isMap(doc.metadata) ? doc.metadata : {};
    const hits = target
      ? out.filter((r) => matches(r.object, target))
      : out.filter(
          (r) =>
            r.object.kind === doc.kind &&
            r.object.metadata.name === meta.name &&
            (meta.namespace === undefined || (r.object.metadata.namespace ?? 'default') === meta.namespace) &&
            (doc.apiVersion === undefined || groupVersion(r.object.apiVersion).group === groupVersion(doc.apiVersion).group),
        );
    if (hits.length === 0 && !target) {
      ctx.files.note('warn', `patch for ${String(doc.kind)} ${String(meta.name)} matches nothing; kustomize would fail`, rel);
      continue;
    }
    if (doc.$patch === 'delete') {
      out = out.filter((r) => !hits.includes(r));
      continue;
    }
    out = out.map((r) => {
      if (!hits.includes(r)) return r;
      // With a target, the patch's own name and kind do not rename the object.
      const body = target ? { ...doc, metadata: { ...meta, name: r.object.metadata.name, namespace: r.object.metadata.namespace } } : doc;
      const merged = strategicMerge(r.object, body) as KubeObject;
      if (merged.metadata.namespace === undefined) delete merged.metadata.namespace;
      merged.kind = r.object.kind;
      merged.apiVersion = r.object.apiVersion;
      return { ...r, object: merged };
    });
  }
  return out;
}
