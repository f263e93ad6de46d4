/**
 * The `rebuild` scenario: the seed's cluster rebuild, from just after Flux was deployed. At its
 * start all nine seed issues are visible; over the next 17 scenario minutes the infrastructure
 * comes up one piece at a time (the seed's "infra ready 15-20 min"), and external-secrets syncs
 * the one repository Secret missing at the start. Nothing here fixes the nine issues: that is left
 * to drdeck's fixes and the simulated controllers (the apps start once their PVCs are restored).
 */
import type { DnsRecordType, KubeObject } from '../../cluster.js';
import type { KindKey } from '../../kinds.js';
import { ClusterError } from '../../cluster.js';
import { deployment, deploymentAvailable, fakeDigest, fakeSuffix, fluxLabels, inventoryEntry, inventoryOf, podPending, podRunning } from '../builders.js';
import type { SimDns } from '../dns.js';
import { conditionsOf, EPOCH, helmRelease, kustomization, transition, type Condition, type ConditionSpec } from '../flux-status.js';
import { timestamp, type SimCluster } from '../object-store.js';
import type { DemoConfig } from '../types.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;

/** The scenario starts this long after t0 (Flux deployed): the seed's timeline begins at t0. */
export const REBUILD_START_OFFSET_MS = 30 * SECOND;

/** The Git revision every Flux object has fetched or applied. */
export const REVISION = 'main@sha1:3f9c2ab7d41e8c5f0a6b9d2e7c1f4a8b5e0d3c6f';

const CEPH_CLUSTER_ID = '5b3e1f0a-9c7d-4e2b-8a61-2f4c9d7e3b10';
const cephfsHandle = (subvolume: string) => `0001-0024-${CEPH_CLUSTER_ID}-0000000000000001-${subvolume}`;
const SAVED_SUBVOLUME = 'c2d9e0f4-7a1b-4c3e-9f58-6d2a0b4e1c73';
const NEW_SUBVOLUME = '8e4f2a6c-1d3b-4f7e-a0c9-5b7d3e1f9a24';
const KOPIA_PVC_UID = '4a7c2e9b-3f1d-4b8a-9e6c-0d5f7a2b1c38';

/** The 22 apps whose config PVCs the seed restores, with their Git folder and PVC size. */
const APPS: ReadonlyArray<readonly [name: string, folder: string, capacity: string]> = [
  ['atuin', '3-home', '1Gi'],
  ['autobrr', '4-downloads', '1Gi'],
  ['bazarr', '4-downloads', '2Gi'],
  ['calibre-web', '5-media', '2Gi'],
  ['emby', '5-media', '10Gi'],
  ['filebrowser', '3-home', '1Gi'],
  ['home-assistant', '3-home', '5Gi'],
  ['jellyseerr', '5-media', '2Gi'],
  ['lidarr', '4-downloads', '5Gi'],
  ['mealie', '3-home', '2Gi'],
  ['mosquitto', '3-home', '1Gi'],
  ['overseerr', '5-media', '2Gi'],
  ['paperless', '3-home', '5Gi'],
  ['plex', '5-media', '20Gi'],
  ['prowlarr', '4-downloads', '1Gi'],
  ['qbittorrent', '4-downloads', '2Gi'],
  ['radarr', '4-downloads', '5Gi'],
  ['readarr', '4-downloads', '5Gi'],
  ['sabnzbd', '4-downloads', '2Gi'],
  ['sonarr', '4-downloads', '5Gi'],
  ['tautulli', '5-media', '2Gi'],
  ['thelounge', '3-home', '1Gi'],
];

/** What the scenario sets up, for tests and for anyone reading the demo. */
export const REBUILD_FACTS = {
  apps: APPS.map(([name]) => name),
  /** Seed issue 3: RDs without `copyMethod`. */
  missingCopyMethod: ['atuin', 'bazarr', 'emby', 'lidarr', 'mealie', 'paperless', 'readarr', 'tautulli'],
  /** Seed issue 9: RDs labelled `kustomize.toolkit.fluxcd.io/ssa: IfNotPresent`. */
  ifNotPresent: ['autobrr', 'bazarr', 'emby', 'jellyseerr', 'prowlarr', 'sonarr'],
  /** The app whose repository Secret is missing at the start (its ExternalSecret has not synced). */
  missingSecret: 'thelounge',
  /** When external-secrets, Ready at 9 min, has synced that Secret at last (ms after t0). */
  missingSecretAt: 10 * MINUTE,
  /** Seed issue 2: the handle saved in Git, and the one the recreated PVC got instead. */
  savedVolumeHandle: cephfsHandle(SAVED_SUBVOLUME),
  wrongVolumeHandle: cephfsHandle(NEW_SUBVOLUME),
  kopiaPv: `pvc-${KOPIA_PVC_UID}`,
  /** The Kustomizations drdeck's readiness check waits for, and when each turns Ready (ms after t0). */
  essentialReadyAt: { 'flux-system': 0, 'ceph-csi': 1 * MINUTE, 'cert-manager': 5 * MINUTE, 'external-secrets': 9 * MINUTE, volsync: 16 * MINUTE },
  /** When the last infrastructure object turns Ready (ms after t0). */
  infraReadyAt: 17 * MINUTE,
  stuckHelmReleases: ['ceph-csi/ceph-csi-cephfs', 'ceph-csi/ceph-csi-rbd'],
} as const;

const ISSUE_4_MESSAGE =
  'PersistentVolumeClaim/default/kopia dry-run failed (Invalid): PersistentVolumeClaim "kopia" is invalid: spec: Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims';

const STORAGE_CLASS = 'csi-cephfs-config-sc';
const SNAPSHOT_CLASS = 'csi-cephfs-config-snapclass';

/** What a step may touch. Steps write through the cluster's API so that watches see every change. */
export interface StepContext {
  cluster: SimCluster;
  dns: SimDns;
  /** Scenario time, ms since epoch. */
  now(): number;
}

export interface ScenarioStep {
  /** When it runs, in ms after t0. */
  at: number;
  title: string;
  run(context: StepContext): void;
}

export interface SeedObject {
  kind: KindKey;
  object: KubeObject;
}

export interface SeedRecord {
  name: string;
  type: DnsRecordType;
  addresses: string[];
}

