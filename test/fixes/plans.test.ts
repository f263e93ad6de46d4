/**
 * Every fix's plan on hand-built snapshots: the exact requests and bodies, the command lines, how it
 * is confirmed, what it warns about, and when it refuses. Snapshots are frozen: a plan that writes
 * to what it reads throws.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubeObject } from '../../src/cluster.js';
import { FIX_IDS, type FixId } from '../../src/checks/types.js';
import { KEY_BINDINGS } from '../../src/store/keys.js';
import { ALL_FIXES, fixById } from '../../src/fixes/index.js';
import { isPlan, type Confirmation, type Plan, type PlannedRequest, type PlanOptions } from '../../src/fixes/types.js';
import { formatTarget, parseTarget } from '../../src/fixes/util.js';
import { getObject } from '../../src/checks/util.js';
import { parseCephHandle } from '../../src/fixes/reclaim-kopia.js';
import {
  EPOCH,
  NOW,
  ago,
  cond,
  deployment,
  flux,
  gateway,
  makeConfig,
  makeSnapshot,
  notReady,
  obj,
  pv,
  pvc,
  rd,
  secret,
  service,
  type Objects,
} from '../checks/fixtures.js';

const TOKEN = '2025-12-02T12:00:00.123456789Z';
const FS = 'flux-system';
const CLUSTER_ID = '5b3e1f0a-9c7d-4e2b-8a61-2f4c9d7e3b10';
const SAVED = `0001-0024-${CLUSTER_ID}-0000000000000001-c2d9e0f4-7a1b-4c3e-9f58-6d2a0b4e1c73`;
const WRONG = `0001-0024-${CLUSTER_ID}-0000000000000001-8e4f2a6c-1d3b-4f7e-a0c9-5b7d3e1f9a24`;
const saved = { kopia: { savedVolumeHandle: SAVED } };
/** In an expected request: any body (asserted elsewhere). */
const ANY = Symbol('any body');

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** Adds fields to an object built by a fixture (spec and status are merged one level deep). */
function withFields(
  o: KubeObject,
  fields: { spec?: Record<string, unknown>; status?: Record<string, unknown>; metadata?: Record<string, unknown> },
): KubeObject {
  return {
    ...o,
    metadata: { ...o.metadata, ...fields.metadata },
    spec: { ...o.spec, ...fields.spec },
    status: { ...o.status, ...fields.status },
  };
}

// ---------------------------------------------------------------------------------------------
// Objects

const NOT_RECONCILED = "HelmChart 'ceph-csi/ceph-csi-ceph-csi-rbd' is not ready: latest generation of object has not been reconciled";
const helmRepo = withFields(flux('ceph-csi/ceph-csi'), { spec: { url: 'https://ceph.github.io/csi-charts' } });
const chartBehind = withFields(flux('ceph-csi/ceph-csi-ceph-csi-rbd', { generation: 2, observedGeneration: 1 }), {
  spec: { chart: 'ceph-csi-rbd', sourceRef: { kind: 'HelmRepository', name: 'ceph-csi' } },
});
const stuckRelease = withFields(flux('ceph-csi/ceph-csi-rbd', { ready: notReady('HelmChartNotReady', NOT_RECONCILED, EPOCH) }), {
  status: { helmChart: 'ceph-csi/ceph-csi-ceph-csi-rbd' },
});
const gitRepo = flux(`${FS}/flux-system`);
const ks = (name: string, options: Parameters<typeof flux>[1] = {}) =>
  withFields(flux(`${FS}/${name}`, options), { spec: { sourceRef: { kind: 'GitRepository', name: 'flux-system' } } });
const IMMUTABLE = 'PersistentVolumeClaim "kopia" is invalid: spec: Forbidden: spec is immutable after creation except resources.requests';

const kopiaPvc = (volumeName: string, extra: Record<string, unknown> = {}, labels?: Record<string, string>) =>
  pvc(
    'default/kopia',
    'Bound',
    { volumeName, accessModes: ['ReadWriteMany'], resources: { requests: { storage: '50Gi' } }, storageClassName: 'csi-cephfs-sc', ...extra },
    labels ? { labels } : {},
  );
const cephPv = (name: string, handle: string, policy: string, extra: Record<string, unknown> = {}) =>
  withFields(pv(name, handle, policy), {
    spec: {
      capacity: { storage: extra.capacity ?? '50Gi' },
      accessModes: ['ReadWriteMany'],
      csi: {
        driver: 'cephfs.csi.ceph.com',
        volumeHandle: handle,
        volumeAttributes: { clusterID: CLUSTER_ID, fsName: 'cephfs', 'storage.kubernetes.io/csiProvisionerIdentity': '1764662400000-2841-cephfs.csi.ceph.com' },
        nodeStageSecretRef: { name: 'csi-cephfs-secret', namespace: 'ceph-csi' },
      },
      ...(extra.claimRef ? { claimRef: extra.claimRef } : {}),
    },
    status: { phase: (extra.phase as string) ?? 'Bound' },
  });
const fluxLabels = { 'app.kubernetes.io/name': 'kopia', 'kustomize.toolkit.fluxcd.io/name': 'atuin', 'kustomize.toolkit.fluxcd.io/namespace': FS };

const running = cond('Synchronizing', 'True', 'SyncInProgress', 'Synchronization in-progress');
const waiting = cond('Synchronizing', 'False', 'WaitingForManual', 'Waiting for manual trigger');
const copyError = cond('Synchronizing', 'False', 'Error', 'unsupported copyMethod: -- must be Direct, None, or Snapshot');
const secrets = ['plex', 'sonarr', 'radarr', 'emby', 'lidarr'].map((a) => secret(`default/${a}-volsync-secret`));

const unprogrammed = (ref: string) => gateway(ref, cond('Programmed', 'Unknown', 'Pending', 'Waiting for controller', EPOCH));
const programmed = (ref: string) => gateway(ref, cond('Programmed', 'True', 'Programmed', 'Gateway successfully reconciled'), ['10.101.27.100']);
const operator = (paused = false) => withFields(deployment('kube-system/cilium-operator', 2, 2), { spec: paused ? { paused: true } : {} });

// ---------------------------------------------------------------------------------------------
// The table

interface PlanCase {
  name: string;
  fix: FixId;
  objects?: Objects;
  config?: Record<string, unknown>;
  options?: Partial<PlanOptions>;
  /** A NoPlan whose reason matches. */
  refused?: RegExp;
  /** Exactly these requests (summary left out). */
  requests?: Array<Omit<PlannedRequest, 'summary'>>;
  /** Exactly these command lines, or lines matching these patterns in this order. */
  commands?: Array<string | RegExp>;
  confirm?: Confirmation;
  /** Each pattern matches one warning, in order; `[]` means none. */
  warnings?: RegExp[];
  details?: RegExp[];
  gitChange?: RegExp | null;
  then?: (plan: Plan) => void;
}

const patch = (kind: PlannedRequest['kind'], namespace: string | undefined, name: string, body: unknown): Omit<PlannedRequest, 'summary'> => ({
  verb: 'patch',
  kind,
  ...(namespace ? { namespace } : {}),
  name,
  patchType: 'merge',
  body,
});
const annotate = (annotations: Record<string, string>) => ({ metadata: { annotations } });

