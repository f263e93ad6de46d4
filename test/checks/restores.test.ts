import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Snapshot } from '../../src/checks/types.js';
import { ago, cond, deployment, evaluate, makeConfig, makeSnapshot, NOW, obj, pv, pvc, rd, runTable, secret, type Condition } from './fixtures.js';

const DONE = { trigger: 'restore-1', lastManualSync: 'restore-1', result: 'Successful', image: true };
const fromRd = (name: string) => ({ dataSourceRef: { apiGroup: 'volsync.backube', kind: 'ReplicationDestination', name } });

runTable('restores.copy-method', [
  { name: 'all Snapshot', objects: { replicationdestinations: [rd('default/sonarr-dst'), rd('default/radarr-dst')] }, status: 'pass', summary: /^2\/2 RDs/ },
  {
    name: 'seed issue 3: copyMethod missing, with the operator message',
    objects: {
      replicationdestinations: [
        rd('default/sonarr-dst'),
        rd('default/radarr-dst', {
          copyMethod: null,
          sync: cond('Synchronizing', 'False', 'Error', 'unsupported copyMethod: -- must be Direct, None, or Snapshot'),
        }),
      ],
    },
    status: 'fail',
    summary: /^1\/2 RDs lack copyMethod: Snapshot \(restores cannot populate PVCs\): default\/radarr-dst/,
    fixes: ['restores-set-copy-method', 'restores-recreate'],
    gitHint: /copyMethod: Snapshot/,
    then: (r) => assert.match(r.evidence[0].value, /^unset \(unsupported copyMethod/),
  },
  {
    name: 'a restic-mover RD does not pass as if it were Kopia: warned, named with its mover',
    objects: { replicationdestinations: [rd('default/sonarr-dst'), rd('default/radarr-dst', { mover: 'restic' })] },
    status: 'warn',
    summary: /^1\/2 RDs use another mover than kopia \(restores\.movers\): default\/radarr-dst \(restic\)$/,
    fixes: [],
    gitHint: /restores\.movers/,
    then: (r) => {
      assert.equal(r.evidence[0].field, 'spec.restic.copyMethod');
      assert.equal(r.evidence[0].value, 'Snapshot; restic mover, not kopia: it restores from a restic repository');
    },
  },
  {
    name: 'another mover and no copyMethod: the copyMethod failure first, the mover named too',
    objects: { replicationdestinations: [rd('default/radarr-dst', { mover: 'restic', copyMethod: null })] },
    status: 'fail',
    summary: /^1\/1 RDs lack copyMethod: Snapshot \(restores cannot populate PVCs\): default\/radarr-dst; 1\/1 RDs use another mover than kopia/,
    fixes: ['restores-set-copy-method', 'restores-recreate'],
  },
  {
    name: 'a mover the config names is fine',
    objects: { replicationdestinations: [rd('default/sonarr-dst'), rd('default/radarr-dst', { mover: 'restic' })] },
    config: { restores: { movers: ['kopia', 'restic'] } },
    status: 'pass',
  },
  { name: 'copyMethod Direct', objects: { replicationdestinations: [rd('default/sonarr-dst', { copyMethod: 'Direct' })] }, status: 'fail' },
  { name: 'no RDs', status: 'pass', summary: /0\/0/ },
  {
    name: 'namespaces filter',
    objects: { replicationdestinations: [rd('default/sonarr-dst'), rd('other/x-dst', { copyMethod: null })] },
    config: { restores: { namespaces: ['default'] } },
    status: 'pass',
  },
]);

runTable('restores.ssa-if-not-present', [
  { name: 'no label', objects: { replicationdestinations: [rd('default/sonarr-dst')] }, status: 'pass' },
  {
    name: 'seed issue 9: IfNotPresent',
    objects: { replicationdestinations: [rd('default/sonarr-dst', { labels: { 'kustomize.toolkit.fluxcd.io/ssa': 'IfNotPresent' } })] },
    status: 'warn',
    summary: /1 RD with ssa: IfNotPresent.*default\/sonarr-dst/,
    fixes: ['restores-recreate'],
    gitHint: /REMOVED: kustomize\.toolkit\.fluxcd\.io\/ssa: IfNotPresent/,
  },
]);

runTable('restores.secrets', [
  {
    name: 'secrets present',
    objects: { replicationdestinations: [rd('default/sonarr-dst')], secrets: [secret('default/sonarr-volsync-secret')] },
    status: 'pass',
  },
  {
    name: 'secret missing',
    objects: { replicationdestinations: [rd('default/sonarr-dst'), rd('default/plex-dst')], secrets: [secret('default/sonarr-volsync-secret')] },
    status: 'fail',
    summary: /^1 repository Secret missing \(external-secrets not synced\?\): default\/plex-volsync-secret/,
  },
  {
    name: 'a secret in another namespace does not count',
    objects: { replicationdestinations: [rd('media/plex-dst')], secrets: [secret('default/plex-volsync-secret')] },
    status: 'fail',
  },
  {
    name: 'no repository named',
    objects: { replicationdestinations: [rd('default/plex-dst', { repository: null })] },
    status: 'fail',
    summary: /names no repository Secret/,
  },
  {
    name: 'secrets forbidden',
    objects: { replicationdestinations: [rd('default/plex-dst')] },
    options: { sync: { secrets: { phase: 'forbidden', detail: 'RBAC: list secrets denied' } } },
    status: 'unknown',
    summary: /^cannot list secrets: forbidden \(RBAC: list secrets denied\)$/,
  },
]);

runTable('restores.progress', [
  {
    name: 'all done',
    objects: { replicationdestinations: [rd('default/a-dst', DONE), rd('default/b-dst', DONE)] },
    status: 'pass',
    summary: /^2\/2 restored$/,
  },
  {
    name: 'none triggered',
    objects: { replicationdestinations: [rd('default/a-dst'), rd('default/b-dst')] },
    status: 'warn',
    summary: /^0\/2 restored: 2 not triggered$/,
    fixes: ['restores-trigger'],
  },
  {
    name: 'running',
    objects: {
      replicationdestinations: [
        rd('default/a-dst', { trigger: 'restore-2', sync: cond('Synchronizing', 'True', 'SyncInProgress') }),
        rd('default/b-dst', DONE),
      ],
    },
    status: 'warn',
    summary: /^1\/2 restored: 1 running$/,
    fixes: [],
  },
  {
    name: 'failed mover, with its message',
    objects: {
      replicationdestinations: [
        rd('default/a-dst', { trigger: 'restore-2', sync: cond('Synchronizing', 'False', 'Error', 'kopia: no snapshots found for sonarr-src') }),
        rd('default/b-dst'),
      ],
    },
    status: 'fail',
    summary: /^0\/2 restored: 1 failed, 1 not triggered \(a-dst: kopia: no snapshots found/,
    fixes: ['restores-trigger'],
  },
  {
    name: 'mover result Failed',
    objects: { replicationdestinations: [rd('default/a-dst', { trigger: 't', result: 'Failed' })] },
    status: 'fail',
    summary: /a-dst: mover log line/,
  },
  {
    name: 'triggered, not started yet',
    objects: { replicationdestinations: [rd('default/a-dst', { trigger: 't2', lastManualSync: 't1', result: 'Successful', image: true })] },
    status: 'warn',
    summary: /1 triggered/,
  },
  {
    name: 'synced but no latestImage is not done',
    objects: { replicationdestinations: [rd('default/a-dst', { trigger: 't', lastManualSync: 't', result: 'Successful' })] },
    status: 'warn',
    summary: /0\/1 restored/,
  },
  { name: 'no RDs yet', status: 'warn', summary: /no ReplicationDestinations yet/ },
  { name: 'no RDs expected', config: { restores: { expectedCount: 0 } }, status: 'pass' },
]);

runTable('restores.app-pvcs', [
  {
    name: 'restored PVCs Bound',
    objects: { persistentvolumeclaims: [pvc('default/sonarr-config', 'Bound', fromRd('sonarr-dst')), pvc('default/kopia', 'Bound')] },
    status: 'pass',
    summary: /^1\/1 app PVCs Bound$/,
  },
  {
    name: 'Pending, listed with its RD',
    objects: { persistentvolumeclaims: [pvc('default/sonarr-config', 'Pending', fromRd('sonarr-dst'))], replicationdestinations: [rd('default/sonarr-dst')] },
    status: 'warn',
    summary: /0\/1 app PVCs Bound; waiting: default\/sonarr-config \(waiting for RD sonarr-dst to restore\)/,
  },
  {
    name: 'its RD missing',
    objects: { persistentvolumeclaims: [pvc('default/sonarr-config', 'Pending', fromRd('sonarr-dst'))] },
    status: 'fail',
    summary: /RD sonarr-dst missing/,
  },
  {
    name: 'dataSource (not dataSourceRef) counts too',
    objects: {
      persistentvolumeclaims: [pvc('default/x', 'Pending', { dataSource: fromRd('x-dst').dataSourceRef })],
      replicationdestinations: [rd('default/x-dst')],
    },
    status: 'warn',
  },
  { name: 'no PVC restores from an RD', objects: { persistentvolumeclaims: [pvc('default/kopia', 'Bound')] }, status: 'pass', summary: /no PVC restores/ },
  {
    name: 'RD CRD missing is optional here',
    objects: { persistentvolumeclaims: [pvc('default/sonarr-config', 'Bound', fromRd('sonarr-dst'))] },
    options: { sync: { replicationdestinations: { phase: 'not-installed' } } },
    status: 'pass',
  },
  {
    name: 'a Pending restored PVC says its storage class and age',
    objects: {
      persistentvolumeclaims: [pvc('default/sonarr-config', 'Pending', { ...fromRd('sonarr-dst'), storageClassName: 'csi-cephfs-config-sc' })],
      replicationdestinations: [rd('default/sonarr-dst')],
      storageclasses: [obj('csi-cephfs-config-sc')],
    },
    status: 'warn',
    then: (r) => assert.equal(r.evidence[0].value, 'Pending for 1h00m, StorageClass csi-cephfs-config-sc: waiting for RD sonarr-dst to restore'),
  },
]);

runTable('restores.other-pvcs', [
  {
    name: 'a Pending PVC no RD restores is reported, with its storage class, age and reason',
    objects: {
      persistentvolumeclaims: [
        pvc('default/sonarr-config', 'Bound', fromRd('sonarr-dst')),
        pvc('media/cache', 'Pending', { storageClassName: 'fast' }, { creationTimestamp: ago(12) }),
        pvc('default/logs', 'Bound', { storageClassName: 'csi-cephfs-config-sc' }),
      ],
      storageclasses: [obj('csi-cephfs-config-sc')],
    },
    status: 'fail',
    summary: /^1\/2 other PVCs Bound; not Bound: media\/cache Pending for 12m, StorageClass fast: StorageClass fast not found$/,
    then: (r) =>
      assert.deepEqual(
        r.evidence.map((e) => `${e.namespace}/${e.name} ${e.status}`),
        ['media/cache fail'],
      ),
  },
  {
    name: 'Pending with an existing class: warn, with the newest condition the status gives',
    objects: {
      persistentvolumeclaims: [
        pvc('media/cache', 'Pending', {}, { creationTimestamp: ago(3) }),
        obj('media/old', {
          spec: { storageClassName: 'csi-cephfs-config-sc' },
          status: {
            phase: 'Pending',
            conditions: [
              cond('Resizing', 'True', 'Resizing', 'waiting for the external resizer', ago(5)),
              cond('ModifyingVolume', 'True', 'VolumeModifying', 'modify in progress', ago(2)),
            ],
          },
        }),
      ],
      storageclasses: [obj('csi-cephfs-config-sc')],
    },
    status: 'warn',
    then: (r) =>
      assert.deepEqual(
        r.evidence.map((e) => e.value),
        [
          'Pending for 3m, default StorageClass: not provisioned yet',
          'Pending for 1h00m, StorageClass csi-cephfs-config-sc: VolumeModifying: modify in progress',
        ],
      ),
  },
  {
    name: 'Lost: its PV is gone',
    objects: { persistentvolumeclaims: [pvc('media/data', 'Lost', { volumeName: 'pv-9', storageClassName: '' })] },
    status: 'fail',
    summary: /media\/data Lost for 1h00m, no StorageClass \(static\): its PV pv-9 is gone/,
  },
  {
    name: "the Kopia repository PVC is the Kopia panel's: not reported twice",
    objects: { persistentvolumeclaims: [pvc('default/kopia', 'Pending', { storageClassName: 'csi-cephfs-config-sc' })] },
    status: 'pass',
    summary: /^no PVCs besides the restored ones and Kopia's$/,
  },
  {
    name: 'the configured Kopia PVC, wherever it is',
    objects: { persistentvolumeclaims: [pvc('volsync-system/kopia', 'Pending'), pvc('default/kopia', 'Pending')] },
    config: { kopia: { pvc: 'volsync-system/kopia' } },
    status: 'warn',
    summary: /^0\/1 other PVCs Bound; not Bound: default\/kopia Pending/,
  },
  {
    name: 'all Bound',
    objects: { persistentvolumeclaims: [pvc('media/cache', 'Bound'), pvc('default/sonarr-config', 'Pending', fromRd('sonarr-dst'))] },
    status: 'pass',
    summary: /^1\/1 other PVCs Bound$/,
  },
  {
    name: 'namespaces filter',
    objects: { persistentvolumeclaims: [pvc('media/cache', 'Pending'), pvc('default/logs', 'Bound')] },
    config: { restores: { namespaces: ['default'] } },
    status: 'pass',
  },
  {
    name: 'StorageClasses not readable: no verdict on the class, the PVC still reported',
    objects: { persistentvolumeclaims: [pvc('media/cache', 'Pending', { storageClassName: 'fast' })] },
    options: { sync: { storageclasses: { phase: 'forbidden' } } },
    status: 'warn',
    summary: /media\/cache Pending for 1h00m, StorageClass fast: not provisioned yet/,
  },
]);

/** An app Deployment whose pod template mounts these PVCs. */
const app = (ref: string, available: number, claims: string[], conditions: Condition[] = []) => {
  const d = deployment(ref, available);
  const volumes = claims.map((claimName, i) => ({ name: `data-${i}`, persistentVolumeClaim: { claimName } }));
  return {
    ...d,
    spec: { ...d.spec, template: { spec: { containers: [{ name: 'app', image: 'x' }], volumes: [{ name: 'tmp', emptyDir: {} }, ...volumes] } } },
    status: { ...d.status, conditions: [...(d.status.conditions as Condition[]), ...conditions] },
  };
};
const restored = (ref: string, phase: string, volumeName?: string) =>
  pvc(ref, phase, { ...fromRd(`${ref.split('/')[1].replace(/-config$/, '')}-dst`), ...(volumeName ? { volumeName } : {}) });
const boundPv = (name: string, since: string) => obj(name, { spec: {}, status: { phase: 'Bound', lastPhaseTransitionTime: since } });
const DEADLINE = cond('Progressing', 'False', 'ProgressDeadlineExceeded', 'ReplicaSet "plex-5d8f" has timed out progressing.', ago(20));

runTable('restores.apps-running', [
  {
    name: 'every app on a restored PVC available',
    objects: {
      persistentvolumeclaims: [restored('default/plex-config', 'Bound'), restored('default/sonarr-config', 'Bound'), pvc('default/kopia', 'Bound')],
      deployments: [app('default/plex', 1, ['plex-config']), app('default/sonarr', 2, ['sonarr-config']), deployment('kube-system/cilium-operator', 0)],
    },
    status: 'pass',
    summary: /^2\/2 apps running$/,
  },
  {
    name: 'waiting on restores: PVC Pending, listed per app',
    objects: {
      persistentvolumeclaims: [
        restored('default/plex-config', 'Pending'),
        restored('default/sonarr-config', 'Bound'),
        restored('default/radarr-config', 'Pending'),
      ],
      deployments: [app('default/plex', 0, ['plex-config']), app('default/sonarr', 1, ['sonarr-config']), app('default/radarr', 0, ['radarr-config'])],
      replicationdestinations: [rd('default/plex-dst')],
    },
    status: 'warn',
    summary: /^1\/3 apps running; waiting: default\/plex \(PVC plex-config Pending\), default\/radarr \(PVC radarr-config Pending\)$/,
    then: (r) => {
      assert.deepEqual(
        r.evidence.map((e) => [e.kind, e.name, e.status]),
        [
          ['Deployment', 'plex', 'warn'],
          ['Deployment', 'radarr', 'warn'],
          ['Deployment', 'sonarr', 'pass'],
        ],
      );
      assert.deepEqual(r.fixes, []);
    },
  },
  {
    name: 'PVC Bound, Deployment still starting: warn',
    objects: { persistentvolumeclaims: [restored('default/plex-config', 'Bound')], deployments: [app('default/plex', 0, ['plex-config'])] },
    status: 'warn',
    summary: /^0\/1 apps running; waiting: default\/plex \(starting: 0\/1 replicas available\)$/,
  },
  {
    name: 'a deadline exceeded while the PVC was Pending is no failure yet',
    objects: { persistentvolumeclaims: [restored('default/plex-config', 'Pending')], deployments: [app('default/plex', 0, ['plex-config'], [DEADLINE])] },
    status: 'warn',
    summary: /waiting: default\/plex \(PVC plex-config Pending\)/,
  },
  {
    name: 'failed rollout: PVC Bound, ProgressDeadlineExceeded',
    objects: {
      persistentvolumeclaims: [restored('default/plex-config', 'Bound'), restored('default/sonarr-config', 'Pending')],
      deployments: [app('default/plex', 0, ['plex-config'], [DEADLINE]), app('default/sonarr', 0, ['sonarr-config'])],
    },
    status: 'fail',
    summary:
      /^0\/2 apps running; failed: default\/plex \(ProgressDeadlineExceeded: ReplicaSet "plex-5d8f" has timed out progressing\.\); waiting: default\/sonarr \(PVC sonarr-config Pending\)$/,
    then: (r) => assert.match(r.evidence[0].value, /Progressing False ProgressDeadlineExceeded/),
  },
  {
    name: 'failed rollout: ReplicaFailure',
    objects: {
      persistentvolumeclaims: [restored('default/plex-config', 'Bound')],
      deployments: [app('default/plex', 0, ['plex-config'], [cond('ReplicaFailure', 'True', 'FailedCreate', 'pods "plex-1" is forbidden: exceeded quota')])],
    },
    status: 'fail',
    summary: /failed: default\/plex \(FailedCreate: pods "plex-1" is forbidden: exceeded quota\)/,
  },
  {
    name: 'deadline exceeded before the PV bound, within one deadline of the binding: still starting',
    objects: {
      persistentvolumeclaims: [restored('default/plex-config', 'Bound', 'pv-plex')],
      persistentvolumes: [boundPv('pv-plex', ago(2))],
      deployments: [app('default/plex', 0, ['plex-config'], [DEADLINE])],
    },
    status: 'warn',
    summary: /^0\/1 apps running; waiting: default\/plex \(starting: its PVCs bound 2m ago\)$/,
  },
  {
    name: 'deadline exceeded before the PV bound, and a whole deadline since: fail',
    objects: {
      persistentvolumeclaims: [restored('default/plex-config', 'Bound', 'pv-plex')],
      persistentvolumes: [boundPv('pv-plex', ago(11))],
      deployments: [app('default/plex', 0, ['plex-config'], [DEADLINE])],
    },
    status: 'fail',
  },
  {
    name: 'no Deployment mounts a restored PVC; one in another namespace does not count',
    objects: {
      persistentvolumeclaims: [restored('default/plex-config', 'Bound'), restored('default/sonarr-config', 'Bound')],
      deployments: [app('default/sonarr', 1, ['sonarr-config']), app('media/plex', 1, ['plex-config'])],
    },
    status: 'warn',
    summary: /^1\/2 apps running; waiting: default\/plex-config \(no Deployment mounts it\)$/,
    then: (r) =>
      assert.deepEqual([r.evidence[0].kind, r.evidence[0].field, r.evidence[0].value], ['PersistentVolumeClaim', 'mounted by', 'no Deployment mounts it']),
  },
  {
    name: 'a Deployment mounting two restored PVCs counts once and waits for both',
    objects: {
      persistentvolumeclaims: [restored('default/paperless-config', 'Bound'), restored('default/paperless-data', 'Pending')],
      deployments: [app('default/paperless', 0, ['paperless-config', 'paperless-data', 'paperless-config'])],
    },
    status: 'warn',
    summary: /^0\/1 apps running; waiting: default\/paperless \(PVC paperless-data Pending\)$/,
  },
  {
    name: 'no PVC restores from an RD',
    objects: { persistentvolumeclaims: [pvc('default/kopia', 'Bound')], deployments: [deployment('default/kopia', 0)] },
    status: 'pass',
    summary: /no PVC restores/,
  },
  {
    name: 'Deployments still connecting',
    objects: { persistentvolumeclaims: [restored('default/plex-config', 'Bound')] },
    options: { sync: { deployments: { phase: 'connecting' } } },
    status: 'pending',
  },
  {
    name: 'RD and PV CRDs missing are optional here',
    objects: { persistentvolumeclaims: [restored('default/plex-config', 'Bound')], deployments: [app('default/plex', 1, ['plex-config'])] },
    options: { sync: { replicationdestinations: { phase: 'not-installed' }, persistentvolumes: { phase: 'forbidden' } } },
    status: 'pass',
  },
  {
    name: 'malformed volumes and conditions never throw',
    objects: {
      persistentvolumeclaims: [
        restored('default/plex-config', 'Pending'),
        { metadata: { name: 'x', namespace: 'default' }, spec: { dataSourceRef: 'plex-dst' } },
      ],
      deployments: [
        { metadata: { name: 'a', namespace: 'default' }, spec: { template: { spec: { volumes: 'plex-config' } } } },
        {
          metadata: { name: 'b', namespace: 'default' },
          spec: { template: { spec: { volumes: [null, 5, { persistentVolumeClaim: { claimName: 7 } }, { persistentVolumeClaim: null }] } } },
        },
        {
          metadata: { name: 'plex', namespace: 'default' },
          spec: { template: { spec: { volumes: [{ persistentVolumeClaim: { claimName: 'plex-config' } }] } } },
          status: { conditions: 'Available', availableReplicas: 'x' },
        },
        { metadata: null },
      ],
    },
    status: 'warn',
    summary: /^0\/1 apps running; waiting: default\/plex \(PVC plex-config Pending\)$/,
  },
]);

const many = (n: number) => Array.from({ length: n }, (_, i) => rd(`default/app${i}-dst`));

runTable('restores.count', [
  { name: 'as expected', objects: { replicationdestinations: many(22) }, status: 'pass', summary: /^22\/22/ },
  { name: 'fewer', objects: { replicationdestinations: many(18) }, status: 'warn', summary: /^18\/22 ReplicationDestinations \(4 missing/ },
  { name: 'more', objects: { replicationdestinations: many(3) }, config: { restores: { expectedCount: 2 } }, status: 'warn', summary: /1 more than/ },
  {
    name: 'RDs still connecting',
    options: { sync: { replicationdestinations: { phase: 'connecting' } } },
    status: 'pending',
    summary: /^waiting for replicationdestinations to sync$/,
  },
]);

test('the same RD object is judged afresh when its repository Secret appears, and when the movers change', () => {
  const dst = rd('default/sonarr-dst');
  const before = evaluate('restores.secrets', makeSnapshot({ replicationdestinations: [dst] }));
  assert.equal(before.status, 'fail');
  const after = evaluate('restores.secrets', makeSnapshot({ replicationdestinations: [dst], secrets: [secret('default/sonarr-volsync-secret')] }));
  assert.equal(after.status, 'pass', after.summary);
  const kopia = evaluate('restores.copy-method', makeSnapshot({ replicationdestinations: [dst] }));
  assert.equal(kopia.status, 'pass');
  const restic = evaluate('restores.copy-method', makeSnapshot({ replicationdestinations: [dst] }), makeConfig({ restores: { movers: ['restic'] } }));
  assert.equal(restic.status, 'warn', restic.summary);
});

test('restores.other-pvcs over successive snapshots (the store keeps unchanged objects): each age is read again at its own minute, and a PVC that binds leaves the list', () => {
  const at = (ms: number) => new Date(NOW + ms).toISOString();
  const a = pvc('media/a', 'Pending', { storageClassName: 'fast' }, { creationTimestamp: at(-30_000) });
  const b = pvc('media/b', 'Pending', {}, { creationTimestamp: ago(12) });
  const c = pvc('media/c', 'Bound', {});
  const first = makeSnapshot({ persistentvolumeclaims: [a, b, c], storageclasses: [obj('fast')] });
  const values = (snapshot: Snapshot) => evaluate('restores.other-pvcs', snapshot).evidence.map((e) => `${e.name}: ${e.value}`);
  assert.deepEqual(values(first), [
    'a: Pending for 30s, StorageClass fast: not provisioned yet',
    'b: Pending for 12m, default StorageClass: not provisioned yet',
  ]);
  // The clock alone moves: a counts seconds, b reads 12m until its next minute.
  assert.deepEqual(values({ ...first, now: NOW + 40_000 }), [
    'a: Pending for 1m, StorageClass fast: not provisioned yet',
    'b: Pending for 12m, default StorageClass: not provisioned yet',
  ]);
  // A second on which only a's age moves: b's row is the very row it was (the store compares rows by identity first).
  const rowOf = (snapshot: Snapshot, name: string) => evaluate('restores.other-pvcs', snapshot).evidence.find((e) => e.name === name);
  assert.equal(rowOf({ ...first, now: NOW + 10_000 }, 'a')?.value, 'Pending for 40s, StorageClass fast: not provisioned yet');
  const before = rowOf({ ...first, now: NOW + 10_000 }, 'b');
  assert.equal(rowOf({ ...first, now: NOW + 11_000 }, 'a')?.value, 'Pending for 41s, StorageClass fast: not provisioned yet');
  assert.equal(rowOf({ ...first, now: NOW + 11_000 }, 'b'), before);
  assert.deepEqual(values({ ...first, now: NOW + 61_000 }), [
    'a: Pending for 1m, StorageClass fast: not provisioned yet',
    'b: Pending for 13m, default StorageClass: not provisioned yet',
  ]);
  // b binds: a new object in its place, the others the same objects.
  const pvcs = new Map(first.objects.persistentvolumeclaims);
  pvcs.set('media/b', pvc('media/b', 'Bound', {}, { creationTimestamp: ago(12) }));
  const bound = { ...first, now: NOW + 62_000, objects: { ...first.objects, persistentvolumeclaims: pvcs } };
  assert.deepEqual(values(bound), ['a: Pending for 1m, StorageClass fast: not provisioned yet']);
  assert.match(evaluate('restores.other-pvcs', bound).summary, /^2\/3 other PVCs Bound; not Bound: media\/a Pending for 1m/);
  // Its StorageClass goes: a's finding is read again though a did not change.
  const noClass = { ...bound, objects: { ...bound.objects, storageclasses: new Map() } };
  assert.deepEqual(values(noClass), ['a: Pending for 1m, StorageClass fast: StorageClass fast not found']);
});

test('restores.other-pvcs over successive snapshots: a PV that appears is news to the PVC naming it, though that PVC did not change', () => {
  const d = pvc('media/d', 'Pending', { volumeName: 'pv-d', storageClassName: '' }, { creationTimestamp: ago(5) });
  const e = pvc('media/e', 'Pending', { volumeName: 'pv-e', storageClassName: '' }, { creationTimestamp: ago(5) });
  const first = makeSnapshot({ persistentvolumeclaims: [d, e] });
  const values = (snapshot: Snapshot) => evaluate('restores.other-pvcs', snapshot).evidence.map((x) => `${x.name}: ${x.value}`);
  assert.deepEqual(values(first), [
    'd: Pending for 5m, no StorageClass (static): PV pv-d not found',
    'e: Pending for 5m, no StorageClass (static): PV pv-e not found',
  ]);
  const withPv = { ...first, objects: { ...first.objects, persistentvolumes: new Map([['pv-d', pv('pv-d', 'handle-d')]]) } };
  assert.deepEqual(values(withPv), [
    'd: Pending for 5m, no StorageClass (static): not provisioned yet',
    'e: Pending for 5m, no StorageClass (static): PV pv-e not found',
  ]);
});
