import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EPOCH, ago, assertWellFormed, cond, deployment, evaluate, flux, makeSnapshot, notReady, obj, pod, runTable } from './fixtures.js';

const FS = 'flux-system';
const essentials = ['flux-system', 'cert-manager', 'external-secrets', 'ceph-csi', 'volsync'].map((n) => flux(`${FS}/${n}`));
const NOT_RECONCILED = "HelmChart 'ceph-csi/ceph-csi-ceph-csi-cephfs' is not ready: latest generation of object has not been reconciled";

runTable('flux.ready', [
  {
    name: 'every object Ready',
    objects: { kustomizations: [flux(`${FS}/apps`)], helmreleases: [flux('ceph-csi/ceph-csi-cephfs')], gitrepositories: [flux(`${FS}/flux-system`)] },
    status: 'pass',
    summary: /^3\/3 Ready$/,
  },
  {
    name: 'progressing objects warn',
    objects: { kustomizations: [flux(`${FS}/apps`), flux(`${FS}/infra`, { ready: cond('Ready', 'Unknown', 'Progressing', 'Reconciliation in progress') })] },
    status: 'warn',
    summary: /^1\/2 Ready, 1 progressing$/,
    fixes: [],
  },
  {
    name: 'an object with no Ready condition yet is progressing',
    objects: { kustomizations: [flux(`${FS}/apps`, { ready: null })] },
    status: 'warn',
    summary: /0\/1 Ready, 1 progressing/,
  },
  {
    name: 'waiting on dependencies warns',
    objects: { kustomizations: [flux(`${FS}/apps`, { ready: notReady('DependencyNotReady', "dependency 'flux-system/infra' is not ready") })] },
    status: 'warn',
    summary: /0\/1 Ready, 1 waiting/,
  },
  {
    name: 'Ready False for a failure reason fails and names the object',
    objects: {
      kustomizations: [flux(`${FS}/apps`, { ready: notReady('ReconciliationFailed', 'kustomize build failed') }), flux(`${FS}/infra`)],
    },
    status: 'fail',
    summary: /^1\/2 Ready, 1 failed; failed: flux-system\/apps \(ReconciliationFailed\)$/,
    fixes: ['flux-reconcile', 'flux-reconcile-stuck'],
    then: (r) =>
      assert.deepEqual(r.evidence[0], {
        kind: 'Kustomization',
        namespace: FS,
        name: 'apps',
        field: 'Ready',
        value: 'False ReconciliationFailed: kustomize build failed',
        status: 'fail',
      }),
  },
  {
    name: 'failures of several kinds are named with their kind',
    objects: {
      kustomizations: [flux(`${FS}/apps`, { ready: notReady('HealthCheckFailed') })],
      helmreleases: [flux('ceph-csi/ceph-csi-cephfs', { ready: notReady('SourceNotReady', NOT_RECONCILED) })],
    },
    status: 'fail',
    summary: /2 failed; failed: Kustomization flux-system\/apps \(HealthCheckFailed\), HelmRelease ceph-csi\/ceph-csi-cephfs \(SourceNotReady\)/,
  },
  { name: 'no Flux objects at all', status: 'warn', summary: /no Flux objects/ },
  {
    name: 'a missing optional CRD (OCIRepository) does not make it unknown',
    objects: { kustomizations: [flux(`${FS}/apps`)] },
    options: { sync: { ocirepositories: { phase: 'not-installed' } } },
    status: 'pass',
  },
  {
    name: 'Kustomizations not installed: unknown, CRD named',
    options: { sync: { kustomizations: { phase: 'not-installed' } } },
    status: 'unknown',
    summary: /^Kustomization not installed \(CRD missing\)$/,
  },
]);

runTable('flux.essential', [
  { name: 'all five Ready', objects: { kustomizations: essentials }, status: 'pass', summary: /^5\/5 essential Kustomizations Ready$/ },
  {
    name: 'a missing one is named',
    objects: { kustomizations: essentials.filter((k) => k.metadata.name !== 'volsync') },
    status: 'fail',
    summary: /4\/5 .*: volsync missing/,
    fixes: ['flux-reconcile'],
    then: (r) => assert.deepEqual(r.evidence[0], { kind: 'Kustomization', namespace: FS, name: 'volsync', field: 'exists', value: 'missing', status: 'fail' }),
  },
  {
    name: 'a progressing one warns',
    objects: { kustomizations: [...essentials.slice(1), flux(`${FS}/flux-system`, { ready: cond('Ready', 'Unknown', 'Progressing') })] },
    status: 'warn',
    summary: /flux-system progressing \(Progressing\)/,
    fixes: [],
  },
  {
    name: 'a failed one fails',
    objects: { kustomizations: [...essentials.slice(0, 3), flux(`${FS}/ceph-csi`, { ready: notReady('HealthCheckFailed') }), essentials[4]] },
    status: 'fail',
    summary: /ceph-csi failed \(HealthCheckFailed\)/,
  },
  {
    name: 'names and namespace come from the config',
    objects: { kustomizations: [flux('flux/core')] },
    config: { flux: { namespace: 'flux', essential: ['core'] } },
    status: 'pass',
    summary: /1\/1/,
  },
]);

