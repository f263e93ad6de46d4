/**
 * The Git repository as a source of snapshots: its desired state, rendered the way Flux would apply
 * it, with where each object comes from. The preflight's checklist and the live checks read this
 * (src/preflight/snapshot.ts turns it into the same Snapshot the cluster and the demo give).
 */
import type { KubeObject } from '../cluster.js';

/** A place in the repository: a path relative to the repository root, and a 1-based line. */
export interface SourceRef {
  file: string;
  line: number;
}

/** One object Flux will apply, as it will apply it (patched, namespaced, substituted). */
export interface DesiredObject {
  object: KubeObject;
  /** Where its document starts in the repository (for generated objects: the values that make it). */
  source: SourceRef;
  /** The Flux Kustomization that applies it, `namespace/name`. */
  kustomization: string;
  /**
   * How kustomize reached it from the Kustomization's path, outermost first: the kustomization.yaml
   * files and components it went through (`kubernetes/components/volsync (component)`).
   */
  via: string[];
  /** Set for objects drdeck rendered itself from a chart's values (the bjw-s app-template). */
  generatedFrom?: { helmRelease: string; chart: string };
  /** Its document holds SOPS-encrypted values (`ENC[...]`): kept as written, never decrypted. */
  encrypted?: boolean;
  /** Applied by a suspended Kustomization (or one under a suspended one): Flux will not apply it now. */
  suspended?: boolean;
}

/** A Flux Kustomization found in the repository, and what it says about how it applies its path. */
export interface FluxKustomization {
  /** `namespace/name`. */
  ref: string;
  source: SourceRef;
  /** `spec.path`, relative to the repository root, normalised (no leading `./`). */
  path: string;
  suspended: boolean;
  /** `spec.components`, resolved relative to `spec.path`. */
  components: string[];
  targetNamespace?: string;
  /** `spec.postBuild.substitute` (values of `substituteFrom` cannot be read from Git: see notes). */
  substitute: Readonly<Record<string, string>>;
  dependsOn: string[];
  wait: boolean;
  healthChecks: Array<{ apiVersion?: string; kind?: string; name?: string; namespace?: string }>;
  /** Who applies this Kustomization object itself (`flux-system/flux-system` for the entry's). */
  appliedBy?: string;
  /** `spec.postBuild.substituteFrom`, as written (`ConfigMap/name`, `Secret/name`). */
  substituteFrom?: string[];
  /** What rendered this Kustomization's path (differs from DesiredState.renderer when a tool failed on it). */
  renderer?: 'built-in' | 'flux' | 'kubectl';
}

/** Something the reader skipped or could not do, said once, never a crash. */
export interface RepoNote {
  level: 'info' | 'warn';
  message: string;
  file?: string;
  line?: number;
}

/** The whole desired state of one cluster in the repository. */
export interface DesiredState {
  /** The repository root (absolute). */
  repo: string;
  /** The cluster's entry: its folder and the `flux-system` Kustomization's path. */
  entry: { cluster: string; path: string };
  kustomizations: FluxKustomization[];
  objects: DesiredObject[];
  notes: RepoNote[];
  /** Manifest files applied, and YAML files present under the followed paths but applied by nothing. */
  files: { applied: string[]; unreferenced: string[] };
  /** What rendered the kustomize builds: drdeck's own resolver, or the real flux / kubectl. */
  renderer: 'built-in' | 'flux' | 'kubectl';
}
