/**
 * The desired state as a Snapshot, the same shape the cluster and the demo give the checks: every
 * kind drdeck knows is "synced" (the repository was read whole), objects keyed as the store keys them.
 * Pure: no I/O.
 */
import type { KubeObject, SyncState } from '../cluster.js';
import type { InputKey, Snapshot } from '../checks/types.js';
import { KIND_KEYS, KINDS, kindKeyFor, type KindKey } from '../kinds.js';
import { objectKey } from '../records.js';
import type { DesiredObject, DesiredState } from './types.js';

/** From an object placed in a snapshot back to where it comes from in the repository. */
const origins = new WeakMap<KubeObject, DesiredObject>();

/**
 * A Snapshot of STATE at NOW. An object of a cluster-scoped kind is keyed by its name alone, even
 * when kustomize gave it a namespace (it does so for cluster-scoped custom resources). When two
 * Kustomizations apply the same object, the last one read wins (the resolver notes the conflict).
 * DNS answers are not in Git: the `dns` input is "not-installed" with a detail saying so.
 */
export function snapshotOf(state: DesiredState, now: number): Snapshot {
  const objects = Object.fromEntries(KIND_KEYS.map((key) => [key, new Map<string, KubeObject>()])) as Record<KindKey, Map<string, KubeObject>>;
  for (const desired of state.objects) {
    const key = kindKeyFor(desired.object.apiVersion, desired.object.kind);
    if (!key) continue;
    let object = desired.object;
    if (!KINDS[key].namespaced && object.metadata.namespace !== undefined) {
      const { namespace: _dropped, ...metadata } = object.metadata;
      object = { ...object, metadata };
    }
    objects[key].set(objectKey(object), object);
    origins.set(object, desired);
  }
  const synced: SyncState = { phase: 'synced' };
  const sync = Object.fromEntries(KIND_KEYS.map((key) => [key, synced])) as Record<InputKey, SyncState>;
  sync.dns = { phase: 'not-installed', detail: 'DNS answers are not in the repository' };
  return { now, objects, sync, dns: new Map() };
}

/** The DesiredObject an object of a snapshot made by {@link snapshotOf} comes from (its file:line is `source`). */
export function desiredOf(object: KubeObject): DesiredObject | undefined {
  return origins.get(object);
}

/** The DesiredObject behind `snapshot.objects[kind].get(key)` (KEY as the store keys it: `namespace/name` or `name`). */
export function desiredObjectOf(snapshot: Snapshot, kind: KindKey, key: string): DesiredObject | undefined {
  const object = snapshot.objects[kind].get(key);
  return object ? origins.get(object) : undefined;
}