runTable('flux.stuck', [
  { name: 'nothing stuck', objects: { kustomizations: essentials }, status: 'pass', summary: /^nothing stuck$/ },
  {
    name: 'seed issue 1: HelmChart not reconciled with condition time 1970-01-01s',
    objects: {
      helmreleases: [
        flux('ceph-csi/ceph-csi-cephfs', { ready: notReady('SourceNotReady', NOT_RECONCILED, EPOCH) }),
        flux('ceph-csi/ceph-csi-rbd', { ready: notReady('SourceNotReady', NOT_RECONCILED, EPOCH) }),
      ],
    },
    status: 'fail',
    summary:
      /^2 HelmReleases stuck: ceph-csi\/ceph-csi-cephfs \(HelmChart not reconciled, condition time 1970-01-01\), ceph-csi\/ceph-csi-rbd \(HelmChart not reconciled, condition time 1970-01-01\)$/,
    fixes: ['flux-reconcile-stuck', 'flux-reconcile'],
  },
  {
    name: 'generation ahead of observedGeneration',
    objects: { helmcharts: [flux('flux-system/ceph-csi-ceph-csi-cephfs', { generation: 3, observedGeneration: 2 })] },
    status: 'fail',
    summary: /1 HelmChart stuck: .*generation 3 not reconciled \(observed 2\)/,
  },
  {
    name: 'observedGeneration -1 (never reconciled) is progress, not a generation lag',
    objects: { helmreleases: [flux('media/plex', { ready: null, generation: 1, observedGeneration: -1, creationTimestamp: ago(1) })] },
    status: 'pass',
  },
  {
    name: 'Reconciling with ProgressingWithRetry',
    objects: {
      kustomizations: [
        flux(`${FS}/apps`, { ready: cond('Ready', 'Unknown', 'Progressing'), conditions: [cond('Reconciling', 'True', 'ProgressingWithRetry')] }),
      ],
    },
    status: 'fail',
    summary: /failing and retrying/,
  },
  {
    name: 'Stalled=True names its reason',
    objects: { helmreleases: [flux('media/plex', { ready: notReady('InstallFailed'), conditions: [cond('Stalled', 'True', 'RetriesExceeded')] })] },
    status: 'fail',
    summary: /media\/plex \(stalled: RetriesExceeded\)/,
  },
  {
    name: 'not Ready for longer than the threshold',
    objects: { kustomizations: [flux(`${FS}/apps`, { ready: notReady('HealthCheckFailed', 'timeout', ago(15)) })] },
    status: 'fail',
    summary: /not Ready for 15m/,
  },
  {
    name: 'not Ready for less than the threshold is not stuck',
    objects: { kustomizations: [flux(`${FS}/apps`, { ready: notReady('HealthCheckFailed', 'timeout', ago(5)) })] },
    status: 'pass',
  },
  {
    name: 'the threshold comes from the config',
    objects: { kustomizations: [flux(`${FS}/apps`, { ready: notReady('HealthCheckFailed', 'timeout', ago(5)) })] },
    config: { flux: { stuckAfterMinutes: 2 } },
    status: 'fail',
    summary: /not Ready for 5m/,
  },
  {
    name: 'no Ready condition: age counts from creationTimestamp',
    objects: { kustomizations: [flux(`${FS}/apps`, { ready: null, creationTimestamp: ago(30) })] },
    status: 'fail',
    summary: /not Ready for 30m/,
  },
  {
    name: 'DependencyNotReady for long is waiting, and the root blocker is named',
    objects: {
      kustomizations: [
        flux(`${FS}/apps`, { ready: notReady('DependencyNotReady', '', ago(30)), dependsOn: [{ name: 'volsync' }] }),
        flux(`${FS}/volsync`, { ready: notReady('DependencyNotReady', '', ago(30)), dependsOn: [{ name: 'ceph-csi', namespace: FS }] }),
        flux(`${FS}/ceph-csi`, { ready: cond('Ready', 'Unknown', 'Progressing', '', ago(2)), dependsOn: [{ name: 'flux-system' }] }),
        flux(`${FS}/flux-system`),
      ],
    },
    status: 'pass',
    summary: /^nothing stuck; 2 waiting behind flux-system\/ceph-csi$/,
    then: (r) => assert.ok(r.evidence.some((e) => e.name === 'apps' && e.field === 'waiting on' && e.value === 'Kustomization flux-system/ceph-csi')),
  },
  {
    name: 'a stuck root blocker: stuck named, waiting ones counted behind it',
    objects: {
      kustomizations: [
        flux(`${FS}/apps`, { ready: notReady('DependencyNotReady'), dependsOn: [{ name: 'volsync' }] }),
        flux(`${FS}/volsync`, { ready: notReady('DependencyNotReady'), dependsOn: [{ name: 'ceph-csi' }] }),
        flux(`${FS}/ceph-csi`, { ready: notReady('HealthCheckFailed'), conditions: [cond('Stalled', 'True', 'HealthCheckFailed')] }),
      ],
    },
    status: 'fail',
    summary: /^1 Kustomization stuck: flux-system\/ceph-csi \(stalled: HealthCheckFailed\); 2 waiting behind flux-system\/ceph-csi$/,
  },
  {
    name: 'a dependency that does not exist is stuck',
    objects: { kustomizations: [flux(`${FS}/apps`, { ready: notReady('DependencyNotReady'), dependsOn: [{ name: 'nope' }] })] },
    status: 'fail',
    summary: /depends on missing Kustomization flux-system\/nope/,
  },
  {
    name: 'a dependsOn cycle is a failure that names the cycle, not "nothing stuck"',
    objects: {
      kustomizations: [
        flux(`${FS}/a`, { ready: notReady('DependencyNotReady'), dependsOn: [{ name: 'b' }] }),
        flux(`${FS}/b`, { ready: notReady('DependencyNotReady'), dependsOn: [{ name: 'a' }] }),
      ],
    },
    status: 'fail',
    summary: /^dependsOn cycle: Kustomization flux-system\/a → flux-system\/b → flux-system\/a$/,
    // No reconcile ends a cycle: the cure is in Git.
    fixes: [],
    gitHint: /remove one\ndependsOn entry/,
    then: (r) => {
      assert.deepEqual(
        r.evidence.map((e) => `${e.name} ${e.status}`),
        ['a fail', 'b fail'],
      );
      assert.ok(
        r.evidence.every((e) => !/waiting on/.test(e.field)),
        'nobody is shown waiting on itself',
      );
    },
  },
  {
    name: 'a cycle entered from its other end reads the same; what waits behind it is counted',
    objects: {
      kustomizations: [
        flux(`${FS}/apps`, { ready: notReady('DependencyNotReady'), dependsOn: [{ name: 'z' }] }),
        flux(`${FS}/z`, { ready: notReady('DependencyNotReady'), dependsOn: [{ name: 'm' }] }),
        flux(`${FS}/m`, { ready: notReady('DependencyNotReady'), dependsOn: [{ name: 'c' }] }),
        flux(`${FS}/c`, { ready: notReady('DependencyNotReady'), dependsOn: [{ name: 'm' }] }),
      ],
    },
    status: 'fail',
    summary: /^dependsOn cycle: Kustomization flux-system\/c → flux-system\/m → flux-system\/c; 2 waiting behind the cycle through flux-system\/c$/,
    then: (r) => assert.equal(r.evidence.find((e) => e.name === 'apps')?.value, 'Kustomization flux-system/c (in a dependsOn cycle)'),
  },
  {
    name: 'an object that depends on itself is a cycle of one',
    objects: { helmreleases: [flux('media/plex', { ready: notReady('DependencyNotReady'), dependsOn: [{ name: 'plex' }] })] },
    status: 'fail',
    summary: /^dependsOn cycle: HelmRelease media\/plex → media\/plex$/,
  },
  {
    name: 'a cycle and an unrelated stuck object: both named, the stuck one reconcilable',
    objects: {
      kustomizations: [
        flux(`${FS}/a`, { ready: notReady('DependencyNotReady'), dependsOn: [{ name: 'b' }] }),
        flux(`${FS}/b`, { ready: notReady('DependencyNotReady'), dependsOn: [{ name: 'a' }] }),
        flux(`${FS}/ceph-csi`, { ready: notReady('HealthCheckFailed'), conditions: [cond('Stalled', 'True', 'HealthCheckFailed')] }),
      ],
    },
    status: 'fail',
    summary:
      /^dependsOn cycle: Kustomization flux-system\/a → flux-system\/b → flux-system\/a; 1 Kustomization stuck: flux-system\/ceph-csi \(stalled: HealthCheckFailed\)$/,
    fixes: ['flux-reconcile-stuck', 'flux-reconcile'],
  },
  {
    name: 'HelmRelease chains are followed too',
    objects: {
      helmreleases: [
        flux('media/plex', { ready: notReady('DependencyNotReady'), dependsOn: [{ name: 'ceph-csi-cephfs', namespace: 'ceph-csi' }] }),
        flux('ceph-csi/ceph-csi-cephfs', { ready: notReady('SourceNotReady', NOT_RECONCILED) }),
      ],
    },
    status: 'fail',
    summary: /1 HelmRelease stuck: ceph-csi\/ceph-csi-cephfs \(HelmChart not reconciled\); 1 waiting behind ceph-csi\/ceph-csi-cephfs/,
  },
  {
    name: 'suspended objects are left to flux.suspended',
    objects: { kustomizations: [flux(`${FS}/apps`, { suspend: true, ready: notReady('HealthCheckFailed', '', ago(60)) })] },
    status: 'pass',
  },
]);

