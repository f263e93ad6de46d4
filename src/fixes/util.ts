/**
 * Helpers shared by the fixes: targets as strings, planned requests and their kubectl equivalents,
 * YAML for the confirm screen, and the small pieces of `run` every fix repeats (send in order,
 * wait without throwing).
 */
import { stringify } from 'yaml';
import { ClusterError, type KubeObject, type Preconditions } from '../cluster.js';
import type { Snapshot } from '../checks/types.js';
import { namespaceOf, nameOf } from '../checks/util.js';
import { resourcePath } from '../k8s/resources.js';
import { KIND_KEYS, KINDS, type KindKey } from '../kinds.js';
import type { FixTarget, NoPlan, PlannedRequest, RunContext, TargetKind } from './types.js';

/** The resource name kubectl accepts, short where kubectl has a short one people use. */
const KUBECTL_NAMES: Partial<Record<KindKey, string>> = {
  persistentvolumeclaims: 'pvc',
  persistentvolumes: 'pv',
};

export function kubectlResource(kind: KindKey): string {
  return KUBECTL_NAMES[kind] ?? KINDS[kind].kind.toLowerCase();
}

/** A FixTarget as a target string the plans accept: `Kind/namespace/name` (or `Kind/name`; `DNS/name` for a published name). */
export function formatTarget(target: FixTarget): string {
  return [target.kind === 'dns' ? 'DNS' : KINDS[target.kind].kind, target.namespace, target.name].filter(Boolean).join('/');
}

export interface ParsedTarget {
  kind?: TargetKind;
  namespace?: string;
  name: string;
}

/** The kind a word names: `HelmRelease`, `helmrelease`, `helmreleases`, `pvc`; `DNS` for a published name. */
function kindOfWord(word: string): TargetKind | undefined {
  const w = word.toLowerCase();
  if (w === 'dns') return 'dns';
  return KIND_KEYS.find((k) => k === w || KINDS[k].kind.toLowerCase() === w || KUBECTL_NAMES[k] === w);
}

/**
 * Parses a target string: `name`, `namespace/name`, or either with a leading Kind
 * (`HelmRelease/ceph-csi/ceph-csi-rbd`, `PersistentVolume/pv-1`).
 */
export function parseTarget(text: string): ParsedTarget {
  const parts = text.trim().split('/').filter(Boolean);
  const kind = parts.length > 1 ? kindOfWord(parts[0]) : undefined;
  const rest = kind ? parts.slice(1) : parts;
  if (rest.length >= 2) return { kind, namespace: rest[0], name: rest.slice(1).join('/') };
  return { kind, name: rest[0] ?? '' };
}

/** True when `object` of `kind` is the one the parsed target names. */
export function matchesTarget(target: ParsedTarget, kind: KindKey, object: unknown): boolean {
  if (target.kind && target.kind !== kind) return false;
  if (nameOf(object) !== target.name) return false;
  return target.namespace === undefined || target.namespace === (namespaceOf(object) ?? '');
}

export function targetOf(kind: KindKey, object: unknown): FixTarget {
  const namespace = namespaceOf(object);
  return { kind, ...(namespace ? { namespace } : {}), name: nameOf(object) };
}

export function noPlan(refused: string): NoPlan {
  return { refused };
}

/** Quotes a word for a POSIX shell when it needs it. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_.,:/=@%+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

function nsFlag(namespace: string | undefined): string {
  return namespace ? ` -n ${shellQuote(namespace)}` : '';
}

/** A merge patch, as the request and as the `kubectl patch` line that sends the same bytes. */
export function mergePatch(kind: KindKey, namespace: string | undefined, name: string, body: unknown, summary: string): PlannedRequest {
  return { verb: 'patch', kind, ...(namespace ? { namespace } : {}), name, patchType: 'merge', body, summary };
}

