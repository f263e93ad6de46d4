/**
 * The kinds drdeck watches: one table from which the simulated cluster, the real watchers,
 * discovery, RBAC and the checks' inputs all derive.
 */
export interface KindInfo {
  /** Stable key used everywhere in drdeck (store slices, check inputs, sync state). */
  readonly key: KindKey;
  readonly group: string;
  /**
   * The version drdeck writes manifests in and the demo serves: the newest it understands. A real
   * server may serve the kind at another of `versions` (an older Flux): the watcher reads the one the
   * server prefers (src/k8s/discovery.ts).
   */
  readonly version: string;
  /**
   * Every version drdeck understands, newest first. The checks read only fields these versions share
   * (or every spelling of one that moved), so objects served at any of them are judged alike.
   */
  readonly versions: readonly string[];
  readonly kind: string;
  /** The resource name in the API path (lower-case plural). */
  readonly plural: string;
  readonly namespaced: boolean;
  /** True for kinds that come from a CRD, so may be "not installed". */
  readonly crd: boolean;
}

export const KIND_KEYS = [
  'kustomizations',
  'helmreleases',
  'helmcharts',
  'gitrepositories',
  'ocirepositories',
  'helmrepositories',
  'replicationdestinations',
  'gateways',
  'httproutes',
  'services',
  'persistentvolumeclaims',
  'persistentvolumes',
  'secrets',
  'pods',
  'deployments',
  'storageclasses',
  'volumesnapshotclasses',
] as const;

export type KindKey = (typeof KIND_KEYS)[number];

const k = (key: KindKey, group: string, versions: readonly [string, ...string[]], kind: string, namespaced: boolean, crd: boolean): KindInfo => ({
  key,
  group,
  version: versions[0],
  versions,
  kind,
  plural: key,
  namespaced,
  crd,
});

/**
 * Flux's source API: v1 (GitRepository since Flux 2.0, HelmRepository and HelmChart since 2.3,
 * OCIRepository since 2.6), v1beta2 before; so one group may serve two kinds at two versions.
 */
const FLUX_SOURCE = ['v1', 'v1beta2'] as const;

export const KINDS: Readonly<Record<KindKey, KindInfo>> = {
  kustomizations: k('kustomizations', 'kustomize.toolkit.fluxcd.io', ['v1', 'v1beta2'], 'Kustomization', true, true),
  helmreleases: k('helmreleases', 'helm.toolkit.fluxcd.io', ['v2', 'v2beta2', 'v2beta1'], 'HelmRelease', true, true),
  helmcharts: k('helmcharts', 'source.toolkit.fluxcd.io', FLUX_SOURCE, 'HelmChart', true, true),
  gitrepositories: k('gitrepositories', 'source.toolkit.fluxcd.io', FLUX_SOURCE, 'GitRepository', true, true),
  ocirepositories: k('ocirepositories', 'source.toolkit.fluxcd.io', FLUX_SOURCE, 'OCIRepository', true, true),
  helmrepositories: k('helmrepositories', 'source.toolkit.fluxcd.io', FLUX_SOURCE, 'HelmRepository', true, true),
  replicationdestinations: k('replicationdestinations', 'volsync.backube', ['v1alpha1'], 'ReplicationDestination', true, true),
  gateways: k('gateways', 'gateway.networking.k8s.io', ['v1', 'v1beta1'], 'Gateway', true, true),
  httproutes: k('httproutes', 'gateway.networking.k8s.io', ['v1', 'v1beta1'], 'HTTPRoute', true, true),
  services: k('services', '', ['v1'], 'Service', true, false),
  persistentvolumeclaims: k('persistentvolumeclaims', '', ['v1'], 'PersistentVolumeClaim', true, false),
  persistentvolumes: k('persistentvolumes', '', ['v1'], 'PersistentVolume', false, false),
  secrets: k('secrets', '', ['v1'], 'Secret', true, false),
  pods: k('pods', '', ['v1'], 'Pod', true, false),
  deployments: k('deployments', 'apps', ['v1'], 'Deployment', true, false),
  storageclasses: k('storageclasses', 'storage.k8s.io', ['v1'], 'StorageClass', false, false),
  volumesnapshotclasses: k('volumesnapshotclasses', 'snapshot.storage.k8s.io', ['v1', 'v1beta1'], 'VolumeSnapshotClass', false, true),
};

/** `apiVersion` as written in manifests: `group/version`, or just `version` for the core group; `version` defaults to drdeck's own. */
export function apiVersionOf(info: KindInfo, version = info.version): string {
  return info.group ? `${info.group}/${version}` : version;
}

/** Finds the kind key for an apiVersion and kind, or undefined when drdeck does not watch it. */
export function kindKeyFor(apiVersion: string | undefined, kind: string | undefined): KindKey | undefined {
  if (!kind) return undefined;
  const group = apiVersion?.includes('/') ? apiVersion.split('/')[0] : '';
  return KIND_KEYS.find((key) => KINDS[key].kind === kind && KINDS[key].group === group);
}
