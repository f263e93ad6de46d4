/**
 * What the two Flux fixes share: the reconcile and resume requests with their flux and kubectl
 * command lines, an object's source, the dependency depth that orders a bulk reconcile, and how a
 * reconcile is followed to its end (fluxcd/flux2 cmd/flux/reconcile.go does the same).
 */
import type { KubeObject } from '../cluster.js';
import { classify, dependsOn, FLUX_KINDS, IMMUTABLE, type FluxKind, type FluxObject } from '../checks/flux.js';
import type { Snapshot } from '../checks/types.js';
import { at, condition, getObject, kindName, parseRef, str } from '../checks/util.js';
import type { PlannedRequest } from './types.js';
import { annotateCommand, kubectlCommand, mergePatch, shellQuote } from './util.js';

export const REQUESTED_AT = 'reconcile.fluxcd.io/requestedAt';
export const FORCE_AT = 'reconcile.fluxcd.io/forceAt';
export const RESET_AT = 'reconcile.fluxcd.io/resetAt';

/** `flux reconcile <this>`: the flux CLI's words for each kind. */
const FLUX_CLI: Record<FluxKind, string> = {
  kustomizations: 'kustomization',
  helmreleases: 'helmrelease',
  helmcharts: 'source chart',
  gitrepositories: 'source git',
  ocirepositories: 'source oci',
  helmrepositories: 'source helm',
};

/** A stable key across kinds: a GitRepository and a Kustomization may share `flux-system/flux-system`. */
export function fluxKey(f: Pick<FluxObject, 'kind' | 'ref'>): string {
  return `${f.kind}:${f.ref}`;
}

/** "HelmRelease ceph-csi/ceph-csi-rbd". */
export function describe(f: Pick<FluxObject, 'kind' | 'ref'>): string {
  return `${kindName(f.kind)} ${f.ref}`;
}

function fluxKindOf(kind: string | undefined): FluxKind | undefined {
  return FLUX_KINDS.find((k) => kindName(k) === kind);
}

export function findFlux(snapshot: Snapshot, kind: FluxKind, namespace: string, name: string): FluxObject | undefined {
  const object = getObject(snapshot, kind, namespace, name);
  return object ? classify(kind, object) : undefined;
}

export type SourceRef = { found: FluxObject } | { missing: string };

/**
 * The object's source: a HelmRelease's HelmChart (`status.helmChart`, or `spec.chartRef`), a
 * HelmChart's or Kustomization's `spec.sourceRef`. Undefined for sources themselves.
 */
export function sourceOf(snapshot: Snapshot, f: FluxObject): SourceRef | undefined {
  const own = str(at(f.object, 'metadata', 'namespace')) ?? '';
  let kind: FluxKind | undefined;
  let namespace = own;
  let name: string | undefined;
  if (f.kind === 'helmreleases') {
    const chartRef = at(f.object, 'spec', 'chartRef');
    if (chartRef && typeof chartRef === 'object') {
      kind = fluxKindOf(str(at(chartRef, 'kind')));
      namespace = str(at(chartRef, 'namespace')) || own;
      name = str(at(chartRef, 'name'));
    } else {
      const helmChart = str(at(f.object, 'status', 'helmChart'));
      if (!helmChart) return undefined;
      const ref = parseRef(helmChart);
      kind = 'helmcharts';
      namespace = ref.namespace || own;
      name = ref.name;
    }
  } else if (f.kind === 'kustomizations' || f.kind === 'helmcharts') {
    kind = fluxKindOf(str(at(f.object, 'spec', 'sourceRef', 'kind')));
    namespace = (f.kind === 'kustomizations' && str(at(f.object, 'spec', 'sourceRef', 'namespace'))) || own;
    name = str(at(f.object, 'spec', 'sourceRef', 'name'));
  }
  if (!kind || !name) return undefined;
  const found = findFlux(snapshot, kind, namespace, name);
  return found ? { found } : { missing: `${kindName(kind)} ${namespace}/${name}` };
}

/** What an object waits for: its dependsOn (same kind) and its source. */
function upstream(snapshot: Snapshot, f: FluxObject): FluxObject[] {
  const deps = dependsOn(f.object)
    .map((d) => findFlux(snapshot, f.kind, d.namespace, d.name))
    .filter((d): d is FluxObject => d !== undefined);
  const source = sourceOf(snapshot, f);
  return source && 'found' in source ? [...deps, source.found] : deps;
}

/**
 * How far an object is from the roots of the dependency graph (dependsOn and sources): 0 for a
 * root. Why: a dependant reconciled before what it depends on only reports DependencyNotReady and
 * waits a whole retry interval, so roots go first. Cycles count as roots.
 */
