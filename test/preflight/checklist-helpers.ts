/**
 * Hand-built desired states for the checklist's unit tests: objects with where they are written,
 * a Snapshot of them as the live checks read one, and the repository's files in memory.
 */
import type { KubeObject } from '../../src/cluster.js';
import type { Snapshot } from '../../src/checks/types.js';
import { kindKeyFor, type KindKey } from '../../src/kinds.js';
import type { RepoFiles } from '../../src/preflight/checklist.js';
import type { DesiredObject, DesiredState, FluxKustomization } from '../../src/preflight/types.js';
import { makeSnapshot, type Objects } from '../checks/fixtures.js';

export interface Placed {
  object: KubeObject;
  file: string;
  line?: number;
  kustomization?: string;
  via?: string[];
}

/** A DesiredObject from an object and where it is written. */
export function placed(p: Placed): DesiredObject {
  return { object: p.object, source: { file: p.file, line: p.line ?? 1 }, kustomization: p.kustomization ?? 'flux-system/apps', via: p.via ?? [] };
}

export function ks(ref: string, fields: Partial<FluxKustomization> = {}): FluxKustomization {
  return {
    ref,
    source: { file: `kubernetes/${ref.split('/')[1]}/ks.yaml`, line: 1 },
    path: `kubernetes/${ref.split('/')[1]}/app`,
    suspended: false,
    components: [],
    substitute: {},
    dependsOn: [],
    wait: false,
    healthChecks: [],
    ...fields,
  };
}

/** The Flux Kustomization object for a FluxKustomization, as the parent applies it. */
export function ksObject(k: FluxKustomization): KubeObject {
  const [namespace, name] = k.ref.split('/');
  return {
    apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
    kind: 'Kustomization',
    metadata: { name, namespace },
    spec: { path: `./${k.path}`, wait: k.wait, healthChecks: k.healthChecks, ...(k.suspended ? { suspend: true } : {}) },
  };
}

export function desiredState(objects: DesiredObject[], kustomizations: FluxKustomization[] = [], unreferenced: string[] = []): DesiredState {
  const all = [...objects, ...kustomizations.map((k) => ({ object: ksObject(k), source: k.source, kustomization: 'flux-system/flux-system', via: [] }))];
  return {
    repo: '/repo',
    entry: { cluster: 'clusters/main', path: 'clusters/main' },
    kustomizations,
    objects: all,
    notes: [],
    files: { applied: [...new Set(all.map((o) => o.source.file))], unreferenced },
    renderer: 'built-in',
  };
}

/** The snapshot the live checks read, of the desired state's objects (every kind synced). */
export function snapshotOfState(state: DesiredState): Snapshot {
  const objects: Objects = {};
  for (const d of state.objects) {
    const key: KindKey | undefined = kindKeyFor(d.object.apiVersion as string | undefined, d.object.kind as string | undefined);
    if (key) (objects[key] ??= []).push(d.object);
  }
  return makeSnapshot(objects);
}

/** The repository's files in memory: path → text (a `+x` suffix on the key marks it executable). */
export function memoryFiles(files: Record<string, string>): RepoFiles {
  const byPath = new Map(Object.entries(files).map(([k, v]) => [k.replace(/\+x$/, ''), { text: v, executable: k.endsWith('+x') }]));
  return {
    read: (file) => byPath.get(file)?.text,
    exists: (file) => byPath.has(file) || [...byPath.keys()].some((k) => k.startsWith(`${file}/`)),
    list: (dir, name) =>
      [...byPath]
        .filter(([k]) => k.startsWith(`${dir}/`) && !k.slice(dir.length + 1).includes('/') && name.test(k.slice(dir.length + 1)))
        .map(([file, f]) => ({ file, executable: f.executable }))
        .sort((a, b) => a.file.localeCompare(b.file)),
  };
}