export interface Scenario {
  name: string;
  /** Flux deployed: the creationTimestamp of the flux-system objects, ms since epoch. */
  t0: number;
  /** The scenario begins (and its clock starts) at t0 + startOffset. */
  startOffset: number;
  objects: SeedObject[];
  dns: SeedRecord[];
  /** Sorted by `at`. */
  steps: ScenarioStep[];
  /** The objects as Git holds them, which the simulated Flux applies again when they are missing. */
  git: SeedObject[];
  /** Config overrides for the demo; `configSchema.parse` accepts them. */
  config: DemoConfig;
}

// ---------------------------------------------------------------------------------------------
// Infrastructure: the Flux Kustomizations and HelmReleases that come up one after another.

interface InfraKustomization {
  name: string;
  path: string;
  dependsOn: string[];
  /** `wait: true`: kustomize-controller health-checks what it applied and reports Healthy. */
  wait: boolean;
  /** Starts reconciling at this offset after t0 (0: already reconciling at the start). */
  progressAt: number;
  readyAt: number;
  inventory: Array<{ id: string; v: string }>;
}

interface InfraRelease {
  namespace: string;
  name: string;
  chart: string;
  version: string;
  repository: string;
  url: string;
  dependsOn?: string;
  kustomization: string;
  action: 'install' | 'upgrade';
  progressAt?: number;
  readyAt?: number;
  /** Deployment made available when the release turns Ready. */
  deployment?: { name: string; image: string; replicas: number };
  /** Seed issue 1: stuck on "latest generation of object has not been reconciled" for good. */
  stuck?: boolean;
}

const RELEASES: InfraRelease[] = [
  {
    namespace: 'kube-system',
    name: 'cilium',
    chart: 'cilium',
    version: '1.18.4',
    repository: 'cilium',
    url: 'https://helm.cilium.io',
    kustomization: 'cilium',
    action: 'upgrade',
    progressAt: 0,
    readyAt: 90 * SECOND,
  },
  {
    namespace: 'cert-manager',
    name: 'cert-manager',
    chart: 'cert-manager',
    version: 'v1.19.1',
    repository: 'jetstack',
    url: 'https://charts.jetstack.io',
    dependsOn: 'kube-system/cilium',
    kustomization: 'cert-manager',
    action: 'install',
    progressAt: 90 * SECOND,
    readyAt: 4.5 * MINUTE,
    deployment: { name: 'cert-manager', image: 'quay.io/jetstack/cert-manager-controller:v1.19.1', replicas: 1 },
  },
  {
    namespace: 'external-secrets',
    name: 'external-secrets',
    chart: 'external-secrets',
    version: '1.1.0',
    repository: 'external-secrets',
    url: 'https://charts.external-secrets.io',
    dependsOn: 'cert-manager/cert-manager',
    kustomization: 'external-secrets',
    action: 'install',
    progressAt: 4.5 * MINUTE,
    readyAt: 8.5 * MINUTE,
    deployment: { name: 'external-secrets', image: 'oci.external-secrets.io/external-secrets/external-secrets:v1.1.0', replicas: 1 },
  },
  {
    namespace: 'volsync-system',
    name: 'volsync',
    chart: 'volsync',
    version: '0.14.0',
    repository: 'backube',
    url: 'https://backube.github.io/helm-charts/',
    dependsOn: 'external-secrets/external-secrets',
    kustomization: 'volsync',
    action: 'install',
    progressAt: 8.5 * MINUTE,
    readyAt: 15.5 * MINUTE,
    deployment: { name: 'volsync', image: 'ghcr.io/perfectra1n/volsync:v0.14.0', replicas: 1 },
  },
  {
    namespace: 'ceph-csi',
    name: 'ceph-csi-cephfs',
    chart: 'ceph-csi-cephfs',
    version: '3.15.0',
    repository: 'ceph-csi',
    url: 'https://ceph.github.io/csi-charts',
    kustomization: 'ceph-csi',
    action: 'install',
    stuck: true,
  },
  {
    namespace: 'ceph-csi',
    name: 'ceph-csi-rbd',
    chart: 'ceph-csi-rbd',
    version: '3.15.0',
    repository: 'ceph-csi',
    url: 'https://ceph.github.io/csi-charts',
    kustomization: 'ceph-csi',
    action: 'install',
    stuck: true,
  },
];

const releaseEntries = (kustomization: string) =>
  RELEASES.filter((r) => r.kustomization === kustomization).flatMap((r) => [
    inventoryEntry('Namespace', '', 'v1', undefined, r.namespace),
    inventoryOf('helmrepositories', r.namespace, r.repository),
    inventoryOf('helmreleases', r.namespace, r.name),
  ]);

const KUSTOMIZATIONS: InfraKustomization[] = [
  {
    name: 'cilium',
    path: './kubernetes/infrastructure/2-foundation/cilium',
    dependsOn: [],
    wait: false,
    // Seed issue 7's long-term fix is missing: no healthChecks for the Gateways.
    progressAt: 0,
    readyAt: 2 * MINUTE,
    inventory: [...releaseEntries('cilium'), inventoryOf('gateways', 'network', 'gateway-external'), inventoryOf('gateways', 'network', 'gateway-internal')],
  },
  {
    name: 'ceph-csi',
    path: './kubernetes/infrastructure/2-foundation/ceph-csi',
    dependsOn: [],
    wait: false,
    // Seed issue 1's long-term fix is missing: no healthChecks, so it is Ready while its HelmReleases are stuck.
    progressAt: 0,
    readyAt: 1 * MINUTE,
    inventory: [
      ...releaseEntries('ceph-csi'),
      inventoryOf('storageclasses', undefined, 'csi-cephfs-sc'),
      inventoryOf('storageclasses', undefined, STORAGE_CLASS),
      inventoryOf('storageclasses', undefined, 'csi-rbd-sc'),
    ],
  },
  {
    name: 'cert-manager',
    path: './kubernetes/infrastructure/1-security/cert-manager',
    dependsOn: ['cilium'],
    wait: true,
    progressAt: 2 * MINUTE,
    readyAt: 5 * MINUTE,
    inventory: releaseEntries('cert-manager'),
  },
  {
    name: 'external-secrets',
    path: './kubernetes/infrastructure/1-security/external-secrets',
    dependsOn: ['cert-manager'],
    wait: true,
    progressAt: 5 * MINUTE,
    readyAt: 9 * MINUTE,
    inventory: releaseEntries('external-secrets'),
  },
  {
    name: 'volsync',
    path: './kubernetes/infrastructure/2-foundation/volsync',
    dependsOn: ['external-secrets', 'ceph-csi'],
    wait: true,
    progressAt: 9 * MINUTE,
    readyAt: 16 * MINUTE,
    inventory: releaseEntries('volsync'),
  },
  {
    name: 'kopia',
    path: './kubernetes/apps/6-data/kopia/app',
    dependsOn: ['volsync'],
    wait: false,
    progressAt: 16 * MINUTE,
    readyAt: 17 * MINUTE,
    inventory: [inventoryOf('deployments', 'default', 'kopia'), inventoryEntry('Service', '', 'v1', 'default', 'kopia')],
  },
];

