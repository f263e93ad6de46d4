/**
 * Small records of what the checks read: the objects as the API sends them, less what drdeck never
 * reads. Secrets keep their metadata only, so a secret value can never reach the screen, a log,
 * the JSON output or the audit log.
 */
import type { KubeObject } from './cluster.js';
import type { KindKey } from './kinds.js';

/** The store key of an object: `namespace/name`, or `name` when cluster-scoped. */
export function objectKey(object: { metadata?: { name?: string; namespace?: string } }): string {
  const meta = object.metadata ?? {};
  return meta.namespace ? `${meta.namespace}/${meta.name ?? ''}` : (meta.name ?? '');
}

/** Drops managedFields' bodies (keeping who manages the object), and every Secret value. */
export function slim(kind: KindKey, object: KubeObject): KubeObject {
  const { managedFields, ...metadata } = object.metadata ?? ({ name: '' } as KubeObject['metadata']);
  const managers = Array.isArray(managedFields) ? managedFields.map((m) => ({ manager: m?.manager, operation: m?.operation })) : undefined;
  const meta = managers ? { ...metadata, managedFields: managers } : metadata;
  if (kind === 'secrets') {
    return { apiVersion: object.apiVersion, kind: object.kind, metadata: meta, type: object.type };
  }
  return { ...object, metadata: meta };
}
