/**
 * The few admission rules of the real API server that drdeck's fixes can run into, with the real
 * server's messages: names, and the immutable parts of PVCs and PVs (seed issues 2 and 4).
 */
import { isDeepStrictEqual } from 'node:util';
import { ClusterError, type KubeObject } from '../cluster.js';
import { KINDS, type KindKey } from '../kinds.js';

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export function invalid(kind: KindKey, name: string, detail: string): ClusterError {
  return new ClusterError(`${KINDS[kind].kind} "${name}" is invalid: ${detail}`, 422, 'Invalid');
}

/** Throws a 422 `ClusterError` when `next` may not be stored (as a create, or as an update of `old`). */
export function validate(kind: KindKey, next: KubeObject, old?: KubeObject): void {
  const { name, namespace } = next.metadata;
  if (!name) throw invalid(kind, '', 'metadata.name: Required value: name or generateName is required');
  if (name.length > 253 || !DNS1123_SUBDOMAIN.test(name)) {
    throw invalid(
      kind,
      name,
      `metadata.name: Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.'`,
    );
  }
  if (KINDS[kind].namespaced && !namespace) {
    throw invalid(kind, name, 'metadata.namespace: Required value');
  }
  if (old && kind === 'persistentvolumeclaims') validatePvcUpdate(next, old);
  if (old && kind === 'persistentvolumes') validatePvUpdate(next, old);
}

/** Only `resources.requests` and `volumeAttributesClassName` may change, and `volumeName` may be set once (binding). */
function validatePvcUpdate(next: KubeObject, old: KubeObject): void {
  const mutable = (spec: any, volumeName: unknown) => {
    const copy = structuredClone(spec ?? {});
    if (copy.resources) delete copy.resources.requests;
    delete copy.volumeAttributesClassName;
    if (volumeName !== undefined) copy.volumeName = volumeName;
    return copy;
  };
  const bindable = old.spec?.volumeName ? undefined : '';
  if (!isDeepStrictEqual(mutable(next.spec, bindable), mutable(old.spec, bindable))) {
    throw invalid(
      'persistentvolumeclaims',
      next.metadata.name,
      'spec: Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims',
    );
  }
}

const PV_SOURCES = ['csi', 'hostPath', 'local', 'nfs', 'cephfs', 'rbd', 'iscsi'];

function validatePvUpdate(next: KubeObject, old: KubeObject): void {
  for (const source of PV_SOURCES) {
    if (!isDeepStrictEqual(next.spec?.[source], old.spec?.[source])) {
      throw invalid('persistentvolumes', next.metadata.name, 'spec.persistentvolumesource: Forbidden: spec.persistentvolumesource is immutable after creation');
    }
  }
}