/** A chain k<depth> → … → k1 → k0 of waiting Kustomizations; k0 as given. */
function chain(depth: number, root: ReturnType<typeof flux>): ReturnType<typeof flux>[] {
  const links = Array.from({ length: depth }, (_, i) =>
    flux(`${FS}/k${i + 1}`, { ready: notReady('DependencyNotReady', '', ago(30)), dependsOn: [{ name: `k${i}` }] }),
  );
  return [root, ...links];
}

/** The fastest of a few evaluations: what the check costs, without the machine's other load. */
function fastestMs(run: () => void, times = 5): number {
  let best = Infinity;
  for (let i = 0; i < times; i++) {
    const started = performance.now();
    run();
    best = Math.min(best, performance.now() - started);
  }
  return best;
}

test('flux.stuck: a 500-deep dependsOn chain is one walk, evaluated in a few ms', () => {
  const snapshot = makeSnapshot({ kustomizations: chain(500, flux(`${FS}/k0`, { ready: cond('Ready', 'Unknown', 'Progressing', '', ago(2)) })) });
  const result = evaluate('flux.stuck', snapshot);
  assertWellFormed(result);
  assert.equal(result.summary, 'nothing stuck; 500 waiting behind flux-system/k0');
  assert.equal(result.evidence.find((e) => e.name === 'k500')?.value, 'Kustomization flux-system/k0');
  // Every second (it is a clock check): it was a whole second per evaluation when each object walked its own chain.
  const ms = fastestMs(() => evaluate('flux.stuck', snapshot));
  assert.ok(ms < 200, `500-deep chain took ${ms.toFixed(1)} ms`);
});

