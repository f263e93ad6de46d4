/** The fields a planned request changes, short enough to read in one glance. Pure. */
import type { PlannedRequest } from './types.js';

/** Fields a reader checks first on a created object: they decide whether it is the right one. */
const FIRST = ['volumeHandle', 'persistentVolumeReclaimPolicy', 'volumeName', 'storageClassName', 'copyMethod', 'manual', 'ipFamilyPolicy'];
/** Never a change: the preconditions that pin a request to the object the plan saw, and identity. */
const SKIP = new Set(['metadata.uid', 'metadata.resourceVersion', 'metadata.name', 'metadata.namespace', 'apiVersion', 'kind']);
const MAX_FIELDS = 4;

/** A value as a person checks it: a long handle by its tail (`…1c73`), which is where handles differ. */
function short(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(short).join(', ')}]`;
  if (typeof value !== 'string' || value === '') return JSON.stringify(value);
  if (value.length > 24 && /[0-9a-f]{8,}$/i.test(value)) return `…${value.slice(-4)}`;
  return value.length > 40 ? `…${value.slice(-30)}` : value;
}

const scalar = (v: unknown) => v === null || typeof v !== 'object';

function leaves(value: unknown, path: string[], out: Array<{ path: string; key: string; value: unknown }>): void {
  // A list of plain values is one field: `ipFamilies: [IPv4, IPv6]`.
  if (value !== null && typeof value === 'object' && !(Array.isArray(value) && value.length > 0 && value.every(scalar))) {
    const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
    for (const [k, v] of entries) leaves(v, [...path, k], out);
    return;
  }
  const key = [...path].reverse().find((p) => !/^\d+$/.test(p)) ?? '';
  out.push({ path: path.join('.'), key, value });
}

/**
 * `volumeHandle: …1c73`, `persistentVolumeReclaimPolicy: Retain`: what a patch sets, or the fields
 * of a created object that tell it apart, at most four (`+3 more`). Empty for a delete.
 */
export function changedFields(request: PlannedRequest): string[] {
  if (request.verb === 'delete' || request.body === undefined) return [];
  const all: Array<{ path: string; key: string; value: unknown }> = [];
  leaves(request.body, [], all);
  let fields = all.filter((f) => !SKIP.has(f.path));
  if (request.verb === 'create') {
    // A created object's metadata (labels, owner) is not what the operator checks.
    fields = fields.filter((f) => !f.path.startsWith('metadata.'));
    const rank = (f: { key: string }) => (FIRST.includes(f.key) ? FIRST.indexOf(f.key) : FIRST.length);
    fields = fields
      .map((f, i) => ({ f, i }))
      .sort((a, b) => rank(a.f) - rank(b.f) || a.i - b.i)
      .map(({ f }) => f);
  }
  const shown = fields.slice(0, MAX_FIELDS).map((f) => `${f.key}: ${short(f.value)}`);
  return fields.length > MAX_FIELDS ? [...shown, `+${fields.length - MAX_FIELDS} more`] : shown;
}