// ---------------------------------------------------------------------------------------------

/** Builds the `rebuild` scenario for a cluster whose Flux was deployed at `t0` (ms since epoch). */
export function createRebuildScenario(options: { t0: number }): Scenario {
  const t0 = options.t0;
  const at = (ms: number) => t0 + ms;
  const objects: SeedObject[] = [];
  const add = (kind: KindKey, object: KubeObject) => objects.push({ kind, object });
  const meta = (name: string, namespace: string | undefined, created: number, extra: Record<string, unknown> = {}) => ({
    name,
    ...(namespace ? { namespace } : {}),
    creationTimestamp: timestamp(created),
    ...extra,
  });
  const conditions = (specs: ConditionSpec[], time: number, generation = 1) => transition(undefined, specs, time, generation);

  // Flux's own source.
  add('gitrepositories', {
    metadata: meta('flux-system', 'flux-system', t0, { labels: fluxLabels('flux-system') }),
    spec: { interval: '1m0s', ref: { branch: 'main' }, secretRef: { name: 'flux-system' }, url: 'ssh://git@github.com/sulibot/home-ops' },
    status: {
      observedGeneration: 1,
      artifact: {
        revision: REVISION,
        digest: `sha256:${fakeDigest(REVISION)}`,
        path: 'gitrepository/flux-system/flux-system/3f9c2ab7.tar.gz',
        url: 'http://source-controller.flux-system.svc.cluster.local./gitrepository/flux-system/flux-system/3f9c2ab7.tar.gz',
        lastUpdateTime: timestamp(at(8 * SECOND)),
      },
      conditions: [
        ...conditions([{ type: 'Ready', status: 'True', reason: 'Succeeded', message: `stored artifact for revision '${REVISION}'` }], at(8 * SECOND)),
        ...conditions(
          [{ type: 'ArtifactInStorage', status: 'True', reason: 'Succeeded', message: `stored artifact for revision '${REVISION}'` }],
          at(8 * SECOND),
        ),
      ],
    },
  });

  // The root Kustomization, which applied all the others.
  const appEntries = APPS.map(([app]) => inventoryOf('kustomizations', 'flux-system', app));
  add('kustomizations', {
    metadata: meta('flux-system', 'flux-system', t0, { labels: fluxLabels('flux-system') }),
    spec: {
      interval: '30m',
      path: './kubernetes/flux/cluster',
      prune: true,
      timeout: '5m',
      sourceRef: { kind: 'GitRepository', name: 'flux-system' },
    },
    status: {
      observedGeneration: 1,
      lastAppliedRevision: REVISION,
      lastAttemptedRevision: REVISION,
      inventory: {
        entries: [...KUSTOMIZATIONS.map((k) => inventoryOf('kustomizations', 'flux-system', k.name)), ...appEntries],
      },
      conditions: conditions(kustomization.ready(REVISION, false), at(20 * SECOND)),
    },
  });

  // Infrastructure Kustomizations: reconciling, or waiting on a dependency, at the start.
  const readyAtStart = (name: string) =>
    name === 'flux-system' || (KUSTOMIZATIONS.find((k) => k.name === name)?.readyAt ?? Infinity) <= REBUILD_START_OFFSET_MS;
  for (const ks of KUSTOMIZATIONS) {
    const blocker = ks.dependsOn.find((d) => !readyAtStart(d));
    const specs = ks.progressAt === 0 || !blocker ? kustomization.progressing() : kustomization.waiting(`flux-system/${blocker}`);
    add('kustomizations', {
      metadata: meta(ks.name, 'flux-system', at(12 * SECOND), { labels: fluxLabels('flux-system') }),
      spec: {
        interval: '30m',
        path: ks.path,
        prune: true,
        timeout: '10m',
        wait: ks.wait,
        sourceRef: { kind: 'GitRepository', name: 'flux-system' },
        ...(ks.dependsOn.length ? { dependsOn: ks.dependsOn.map((name) => ({ name })) } : {}),
      },
      status: {
        ...(ks.progressAt === 0 ? { lastAttemptedRevision: REVISION } : {}),
        conditions: conditions(specs, at(22 * SECOND)),
      },
    });
  }

  // HelmRepositories, HelmCharts and HelmReleases.
  for (const r of RELEASES) {
    const created = at(25 * SECOND);
    if (!objects.some((o) => o.kind === 'helmrepositories' && o.object.metadata.namespace === r.namespace && o.object.metadata.name === r.repository)) {
      const index = `sha256:${fakeDigest(r.url)}`;
      add('helmrepositories', {
        metadata: meta(r.repository, r.namespace, created, { labels: fluxLabels(r.kustomization) }),
        spec: { interval: '1h', url: r.url },
        status: {
          observedGeneration: 1,
          artifact: {
            revision: index,
            digest: index,
            path: `helmrepository/${r.namespace}/${r.repository}/index-${fakeDigest(r.url).slice(0, 12)}.yaml`,
            url: `http://source-controller.flux-system.svc.cluster.local./helmrepository/${r.namespace}/${r.repository}/index-${fakeDigest(r.url).slice(0, 12)}.yaml`,
            lastUpdateTime: timestamp(at(27 * SECOND)),
          },
          conditions: conditions([{ type: 'Ready', status: 'True', reason: 'Succeeded', message: `stored artifact: revision '${index}'` }], at(27 * SECOND)),
        },
      });
    }
    const chartName = `${r.namespace}-${r.name}`;
    add('helmcharts', {
      metadata: meta(chartName, r.namespace, created, {
        // Seed issue 1: the chart's spec moved on (generation 2) and source-controller never caught up.
        generation: r.stuck ? 2 : 1,
        labels: { 'helm.toolkit.fluxcd.io/name': r.name, 'helm.toolkit.fluxcd.io/namespace': r.namespace },
      }),
      spec: {
        chart: r.chart,
        version: r.version,
        interval: '12h',
        reconcileStrategy: 'ChartVersion',
        sourceRef: { kind: 'HelmRepository', name: r.repository },
      },
      status: {
        observedGeneration: 1,
        artifact: {
          revision: r.version,
          digest: `sha256:${fakeDigest(`${r.chart}@${r.version}`)}`,
          path: `helmchart/${r.namespace}/${chartName}/${r.chart}-${r.version}.tgz`,
          url: `http://source-controller.flux-system.svc.cluster.local./helmchart/${r.namespace}/${chartName}/${r.chart}-${r.version}.tgz`,
          lastUpdateTime: timestamp(at(28 * SECOND)),
        },
        conditions: conditions(
          [{ type: 'Ready', status: 'True', reason: 'ChartPullSucceeded', message: `pulled '${r.chart}' chart with version '${r.version}'` }],
          at(28 * SECOND),
        ),
      },
    });
    let status: Record<string, unknown>;
    if (r.stuck) {
      const stuck = conditions(helmRelease.chartNotReady(`${r.namespace}/${chartName}`), 0);
      status = {
        observedGeneration: 1,
        helmChart: `${r.namespace}/${chartName}`,
        conditions: stuck.map((c): Condition => ({ ...c, lastTransitionTime: EPOCH })),
      };
    } else {
      const specs = r.progressAt === 0 || !r.dependsOn ? helmRelease.progressing(actionMessage(r)) : helmRelease.waiting(r.dependsOn);
      status = { helmChart: `${r.namespace}/${chartName}`, conditions: conditions(specs, at(26 * SECOND)) };
    }
    add('helmreleases', {
      metadata: meta(r.name, r.namespace, created, { labels: fluxLabels(r.kustomization) }),
      spec: {
        interval: '30m',
        chart: { spec: { chart: r.chart, version: r.version, sourceRef: { kind: 'HelmRepository', name: r.repository } } },
        install: { remediation: { retries: 3 } },
        upgrade: { cleanupOnFail: true, remediation: { retries: 3 } },
        ...(r.dependsOn ? { dependsOn: [{ name: r.dependsOn.split('/')[1], namespace: r.dependsOn.split('/')[0] }] } : {}),
      },
      status,
    });
    if (r.deployment) {
      add(
        'deployments',
        deployment({
          namespace: r.namespace,
          ...r.deployment,
          created: at(29 * SECOND),
          available: false,
          labels: { 'app.kubernetes.io/instance': r.name, 'app.kubernetes.io/managed-by': 'Helm' },
        }),
      );
    }
  }

  // Cilium: the operator runs, but its Gateway controller never wrote a status (seed issue 7).
  add(
    'deployments',
    deployment({
      namespace: 'kube-system',
      name: 'cilium-operator',
      image: 'quay.io/cilium/operator-generic:v1.18.4',
      replicas: 2,
      created: t0 - 10 * MINUTE,
      available: true,
      labels: { 'io.cilium/app': 'operator', 'app.kubernetes.io/part-of': 'cilium' },
    }),
  );
  for (const [name, xxx] of [
    ['gateway-external', 100],
    ['gateway-internal', 101],
  ] as const) {
    add('gateways', {
      metadata: meta(name, 'network', at(14 * SECOND), { labels: fluxLabels('cilium') }),
      spec: {
        gatewayClassName: 'cilium',
        infrastructure: { annotations: { 'lbipam.cilium.io/ips': `fd00:101::1b:${xxx},10.101.27.${xxx}` } },
        listeners: [
          { name: 'http', protocol: 'HTTP', port: 80, hostname: '*.sulibot.com', allowedRoutes: { namespaces: { from: 'All' } } },
          {
            name: 'https',
            protocol: 'HTTPS',
            port: 443,
            hostname: '*.sulibot.com',
            allowedRoutes: { namespaces: { from: 'All' } },
            tls: { mode: 'Terminate', certificateRefs: [{ kind: 'Secret', name: 'sulibot-com-tls' }] },
          },
        ],
      },
      status: {
        // The defaults the Gateway CRD itself writes: no controller ever touched these.
        conditions: ['Accepted', 'Programmed'].map((type) => ({
          type,
          status: 'Unknown',
          reason: 'Pending',
          message: 'Waiting for controller',
          lastTransitionTime: EPOCH,
        })),
      },
    });
  }
  const ROUTES: Array<[app: string, gateway: string]> = [
    ['home-assistant', 'gateway-external'],
    ['mealie', 'gateway-external'],
    ['overseerr', 'gateway-external'],
    ['paperless', 'gateway-internal'],
    ['radarr', 'gateway-internal'],
    ['sonarr', 'gateway-internal'],
  ];
  for (const [app, gateway] of ROUTES) {
    const parentRef = { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: gateway, namespace: 'network', sectionName: 'https' };
    const time = timestamp(at(24 * SECOND));
    add('httproutes', {
      metadata: meta(app, 'default', at(18 * SECOND), { labels: { 'app.kubernetes.io/name': app, ...fluxLabels(app) } }),
      spec: {
        parentRefs: [parentRef],
        hostnames: [`${app}.sulibot.com`],
        rules: [{ matches: [{ path: { type: 'PathPrefix', value: '/' } }], backendRefs: [{ name: app, port: 80 }] }],
      },
      status: {
        parents: [
          {
            parentRef,
            controllerName: 'io.cilium/gateway-controller',
            conditions: [
              { type: 'Accepted', status: 'True', reason: 'Accepted', message: 'Accepted HTTPRoute', lastTransitionTime: time, observedGeneration: 1 },
              {
                type: 'ResolvedRefs',
                status: 'True',
                reason: 'ResolvedRefs',
                message: 'Service reference is valid',
                lastTransitionTime: time,
                observedGeneration: 1,
              },
            ],
          },
        ],
      },
    });
  }

  // LoadBalancer Services and what LB-IPAM made of them (seed issues 6 and 8).
  interface LbSeed {
    namespace: string;
    name: string;
    xxx: number;
    ips: string;
    dual: boolean;
    port: number;
    assigned: boolean;
  }
  const LOAD_BALANCERS: LbSeed[] = [
    { namespace: 'network', name: 'smtp-relay', xxx: 122, ips: 'fd00:101::1b:122,10.101.27.122', dual: false, port: 25, assigned: true },
    { namespace: 'default', name: 'plex', xxx: 124, ips: 'fd00:101::1b:124,10.101.27.124', dual: true, port: 32400, assigned: true },
    { namespace: 'default', name: 'emby', xxx: 125, ips: 'fd00:101::1b:125', dual: false, port: 8096, assigned: false },
    { namespace: 'default', name: 'qbittorrent', xxx: 127, ips: 'fd00:101::1b:127,10.101.27.127', dual: true, port: 50413, assigned: true },
    { namespace: 'default', name: 'mosquitto', xxx: 129, ips: 'fd00:101::1b:129,10.101.27.129', dual: false, port: 1883, assigned: true },
  ];
  const dns: SeedRecord[] = [];
  LOAD_BALANCERS.forEach((lb, i) => {
    const hostname = `${lb.name}.sulibot.com`;
    const v4 = `10.101.27.${lb.xxx}`;
    const v6 = `fd00:101::1b:${lb.xxx}`;
    const ingress = !lb.assigned
      ? []
      : lb.dual
        ? [
            { ip: v4, ipMode: 'VIP' },
            { ip: v6, ipMode: 'VIP' },
          ]
        : [{ ip: v4, ipMode: 'VIP' }];
    const clusterIPs = lb.dual ? [`10.43.20.${10 + i}`, `fd00:101:44::20:${10 + i}`] : [`10.43.20.${10 + i}`];
    const time = timestamp(at(26 * SECOND));
    add('services', {
      metadata: meta(lb.name, lb.namespace, at(16 * SECOND), {
        labels: { 'app.kubernetes.io/name': lb.name, ...fluxLabels(lb.name === 'smtp-relay' ? 'smtp-relay' : lb.name) },
        annotations: { 'lbipam.cilium.io/ips': lb.ips, 'external-dns.alpha.kubernetes.io/hostname': hostname },
      }),
      spec: {
        type: 'LoadBalancer',
        selector: { 'app.kubernetes.io/name': lb.name },
        ports: [{ name: 'main', port: lb.port, targetPort: lb.port, protocol: 'TCP' }],
        externalTrafficPolicy: 'Cluster',
        ipFamilyPolicy: lb.dual ? 'RequireDualStack' : 'SingleStack',
        ipFamilies: lb.dual ? ['IPv4', 'IPv6'] : ['IPv4'],
        clusterIP: clusterIPs[0],
        clusterIPs,
      },
      status: {
        loadBalancer: ingress.length ? { ingress } : {},
        conditions: [
          lb.assigned
            ? { type: 'cilium.io/IPAMRequestSatisfied', status: 'True', reason: 'satisfied', message: '', lastTransitionTime: time }
            : {
                type: 'cilium.io/IPAMRequestSatisfied',
                status: 'False',
                reason: 'no_pool',
                message: 'There are no enabled CiliumLoadBalancerIPPools that match this service',
                lastTransitionTime: time,
              },
        ],
      },
    });
    // external-dns publishes what the status lists, never the annotation.
    const a = ingress.filter((e) => !e.ip.includes(':')).map((e) => e.ip);
    const aaaa = ingress.filter((e) => e.ip.includes(':')).map((e) => e.ip);
    if (a.length) dns.push({ name: hostname, type: 'A', addresses: a });
    if (aaaa.length) dns.push({ name: hostname, type: 'AAAA', addresses: aaaa });
  });
  add('services', {
    metadata: meta('kubernetes', 'default', t0 - 15 * MINUTE, { labels: { component: 'apiserver', provider: 'kubernetes' } }),
    spec: { type: 'ClusterIP', clusterIP: '10.43.0.1', clusterIPs: ['10.43.0.1'], ports: [{ name: 'https', port: 443, targetPort: 6443, protocol: 'TCP' }] },
    status: { loadBalancer: {} },
  });

  // Storage: the classes and the ceph-csi pods (which start when their images are pulled).
  const cephParameters = (secret: string) => ({
    clusterID: CEPH_CLUSTER_ID,
    'csi.storage.k8s.io/provisioner-secret-name': secret,
    'csi.storage.k8s.io/provisioner-secret-namespace': 'ceph-csi',
    'csi.storage.k8s.io/node-stage-secret-name': secret,
    'csi.storage.k8s.io/node-stage-secret-namespace': 'ceph-csi',
    'csi.storage.k8s.io/controller-expand-secret-name': secret,
    'csi.storage.k8s.io/controller-expand-secret-namespace': 'ceph-csi',
  });
  for (const [name, provisioner, extra] of [
    ['csi-cephfs-sc', 'cephfs.csi.ceph.com', { fsName: 'cephfs' }],
    [STORAGE_CLASS, 'cephfs.csi.ceph.com', { fsName: 'cephfs', pool: 'cephfs_config' }],
    ['csi-rbd-sc', 'rbd.csi.ceph.com', { pool: 'rbd', imageFeatures: 'layering' }],
  ] as const) {
    add('storageclasses', {
      metadata: meta(name, undefined, at(10 * SECOND), { labels: fluxLabels('ceph-csi') }),
      provisioner,
      parameters: { ...cephParameters(provisioner.startsWith('rbd') ? 'csi-rbd-secret' : 'csi-cephfs-secret'), ...extra },
      reclaimPolicy: 'Delete',
      allowVolumeExpansion: true,
      volumeBindingMode: 'Immediate',
    });
  }
  for (const secret of ['csi-cephfs-secret', 'csi-rbd-secret']) {
    add('secrets', {
      metadata: meta(secret, 'ceph-csi', at(9 * SECOND)),
      type: 'Opaque',
      data: { adminID: b64('demo-fake-user'), adminKey: b64('demo-fake-key-not-a-secret') },
    });
  }
  const CSI_PODS: Array<{ name: string; app: string; container: string; image: string; node: string }> = [];
  for (const driver of ['cephfs', 'rbd']) {
    const image = 'quay.io/cephcsi/cephcsi:v3.15.0';
    const rs = fakeSuffix(`csi-${driver}plugin-provisioner`, 9).toLowerCase();
    for (const i of [1, 2]) {
      CSI_PODS.push({
        name: `csi-${driver}plugin-provisioner-${rs}-${fakeSuffix(`${driver}-prov-${i}`, 5)}`,
        app: `csi-${driver}plugin-provisioner`,
        container: `csi-${driver}plugin`,
        image,
        node: `talos-0${i}`,
      });
    }
    for (const i of [1, 2, 3]) {
      CSI_PODS.push({
        name: `csi-${driver}plugin-${fakeSuffix(`${driver}-node-${i}`, 5)}`,
        app: `csi-${driver}plugin`,
        container: `csi-${driver}plugin`,
        image,
        node: `talos-0${i}`,
      });
    }
  }
  for (const pod of CSI_PODS) {
    add('pods', {
      metadata: meta(pod.name, 'ceph-csi', at(27 * SECOND), { labels: { app: pod.app } }),
      spec: { nodeName: pod.node, containers: [{ name: pod.container, image: pod.image }] },
      status: podPending(pod.container, pod.image, pod.node, at(27 * SECOND)),
    });
  }

  // Seed issue 2: the Kopia repository PVC, recreated by Flux, bound to a NEW subvolume.
  const kopiaPv = `pvc-${KOPIA_PVC_UID}`;
  add('persistentvolumeclaims', {
    metadata: meta('kopia', 'default', at(6 * SECOND), {
      uid: KOPIA_PVC_UID,
      labels: { 'app.kubernetes.io/name': 'kopia', ...fluxLabels('atuin') },
      annotations: {
        'pv.kubernetes.io/bind-completed': 'yes',
        'pv.kubernetes.io/bound-by-controller': 'yes',
        'volume.beta.kubernetes.io/storage-provisioner': 'cephfs.csi.ceph.com',
        'volume.kubernetes.io/storage-provisioner': 'cephfs.csi.ceph.com',
      },
      finalizers: ['kubernetes.io/pvc-protection'],
      managedFields: [
        {
          manager: 'kustomize-controller',
          operation: 'Apply',
          apiVersion: 'v1',
          time: timestamp(at(6 * SECOND)),
          fieldsType: 'FieldsV1',
          fieldsV1: {
            'f:metadata': { 'f:labels': { 'f:kustomize.toolkit.fluxcd.io/name': {}, 'f:kustomize.toolkit.fluxcd.io/namespace': {} } },
            'f:spec': { 'f:accessModes': {}, 'f:resources': { 'f:requests': { 'f:storage': {} } }, 'f:storageClassName': {} },
          },
        },
        {
          manager: 'kube-controller-manager',
          operation: 'Update',
          apiVersion: 'v1',
          time: timestamp(at(8 * SECOND)),
          fieldsType: 'FieldsV1',
          fieldsV1: { 'f:spec': { 'f:volumeName': {} } },
        },
        {
          manager: 'kube-controller-manager',
          operation: 'Update',
          apiVersion: 'v1',
          time: timestamp(at(8 * SECOND)),
          fieldsType: 'FieldsV1',
          subresource: 'status',
          fieldsV1: { 'f:status': { 'f:phase': {} } },
        },
      ],
    }),
    spec: {
      accessModes: ['ReadWriteMany'],
      resources: { requests: { storage: '100Gi' } },
      storageClassName: 'csi-cephfs-sc',
      volumeMode: 'Filesystem',
      volumeName: kopiaPv,
    },
    status: { phase: 'Bound', accessModes: ['ReadWriteMany'], capacity: { storage: '100Gi' } },
  });
  add('persistentvolumes', {
    metadata: meta(kopiaPv, undefined, at(8 * SECOND), {
      annotations: {
        'pv.kubernetes.io/provisioned-by': 'cephfs.csi.ceph.com',
        'volume.kubernetes.io/provisioner-deletion-secret-name': 'csi-cephfs-secret',
        'volume.kubernetes.io/provisioner-deletion-secret-namespace': 'ceph-csi',
      },
      finalizers: ['external-provisioner.volume.kubernetes.io/finalizer', 'kubernetes.io/pv-protection'],
    }),
    spec: {
      accessModes: ['ReadWriteMany'],
      capacity: { storage: '100Gi' },
      claimRef: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: 'default', name: 'kopia', uid: KOPIA_PVC_UID },
      csi: {
        driver: 'cephfs.csi.ceph.com',
        volumeHandle: REBUILD_FACTS.wrongVolumeHandle,
        volumeAttributes: {
          clusterID: CEPH_CLUSTER_ID,
          fsName: 'cephfs',
          subvolumeName: `csi-vol-${NEW_SUBVOLUME}`,
          subvolumePath: `/volumes/csi/csi-vol-${NEW_SUBVOLUME}/0b1c5e7a-2d4f-4a6b-8c9e-1f3a5b7d9e2c`,
          'storage.kubernetes.io/csiProvisionerIdentity': '1764662400000-2841-cephfs.csi.ceph.com',
        },
        nodeStageSecretRef: { name: 'csi-cephfs-secret', namespace: 'ceph-csi' },
        controllerExpandSecretRef: { name: 'csi-cephfs-secret', namespace: 'ceph-csi' },
      },
      persistentVolumeReclaimPolicy: 'Delete',
      storageClassName: 'csi-cephfs-sc',
      volumeMode: 'Filesystem',
    },
    status: { phase: 'Bound', lastPhaseTransitionTime: timestamp(at(8 * SECOND)) },
  });

  // The apps: Kustomizations failing on the shared Kopia PVC (seed issue 4), and the restore objects.
  const routed = new Set(ROUTES.map(([app]) => app));
  const balanced = new Set(LOAD_BALANCERS.map((lb) => lb.name));
  APPS.forEach(([app, folder, capacity], i) => {
    const created = at(12 * SECOND);
    const applied = at(15 * SECOND + i * 200);
    const labels = { 'app.kubernetes.io/name': app, ...fluxLabels(app) };
    add('kustomizations', {
      metadata: meta(app, 'flux-system', created, { labels: fluxLabels('flux-system') }),
      spec: {
        interval: '30m',
        path: `./kubernetes/apps/${folder}/${app}/app`,
        prune: true,
        timeout: '5m',
        wait: false,
        targetNamespace: 'default',
        sourceRef: { kind: 'GitRepository', name: 'flux-system' },
        postBuild: { substitute: { APP: app, VOLSYNC_CAPACITY: capacity } },
      },
      status: {
        observedGeneration: 1,
        lastAppliedRevision: REVISION,
        lastAttemptedRevision: REVISION,
        inventory: {
          entries: [
            inventoryOf('persistentvolumeclaims', 'default', 'kopia'),
            inventoryOf('persistentvolumeclaims', 'default', `${app}-config`),
            inventoryOf('replicationdestinations', 'default', `${app}-dst`),
            inventoryEntry('ReplicationSource', 'volsync.backube', 'v1alpha1', 'default', `${app}-src`),
            inventoryEntry('ExternalSecret', 'external-secrets.io', 'v1', 'default', `${app}-volsync-secret`),
            inventoryOf('deployments', 'default', app),
            ...(balanced.has(app) ? [inventoryOf('services', 'default', app)] : []),
            ...(routed.has(app) ? [inventoryOf('httproutes', 'default', app)] : []),
          ],
        },
        conditions: conditions(kustomization.failed(ISSUE_4_MESSAGE), at(24 * SECOND)),
      },
    });

    const missingCopyMethod = (REBUILD_FACTS.missingCopyMethod as readonly string[]).includes(app);
    const ifNotPresent = (REBUILD_FACTS.ifNotPresent as readonly string[]).includes(app);
    add('replicationdestinations', {
      metadata: meta(`${app}-dst`, 'default', applied, {
        labels: {
          ...labels,
          'app.kubernetes.io/component': 'backup-restore',
          ...(ifNotPresent ? { 'kustomize.toolkit.fluxcd.io/ssa': 'IfNotPresent' } : {}),
        },
      }),
      spec: {
        // The template's trigger from the last rebuild; never changed since, so nothing restores yet.
        ...(missingCopyMethod ? {} : { trigger: { manual: 'restore-once' } }),
        kopia: {
          repository: `${app}-volsync-secret`,
          sourceIdentity: { sourceName: `${app}-src`, sourceNamespace: 'default' },
          ...(missingCopyMethod ? {} : { copyMethod: 'Snapshot' }),
          storageClassName: STORAGE_CLASS,
          accessModes: ['ReadWriteMany'],
          capacity,
          volumeSnapshotClassName: SNAPSHOT_CLASS,
          moverSecurityContext: { runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000 },
        },
      },
      status: missingCopyMethod
        ? {
            conditions: [
              {
                type: 'Synchronizing',
                status: 'False',
                reason: 'Error',
                message: 'unsupported copyMethod: -- must be Direct, None, or Snapshot',
                lastTransitionTime: timestamp(at(26 * SECOND)),
              },
            ],
          }
        : {
            lastManualSync: 'restore-once',
            conditions: [
              {
                type: 'Synchronizing',
                status: 'False',
                reason: 'WaitingForManual',
                message: 'Waiting for manual trigger',
                lastTransitionTime: timestamp(at(26 * SECOND)),
              },
            ],
          },
    });
    add('persistentvolumeclaims', {
      metadata: meta(`${app}-config`, 'default', applied, {
        labels,
        annotations: {
          'volume.beta.kubernetes.io/storage-provisioner': 'cephfs.csi.ceph.com',
          'volume.kubernetes.io/storage-provisioner': 'cephfs.csi.ceph.com',
        },
      }),
      spec: {
        accessModes: ['ReadWriteMany'],
        resources: { requests: { storage: capacity } },
        storageClassName: STORAGE_CLASS,
        volumeMode: 'Filesystem',
        dataSource: { apiGroup: 'volsync.backube', kind: 'ReplicationDestination', name: `${app}-dst` },
        dataSourceRef: { apiGroup: 'volsync.backube', kind: 'ReplicationDestination', name: `${app}-dst` },
      },
      status: { phase: 'Pending' },
    });
    if (app !== REBUILD_FACTS.missingSecret) add('secrets', repositorySecret(app, meta(`${app}-volsync-secret`, 'default', at(20 * SECOND))));
    add(
      'deployments',
      withConfigVolume(
        deployment({
          namespace: 'default',
          name: app,
          image: `ghcr.io/home-operations/${app}:latest`,
          replicas: 1,
          created: applied,
          available: false,
          labels: fluxLabels(app),
        }),
        `${app}-config`,
      ),
    );
  });

  return {
    name: 'rebuild',
    t0,
    startOffset: REBUILD_START_OFFSET_MS,
    objects,
    dns,
    steps: rebuildSteps(CSI_PODS).sort((a, b) => a.at - b.at),
    // Git already has `copyMethod: Snapshot` in the RD template (the seed's short-term fix for issue
    // 3); the live RDs lack it because Flux could not update them. An RD deleted and applied again
    // comes back as Git has it, IfNotPresent label included (seed issue 9).
    git: objects
      .filter((o) => o.kind === 'replicationdestinations')
      .map(({ kind, object }) => ({
        kind,
        object: { ...object, status: undefined, spec: { ...object.spec, kopia: { ...object.spec.kopia, copyMethod: 'Snapshot' } } },
      })),
    config: {
      kopia: { savedVolumeHandle: REBUILD_FACTS.savedVolumeHandle },
      // Why 5 s: the DNS panel should heal within seconds of external-dns publishing (it re-asks
      // the demo's resolver, and counts the demo router's records, on this interval of real time).
      dns: { servers: ['demo'], intervalSeconds: 5 },
    },
  };

  function actionMessage(r: InfraRelease): string {
    return `Running '${r.action}' action with timeout of 5m0s`;
  }

  /** The timed steps: infrastructure turning Ready one by one. */
  function rebuildSteps(pods: typeof CSI_PODS): ScenarioStep[] {
    const steps: ScenarioStep[] = [];
    for (const ks of KUSTOMIZATIONS) {
      if (ks.progressAt > 0) {
        steps.push({
          at: ks.progressAt,
          title: `Kustomization ${ks.name} reconciling`,
          run: (ctx) => setFluxStatus(ctx, 'kustomizations', 'flux-system', ks.name, kustomization.progressing(), { lastAttemptedRevision: REVISION }),
        });
      }
      steps.push({
        at: ks.readyAt,
        title: `Kustomization ${ks.name} Ready`,
        run: (ctx) => {
          const generation = ctx.cluster.peek('kustomizations', 'flux-system', ks.name)?.metadata.generation ?? 1;
          setFluxStatus(ctx, 'kustomizations', 'flux-system', ks.name, kustomization.ready(REVISION, ks.wait), {
            observedGeneration: generation,
            lastAppliedRevision: REVISION,
            lastAttemptedRevision: REVISION,
            inventory: { entries: ks.inventory },
          });
        },
      });
    }
    for (const r of RELEASES) {
      if (r.stuck || r.readyAt === undefined) continue;
      const release = `${r.namespace}/${r.name}`;
      if (r.progressAt) {
        steps.push({
          at: r.progressAt,
          title: `HelmRelease ${release} ${r.action}ing`,
          run: (ctx) => setFluxStatus(ctx, 'helmreleases', r.namespace, r.name, helmRelease.progressing(actionMessage(r))),
        });
      }
      steps.push({
        at: r.readyAt,
        title: `HelmRelease ${release} Ready`,
        run: (ctx) => {
          const generation = ctx.cluster.peek('helmreleases', r.namespace, r.name)?.metadata.generation ?? 1;
          const revision = r.action === 'install' ? 1 : 2;
          const deployed = timestamp(ctx.now());
          setFluxStatus(ctx, 'helmreleases', r.namespace, r.name, helmRelease.ready(r.action, release, r.chart, r.version, revision), {
            observedGeneration: generation,
            lastAttemptedGeneration: generation,
            lastAttemptedRevision: r.version,
            lastAttemptedReleaseAction: r.action,
            storageNamespace: r.namespace,
            history: [
              {
                name: r.name,
                namespace: r.namespace,
                version: revision,
                status: 'deployed',
                chartName: r.chart,
                chartVersion: r.version,
                appVersion: r.version,
                firstDeployed: deployed,
                lastDeployed: deployed,
              },
            ],
          });
          if (r.deployment) {
            const { name, replicas } = r.deployment;
            const generation = ctx.cluster.peek('deployments', r.namespace, name)?.metadata.generation ?? 1;
            replaceStatus(ctx, 'deployments', r.namespace, name, deploymentAvailable(name, replicas, generation, ctx.now()));
          }
        },
      });
    }
    // The CSI images are big: the pods come up one after another as the pulls finish.
    pods.forEach((pod, i) => {
      steps.push({
        at: 6 * MINUTE + i * 24 * SECOND,
        title: `Pod ceph-csi/${pod.name} Running`,
        run: (ctx) => {
          const podIp = `10.42.${Number(pod.node.slice(-1))}.${20 + i}`;
          replaceStatus(ctx, 'pods', 'ceph-csi', pod.name, podRunning(pod.container, pod.image, pod.node, podIp, at(27 * SECOND), ctx.now()));
        },
      });
    });
    // The ExternalSecret of the missing Secret syncs once external-secrets runs: restores.secrets heals by itself.
    steps.push({
      at: REBUILD_FACTS.missingSecretAt,
      title: `Secret default/${REBUILD_FACTS.missingSecret}-volsync-secret synced by external-secrets`,
      run: (ctx) => {
        const name = `${REBUILD_FACTS.missingSecret}-volsync-secret`;
        if (ctx.cluster.peek('secrets', 'default', name)) return;
        safely(() => ctx.cluster.createNow('secrets', repositorySecret(REBUILD_FACTS.missingSecret, { name, namespace: 'default' })));
      },
    });
    steps.push({
      at: 10 * MINUTE,
      title: 'VolumeSnapshotClasses created',
      run: (ctx) => {
        for (const [name, driver] of [
          [SNAPSHOT_CLASS, 'cephfs.csi.ceph.com'],
          ['csi-rbd-snapclass', 'rbd.csi.ceph.com'],
        ]) {
          safely(() =>
            ctx.cluster.createNow('volumesnapshotclasses', {
              metadata: { name, labels: fluxLabels('ceph-csi') },
              driver,
              deletionPolicy: 'Delete',
              parameters: {
                clusterID: CEPH_CLUSTER_ID,
                'csi.storage.k8s.io/snapshotter-secret-name': driver.startsWith('rbd') ? 'csi-rbd-secret' : 'csi-cephfs-secret',
                'csi.storage.k8s.io/snapshotter-secret-namespace': 'ceph-csi',
              },
            }),
          );
        }
      },
    });
    return steps;
  }
}