test('flux.stuck: a 500-deep chain into a cycle names the cycle; 20,000 deep does not overflow the stack', () => {
  const cycle = [
    flux(`${FS}/k0`, { ready: notReady('DependencyNotReady'), dependsOn: [{ name: 'x' }] }),
    flux(`${FS}/x`, { ready: notReady('DependencyNotReady'), dependsOn: [{ name: 'k0' }] }),
  ];
  const result = evaluate('flux.stuck', makeSnapshot({ kustomizations: [...chain(500, cycle[0]), cycle[1]] }));
  assert.equal(result.status, 'fail');
  assert.equal(
    result.summary,
    'dependsOn cycle: Kustomization flux-system/k0 → flux-system/x → flux-system/k0; 500 waiting behind the cycle through flux-system/k0',
  );
  const deep = evaluate('flux.stuck', makeSnapshot({ kustomizations: chain(20_000, flux(`${FS}/k0`, { ready: notReady('HealthCheckFailed', '', ago(30)) })) }));
  assert.equal(deep.status, 'fail');
  assert.match(deep.summary, /^1 Kustomization stuck: flux-system\/k0 \(not Ready for 30m\); 20000 waiting behind flux-system\/k0$/);
});

runTable('flux.immutable-conflict', [
  {
    name: 'no conflicts',
    objects: {
      kustomizations: [
        flux('apps/sonarr', { inventory: ['default_sonarr_apps_Deployment'] }),
        flux('apps/radarr', { inventory: ['default_radarr_apps_Deployment'] }),
      ],
    },
    status: 'pass',
    summary: /no conflicts across 2 Kustomizations/,
  },
  {
    name: 'seed issue 4: an immutable-field failure',
    objects: {
      kustomizations: [
        flux('apps/sonarr', {
          ready: notReady(
            'ReconciliationFailed',
            'PersistentVolumeClaim/default/kopia dry-run failed: spec: Forbidden: spec is immutable after creation except resources.requests',
          ),
        }),
      ],
    },
    status: 'fail',
    summary: /1 fail on an immutable field: apps\/sonarr/,
    gitHint: /kubernetes\/components\/volsync\/kustomization\.yaml/,
  },
  {
    name: 'seed issue 4: one object applied by several Kustomizations',
    objects: {
      kustomizations: ['sonarr', 'radarr', 'plex'].map((app) =>
        flux(`apps/${app}`, { inventory: [`default_${app}_apps_Deployment`, 'default_kopia__PersistentVolumeClaim'] }),
      ),
    },
    status: 'fail',
    summary: /^PVC default\/kopia applied by 3 Kustomizations \(apps\/plex, apps\/radarr and 1 more\)$/,
    then: (r) =>
      assert.deepEqual(r.evidence[0], {
        kind: 'Inventory',
        name: 'PVC default/kopia',
        field: 'applied by',
        value: 'apps/plex, apps/radarr, apps/sonarr',
        status: 'fail',
      }),
  },
  {
    name: 'a Ready Kustomization with an old immutable message is fine',
    objects: { kustomizations: [flux('apps/sonarr', { ready: cond('Ready', 'True', 'ReconciliationSucceeded', 'field is immutable') })] },
    status: 'pass',
  },
]);