export function createRequest(kind: KindKey, object: KubeObject, summary: string): PlannedRequest {
  const namespace = object.metadata.namespace;
  return { verb: 'create', kind, ...(namespace ? { namespace } : {}), name: object.metadata.name, body: object, summary };
}

/** The identity of an object as the plan saw it: what a destructive request is conditioned on. */
export function seenAs(object: KubeObject): Preconditions {
  const { uid, resourceVersion } = object.metadata;
  return { ...(uid ? { uid } : {}), ...(resourceVersion ? { resourceVersion } : {}) };
}

/**
 * A delete of exactly the object the plan saw: its DeleteOptions carry `preconditions` (uid and
 * resourceVersion), so the server refuses (409) to delete another object that took its name
 * meanwhile (Flux recreating a PVC while the operator reads the confirm screen), or this one
 * changed since.
 */
export function deleteRequest(kind: KindKey, object: KubeObject, summary: string): PlannedRequest {
  const { namespace, name } = object.metadata;
  const preconditions = seenAs(object);
  const body = Object.keys(preconditions).length ? { apiVersion: 'v1', kind: 'DeleteOptions', preconditions } : undefined;
  return { verb: 'delete', kind, ...(namespace ? { namespace } : {}), name, ...(body ? { body } : {}), summary };
}

/**
 * A merge patch that removes or replaces something the operator saw (a claimRef, a reclaim policy,
 * labels), sent only to the object as the plan saw it: `metadata.resourceVersion` in a merge patch
 * makes the server answer 409 Conflict when the object changed (or was recreated) since, and the
 * uid names which object that was.
 */
export function guardedPatch(kind: KindKey, object: KubeObject, body: Record<string, unknown>, summary: string): PlannedRequest {
  const seen = seenAs(object);
  const guarded = Object.keys(seen).length ? { ...body, metadata: { ...((body.metadata as Record<string, unknown> | undefined) ?? {}), ...seen } } : body;
  return mergePatch(kind, object.metadata.namespace, object.metadata.name, guarded, summary);
}

/** The uid and resourceVersion a request is conditioned on (a delete's preconditions, a guarded patch's metadata), if any. */
export function preconditionsOf(request: PlannedRequest): Preconditions | undefined {
  const body = request.body as { preconditions?: Preconditions; metadata?: Preconditions } | undefined;
  const seen = request.verb === 'delete' ? body?.preconditions : request.verb === 'patch' && request.patchType !== 'json' ? body?.metadata : undefined;
  return seen?.resourceVersion || seen?.uid ? { uid: seen.uid, resourceVersion: seen.resourceVersion } : undefined;
}

/** "PVC", "PV", else the Kind. */
function kindLabel(kind: KindKey): string {
  return kind === 'persistentvolumeclaims' ? 'PVC' : kind === 'persistentvolumes' ? 'PV' : KINDS[kind].kind;
}

/**
 * The outcome when the server refused a request because its object is no longer the one the plan
 * saw (409 Conflict on its preconditions), or undefined for any other error. Says what changed, in
 * the server's own figures, and that this request did nothing.
 */
export function changedSincePlan(request: PlannedRequest, error: unknown): string | undefined {
  const seen = preconditionsOf(request);
  if (!seen || !(error instanceof ClusterError) || error.code !== 409 || error.reason === 'AlreadyExists') return undefined;
  const where = `${request.namespace ? `${request.namespace}/` : ''}${request.name}`;
  const recreated = /UID in record \(([^)]*)\)/.exec(error.message);
  const modified = /ResourceVersion in record \(([^)]*)\)/.exec(error.message);
  const how = recreated
    ? `deleted and created again: uid ${seen.uid ?? '?'} as planned, now ${recreated[1]}`
    : `modified: uid ${seen.uid ?? '?'} at resourceVersion ${seen.resourceVersion ?? '?'} as planned${modified ? `, now ${modified[1]}` : ''}`;
  const nothing = request.verb === 'delete' ? 'nothing was deleted' : 'it was not changed';
  return `the ${kindLabel(request.kind)} ${where} changed since you confirmed (${how}): ${nothing}; look again`;
}