/** Sets Flux conditions the way the controller does: unchanged statuses keep their transition time. */
function setFluxStatus(ctx: StepContext, kind: KindKey, namespace: string, name: string, specs: ConditionSpec[], extra: Record<string, unknown> = {}): void {
  const current = ctx.cluster.peek(kind, namespace, name);
  if (!current) return;
  const conditions = transition(conditionsOf(current), specs, ctx.now(), current.metadata.generation);
  writeStatus(ctx, kind, namespace, name, { ...extra, conditions });
}

/** Merges into `.status`: fields not named stay (a Flux controller keeps its inventory). */
function writeStatus(ctx: StepContext, kind: KindKey, namespace: string | undefined, name: string, status: Record<string, unknown>): void {
  safely(() => ctx.cluster.patchNow(kind, namespace, name, { status }, 'merge', { subresource: 'status' }));
}

/** Replaces `.status` whole, as kubelet and the Deployment controller do. */
function replaceStatus(ctx: StepContext, kind: KindKey, namespace: string | undefined, name: string, status: Record<string, unknown>): void {
  safely(() => ctx.cluster.patchNow(kind, namespace, name, [{ op: 'add', path: '/status', value: status }], 'json', { subresource: 'status' }));
}

/**
 * Runs one write of a step. The operator may have deleted or replaced the object in the demo (that
 * is what fixes do), so API errors are expected and skipped; anything else is a bug and is thrown.
 */