runTable('flux.suspended', [
  { name: 'none suspended', objects: { kustomizations: [flux(`${FS}/apps`, { suspend: false })] }, status: 'pass' },
  {
    name: 'a suspended HelmRelease warns',
    objects: { kustomizations: [flux(`${FS}/apps`)], helmreleases: [flux('media/plex', { suspend: true })] },
    status: 'warn',
    summary: /1 HelmRelease suspended .*media\/plex/,
  },
]);

runTable('foundation.storage', [
  {
    name: 'classes present',
    objects: { storageclasses: [obj('csi-cephfs-config-sc')], volumesnapshotclasses: [obj('csi-cephfs-config-snapclass')] },
    status: 'pass',
  },
  {
    name: 'StorageClass missing',
    objects: { volumesnapshotclasses: [obj('csi-cephfs-config-snapclass')] },
    status: 'fail',
    summary: /missing: StorageClass csi-cephfs-config-sc/,
  },
  {
    name: 'VolumeSnapshotClass missing',
    objects: { storageclasses: [obj('csi-cephfs-config-sc')] },
    status: 'fail',
    summary: /missing: VolumeSnapshotClass csi-cephfs-config-snapclass/,
  },
  {
    name: 'snapshot CRD not installed',
    options: { sync: { volumesnapshotclasses: { phase: 'not-installed' } } },
    status: 'unknown',
    summary: /^VolumeSnapshotClass not installed \(CRD missing\)$/,
  },
]);

const cephPods = (running: number) => [0, 1, 2].map((i) => pod(`ceph-csi/csi-cephfsplugin-${i}`, i < running ? 'Running' : 'Pending'));

runTable('foundation.operators', [
  {
    name: 'CSI pods and VolSync running',
    objects: { pods: cephPods(3), deployments: [deployment('volsync-system/volsync', 1)] },
    status: 'pass',
  },
  {
    name: 'too few CSI pods',
    objects: { pods: cephPods(1), deployments: [deployment('volsync-system/volsync', 1)] },
    status: 'fail',
    summary: /^ceph-csi: 1\/3 CSI pods Running$/,
  },
  {
    name: 'VolSync operator missing',
    objects: { pods: cephPods(3) },
    status: 'fail',
    summary: /Deployment volsync-system\/volsync missing/,
  },
  {
    name: 'VolSync operator unavailable',
    objects: { pods: cephPods(3), deployments: [deployment('volsync-system/volsync', 0)] },
    status: 'fail',
    summary: /volsync-system\/volsync unavailable \(0\/1 replicas available\)/,
  },
  {
    name: 'pods forbidden: unknown with the detail',
    options: { sync: { pods: { phase: 'forbidden', detail: 'list pods in ceph-csi denied' } } },
    status: 'unknown',
    summary: /^cannot list pods: forbidden \(list pods in ceph-csi denied\)$/,
  },
]);