/** The uid and resourceVersion `identified` gives the object `ref` (`namespace/name`, or `name`). */
const seen = (ref: string) => ({ uid: `uid-${ref.replace('/', '-')}`, resourceVersion: `rv-${ref.replace('/', '-')}` });
/** A delete of exactly `ref` as the snapshot has it. */
const deleteOf = (kind: PlannedRequest['kind'], ref: string): Omit<PlannedRequest, 'summary'> => {
  const [namespace, name] = ref.includes('/') ? ref.split('/') : [undefined, ref];
  return { verb: 'delete', kind, ...(namespace ? { namespace } : {}), name, body: { apiVersion: 'v1', kind: 'DeleteOptions', preconditions: seen(ref) } };
};

/** Every object with a uid and a resourceVersion, as a server gives them (kept where a case sets its own). */
function identified(objects: Objects): Objects {
  return Object.fromEntries(
    Object.entries(objects).map(([kind, items]) => [
      kind,
      (items as KubeObject[]).map((o) => {
        const meta = o?.metadata;
        if (!meta || typeof meta.name !== 'string') return o;
        return { ...o, metadata: { ...seen(meta.namespace ? `${meta.namespace}/${meta.name}` : meta.name), ...meta } };
      }),
    ]),
  );
}
const REQ = 'reconcile.fluxcd.io/requestedAt';