function safely(write: () => unknown): void {
  try {
    write();
  } catch (error) {
    if (!(error instanceof ClusterError)) throw error;
  }
}

/** An app's Kopia repository Secret as its ExternalSecret writes it, with obviously fake values. */
function repositorySecret(app: string, metadata: { name: string; namespace?: string; [key: string]: unknown }): KubeObject {
  return {
    metadata: {
      ...metadata,
      labels: { 'reconcile.external-secrets.io/managed': 'true' },
      ownerReferences: [{ apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecret', name: `${app}-volsync-secret` }],
    },
    type: 'Opaque',
    // Obviously fake: nothing in drdeck ever needs a repository password.
    data: {
      KOPIA_PASSWORD: b64('demo-fake-password'),
      KOPIA_REPOSITORY: b64('filesystem:///repository'),
      KOPIA_FS_PATH: b64('/repository'),
    },
  };
}

/** The app's Deployment with its config PVC mounted at /config, as the app templates do. */
function withConfigVolume(object: KubeObject, claimName: string): KubeObject {
  const pod = object.spec.template.spec;
  const containers = (pod.containers as Array<Record<string, unknown>>).map((c) => ({ ...c, volumeMounts: [{ name: 'config', mountPath: '/config' }] }));
  return {
    ...object,
    spec: {
      ...object.spec,
      template: { ...object.spec.template, spec: { ...pod, containers, volumes: [{ name: 'config', persistentVolumeClaim: { claimName } }] } },
    },
  };
}

function b64(text: string): string {
  return Buffer.from(text).toString('base64');
}
