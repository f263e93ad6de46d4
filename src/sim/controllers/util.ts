/** Small helpers shared by the simulated controllers. */
import { createHash } from 'node:crypto';
import type { KubeObject } from '../../cluster.js';
import type { KindKey } from '../../kinds.js';
import { transition, type Condition, type ConditionSpec } from '../flux-status.js';
import type { ControllerContext } from './types.js';

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;

export const refOf = (object: KubeObject): string =>
  object.metadata.namespace ? `${object.metadata.namespace}/${object.metadata.name}` : object.metadata.name;

/** `namespace/name` into its parts; a bare name has no namespace. */
export function parseRef(ref: string): { namespace?: string; name: string } {
  const slash = ref.indexOf('/');
  return slash < 0 ? { name: ref } : { namespace: ref.slice(0, slash), name: ref.slice(slash + 1) };
}

export const conditionsOf = (object: KubeObject | undefined): Condition[] => (Array.isArray(object?.status?.conditions) ? object!.status.conditions : []);

export const conditionOf = (object: KubeObject | undefined, type: string): Condition | undefined => conditionsOf(object).find((c) => c.type === type);

/**
 * `specs` written over `previous` the way metav1's SetStatusCondition does: a condition keeps its
 * lastTransitionTime while its status does not change, and conditions of other types are kept.
 */
export function setConditions(previous: readonly Condition[], specs: readonly ConditionSpec[], now: number, observedGeneration?: number): Condition[] {
  const updated = transition(previous, specs, now, observedGeneration);
  const types = new Set(specs.map((s) => s.type));
  return [...previous.filter((c) => !types.has(c.type)), ...updated];
}

/** A number between `min` and `max` (inclusive) derived from `seed`: the same seed, the same number. */
export function spread(seed: string, min: number, max: number): number {
  const n = createHash('sha256').update(seed).digest().readUInt32BE(0);
  return min + (n % (max - min + 1));
}

/** A stable fake UUID derived from `seed`. */
export function fakeUuid(seed: string): string {
  const hex = createHash('sha256').update(seed).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** A duration as Go's time.Duration prints it (metav1.Duration): "3m12s", "45s", "1h2m0s". */
export function goDuration(ms: number): string {
  const total = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h) return `${h}h${m}m${s}s`;
  if (m) return `${m}m${s}s`;
  return `${s}s`;
}

/** "20251202T101500" style stamp, as VolSync suffixes the snapshots it takes. */
export function compactStamp(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, '')
    .replace('T', '');
}

/** Merge-patches `.status` through the status subresource (fields not named stay; null deletes). */
export async function patchStatus(
  ctx: ControllerContext,
  kind: KindKey,
  namespace: string | undefined,
  name: string,
  status: Record<string, unknown>,
): Promise<void> {
  if (ctx.stopped) return;
  await ctx.cluster.patch(kind, namespace, name, { status }, 'merge', { subresource: 'status' });
}

/** Merge-patches the main resource (metadata, spec). */
export async function patchObject(
  ctx: ControllerContext,
  kind: KindKey,
  namespace: string | undefined,
  name: string,
  patch: Record<string, unknown>,
): Promise<void> {
  if (ctx.stopped) return;
  await ctx.cluster.patch(kind, namespace, name, patch, 'merge');
}
