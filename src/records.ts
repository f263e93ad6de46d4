/**
 * Small records of what the checks read: the objects as the API sends them, less what drdeck never
 * reads. Secrets keep their metadata only, and no object keeps `kubectl apply`'s copy of its
 * manifest, so a secret value can never reach the screen, a log, the JSON output or the audit log.
 */
import type { KubeObject } from './cluster.js';
import type { KindKey } from './kinds.js';

/**
 * Where `kubectl apply` keeps the whole manifest it applied. On a Secret applied with kubectl that
 * is the Secret's data, in an annotation, so even a metadata-only read carries it.
 */
export const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/** The store key of an object: `namespace/name`, or `name` when cluster-scoped. */
export function objectKey(object: { metadata?: { name?: string; namespace?: string } }): string {
  const meta = object.metadata ?? {};
  return meta.namespace ? `${meta.namespace}/${meta.name ?? ''}` : (meta.name ?? '');
}

/** The object without the last-applied annotation (the same object when it has none). */
export function withoutLastApplied<T extends { metadata?: { annotations?: Record<string, string> } }>(object: T): T {
  const annotations = object.metadata?.annotations;
  if (!annotations || !(LAST_APPLIED in annotations)) return object;
  const { [LAST_APPLIED]: _dropped, ...kept } = annotations;
  const { annotations: _all, ...metadata } = object.metadata!;
  return { ...object, metadata: Object.keys(kept).length ? { ...metadata, annotations: kept } : metadata };
}

/**
 * Drops managedFields' bodies (keeping who manages the object), the last-applied annotation, and
 * every Secret value. Why the annotation again here: src/k8s drops it where the JSON is parsed;
 * this is the second line, for every other source (the demo, a test, a future one).
 */
export function slim(kind: KindKey, object: KubeObject): KubeObject {
  const { managedFields, ...metadata } = withoutLastApplied(object).metadata ?? ({ name: '' } as KubeObject['metadata']);
  const managers = Array.isArray(managedFields) ? managedFields.map((m) => ({ manager: m?.manager, operation: m?.operation })) : undefined;
  const meta = managers ? { ...metadata, managedFields: managers } : metadata;
  if (kind === 'secrets') {
    return { apiVersion: object.apiVersion, kind: object.kind, metadata: meta, type: object.type };
  }
  return { ...object, metadata: meta };
}