export function dependencyDepth(snapshot: Snapshot): (f: FluxObject) => number {
  const memo = new Map<string, number>();
  const depth = (f: FluxObject, visiting: Set<string>): number => {
    const key = fluxKey(f);
    const known = memo.get(key);
    if (known !== undefined) return known;
    if (visiting.has(key)) return 0;
    visiting.add(key);
    const ups = upstream(snapshot, f);
    const d = ups.length ? 1 + Math.max(...ups.map((u) => depth(u, visiting))) : 0;
    visiting.delete(key);
    memo.set(key, d);
    return d;
  };
  return (f) => depth(f, new Set());
}

/** True when the object fails on an immutable field: the cure is in Git (seed issue 4). */
export function failsImmutable(f: FluxObject): boolean {
  return f.ready?.status !== 'True' && IMMUTABLE.test(f.ready?.message ?? '');
}

export interface ReconcileFlags {
  /** HelmRelease only: forceAt and resetAt with the same token. */
  force?: boolean;
  /** HelmRelease only: resetAt (the failure counts) without forcing a release. */
  reset?: boolean;
}

/** The annotations one reconcile writes. forceAt/resetAt act only when equal to requestedAt. */
export function reconcileAnnotations(kind: FluxKind, token: string, flags: ReconcileFlags = {}): Record<string, string> {
  const annotations: Record<string, string> = { [REQUESTED_AT]: token };
  if (kind === 'helmreleases' && flags.force) annotations[FORCE_AT] = token;
  if (kind === 'helmreleases' && (flags.force || flags.reset)) annotations[RESET_AT] = token;
  return annotations;
}

export function reconcileRequest(f: FluxObject, token: string, flags: ReconcileFlags = {}): PlannedRequest {
  const annotations = reconcileAnnotations(f.kind, token, flags);
  const what = annotations[FORCE_AT] ? 'reconcile, force and reset' : annotations[RESET_AT] ? 'reconcile and reset' : 'reconcile';
  const { namespace, name } = parseRef(f.ref);
  return mergePatch(f.kind, namespace, name, { metadata: { annotations } }, `annotate ${describe(f)} to ${what}`);
}

export function resumeRequest(f: FluxObject): PlannedRequest {
  const { namespace, name } = parseRef(f.ref);
  return mergePatch(f.kind, namespace, name, { spec: { suspend: false } }, `resume ${describe(f)} (spec.suspend: false)`);
}

/** `flux reconcile helmrelease x -n ns --with-source --force`, or `flux resume ...` for a suspended one. */
export function fluxCommand(f: FluxObject, flags: { force?: boolean; withSource?: boolean; reset?: boolean } = {}): string {
  const { namespace, name } = parseRef(f.ref);
  const verb = f.suspended ? 'resume' : 'reconcile';
  const opts = [
    flags.withSource && !f.suspended && (f.kind === 'helmreleases' || f.kind === 'kustomizations') && '--with-source',
    f.kind === 'helmreleases' && flags.force && '--force',
    f.kind === 'helmreleases' && !flags.force && flags.reset && '--reset',
  ].filter(Boolean);
  return [`flux ${verb} ${FLUX_CLI[f.kind]} ${shellQuote(name)} -n ${shellQuote(namespace)}`, ...opts].join(' ');
}

/** The kubectl line of a Flux request: `kubectl annotate` for a reconcile, `kubectl patch` otherwise. */
export function fluxKubectlCommand(request: PlannedRequest): string {
  const annotations = at(request.body, 'metadata', 'annotations');
  if (annotations && typeof annotations === 'object' && !at(request.body, 'spec')) {
    return annotateCommand(request.kind, request.namespace, request.name, annotations as Record<string, string>);
  }
  return kubectlCommand(request);
}

export const BY_HAND = '# the same requests with kubectl:';

export type ReconcileState = { state: 'pending'; detail: string } | { state: 'ready' | 'waiting' | 'failed'; detail: string };

/**
 * Where one reconcile stands: `pending` until the controller handled the token and Ready has
 * settled (not Unknown); then Ready, waiting on a dependency, or failed with its message.
 */
export function reconcileState(object: KubeObject | undefined, token: string): ReconcileState {
  if (!object) return { state: 'pending', detail: 'not found' };
  const handled = str(at(object, 'status', 'lastHandledReconcileAt'));
  const ready = condition(object, 'Ready');
  if (handled !== token) return { state: 'pending', detail: 'reconcile not handled yet' };
  if (!ready || ready.status === 'Unknown') return { state: 'pending', detail: ready?.message || 'reconciling' };
  if (ready.status === 'True') return { state: 'ready', detail: ready.message || 'Ready' };
  if (ready.reason === 'DependencyNotReady') return { state: 'waiting', detail: ready.message };
  return { state: 'failed', detail: ready.message || ready.reason || 'not Ready' };
}