/** The kubectl command line that does what the request does. */
export function kubectlCommand(request: PlannedRequest): string {
  const target = `${kubectlResource(request.kind)} ${shellQuote(request.name)}${nsFlag(request.namespace)}`;
  switch (request.verb) {
    case 'patch': {
      const sub = request.subresource ? ` --subresource=${request.subresource}` : '';
      return `kubectl patch ${target}${sub} --type=${request.patchType ?? 'merge'} -p ${shellQuote(JSON.stringify(request.body))}`;
    }
    case 'delete': {
      // kubectl delete has no flag for preconditions: the raw DELETE sends the same DeleteOptions.
      if (request.body === undefined) return `kubectl delete ${target}`;
      return `kubectl delete --raw ${resourcePath(request.kind, request.namespace, request.name)} -f - <<'EOF'\n${JSON.stringify(request.body)}\nEOF`;
    }
    case 'create':
      return applyCommand([request.body as KubeObject]);
  }
}

/** `kubectl apply -f -` with the objects as a YAML here-document. */
export function applyCommand(objects: readonly KubeObject[]): string {
  return `kubectl apply -f - <<'EOF'\n${objects.map(toYaml).join('---\n')}EOF`;
}

/** `kubectl annotate ... --overwrite key=value...`. */
export function annotateCommand(kind: KindKey, namespace: string | undefined, name: string, annotations: Record<string, string>): string {
  const pairs = Object.entries(annotations).map(([k, v]) => shellQuote(`${k}=${v}`));
  return `kubectl annotate ${kubectlResource(kind)} ${shellQuote(name)}${nsFlag(namespace)} --overwrite ${pairs.join(' ')}`;
}

/** An object as a manifest: apiVersion and kind first, as people write them. */
export function toYaml(object: unknown): string {
  return stringify(object, { lineWidth: 0 });
}

/** The error of a failed request or wait, as one line. */
export function errorText(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0];
}

/**
 * `context.waitFor` that resolves to undefined on timeout instead of rejecting: every fix reports
 * a timeout as an outcome ("not Programmed after 5m"), never as a crash.
 */
export async function waitQuietly<T>(
  context: RunContext,
  what: string,
  timeoutMs: number,
  done: (snapshot: Snapshot) => T | undefined,
): Promise<T | undefined> {
  try {
    return await context.waitFor(what, Math.max(0, timeoutMs), done);
  } catch {
    return undefined;
  }
}

/** What a failed request did not do, in one line: its object changed since the plan, or the server's words. */
export function failureText(request: PlannedRequest, error: unknown): string {
  return changedSincePlan(request, error) ?? `${request.summary}: ${errorText(error)}`;
}

/** Sends one request; the error as text when it fails. */
export async function trySend(context: RunContext, request: PlannedRequest): Promise<string | undefined> {
  try {
    await context.send(request);
    return undefined;
  } catch (error) {
    return failureText(request, error);
  }
}

/** "1 Service", "3 Services". */
export function count(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}

/** Milliseconds left of a budget that started at `start`. */
export function remaining(context: RunContext, start: number, budgetMs: number): number {
  return Math.max(0, budgetMs - (context.now() - start));
}

/**
 * Sends every request of a plan in order, one progress line each; a refused request does not stop
 * the others. Returns the requests sent and one "namespace/name: message" per refusal.
 */
export async function sendEach(requests: readonly PlannedRequest[], context: RunContext): Promise<{ sent: PlannedRequest[]; errors: string[] }> {
  const sent: PlannedRequest[] = [];
  const errors: string[] = [];
  for (const request of requests) {
    context.progress(request.summary);
    try {
      await context.send(request);
      sent.push(request);
    } catch (error) {
      errors.push(`${request.namespace}/${request.name}: ${errorText(error)}`);
    }
  }
  return { sent, errors };
}
