/**
 * The kinds drdeck watches: one table from which the simulated cluster, the real watchers,
 * discovery, RBAC and the checks' inputs all derive.
 */
export interface KindInfo {
  /** Stable key used everywhere in drdeck (store slices, check inputs, sync state). */
  readonly key: KindKey;
  readonly group: string;
  readonly version: string;
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

const k = (key: KindKey, group: string, version: string, kind: string, namespaced: boolean, crd: boolean): KindInfo => ({
  key,
  group,
  version,
  kind,
  plural: key,
  namespaced,
  crd,
});

export const KINDS: Readonly<Record<KindKey, KindInfo>> = {
  kustomizations: k('kustomizations', 'kustomize.toolkit.fluxcd.io', 'v1', 'Kustomization', true, true),
  helmreleases: k('helmreleases', 'helm.toolkit.fluxcd.io', 'v2', 'HelmRelease', true, true),
  helmcharts: k('helmcharts', 'source.toolkit.fluxcd.io', 'v1', 'HelmChart', true, true),
  gitrepositories: k('gitrepositories', 'source.toolkit.fluxcd.io', 'v1', 'GitRepository', true, true),
  ocirepositories: k('ocirepositories', 'source.toolkit.fluxcd.io', 'v1', 'OCIRepository', true, true),
  helmrepositories: k('helmrepositories', 'source.toolkit.fluxcd.io', 'v1', 'HelmRepository', true, true),
  replicationdestinations: k('replicationdestinations', 'volsync.backube', 'v1alpha1', 'ReplicationDestination', true, true),
  gateways: k('gateways', 'gateway.networking.k8s.io', 'v1', 'Gateway', true, true),
  httproutes: k('httproutes', 'gateway.networking.k8s.io', 'v1', 'HTTPRoute', true, true),
  services: k('services', '', 'v1', 'Service', true, false),
  persistentvolumeclaims: k('persistentvolumeclaims', '', 'v1', 'PersistentVolumeClaim', true, false),
  persistentvolumes: k('persistentvolumes', '', 'v1', 'PersistentVolume', false, false),
  secrets: k('secrets', '', 'v1', 'Secret', true, false),
  pods: k('pods', '', 'v1', 'Pod', true, false),
  deployments: k('deployments', 'apps', 'v1', 'Deployment', true, false),
  storageclasses: k('storageclasses', 'storage.k8s.io', 'v1', 'StorageClass', false, false),
  volumesnapshotclasses: k('volumesnapshotclasses', 'snapshot.storage.k8s.io', 'v1', 'VolumeSnapshotClass', false, true),
};

/** `apiVersion` as written in manifests: `group/version`, or just `version` for the core group. */
export function apiVersionOf(info: KindInfo): string {
  return info.group ? `${info.group}/${info.version}` : info.version;
}

/** Finds the kind key for an apiVersion and kind, or undefined when drdeck does not watch it. */
export function kindKeyFor(apiVersion: string | undefined, kind: string | undefined): KindKey | undefined {
  if (!kind) return undefined;
  const group = apiVersion?.includes('/') ? apiVersion.split('/')[0] : '';
  return KIND_KEYS.find((key) => KINDS[key].kind === kind && KINDS[key].group === group);
}
