/**
 * Small records of what the checks read: the objects as the API sends them, less what drdeck never
 * reads. Secrets keep their metadata only, and no object keeps `kubectl apply`'s copy of its
 * manifest, so a secret value can never reach the screen, a log, the JSON output or the audit log.
 * Every string is capped and its control characters escaped (src/text/sanitize.ts), so no text
 * the cluster holds can freeze or forge the screen.
 *
 * The full text of an object is not kept: a view of one whole object (a YAML view) reads it afresh
 * with `cluster.get` and shows it through `sanitizeValue(object, VIEW_LIMITS)`, bounded too.
 */
import type { KubeObject, ObjectMeta } from './cluster.js';
import type { KindKey } from './kinds.js';
import { sanitizeValue } from './text/sanitize.js';

/**
 * Where `kubectl apply` keeps the whole manifest it applied. On a Secret applied with kubectl that
 * is the Secret's data, in an annotation, so even a metadata-only read carries it.
 */
export const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/**
 * A name or namespace as text. Why not a template string: a broken object's `{"toString": 1}`
 * throws when converted, and one broken object must not stop the feed; a map or list counts as none.
 */
const namePart = (value: unknown): string =>
  value === null || value === undefined || typeof value === 'object' || typeof value === 'function' ? '' : String(value);

/** The store key of an object: `namespace/name`, or `name` when cluster-scoped. */
export function objectKey(object: { metadata?: { name?: string; namespace?: string } }): string {
  const meta = object.metadata ?? {};
  const namespace = namePart(meta.namespace);
  return namespace ? `${namespace}/${namePart(meta.name)}` : namePart(meta.name);
}

/** The object without the last-applied annotation (the same object when it has none). */
export function withoutLastApplied<T extends { metadata?: { annotations?: Record<string, string> } }>(object: T): T {
  const annotations = object.metadata?.annotations;
  // Why the type test: `in` throws on a string, and a broken object must not stop the feed.
  if (!annotations || typeof annotations !== 'object' || !(LAST_APPLIED in annotations)) return object;
  const { [LAST_APPLIED]: _dropped, ...kept } = annotations;
  const { annotations: _all, ...metadata } = object.metadata!;
  // Why set on the rest object and not `{ ...metadata, annotations: kept }`: see slim.
  if (Object.keys(kept).length) (metadata as Record<string, unknown>).annotations = kept;
  return { ...object, metadata };
}

const isMap = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Drops managedFields' bodies (keeping who manages the object), the last-applied annotation, and
 * every Secret value; caps and escapes every string that is left. Why the annotation again here:
 * src/k8s drops it where the JSON is parsed; this is the second line, for every other source (the
 * demo, a test, a future one). Metadata that is not a map is kept as an empty one (name '').
 */
export function slim(kind: KindKey, object: KubeObject): KubeObject {
  const { managedFields, ...meta } = isMap(object.metadata) ? withoutLastApplied(object).metadata : ({ name: '' } as ObjectMeta);
  // Why set on the object the rest made, and not `{ ...meta, managedFields }`: V8 gave each object
  // spread from a rest object a map of its own (491 maps for 500 PVCs). At 20,000 objects that was
  // 20,000 maps more to keep and mark, and every read of metadata a lookup that no cache held.
  if (Array.isArray(managedFields)) meta.managedFields = managedFields.map((m) => ({ manager: m?.manager, operation: m?.operation }));
  if (kind === 'secrets') {
    return sanitizeValue({ apiVersion: object.apiVersion, kind: object.kind, metadata: meta, type: object.type });
  }
  return sanitizeValue({ ...object, metadata: meta });
}