const CASES: PlanCase[] = [
  // ---- flux-reconcile
  {
    name: 'the worst stuck object without a target: the HelmRelease, forced',
    fix: 'flux-reconcile',
    objects: { helmreleases: [stuckRelease], helmcharts: [chartBehind], helmrepositories: [helmRepo] },
    options: { force: true },
    requests: [
      patch('helmreleases', 'ceph-csi', 'ceph-csi-rbd', annotate({ [REQ]: TOKEN, 'reconcile.fluxcd.io/forceAt': TOKEN, 'reconcile.fluxcd.io/resetAt': TOKEN })),
    ],
    commands: [
      'flux reconcile helmrelease ceph-csi-rbd -n ceph-csi --force',
      '# the same requests with kubectl:',
      `kubectl annotate helmrelease ceph-csi-rbd -n ceph-csi --overwrite reconcile.fluxcd.io/requestedAt=${TOKEN} reconcile.fluxcd.io/forceAt=${TOKEN} reconcile.fluxcd.io/resetAt=${TOKEN}`,
    ],
    confirm: { kind: 'yes' },
    warnings: [],
    details: [/^HelmRelease ceph-csi\/ceph-csi-rbd: Ready False HelmChartNotReady: .*; stuck: HelmChart not reconciled, condition time 1970-01-01$/],
    then: (plan) => assert.equal(plan.token, TOKEN),
  },
  {
    name: 'with its source: the HelmChart of status.helmChart first',
    fix: 'flux-reconcile',
    objects: { helmreleases: [stuckRelease], helmcharts: [chartBehind], helmrepositories: [helmRepo] },
    options: { target: 'ceph-csi/ceph-csi-rbd', withSource: true },
    requests: [
      patch('helmcharts', 'ceph-csi', 'ceph-csi-ceph-csi-rbd', annotate({ [REQ]: TOKEN })),
      patch('helmreleases', 'ceph-csi', 'ceph-csi-rbd', annotate({ [REQ]: TOKEN })),
    ],
    commands: [
      'flux reconcile helmrelease ceph-csi-rbd -n ceph-csi --with-source',
      '# the same requests with kubectl:',
      `kubectl annotate helmchart ceph-csi-ceph-csi-rbd -n ceph-csi --overwrite reconcile.fluxcd.io/requestedAt=${TOKEN}`,
      `kubectl annotate helmrelease ceph-csi-rbd -n ceph-csi --overwrite reconcile.fluxcd.io/requestedAt=${TOKEN}`,
    ],
    then: (plan) => assert.deepEqual(plan.targets.map(formatTarget), ['HelmChart/ceph-csi/ceph-csi-ceph-csi-rbd', 'HelmRelease/ceph-csi/ceph-csi-rbd']),
  },
  {
    name: "a Kustomization's source is its sourceRef",
    fix: 'flux-reconcile',
    objects: { kustomizations: [ks('apps', { ready: notReady('BuildFailed', 'kustomize build failed') })], gitrepositories: [gitRepo] },
    options: { target: 'Kustomization/flux-system/apps', withSource: true, force: true },
    requests: [patch('gitrepositories', FS, 'flux-system', annotate({ [REQ]: TOKEN })), patch('kustomizations', FS, 'apps', annotate({ [REQ]: TOKEN }))],
    commands: [
      /^flux reconcile kustomization apps -n flux-system --with-source$/,
      /^#/,
      /^kubectl annotate gitrepository flux-system -n flux-system/,
      /^kubectl annotate kustomization apps/,
    ],
    warnings: [/^force applies to HelmReleases only: ignored$/],
  },
  {
    name: 'a suspended object is resumed first, in a request of its own, with a warning',
    fix: 'flux-reconcile',
    objects: { kustomizations: [ks('apps', { suspend: true, ready: notReady('ReconciliationFailed', 'x') })] },
    options: { target: 'flux-system/apps' },
    requests: [patch('kustomizations', FS, 'apps', { spec: { suspend: false } }), patch('kustomizations', FS, 'apps', annotate({ [REQ]: TOKEN }))],
    commands: [
      'flux resume kustomization apps -n flux-system',
      '# the same requests with kubectl:',
      `kubectl patch kustomization apps -n flux-system --type=merge -p '{"spec":{"suspend":false}}'`,
      `kubectl annotate kustomization apps -n flux-system --overwrite reconcile.fluxcd.io/requestedAt=${TOKEN}`,
    ],
    warnings: [/is suspended: it is resumed first \(spec\.suspend: false\)/],
  },
  {
    name: 'a name shared by two kinds is ambiguous until the kind is named',
    fix: 'flux-reconcile',
    objects: { kustomizations: [ks('flux-system')], gitrepositories: [gitRepo] },
    options: { target: 'flux-system/flux-system' },
    refused: /ambiguous .*name the kind/,
  },
  {
    name: 'the kind in the target picks one of them',
    fix: 'flux-reconcile',
    objects: { kustomizations: [ks('flux-system')], gitrepositories: [gitRepo] },
    options: { target: 'GitRepository/flux-system/flux-system' },
    requests: [patch('gitrepositories', FS, 'flux-system', annotate({ [REQ]: TOKEN }))],
    commands: ['flux reconcile source git flux-system -n flux-system', /^#/, /^kubectl annotate gitrepository flux-system/],
  },
  {
    name: 'an unknown target is refused',
    fix: 'flux-reconcile',
    objects: { kustomizations: [ks('apps')] },
    options: { target: 'flux-system/nope' },
    refused: /^no Flux object flux-system\/nope$/,
  },
  {
    name: 'nothing stuck and no target: nothing to do',
    fix: 'flux-reconcile',
    objects: { kustomizations: [ks('apps'), ks('infra', { ready: cond('Ready', 'Unknown', 'Progressing', 'Reconciliation in progress') })] },
    refused: /^nothing stuck or failing/,
  },
  {
    name: 'an immutable-field failure can be reconciled, with the Git cure',
    fix: 'flux-reconcile',
    objects: { kustomizations: [ks('plex', { ready: notReady('ReconciliationFailed', IMMUTABLE) })] },
    requests: [patch('kustomizations', FS, 'plex', annotate({ [REQ]: TOKEN }))],
    warnings: [/fails on an immutable field: a reconcile fails the same way until Git changes/],
    gitChange: /kubernetes\/components\/volsync\/kustomization\.yaml/,
  },

  // ---- flux-reconcile-stuck
  {
    name: 'dependency order: sources, then dependsOn roots, then their dependants',
    fix: 'flux-reconcile-stuck',
    objects: {
      kustomizations: [
        ks('late', { dependsOn: [{ name: 'apps' }], ready: notReady('ReconciliationFailed', 'health check failed') }),
        ks('apps', { dependsOn: [{ name: 'infra' }], ready: notReady('ReconciliationFailed', 'health check failed') }),
        ks('infra', { ready: notReady('BuildFailed', 'kustomize build failed') }),
        ks('waits', { dependsOn: [{ name: 'infra' }], ready: notReady('DependencyNotReady', "dependency 'flux-system/infra' is not ready") }),
        ks('fine'),
      ],
      gitrepositories: [gitRepo],
      helmreleases: [stuckRelease],
      helmcharts: [chartBehind],
      helmrepositories: [helmRepo],
    },
    requests: [
      patch('helmcharts', 'ceph-csi', 'ceph-csi-ceph-csi-rbd', annotate({ [REQ]: TOKEN })),
      patch('kustomizations', FS, 'infra', annotate({ [REQ]: TOKEN })),
      patch('helmreleases', 'ceph-csi', 'ceph-csi-rbd', annotate({ [REQ]: TOKEN })),
      patch('kustomizations', FS, 'apps', annotate({ [REQ]: TOKEN })),
      patch('kustomizations', FS, 'late', annotate({ [REQ]: TOKEN })),
    ],
    commands: [
      'flux reconcile source chart ceph-csi-ceph-csi-rbd -n ceph-csi',
      'flux reconcile kustomization infra -n flux-system',
      'flux reconcile helmrelease ceph-csi-rbd -n ceph-csi',
      'flux reconcile kustomization apps -n flux-system',
      'flux reconcile kustomization late -n flux-system',
      '# the same requests with kubectl:',
      /^kubectl annotate helmchart ceph-csi-ceph-csi-rbd /,
      /^kubectl annotate kustomization infra /,
      /^kubectl annotate helmrelease ceph-csi-rbd /,
      /^kubectl annotate kustomization apps /,
      /^kubectl annotate kustomization late /,
    ],
    confirm: { kind: 'yes' },
    warnings: [],
    gitChange: null,
    details: [
      /^1\. \[level 1\] HelmChart/,
      /^2\. \[level 1\] Kustomization flux-system\/infra/,
      /^3\. \[level 2\] HelmRelease/,
      /^4\. \[level 2\] Kustomization flux-system\/apps/,
      /^5\. \[level 3\]/,
    ],
  },
  {
    name: 'immutable-field failures and suspended objects are left out, and said so',
    fix: 'flux-reconcile-stuck',
    objects: {
      kustomizations: [
        ks('plex', { ready: notReady('ReconciliationFailed', IMMUTABLE) }),
        ks('sonarr', { ready: notReady('ReconciliationFailed', IMMUTABLE) }),
        ks('paused', { suspend: true, ready: notReady('ReconciliationFailed', 'x') }),
        ks('infra', { ready: notReady('BuildFailed', 'kustomize build failed') }),
      ],
    },
    options: { force: true },
    requests: [patch('kustomizations', FS, 'infra', annotate({ [REQ]: TOKEN }))],
    warnings: [
      /^skipping 2 objects failing on an immutable field: .*\(seed issue 4\): Kustomization flux-system\/plex, Kustomization flux-system\/sonarr$/,
      /^skipping 1 suspended object .*: Kustomization flux-system\/paused$/,
    ],
    gitChange: /MUST NOT be here/,
  },
  {
    name: 'a Stalled HelmRelease also gets resetAt; force gives forceAt too',
    fix: 'flux-reconcile-stuck',
    objects: {
      helmreleases: [
        flux('media/plex', {
          ready: notReady('InstallFailed', 'install retries exhausted'),
          conditions: [cond('Stalled', 'True', 'RetriesExceeded', 'Failed to install after 3 attempt(s)')],
        }),
      ],
    },
    requests: [patch('helmreleases', 'media', 'plex', annotate({ [REQ]: TOKEN, 'reconcile.fluxcd.io/resetAt': TOKEN }))],
    commands: ['flux reconcile helmrelease plex -n media --reset', /^#/, /resetAt/],
    details: [/Stalled: its failure counts are reset too/],
  },
  {
    name: 'nothing stuck but Git-cured failures: refused, naming what was left alone',
    fix: 'flux-reconcile-stuck',
    objects: { kustomizations: [ks('plex', { ready: notReady('ReconciliationFailed', IMMUTABLE) }), ks('apps')] },
    refused: /^nothing stuck to reconcile; left alone: 1 object failing on an immutable field \(the cure is in Git\)$/,
  },

  // ---- kopia-reclaim
  {
    name: 'no saved handle configured',
    fix: 'kopia-reclaim',
    objects: { persistentvolumeclaims: [kopiaPvc('pvc-new')], persistentvolumes: [cephPv('pvc-new', WRONG, 'Delete')] },
    refused: /^no saved volume handle configured: set kopia\.savedVolumeHandle, or kopia\.handleSecretFile/,
  },
  {
    name: 'seed issue 2: the wrong PVC is shown in full, deleted first (typed), a PV and a PVC created',
    fix: 'kopia-reclaim',
    config: saved,
    objects: {
      persistentvolumeclaims: [kopiaPvc('pvc-new', {}, fluxLabels)],
      persistentvolumes: [cephPv('pvc-new', WRONG, 'Delete', { claimRef: { namespace: 'default', name: 'kopia', uid: 'old' } })],
      kustomizations: [ks('atuin', { ready: notReady('ReconciliationFailed', IMMUTABLE), inventory: ['default_kopia__PersistentVolumeClaim'] })],
    },
    requests: [
      deleteOf('persistentvolumeclaims', 'default/kopia'),
      {
        verb: 'create',
        kind: 'persistentvolumes',
        name: 'kopia-c2d9e0f4',
        body: {
          apiVersion: 'v1',
          kind: 'PersistentVolume',
          metadata: { name: 'kopia-c2d9e0f4', labels: { 'app.kubernetes.io/name': 'kopia' } },
          spec: {
            capacity: { storage: '50Gi' },
            accessModes: ['ReadWriteMany'],
            persistentVolumeReclaimPolicy: 'Retain',
            storageClassName: '',
            volumeMode: 'Filesystem',
            claimRef: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: 'default', name: 'kopia' },
            csi: {
              driver: 'cephfs.csi.ceph.com',
              volumeHandle: SAVED,
              volumeAttributes: {
                clusterID: CLUSTER_ID,
                fsName: 'cephfs',
                'storage.kubernetes.io/csiProvisionerIdentity': '1764662400000-2841-cephfs.csi.ceph.com',
              },
              nodeStageSecretRef: { name: 'csi-cephfs-secret', namespace: 'ceph-csi' },
            },
          },
        },
      },
      {
        verb: 'create',
        kind: 'persistentvolumeclaims',
        namespace: 'default',
        name: 'kopia',
        body: {
          apiVersion: 'v1',
          kind: 'PersistentVolumeClaim',
          metadata: { name: 'kopia', namespace: 'default', labels: { 'app.kubernetes.io/name': 'kopia' } },
          spec: {
            accessModes: ['ReadWriteMany'],
            resources: { requests: { storage: '50Gi' } },
            storageClassName: '',
            volumeMode: 'Filesystem',
            volumeName: 'kopia-c2d9e0f4',
          },
        },
      },
    ],
    commands: [
      // The raw DELETE: kubectl delete has no flag for preconditions.
      `kubectl delete --raw /api/v1/namespaces/default/persistentvolumeclaims/kopia -f - <<'EOF'\n{"apiVersion":"v1","kind":"DeleteOptions","preconditions":{"uid":"uid-default-kopia","resourceVersion":"rv-default-kopia"}}\nEOF`,
      /^kubectl apply -f - <<'EOF'\napiVersion: v1\nkind: PersistentVolume\n[\s\S]*volumeHandle: 0001-0024-5b3e1f0a[\s\S]*\nEOF$/,
      /^kubectl apply -f - <<'EOF'\napiVersion: v1\nkind: PersistentVolumeClaim\n[\s\S]*volumeName: kopia-c2d9e0f4\nEOF$/,
    ],
    confirm: { kind: 'type', text: 'kopia' },
    warnings: [
      /^deletes PVC default\/kopia, which is bound to PV pvc-new with another handle \(0001-.*9a24\): type its name to confirm$/,
      /^Flux applies this PVC \(1 Kustomization: flux-system\/atuin\)/,
    ],
    details: [
      /^will delete PVC default\/kopia: Bound, volumeName pvc-new, storageClassName "csi-cephfs-sc", 50Gi ReadWriteMany, uid uid-default-kopia$/,
      /^ {2}its PV pvc-new: handle 0001-.*9a24, reclaim policy Delete, phase Bound, claimRef default\/kopia$/,
      /^ {2}the handle saved in Git: 0001-.*1c73$/,
      /^PV pvc-new is left alone: with reclaim policy Delete, Kubernetes deletes it and its subvolume/,
      /^will create PV kopia-c2d9e0f4: handle .*1c73, clusterID 5b3e1f0a-9c7d-4e2b-8a61-2f4c9d7e3b10, fsName cephfs, 50Gi ReadWriteMany, Retain, claimRef default\/kopia$/,
      /^will create PVC default\/kopia: volumeName kopia-c2d9e0f4, storageClassName "" \(static binding\)/,
    ],
    gitChange: /Remove kopia-repository-pvc\.yaml/,
  },
  {
    name: 'no PVC and no PV: both created with defaults, confirmed with y',
    fix: 'kopia-reclaim',
    config: saved,
    requests: [
      { verb: 'create', kind: 'persistentvolumes', name: 'kopia-c2d9e0f4', body: ANY },
      { verb: 'create', kind: 'persistentvolumeclaims', namespace: 'default', name: 'kopia', body: ANY },
    ],
    confirm: { kind: 'yes' },
    warnings: [],
    gitChange: null,
    then: (plan) => {
      const pvBody = plan.requests[0].body as KubeObject;
      assert.deepEqual(pvBody.spec.capacity, { storage: '100Gi' });
      assert.deepEqual(pvBody.spec.csi.volumeAttributes, { clusterID: CLUSTER_ID, fsName: 'cephfs' });
      assert.deepEqual(pvBody.spec.csi.nodeStageSecretRef, { name: 'csi-cephfs-secret', namespace: 'ceph-csi' });
      assert.ok(plan.details.some((d) => /are defaults: there is no PVC to copy them from/.test(d)));
      assert.equal((plan.requests[1].body as KubeObject).metadata.labels, undefined);
    },
  },
  {
    name: 'a Released PV with the saved handle is reused: claimRef cleared of the old uid, Retain, never recreated',
    fix: 'kopia-reclaim',
    config: saved,
    objects: {
      persistentvolumes: [
        cephPv('kopia-old', SAVED, 'Delete', {
          phase: 'Released',
          capacity: '80Gi',
          claimRef: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: 'default', name: 'kopia', uid: 'gone' },
        }),
      ],
    },
    requests: [
      patch('persistentvolumes', undefined, 'kopia-old', {
        spec: {
          claimRef: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: 'default', name: 'kopia', uid: null, resourceVersion: null },
          persistentVolumeReclaimPolicy: 'Retain',
        },
        // Only the PV the plan saw: a 409 if it changed since.
        metadata: seen('kopia-old'),
      }),
      { verb: 'create', kind: 'persistentvolumeclaims', namespace: 'default', name: 'kopia', body: ANY },
    ],
    commands: [
      `kubectl patch pv kopia-old --type=merge -p '{"spec":{"claimRef":{"apiVersion":"v1","kind":"PersistentVolumeClaim","namespace":"default","name":"kopia","uid":null,"resourceVersion":null},"persistentVolumeReclaimPolicy":"Retain"},"metadata":{"uid":"uid-kopia-old","resourceVersion":"rv-kopia-old"}}'`,
      /^kubectl apply -f - <<'EOF'\n[\s\S]*volumeName: kopia-old\n[\s\S]*EOF$/,
    ],
    confirm: { kind: 'yes' },
    then: (plan) => assert.deepEqual((plan.requests[1].body as KubeObject).spec.resources, { requests: { storage: '80Gi' } }),
  },
  {
    name: 'a wrong PVC and a Released saved PV: delete the PVC, repoint the saved PV, never delete it',
    fix: 'kopia-reclaim',
    config: saved,
    objects: {
      persistentvolumeclaims: [kopiaPvc('pvc-new')],
      persistentvolumes: [
        cephPv('pvc-new', WRONG, 'Retain', { claimRef: { namespace: 'default', name: 'kopia' } }),
        cephPv('kopia-old', SAVED, 'Retain', { phase: 'Released', claimRef: { namespace: 'default', name: 'kopia', uid: 'gone' } }),
      ],
    },
    requests: [
      deleteOf('persistentvolumeclaims', 'default/kopia'),
      patch('persistentvolumes', undefined, 'kopia-old', {
        spec: { claimRef: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: 'default', name: 'kopia', uid: null, resourceVersion: null } },
        metadata: seen('kopia-old'),
      }),
      { verb: 'create', kind: 'persistentvolumeclaims', namespace: 'default', name: 'kopia', body: ANY },
    ],
    confirm: { kind: 'type', text: 'kopia' },
    details: [
      /^will delete PVC/,
      /its PV pvc-new/,
      /saved in Git/,
      /^PV pvc-new is left alone: with reclaim policy Retain it becomes Released and keeps its subvolume$/,
      /^will reuse PV kopia-old/,
      /^will create PVC/,
    ],
  },
  {
    name: 'already on the saved handle, Retain, not Flux-managed: nothing to do',
    fix: 'kopia-reclaim',
    config: saved,
    objects: { persistentvolumeclaims: [kopiaPvc('kopia-old')], persistentvolumes: [cephPv('kopia-old', SAVED, 'Retain')] },
    refused: /^nothing to do: PVC default\/kopia is on the saved handle \(PV kopia-old, Bound, Retain\)$/,
  },
  {
    name: 'on the saved handle but reclaim policy Delete: set Retain, nothing deleted',
    fix: 'kopia-reclaim',
    config: saved,
    objects: { persistentvolumeclaims: [kopiaPvc('kopia-old', {}, fluxLabels)], persistentvolumes: [cephPv('kopia-old', SAVED, 'Delete')] },
    requests: [
      patch('persistentvolumes', undefined, 'kopia-old', { spec: { persistentVolumeReclaimPolicy: 'Retain' }, metadata: seen('kopia-old') }),
      patch('persistentvolumeclaims', 'default', 'kopia', {
        metadata: { labels: { 'kustomize.toolkit.fluxcd.io/name': null, 'kustomize.toolkit.fluxcd.io/namespace': null }, ...seen('default/kopia') },
      }),
    ],
    confirm: { kind: 'yes' },
    gitChange: /kopia-repository-pvc\.yaml/,
  },
  {
    name: 'on the saved handle, Pending on a PV still claimed by an old uid, policy Delete: one patch of the PV, never two',
    fix: 'kopia-reclaim',
    config: saved,
    objects: {
      persistentvolumeclaims: [withFields(kopiaPvc('kopia-old'), { status: { phase: 'Pending' } })],
      persistentvolumes: [cephPv('kopia-old', SAVED, 'Delete', { phase: 'Released', claimRef: { namespace: 'default', name: 'kopia', uid: 'gone' } })],
    },
    // Why one: each patch holds the resourceVersion the plan saw, so a second patch of the same PV would meet the first one's change (409).
    requests: [
      patch('persistentvolumes', undefined, 'kopia-old', {
        spec: {
          persistentVolumeReclaimPolicy: 'Retain',
          claimRef: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: 'default', name: 'kopia', uid: null, resourceVersion: null },
        },
        metadata: seen('kopia-old'),
      }),
    ],
    confirm: { kind: 'yes' },
  },
  {
    name: 'never takes over a PV with the saved handle bound to another claim',
    fix: 'kopia-reclaim',
    config: saved,
    objects: {
      persistentvolumeclaims: [kopiaPvc('pvc-new'), pvc('volsync-system/kopia', 'Bound', { volumeName: 'kopia-old' })],
      persistentvolumes: [
        cephPv('pvc-new', WRONG, 'Delete'),
        cephPv('kopia-old', SAVED, 'Retain', { claimRef: { namespace: 'volsync-system', name: 'kopia', uid: 'x' } }),
      ],
    },
    refused: /^PV kopia-old holds the saved handle and is bound to PVC volsync-system\/kopia: drdeck never deletes or takes over a PV with the saved handle/,
  },
  {
    name: 'a saved handle that is not a ceph-csi handle: refused, nothing deleted',
    fix: 'kopia-reclaim',
    config: { kopia: { savedVolumeHandle: 'my-static-volume' } },
    objects: { persistentvolumeclaims: [kopiaPvc('pvc-new')], persistentvolumes: [cephPv('pvc-new', WRONG, 'Delete')] },
    refused: /not a ceph-csi volume handle/,
  },
  {
    name: 'the PVC comes from the config, and a pod that mounts it is named',
    fix: 'kopia-reclaim',
    config: { kopia: { savedVolumeHandle: SAVED, pvc: 'volsync-system/kopia' } },
    objects: {
      persistentvolumeclaims: [pvc('volsync-system/kopia', 'Pending', {})],
      pods: [obj('volsync-system/kopia-0', { spec: { volumes: [{ name: 'repo', persistentVolumeClaim: { claimName: 'kopia' } }] } })],
    },
    requests: [
      deleteOf('persistentvolumeclaims', 'volsync-system/kopia'),
      { verb: 'create', kind: 'persistentvolumes', name: 'kopia-c2d9e0f4', body: ANY },
      { verb: 'create', kind: 'persistentvolumeclaims', namespace: 'volsync-system', name: 'kopia', body: ANY },
    ],
    warnings: [/^deletes PVC volsync-system\/kopia, which is Pending and bound to no PV/, /^1 pod mount the PVC .*: volsync-system\/kopia-0$/],
  },

  // ---- restores-trigger
  {
    name: 'every RD not restored, one token; running ones and ones without copyMethod skipped and said so',
    fix: 'restores-trigger',
    objects: {
      replicationdestinations: [
        rd('default/plex-dst', { trigger: 'restore-once', lastManualSync: 'restore-once', sync: waiting }),
        rd('default/sonarr-dst', { trigger: 'restore-1', sync: running }),
        rd('default/radarr-dst', { trigger: 'r1', lastManualSync: 'r1', result: 'Successful', image: true, sync: waiting }),
        rd('default/emby-dst', { copyMethod: null, sync: copyError }),
        rd('default/lidarr-dst', { trigger: 'r1', result: 'Failed', sync: cond('Synchronizing', 'False', 'Error', 'mover failed') }),
      ],
      secrets,
    },
    requests: [
      patch('replicationdestinations', 'default', 'lidarr-dst', { spec: { trigger: { manual: `restore-${TOKEN}` } } }),
      patch('replicationdestinations', 'default', 'plex-dst', { spec: { trigger: { manual: `restore-${TOKEN}` } } }),
    ],
    commands: [
      `kubectl patch replicationdestination lidarr-dst -n default --type=merge -p '{"spec":{"trigger":{"manual":"restore-${TOKEN}"}}}'`,
      `kubectl patch replicationdestination plex-dst -n default --type=merge -p '{"spec":{"trigger":{"manual":"restore-${TOKEN}"}}}'`,
    ],
    confirm: { kind: 'yes' },
    warnings: [/^skipping 1 restore already running .*: default\/sonarr-dst$/, /^skipping 1 RD without copyMethod: Snapshot .*: default\/emby-dst$/],
    details: [/^default\/lidarr-dst: failed \(/, /^default\/plex-dst: not triggered/, /already restored: default\/radarr-dst$/],
    then: (plan) => assert.equal(plan.token, `restore-${TOKEN}`),
  },
  {
    name: 'one RD with a target, even a restored one',
    fix: 'restores-trigger',
    objects: {
      replicationdestinations: [rd('default/plex-dst', { trigger: 'r1', lastManualSync: 'r1', result: 'Successful', image: true }), rd('default/sonarr-dst')],
      secrets,
    },
    options: { target: 'default/plex-dst' },
    requests: [patch('replicationdestinations', 'default', 'plex-dst', { spec: { trigger: { manual: `restore-${TOKEN}` } } })],
  },
  {
    name: 'a Kopia PVC on the wrong subvolume is warned about',
    fix: 'restores-trigger',
    config: saved,
    objects: {
      replicationdestinations: [rd('default/plex-dst')],
      secrets,
      persistentvolumeclaims: [kopiaPvc('pvc-new')],
      persistentvolumes: [cephPv('pvc-new', WRONG, 'Delete')],
    },
    warnings: [/^the Kopia repository PVC default\/kopia is not bound to the subvolume saved in Git: .*kopia-reclaim first/],
  },
  {
    name: 'an RD whose repository Secret does not exist yet is held, with why; the others are sent',
    fix: 'restores-trigger',
    objects: { replicationdestinations: [rd('default/plex-dst'), rd('default/thelounge-dst'), rd('default/sonarr-dst')], secrets },
    requests: [
      patch('replicationdestinations', 'default', 'plex-dst', { spec: { trigger: { manual: `restore-${TOKEN}` } } }),
      patch('replicationdestinations', 'default', 'sonarr-dst', { spec: { trigger: { manual: `restore-${TOKEN}` } } }),
      // Held: last, sent by the run once the Secret appears.
      patch('replicationdestinations', 'default', 'thelounge-dst', { spec: { trigger: { manual: `restore-${TOKEN}` } } }),
    ],
    warnings: [
      /^held: default\/thelounge-dst — Secret thelounge-volsync-secret not found \(ExternalSecret not synced yet\?\)$/,
      /^it is triggered as soon as its Secret appears while this run follows the restores; --target NAMESPACE\/NAME triggers one now$/,
    ],
    details: [
      /^default\/plex-dst: not triggered/,
      /^default\/sonarr-dst: not triggered/,
      /^default\/thelounge-dst: held until Secret thelounge-volsync-secret exists$/,
    ],
    then: (plan) => {
      assert.deepEqual(plan.held, [
        { namespace: 'default', name: 'thelounge-dst', reason: 'Secret thelounge-volsync-secret not found (ExternalSecret not synced yet?)' },
      ]);
      assert.equal(plan.title, `Trigger 2 restores (restore-${TOKEN}); 1 held until its Secret exists`);
      assert.deepEqual(
        plan.targets.map((t) => t.name),
        ['plex-dst', 'sonarr-dst', 'thelounge-dst'],
      );
      assert.match(plan.requests[2].summary, /once Secret thelounge-volsync-secret exists \(held\)$/);
    },
  },
  {
    name: 'every RD held: nothing to send, and the plan says why',
    fix: 'restores-trigger',
    objects: { replicationdestinations: [rd('default/thelounge-dst'), rd('default/sonarr-dst', { trigger: 'restore-1', sync: running })] },
    refused:
      /^nothing to send: every restore left to trigger is held: held: default\/thelounge-dst — Secret thelounge-volsync-secret not found \(ExternalSecret not synced yet\?\); 1 restore running; trigger one anyway with --target NAMESPACE\/NAME$/,
  },
  {
    name: 'a held RD named with --target is triggered now, with a warning',
    fix: 'restores-trigger',
    objects: { replicationdestinations: [rd('default/thelounge-dst'), rd('default/plex-dst')], secrets },
    options: { target: 'default/thelounge-dst' },
    requests: [patch('replicationdestinations', 'default', 'thelounge-dst', { spec: { trigger: { manual: `restore-${TOKEN}` } } })],
    warnings: [
      /^default\/thelounge-dst: Secret thelounge-volsync-secret not found \(ExternalSecret not synced yet\?\): triggered anyway, as asked; its restore fails at once unless the Secret appears first$/,
    ],
    then: (plan) => assert.equal(plan.held, undefined),
  },
  {
    name: 'nothing to trigger',
    fix: 'restores-trigger',
    objects: { replicationdestinations: [rd('default/sonarr-dst', { trigger: 'restore-1', sync: running })] },
    refused: /^no restore to trigger: 1 restore running$/,
  },

  // ---- restores-set-copy-method
  {
    name: 'every RD lacking copyMethod, with the Git warning and the template snippet',
    fix: 'restores-set-copy-method',
    objects: {
      replicationdestinations: [
        rd('default/emby-dst', { copyMethod: null, sync: copyError }),
        rd('default/plex-dst'),
        rd('default/lidarr-dst', { copyMethod: 'Direct' }),
      ],
    },
    requests: [
      patch('replicationdestinations', 'default', 'emby-dst', { spec: { kopia: { copyMethod: 'Snapshot' } } }),
      patch('replicationdestinations', 'default', 'lidarr-dst', { spec: { kopia: { copyMethod: 'Snapshot' } } }),
    ],
    commands: [
      `kubectl patch replicationdestination emby-dst -n default --type=merge -p '{"spec":{"kopia":{"copyMethod":"Snapshot"}}}'`,
      `kubectl patch replicationdestination lidarr-dst -n default --type=merge -p '{"spec":{"kopia":{"copyMethod":"Snapshot"}}}'`,
    ],
    confirm: { kind: 'yes' },
    warnings: [/^Git must change too \(kubernetes\/components\/volsync\/replicationdestination\.yaml\): .*Flux may revert this/],
    details: [/^default\/emby-dst: copyMethod unset; Synchronizing False Error: unsupported copyMethod/, /^default\/lidarr-dst: copyMethod Direct/],
    gitChange: /replicationdestination\.yaml:\n {2}spec:\n {4}kopia:\n {6}copyMethod: Snapshot/,
  },
  {
    name: 'a targeted RD that has it already',
    fix: 'restores-set-copy-method',
    objects: { replicationdestinations: [rd('default/plex-dst'), rd('default/emby-dst', { copyMethod: null })] },
    options: { target: 'default/plex-dst' },
    refused: /^nothing to do: default\/plex-dst already has copyMethod: Snapshot$/,
  },
  {
    name: 'every RD has it',
    fix: 'restores-set-copy-method',
    objects: { replicationdestinations: [rd('default/plex-dst')] },
    refused: /^nothing to do: every ReplicationDestination has copyMethod: Snapshot$/,
  },

  // ---- restores-recreate
  {
    name: 'the first RD Flux will not fix: deleted (typed), its Kustomization reconciled, Git warned about',
    fix: 'restores-recreate',
    objects: {
      replicationdestinations: [
        rd('default/plex-dst'),
        rd('default/sonarr-dst', {
          labels: {
            'kustomize.toolkit.fluxcd.io/ssa': 'IfNotPresent',
            'kustomize.toolkit.fluxcd.io/name': 'sonarr',
            'kustomize.toolkit.fluxcd.io/namespace': FS,
          },
        }),
      ],
      kustomizations: [ks('sonarr')],
    },
    requests: [deleteOf('replicationdestinations', 'default/sonarr-dst'), patch('kustomizations', FS, 'sonarr', annotate({ [REQ]: TOKEN }))],
    commands: [
      `kubectl delete --raw /apis/volsync.backube/v1alpha1/namespaces/default/replicationdestinations/sonarr-dst -f - <<'EOF'\n{"apiVersion":"v1","kind":"DeleteOptions","preconditions":{"uid":"uid-default-sonarr-dst","resourceVersion":"rv-default-sonarr-dst"}}\nEOF`,
      `kubectl annotate kustomization sonarr -n flux-system --overwrite reconcile.fluxcd.io/requestedAt=${TOKEN}`,
      '# or: flux reconcile kustomization sonarr -n flux-system',
    ],
    confirm: { kind: 'type', text: 'sonarr-dst' },
    warnings: [/^deletes ReplicationDestination default\/sonarr-dst: Flux recreates it from Git as Git has it, so fix Git first/],
    details: [
      /^will delete ReplicationDestination default\/sonarr-dst: uid uid-default-sonarr-dst; labelled kustomize\.toolkit\.fluxcd\.io\/ssa: IfNotPresent/,
      /restore:/,
      /owner: Kustomization flux-system\/sonarr/,
      /app PVCs restoring from it: none/,
    ],
    gitChange: /REMOVED: kustomize\.toolkit\.fluxcd\.io\/ssa: IfNotPresent/,
  },
  {
    name: 'an RD no Kustomization owns: deleted only, with a warning that nothing may recreate it',
    fix: 'restores-recreate',
    objects: { replicationdestinations: [rd('default/emby-dst', { copyMethod: null })] },
    options: { target: 'default/emby-dst' },
    requests: [deleteOf('replicationdestinations', 'default/emby-dst')],
    confirm: { kind: 'type', text: 'emby-dst' },
    warnings: [/^deletes/, /^no Flux Kustomization found for default\/emby-dst/],
    gitChange: /copyMethod: Snapshot/,
  },
  {
    name: 'nothing Flux would not fix',
    fix: 'restores-recreate',
    objects: { replicationdestinations: [rd('default/plex-dst')] },
    refused: /^nothing to do/,
  },

  // ---- gateways-restart-operator
  {
    name: 'rollout restart: restartedAt on the pod template, at the plan time',
    fix: 'gateways-restart-operator',
    objects: { deployments: [operator()], gateways: [unprogrammed('network/gateway-external'), programmed('network/gateway-internal')] },
    options: { now: NOW + 1234 },
    requests: [
      patch('deployments', 'kube-system', 'cilium-operator', {
        spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': '2025-12-02T12:00:01Z' } } } },
      }),
    ],
    commands: [
      'kubectl rollout restart deployment/cilium-operator -n kube-system',
      'kubectl rollout status deployment/cilium-operator -n kube-system',
      '# the same request with kubectl patch:',
      `kubectl patch deployment cilium-operator -n kube-system --type=merge -p '{"spec":{"template":{"metadata":{"annotations":{"kubectl.kubernetes.io/restartedAt":"2025-12-02T12:00:01Z"}}}}}'`,
    ],
    confirm: { kind: 'yes' },
    warnings: [],
    details: [
      /^Deployment kube-system\/cilium-operator: 2\/2 available/,
      /^Gateway network\/gateway-external: Programmed Unknown Pending: Waiting for controller$/,
      /^Gateway network\/gateway-internal: Programmed True/,
    ],
    then: (plan) => assert.equal(plan.token, '2025-12-02T12:00:01Z'),
  },
  {
    name: 'a paused Deployment is refused',
    fix: 'gateways-restart-operator',
    objects: { deployments: [operator(true)], gateways: [unprogrammed('network/gateway-external')] },
    refused:
      /^Deployment kube-system\/cilium-operator is paused and cannot be restarted: resume it first \(kubectl rollout resume deployment\/cilium-operator -n kube-system\)$/,
  },
  {
    name: 'every Gateway Programmed and the operator available: nothing to do',
    fix: 'gateways-restart-operator',
    objects: { deployments: [operator()], gateways: [programmed('network/gateway-external'), programmed('network/gateway-internal')] },
    refused: /^nothing to do/,
  },
  {
    name: 'the operator from the config is missing',
    fix: 'gateways-restart-operator',
    objects: { gateways: [unprogrammed('network/gateway-external')] },
    refused: /^Deployment kube-system\/cilium-operator not found/,
  },

  // ---- loadbalancers-dual-stack
  {
    name: 'each Service not dual-stack; the missing address proposed from the scheme for Git',
    fix: 'loadbalancers-dual-stack',
    objects: {
      services: [
        service('default/emby', { ips: 'fd00:101::1b:125', hostname: 'emby.sulibot.com', policy: 'SingleStack', families: ['IPv4'] }),
        service('default/plex', {
          ips: 'fd00:101::1b:124,10.101.27.124',
          policy: 'RequireDualStack',
          families: ['IPv4', 'IPv6'],
          ingress: ['10.101.27.124', 'fd00:101::1b:124'],
        }),
        service('network/smtp-relay', { ips: 'fd00:101::1b:122,10.101.27.122', ingress: ['10.101.27.122'] }),
        service('default/web', { type: 'ClusterIP' }),
      ],
    },
    requests: [
      patch('services', 'default', 'emby', { spec: { ipFamilyPolicy: 'RequireDualStack', ipFamilies: ['IPv4', 'IPv6'] } }),
      patch('services', 'network', 'smtp-relay', { spec: { ipFamilyPolicy: 'RequireDualStack', ipFamilies: ['IPv4', 'IPv6'] } }),
    ],
    commands: [
      `kubectl patch service emby -n default --type=merge -p '{"spec":{"ipFamilyPolicy":"RequireDualStack","ipFamilies":["IPv4","IPv6"]}}'`,
      `kubectl patch service smtp-relay -n network --type=merge -p '{"spec":{"ipFamilyPolicy":"RequireDualStack","ipFamilies":["IPv4","IPv6"]}}'`,
    ],
    confirm: { kind: 'yes' },
    warnings: [
      /^Git must change too: Flux reapplies the Service from Git/,
      /^default\/emby's annotation has no IPv4 address: .*\(proposed: 10\.101\.27\.125\)$/,
    ],
    details: [
      /^default\/emby: SingleStack IPv4; annotation fd00:101::1b:125; status pending$/,
      /^network\/smtp-relay: SingleStack \(default\)|^network\/smtp-relay: SingleStack IPv4/,
    ],
    gitChange:
      /# Service default\/emby: [^\n]*\nservice:\n {2}app:\n {4}type: LoadBalancer\n {4}ipFamilyPolicy: RequireDualStack\n {4}ipFamilies: \[IPv4, IPv6\]\n {4}annotations:\n {6}external-dns\.alpha\.kubernetes\.io\/hostname: emby\.sulibot\.com\n {6}lbipam\.cilium\.io\/ips: fd00:101::1b:125,10\.101\.27\.125 {2}# 10\.101\.27\.125 proposed from the allocation scheme/,
  },
  {
    name: 'an IPv6-primary Service keeps IPv6 first (the primary family cannot change)',
    fix: 'loadbalancers-dual-stack',
    objects: { services: [service('default/v6', { ips: 'fd00:101::1b:130,10.101.27.130', policy: 'SingleStack', families: ['IPv6'] })] },
    requests: [patch('services', 'default', 'v6', { spec: { ipFamilyPolicy: 'RequireDualStack', ipFamilies: ['IPv6', 'IPv4'] } })],
    warnings: [/^Git must change too/],
  },
  {
    name: 'every LoadBalancer dual-stack',
    fix: 'loadbalancers-dual-stack',
    objects: { services: [service('default/plex', { ips: 'fd00:101::1b:124,10.101.27.124', policy: 'PreferDualStack', families: ['IPv4', 'IPv6'] })] },
    refused: /^nothing to do: every LoadBalancer Service is dual-stack$/,
  },
  {
    name: 'a target that is not a LoadBalancer',
    fix: 'loadbalancers-dual-stack',
    objects: { services: [service('default/web', { type: 'ClusterIP' })] },
    options: { target: 'default/web' },
    refused: /^no LoadBalancer Service default\/web$/,
  },
];

function matchLines(actual: readonly string[], expected: ReadonlyArray<string | RegExp>, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: ${JSON.stringify(actual, null, 1)}`);
  expected.forEach((e, i) => {
    if (typeof e === 'string') assert.equal(actual[i], e, `${what} ${i}`);
    else assert.match(actual[i], e, `${what} ${i}`);
  });
}

for (const c of CASES) {
  test(`${c.fix}: ${c.name}`, () => {
    const fix = fixById(c.fix);
    assert.ok(fix, `no fix ${c.fix}`);
    const snapshot = makeSnapshot(deepFreeze(identified(c.objects ?? {})));
    const config = makeConfig(c.config);
    const options: PlanOptions = { token: TOKEN, ...c.options };
    const plan = fix.plan(snapshot, config, options);
    assert.deepEqual(fix.plan(snapshot, config, options), plan, 'a plan is a pure function of its inputs');
    const targets = fix.targets(snapshot, config);
    if (!options.target) assert.equal(targets.length > 0, isPlan(plan), `targets() ${JSON.stringify(targets)} disagrees with the plan`);
    if (fix.hasTargets) assert.equal(fix.hasTargets(snapshot, config), targets.length > 0, 'hasTargets() disagrees with targets()');

    if (c.refused) {
      assert.ok(!isPlan(plan), `expected a refusal, got a plan: ${isPlan(plan) ? plan.title : ''}`);
      assert.match(plan.refused, c.refused);
      return;
    }
    assert.ok(isPlan(plan), `refused: ${isPlan(plan) ? '' : plan.refused}`);
    assert.equal(plan.fixId, c.fix);
    assert.ok(plan.requests.length > 0 && plan.commands.length > 0 && plan.targets.length > 0);
    for (const r of plan.requests) {
      assert.ok(r.summary.length > 0 && !r.summary.includes('\n'), 'one-line summary');
      if (r.verb !== 'delete') assert.ok(r.body !== undefined, 'a patch or create carries its body');
      // What the plan saw of the object: a delete, or a patch of the dangerous reclaim, acts on that object only.
      const object = getObject(snapshot, r.kind, r.namespace, r.name);
      const identity = object && { uid: object.metadata.uid, resourceVersion: object.metadata.resourceVersion };
      if (r.verb === 'delete') assert.deepEqual((r.body as { preconditions?: unknown }).preconditions, identity, `${r.summary}: preconditions`);
      if (r.verb === 'patch' && c.fix === 'kopia-reclaim') {
        const { uid, resourceVersion } = (r.body as { metadata: Record<string, unknown> }).metadata;
        assert.deepEqual({ uid, resourceVersion }, identity, `${r.summary}: the resourceVersion it was planned on`);
      }
    }
    if (plan.requests.some((r) => r.verb === 'delete')) {
      assert.ok(fix.dangerous, 'a plan that deletes comes from a dangerous fix');
      assert.equal(plan.confirm.kind, 'type', 'a delete is confirmed by typing the name');
    }
    if (c.requests) {
      const got = plan.requests.map(({ summary: _s, ...rest }, i) => (c.requests![i]?.body === ANY ? { ...rest, body: ANY } : rest));
      assert.deepEqual(got, c.requests);
    }
    if (c.commands) matchLines(plan.commands, c.commands, 'command');
    if (c.confirm) assert.deepEqual(plan.confirm, c.confirm);
    if (c.warnings) matchLines(plan.warnings, c.warnings, 'warning');
    if (c.details) matchLines(plan.details, c.details, 'detail');
    if (c.gitChange === null) assert.equal(plan.gitChange, undefined);
    else if (c.gitChange) assert.match(plan.gitChange ?? '', c.gitChange);
    c.then?.(plan);
  });
}

test('restores-trigger: Secrets that cannot be read hold nothing back, and the plan says it cannot tell', () => {
  const snapshot = makeSnapshot(deepFreeze({ replicationdestinations: [rd('default/thelounge-dst')] }), {
    sync: { secrets: { phase: 'forbidden', detail: 'needs list on secrets' } },
  });
  const plan = fixById('restores-trigger')!.plan(snapshot, makeConfig(), { token: TOKEN });
  assert.ok(isPlan(plan), isPlan(plan) ? '' : plan.refused);
  assert.deepEqual(
    plan.requests.map((r) => r.name),
    ['thelounge-dst'],
  );
  assert.equal(plan.held, undefined);
  assert.deepEqual(plan.warnings, [
    'cannot tell whether the repository Secrets exist (Secrets forbidden: needs list on secrets): an RD whose Secret is missing fails at once',
  ]);
});

// ---------------------------------------------------------------------------------------------
// The table of fixes itself

test('the fix table: ids from FIX_IDS, once each; keys unique and free of the navigation keys', () => {
  const ids = ALL_FIXES.map((f) => f.id);
  assert.equal(new Set(ids).size, ids.length);
  for (const id of ids) assert.ok((FIX_IDS as readonly string[]).includes(id), id);
  const keys = ALL_FIXES.map((f) => f.key);
  assert.equal(new Set(keys).size, keys.length, `keys ${keys.join(' ')}`);
  const taken = new Set(['h', 'j', 'k', 'l', 'g', 'G', '/', '?', 'q', ' ']);
  for (const binding of KEY_BINDINGS) for (const k of binding.keys.split(/[ /]+/)) if (k.length === 1) taken.add(k);
  for (const f of ALL_FIXES) {
    assert.equal(f.key.length, 1, `${f.id} key`);
    assert.ok(!taken.has(f.key), `${f.id} key ${f.key} is a navigation key`);
    assert.ok(f.timeoutMs > 0);
  }
  assert.equal(fixById('restores-trigger')?.panel, 'restores');
  assert.equal(fixById('dns-add-records')?.panel, 'dns');
  assert.deepEqual(ALL_FIXES.map((f) => f.id).sort(), [...FIX_IDS].sort(), 'every fix id has its fix');
  assert.deepEqual(
    ALL_FIXES.filter((f) => f.dangerous).map((f) => f.id),
    ['kopia-reclaim', 'restores-recreate'],
  );
});

test('targets as strings: formatTarget and parseTarget round-trip', () => {
  for (const t of [
    { kind: 'helmreleases', namespace: 'ceph-csi', name: 'ceph-csi-rbd' },
    { kind: 'persistentvolumes', name: 'kopia-c2d9e0f4' },
  ] as const) {
    assert.deepEqual(parseTarget(formatTarget(t)), t);
  }
  assert.deepEqual(parseTarget('default/plex-dst'), { kind: undefined, namespace: 'default', name: 'plex-dst' });
  assert.deepEqual(parseTarget('plex-dst'), { kind: undefined, name: 'plex-dst' });
  assert.deepEqual(parseTarget('pvc/default/kopia'), { kind: 'persistentvolumeclaims', namespace: 'default', name: 'kopia' });
});

test('ceph-csi volume handles: the clusterID by its encoded length, the uuid last', () => {
  assert.deepEqual(parseCephHandle(SAVED), { clusterID: CLUSTER_ID, poolId: '0000000000000001', uuid: 'c2d9e0f4-7a1b-4c3e-9f58-6d2a0b4e1c73' });
  assert.deepEqual(parseCephHandle('0001-0009-rook-ceph-0000000000000002-5e0a1b2c-9f1e-11ee-8c90-0242ac129a1b'), {
    clusterID: 'rook-ceph',
    poolId: '0000000000000002',
    uuid: '5e0a1b2c-9f1e-11ee-8c90-0242ac129a1b',
  });
  assert.equal(parseCephHandle('0001-0024-short-0000000000000001-5e0a1b2c-9f1e-11ee-8c90-0242ac129a1b'), undefined);
  assert.equal(parseCephHandle('my-static-volume'), undefined);
});

test('flux-reconcile: targets are every stuck or failed object, the default first, immutable-field failures last', () => {
  const snapshot = makeSnapshot({
    helmreleases: [stuckRelease],
    helmcharts: [chartBehind],
    helmrepositories: [helmRepo],
    kustomizations: [ks('plex', { ready: notReady('ReconciliationFailed', IMMUTABLE) }), ks('old', { ready: notReady('ReconciliationFailed', 'x', ago(30)) })],
  });
  const targets = fixById('flux-reconcile')!.targets(snapshot, makeConfig()).map(formatTarget);
  assert.deepEqual(targets, [
    'HelmRelease/ceph-csi/ceph-csi-rbd',
    'HelmChart/ceph-csi/ceph-csi-ceph-csi-rbd',
    'Kustomization/flux-system/old',
    'Kustomization/flux-system/plex',
  ]);
});

test('flux-reconcile: without a target the plan takes the first of its targets, over every Flux case above', () => {
  const fix = fixById('flux-reconcile')!;
  const sets = CASES.filter((c) => c.fix.startsWith('flux-reconcile')).map((c) => c.objects ?? {});
  assert.ok(sets.length >= 10);
  for (const objects of sets) {
    const snapshot = makeSnapshot(deepFreeze(identified(objects)));
    const targets = fix.targets(snapshot, makeConfig()).map(formatTarget);
    const plan = fix.plan(snapshot, makeConfig(), { token: TOKEN });
    if (targets.length === 0) assert.ok(!isPlan(plan), 'no targets, yet a plan');
    else assert.equal(isPlan(plan) && formatTarget(plan.targets.at(-1)!), targets[0]);
  }
});
