import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../src/cluster.js';
import { KIND_KEYS } from '../../src/kinds.js';
import { appStartMs, APPS_TIMINGS } from '../../src/sim/controllers/index.js';
import { createDemoCluster, REBUILD_FACTS, wallClockScheduler, type DemoCluster } from '../../src/sim/index.js';
import { EPOCH } from '../../src/sim/flux-status.js';
import { demoSession } from '../demo-session.js';

const T0 = Date.parse('2025-12-02T10:00:00Z');
const SECOND = 1000;
const MINUTE = 60 * SECOND;

/** Lets watch deliveries and the controllers' async writes run (they never wait on a real timer). */
const settle = async () => {
  for (let i = 0; i < 3; i++) await new Promise<void>((resolve) => setImmediate(resolve));
};

interface Demo extends DemoCluster {
  log: string[];
  /** Advances scenario time by `ms` in steps, letting the controllers react between steps. */
  run(ms: number, step?: number): Promise<void>;
}

async function demo(options: { controllers?: boolean } = {}): Promise<Demo> {
  const log: string[] = [];
  const d = createDemoCluster({ manual: true, t0: T0, controllers: options.controllers, log: (line) => log.push(line) });
  await settle();
  return Object.assign(d, {
    log,
    async run(ms: number, step = SECOND) {
      for (let done = 0; done < ms; done += step) {
        d.clock.advance(Math.min(step, ms - done));
        await settle();
      }
    },
  });
}

const cond = (o: KubeObject | undefined, type: string) => o?.status?.conditions?.find((c: any) => c.type === type);
const ips = (svc: KubeObject | undefined) => (svc?.status?.loadBalancer?.ingress ?? []).map((i: any) => i.ip);

/** Everything stored, without what differs between two loads of the scenario (uids). */
function state(d: DemoCluster) {
  return KIND_KEYS.map((kind) =>
    d.cluster.listNow(kind).map((o) => {
      const { uid: _uid, ...metadata } = o.metadata;
      const spec = o.spec?.claimRef ? { ...o.spec, claimRef: { ...o.spec.claimRef, uid: undefined } } : o.spec;
      return { kind, ...o, metadata, spec };
    }),
  );
}

/** The kopia-reclaim fix as the seed's dr-2 script does it: the wrong PVC goes, a PV with the saved handle and a PVC bound to it by volumeName come. */
async function reclaimKopia(d: DemoCluster): Promise<void> {
  await d.cluster.delete('persistentvolumeclaims', 'default', 'kopia');
  await d.cluster.create('persistentvolumes', {
    metadata: { name: 'kopia-repository' },
    spec: {
      accessModes: ['ReadWriteMany'],
      capacity: { storage: '100Gi' },
      csi: { driver: 'cephfs.csi.ceph.com', volumeHandle: REBUILD_FACTS.savedVolumeHandle, volumeAttributes: { clusterID: 'x', fsName: 'cephfs' } },
      persistentVolumeReclaimPolicy: 'Retain',
      storageClassName: 'csi-cephfs-sc',
      volumeMode: 'Filesystem',
    },
  });
  await d.cluster.create('persistentvolumeclaims', {
    metadata: { name: 'kopia', namespace: 'default' },
    spec: { accessModes: ['ReadWriteMany'], resources: { requests: { storage: '100Gi' } }, storageClassName: 'csi-cephfs-sc', volumeName: 'kopia-repository' },
  });
}

const trigger = (d: DemoCluster, app: string, token: string) =>
  d.cluster.patch('replicationdestinations', 'default', `${app}-dst`, { spec: { trigger: { manual: token } } }, 'merge');

test('without a fix the controllers change nothing: 25 scenario minutes end as without them', async () => {
  const withControllers = await demo();
  const without = await demo({ controllers: false });
  try {
    await withControllers.run(25 * MINUTE, 5 * SECOND);
    await without.run(25 * MINUTE, 5 * SECOND);
    assert.deepEqual(withControllers.log, []);
    assert.deepEqual(state(withControllers), state(without));
    assert.deepEqual(withControllers.dns.records(), without.dns.records());
    // The issues the controllers could cure are all still there.
    const hr = withControllers.cluster.peek('helmreleases', 'ceph-csi', 'ceph-csi-rbd');
    assert.equal(cond(hr, 'Ready').lastTransitionTime, EPOCH);
    assert.equal(cond(withControllers.cluster.peek('gateways', 'network', 'gateway-external'), 'Programmed').status, 'Unknown');
    assert.deepEqual(ips(withControllers.cluster.peek('services', 'network', 'smtp-relay')), ['10.101.27.122']);
    assert.deepEqual(ips(withControllers.cluster.peek('services', 'default', 'emby')), []);
    assert.deepEqual(withControllers.dns.lookup('smtp-relay.sulibot.com', 'AAAA'), []);
    assert.equal(withControllers.cluster.peek('persistentvolumeclaims', 'default', 'plex-config')!.status.phase, 'Pending');
    assert.equal(withControllers.clock.pending, 0, 'no timer left waiting');
  } finally {
    withControllers.cluster.close();
    without.cluster.close();
  }
});

test('flux: a reconcile (force, reset) releases a stuck ceph-csi HelmRelease and catches its HelmChart up', async () => {
  const d = await demo();
  try {
    const token = '2025-12-02T10:00:40.123456789Z';
    await d.cluster.patch(
      'helmreleases',
      'ceph-csi',
      'ceph-csi-rbd',
      {
        metadata: { annotations: { 'reconcile.fluxcd.io/requestedAt': token, 'reconcile.fluxcd.io/forceAt': token, 'reconcile.fluxcd.io/resetAt': token } },
      },
      'merge',
    );
    await d.run(5 * SECOND);
    const chart = d.cluster.peek('helmcharts', 'ceph-csi', 'ceph-csi-ceph-csi-rbd')!;
    assert.equal(chart.status.observedGeneration, chart.metadata.generation);
    let hr = d.cluster.peek('helmreleases', 'ceph-csi', 'ceph-csi-rbd')!;
    assert.equal(cond(hr, 'Ready').status, 'Unknown', 'installing');
    assert.equal(hr.status.lastHandledReconcileAt, undefined, 'acknowledged only when the reconcile ends');

    await d.run(30 * SECOND);
    hr = d.cluster.peek('helmreleases', 'ceph-csi', 'ceph-csi-rbd')!;
    assert.deepEqual([cond(hr, 'Ready').status, cond(hr, 'Ready').reason], ['True', 'InstallSucceeded']);
    assert.equal(cond(hr, 'Released').status, 'True');
    assert.notEqual(cond(hr, 'Ready').lastTransitionTime, EPOCH);
    assert.ok(Date.parse(cond(hr, 'Ready').lastTransitionTime) > T0 + 30 * SECOND);
    assert.equal(cond(hr, 'Reconciling'), undefined);
    assert.deepEqual([hr.status.lastHandledReconcileAt, hr.status.lastHandledForceAt, hr.status.lastHandledResetAt], [token, token, token]);
    assert.equal(hr.status.history[0].chartVersion, '3.15.0');
    // The other one was not asked and is still stuck.
    assert.equal(cond(d.cluster.peek('helmreleases', 'ceph-csi', 'ceph-csi-cephfs'), 'Ready').lastTransitionTime, EPOCH);
  } finally {
    d.cluster.close();
  }
});

test('flux: a reconcile does not cure what Git must cure, nor hurry infrastructure, and suspended objects ignore it', async () => {
  const d = await demo();
  try {
    const annotate = (name: string, token: string) =>
      d.cluster.patch('kustomizations', 'flux-system', name, { metadata: { annotations: { 'reconcile.fluxcd.io/requestedAt': token } } }, 'merge');
    await annotate('plex', 't1');
    await annotate('volsync', 't1');
    await d.cluster.patch('kustomizations', 'flux-system', 'sonarr', { spec: { suspend: true } }, 'merge');
    await annotate('sonarr', 't1');
    await d.run(10 * SECOND);

    const plex = d.cluster.peek('kustomizations', 'flux-system', 'plex')!;
    assert.equal(plex.status.lastHandledReconcileAt, 't1');
    assert.deepEqual([cond(plex, 'Ready').status, cond(plex, 'Ready').reason], ['False', 'ReconciliationFailed']);
    assert.match(cond(plex, 'Ready').message, /is immutable/);
    const volsync = d.cluster.peek('kustomizations', 'flux-system', 'volsync')!;
    assert.equal(volsync.status.lastHandledReconcileAt, 't1');
    assert.equal(cond(volsync, 'Ready').reason, 'DependencyNotReady');
    assert.equal(d.cluster.peek('kustomizations', 'flux-system', 'sonarr')!.status.lastHandledReconcileAt, undefined);

    await d.cluster.patch('kustomizations', 'flux-system', 'sonarr', { spec: { suspend: false } }, 'merge');
    await d.run(10 * SECOND);
    assert.equal(d.cluster.peek('kustomizations', 'flux-system', 'sonarr')!.status.lastHandledReconcileAt, 't1', 'handled after resume');
    await d.run(17 * MINUTE, 10 * SECOND);
    assert.equal(cond(d.cluster.peek('kustomizations', 'flux-system', 'volsync'), 'Ready').status, 'True', 'the scenario still brings it up');
  } finally {
    d.cluster.close();
  }
});

test('volsync: with the Kopia repository reclaimed, a trigger restores and the app PVC is populated and Bound', async () => {
  const d = await demo();
  try {
    await reclaimKopia(d);
    await d.run(3 * SECOND);
    assert.equal(d.cluster.peek('persistentvolumeclaims', 'default', 'kopia')!.status.phase, 'Bound');

    await trigger(d, 'plex', 'restore-1');
    await d.run(4 * SECOND);
    let rd = d.cluster.peek('replicationdestinations', 'default', 'plex-dst')!;
    assert.deepEqual([cond(rd, 'Synchronizing').status, cond(rd, 'Synchronizing').reason], ['True', 'SyncInProgress']);
    const started = Date.parse(rd.status.lastSyncStartTime);
    assert.ok(started > T0);
    assert.equal(rd.status.lastManualSync, 'restore-once');

    await d.run(2 * MINUTE - 10 * SECOND);
    assert.equal(cond(d.cluster.peek('replicationdestinations', 'default', 'plex-dst'), 'Synchronizing').status, 'True', 'a restore takes at least 2 minutes');
    await d.run(4 * MINUTE + 30 * SECOND, 5 * SECOND);
    rd = d.cluster.peek('replicationdestinations', 'default', 'plex-dst')!;
    assert.equal(rd.status.lastManualSync, 'restore-1');
    assert.equal(rd.status.latestMoverStatus.result, 'Successful');
    assert.deepEqual([rd.status.latestImage.apiGroup, rd.status.latestImage.kind], ['snapshot.storage.k8s.io', 'VolumeSnapshot']);
    assert.match(rd.status.latestImage.name, /^plex-dst-\d{14}$/);
    assert.deepEqual([cond(rd, 'Synchronizing').status, cond(rd, 'Synchronizing').reason], ['False', 'WaitingForManual']);
    const minutes = (Date.parse(rd.status.lastSyncTime) - started) / MINUTE;
    assert.ok(minutes >= 2 && minutes <= 6, `took ${minutes} min`);
    assert.match(rd.status.lastSyncDuration, /^\dm\d+s$/);

    const pvc = d.cluster.peek('persistentvolumeclaims', 'default', 'plex-config')!;
    assert.equal(pvc.status.phase, 'Bound');
    assert.deepEqual(pvc.status.capacity, { storage: '20Gi' });
    const pv = d.cluster.peek('persistentvolumes', undefined, pvc.spec.volumeName)!;
    assert.equal(pv.status.phase, 'Bound');
    assert.equal(pv.spec.claimRef.uid, pvc.metadata.uid);
    // Only the app that was triggered.
    assert.equal(d.cluster.peek('persistentvolumeclaims', 'default', 'sonarr-config')!.status.phase, 'Pending');
    // The wrong Kopia PV had reclaim policy Delete: its provisioner deleted it with its claim.
    assert.equal(d.cluster.peek('persistentvolumes', undefined, REBUILD_FACTS.kopiaPv), undefined);
  } finally {
    d.cluster.close();
  }
});

test('volsync: a new token mid-sync does not interrupt it; it is restored next', async () => {
  const d = await demo();
  try {
    await reclaimKopia(d);
    await trigger(d, 'sonarr', 'first');
    await d.run(1 * MINUTE, 5 * SECOND);
    await trigger(d, 'sonarr', 'second');
    const done = (token: string) => d.cluster.peek('replicationdestinations', 'default', 'sonarr-dst')!.status.lastManualSync === token;
    let waited = 0;
    while (!done('first') && waited < 7 * MINUTE) {
      await d.run(SECOND);
      waited += SECOND;
    }
    assert.ok(done('first'), 'the first sync finished with its own token');
    assert.equal(cond(d.cluster.peek('replicationdestinations', 'default', 'sonarr-dst'), 'Synchronizing').status, 'False');
    const firstEnded = Date.parse(d.cluster.peek('replicationdestinations', 'default', 'sonarr-dst')!.status.lastSyncTime);
    await d.run(10 * SECOND);
    const second = d.cluster.peek('replicationdestinations', 'default', 'sonarr-dst')!;
    assert.equal(cond(second, 'Synchronizing').status, 'True', 'then the second starts');
    assert.ok(Date.parse(second.status.lastSyncStartTime) >= firstEnded);
    await d.run(7 * MINUTE, 10 * SECOND);
    assert.ok(done('second'));
  } finally {
    d.cluster.close();
  }
});

test('volsync: the wrong Kopia subvolume finds "No snapshots found"; no copyMethod and no Secret fail as the seed saw', async () => {
  const d = await demo();
  try {
    await trigger(d, 'plex', 'restore-1');
    await trigger(d, 'atuin', 'restore-1');
    await trigger(d, 'thelounge', 'restore-1');
    await d.run(1 * MINUTE, 5 * SECOND);

    const plex = d.cluster.peek('replicationdestinations', 'default', 'plex-dst')!;
    assert.equal(plex.status.latestMoverStatus.result, 'Failed');
    assert.match(plex.status.latestMoverStatus.logs, /No snapshots found/);
    assert.equal(plex.status.lastManualSync, 'restore-once');
    assert.equal(plex.status.latestImage, undefined);
    assert.equal(plex.status.kopia.snapshotsFound, 0);
    assert.equal(cond(plex, 'Synchronizing').reason, 'Error');

    const atuin = d.cluster.peek('replicationdestinations', 'default', 'atuin-dst')!;
    assert.deepEqual(
      [cond(atuin, 'Synchronizing').reason, cond(atuin, 'Synchronizing').message],
      ['Error', 'unsupported copyMethod: -- must be Direct, None, or Snapshot'],
    );
    const thelounge = d.cluster.peek('replicationdestinations', 'default', 'thelounge-dst')!;
    assert.deepEqual(
      [cond(thelounge, 'Synchronizing').reason, cond(thelounge, 'Synchronizing').message],
      ['Error', 'secret thelounge-volsync-secret not found'],
    );
    assert.equal(d.cluster.peek('persistentvolumeclaims', 'default', 'plex-config')!.status.phase, 'Pending');

    // Seed issue 3's short-term fix: with copyMethod set, the pending trigger runs (into the empty repository).
    await d.cluster.patch('replicationdestinations', 'default', 'atuin-dst', { spec: { kopia: { copyMethod: 'Snapshot' } } }, 'merge');
    await d.run(5 * SECOND);
    assert.equal(cond(d.cluster.peek('replicationdestinations', 'default', 'atuin-dst'), 'Synchronizing').status, 'True');
  } finally {
    d.cluster.close();
  }
});

test('apps: once its restored PVC is Bound, the app Deployment becomes available 10-40 s later; the others wait', async () => {
  const d = await demo();
  try {
    const plex = () => d.cluster.peek('deployments', 'default', 'plex')!;
    const before = plex();
    await reclaimKopia(d);
    await d.run(3 * SECOND);
    await trigger(d, 'plex', 'restore-1');
    let boundAt: number | undefined;
    let availableAt: number | undefined;
    for (let t = 0; t < 8 * MINUTE && availableAt === undefined; t += SECOND) {
      await d.run(SECOND);
      if (boundAt === undefined && d.cluster.peek('persistentvolumeclaims', 'default', 'plex-config')!.status.phase === 'Bound') boundAt = d.clock.now();
      if (cond(plex(), 'Available').status === 'True') availableAt = d.clock.now();
      if (boundAt === undefined) assert.equal(cond(plex(), 'Available').status, 'False', 'not before its PVC is Bound');
    }
    assert.ok(boundAt !== undefined && availableAt !== undefined, 'bound, then available');
    const delay = availableAt - boundAt;
    const expected = appStartMs('default', 'plex');
    assert.ok(expected >= APPS_TIMINGS.startMinMs && expected <= APPS_TIMINGS.startMaxMs, `start delay ${expected}`);
    assert.ok(Math.abs(delay - expected) <= 2 * SECOND, `available ${delay / SECOND} s after the binding, expected ${expected / SECOND} s`);

    const { status } = plex();
    assert.deepEqual(
      [status.replicas, status.readyReplicas, status.availableReplicas, status.updatedReplicas, status.unavailableReplicas],
      [1, 1, 1, 1, undefined],
    );
    assert.equal(status.observedGeneration, plex().metadata.generation);
    assert.deepEqual([cond(plex(), 'Available').reason, cond(plex(), 'Progressing').reason], ['MinimumReplicasAvailable', 'NewReplicaSetAvailable']);
    assert.equal(cond(plex(), 'Progressing').lastTransitionTime, cond(before, 'Progressing').lastTransitionTime, 'Progressing stayed True');
    assert.ok(d.log.some((line) => line === 'apps: Deployment default/plex available (1/1 replicas)'));
    // Only the app that was restored.
    for (const app of REBUILD_FACTS.apps.filter((a) => a !== 'plex')) {
      assert.equal(cond(d.cluster.peek('deployments', 'default', app), 'Available').status, 'False', app);
    }
    // Deterministic per app: the same delay on another run, different delays across apps.
    assert.equal(appStartMs('default', 'plex'), expected);
    assert.ok(new Set(REBUILD_FACTS.apps.map((app) => appStartMs('default', app))).size > 5);
  } finally {
    d.cluster.close();
  }
});

test('apps: a Deployment mounting no PVC, or a PVC not Bound, is left alone', async () => {
  const d = await demo();
  try {
    await d.cluster.create('deployments', {
      metadata: { name: 'web', namespace: 'default' },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'x' }] } },
      },
    });
    await d.cluster.create('deployments', {
      metadata: { name: 'two', namespace: 'default' },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'two' } },
        template: {
          metadata: { labels: { app: 'two' } },
          spec: {
            containers: [{ name: 'two', image: 'x' }],
            volumes: [
              { name: 'a', persistentVolumeClaim: { claimName: 'kopia' } },
              { name: 'b', persistentVolumeClaim: { claimName: 'sonarr-config' } },
            ],
          },
        },
      },
    });
    await d.run(2 * MINUTE, 5 * SECOND);
    assert.equal(d.cluster.peek('deployments', 'default', 'web')!.status, undefined);
    assert.equal(d.cluster.peek('deployments', 'default', 'two')!.status, undefined, 'kopia is Bound, sonarr-config is not');
    assert.deepEqual(d.log, []);
  } finally {
    d.cluster.close();
  }
});

test('pv: a PVC naming an Available PV by volumeName binds both; a Released PV of another claim does not', async () => {
  const d = await demo();
  try {
    const pv = (name: string, claimRef?: Record<string, unknown>) =>
      d.cluster.create('persistentvolumes', {
        metadata: { name },
        spec: {
          accessModes: ['ReadWriteOnce'],
          capacity: { storage: '3Gi' },
          persistentVolumeReclaimPolicy: 'Retain',
          csi: { driver: 'cephfs.csi.ceph.com', volumeHandle: `h-${name}` },
          ...(claimRef ? { claimRef } : {}),
        },
      });
    await pv('free');
    await pv('old', { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: 'default', name: 'reused', uid: 'gone-uid' });
    await d.run(2 * SECOND);
    assert.equal(d.cluster.peek('persistentvolumes', undefined, 'free')!.status.phase, 'Available');

    const claim = (name: string, volumeName: string) =>
      d.cluster.create('persistentvolumeclaims', {
        metadata: { name, namespace: 'default' },
        spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, volumeName },
      });
    await claim('data', 'free');
    await claim('reused', 'old');
    await d.run(3 * SECOND);
    const data = d.cluster.peek('persistentvolumeclaims', 'default', 'data')!;
    assert.deepEqual([data.status.phase, data.status.capacity, data.status.accessModes], ['Bound', { storage: '3Gi' }, ['ReadWriteOnce']]);
    const free = d.cluster.peek('persistentvolumes', undefined, 'free')!;
    assert.deepEqual([free.status.phase, free.spec.claimRef.name, free.spec.claimRef.uid], ['Bound', 'data', data.metadata.uid]);
    assert.notEqual(d.cluster.peek('persistentvolumeclaims', 'default', 'reused')!.status?.phase, 'Bound', 'claimRef names an older claim (uid)');

    await d.cluster.delete('persistentvolumeclaims', 'default', 'data');
    await d.run(10 * SECOND);
    assert.equal(d.cluster.peek('persistentvolumes', undefined, 'free')!.status.phase, 'Released', 'Retain: kept, Released');
  } finally {
    d.cluster.close();
  }
});

test('cilium: an operator rollout restart rolls out in about 30 s, then programs the Gateways and DNS gets the routes', async () => {
  const d = await demo();
  try {
    const restartedAt = '2025-12-02T10:01:00Z';
    await d.cluster.patch(
      'deployments',
      'kube-system',
      'cilium-operator',
      { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': restartedAt } } } } },
      'merge',
    );
    await d.run(3 * SECOND);
    let op = d.cluster.peek('deployments', 'kube-system', 'cilium-operator')!;
    assert.equal(op.status.observedGeneration, op.metadata.generation);
    assert.equal(op.status.updatedReplicas, 1);
    assert.equal(cond(op, 'Progressing').reason, 'ReplicaSetUpdated');
    assert.equal(cond(d.cluster.peek('gateways', 'network', 'gateway-external'), 'Programmed').status, 'Unknown', 'not before the rollout ends');

    await d.run(28 * SECOND);
    op = d.cluster.peek('deployments', 'kube-system', 'cilium-operator')!;
    assert.deepEqual([op.status.updatedReplicas, op.status.availableReplicas, cond(op, 'Progressing').reason], [2, 2, 'NewReplicaSetAvailable']);
    assert.equal(cond(op, 'Available').status, 'True');

    await d.run(5 * SECOND);
    const expected = { 'gateway-external': ['10.101.27.100', 'fd00:101::1b:100'], 'gateway-internal': ['10.101.27.101', 'fd00:101::1b:101'] };
    for (const [name, addresses] of Object.entries(expected)) {
      const gw = d.cluster.peek('gateways', 'network', name)!;
      const programmed = cond(gw, 'Programmed');
      assert.deepEqual([programmed.status, programmed.reason], ['True', 'Programmed']);
      assert.notEqual(programmed.lastTransitionTime, EPOCH);
      assert.equal(cond(gw, 'Accepted').status, 'True');
      assert.deepEqual(
        gw.status.addresses.map((a: any) => a.value),
        addresses,
      );
      assert.equal(gw.status.listeners.length, 2);
    }
    // No address of a Gateway is one of a LoadBalancer Service's.
    const lbAddresses = new Set(d.cluster.listNow('services').flatMap((s) => (s.metadata.annotations?.['lbipam.cilium.io/ips'] ?? '').split(',')));
    assert.ok(
      Object.values(expected)
        .flat()
        .every((ip) => !lbAddresses.has(ip)),
    );

    await d.run(6 * SECOND);
    assert.deepEqual(d.dns.lookup('home-assistant.sulibot.com', 'A'), ['10.101.27.100']);
    assert.deepEqual(d.dns.lookup('home-assistant.sulibot.com', 'AAAA'), ['fd00:101::1b:100']);
    assert.deepEqual(d.dns.lookup('sonarr.sulibot.com', 'A'), ['10.101.27.101']);
  } finally {
    d.cluster.close();
  }
});

test('lb-ipam + external-dns: RequireDualStack brings the IPv6 entry to the status and external-dns publishes its AAAA', async () => {
  const d = await demo();
  try {
    d.dns.add('manual.sulibot.com', 'AAAA', 'fd00:101::1b:200');
    const dualStack = { spec: { ipFamilyPolicy: 'RequireDualStack', ipFamilies: ['IPv4', 'IPv6'] } };
    await d.cluster.patch('services', 'network', 'smtp-relay', dualStack, 'merge');
    await d.cluster.patch('services', 'default', 'emby', dualStack, 'merge');
    await d.run(2 * SECOND);
    assert.deepEqual(ips(d.cluster.peek('services', 'network', 'smtp-relay')), ['10.101.27.122', 'fd00:101::1b:122']);
    const emby = d.cluster.peek('services', 'default', 'emby')!;
    assert.deepEqual(ips(emby), ['fd00:101::1b:125'], 'only what the annotation holds');
    assert.deepEqual([cond(emby, 'cilium.io/IPAMRequestSatisfied').status, cond(emby, 'cilium.io/IPAMRequestSatisfied').reason], ['True', 'satisfied']);
    assert.deepEqual(d.dns.lookup('smtp-relay.sulibot.com', 'AAAA'), [], 'external-dns has not synced yet');

    await d.run(6 * SECOND);
    assert.deepEqual(d.dns.lookup('smtp-relay.sulibot.com', 'AAAA'), ['fd00:101::1b:122']);
    assert.deepEqual(d.dns.lookup('smtp-relay.sulibot.com', 'A'), ['10.101.27.122']);
    assert.deepEqual(d.dns.lookup('emby.sulibot.com', 'AAAA'), ['fd00:101::1b:125']);

    // Back to SingleStack: the IPv6 entry goes, and so do the records external-dns made, not the others.
    await d.cluster.patch('services', 'default', 'emby', { spec: { ipFamilyPolicy: 'SingleStack', ipFamilies: ['IPv4'] } }, 'merge');
    await d.run(8 * SECOND);
    const pending = d.cluster.peek('services', 'default', 'emby')!;
    assert.deepEqual(ips(pending), []);
    assert.equal(cond(pending, 'cilium.io/IPAMRequestSatisfied').reason, 'no_pool');
    assert.deepEqual(d.dns.lookup('emby.sulibot.com', 'AAAA'), []);
    assert.deepEqual(d.dns.lookup('manual.sulibot.com', 'AAAA'), ['fd00:101::1b:200'], 'a record it did not create stays');
    assert.deepEqual(d.dns.lookup('plex.sulibot.com', 'AAAA'), ['fd00:101::1b:124']);
  } finally {
    d.cluster.close();
  }
});

test('closing the demo leaves no controller timer behind (real-time clock)', async () => {
  const d = createDemoCluster({ t0: T0, speed: 1 });
  await settle();
  await d.cluster.patch(
    'deployments',
    'kube-system',
    'cilium-operator',
    { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': 'x' } } } } },
    'merge',
  );
  await settle();
  assert.ok(d.clock.pending > 0, 'the rollout is scheduled');
  d.cluster.close();
  assert.equal(d.clock.pending, 0);
  await settle();
});

test('the wall-clock scheduler scales delays by the speed and cancels everything on close', async () => {
  const scheduler = wallClockScheduler(1000);
  const fired: number[] = [];
  const started = performance.now();
  await new Promise<void>((resolve) => scheduler.after(2000, () => (fired.push(performance.now() - started), resolve())));
  assert.ok(fired[0] < 500, `2 s at speed 1000 took ${fired[0]} ms`);
  scheduler.after(60_000, () => fired.push(-1));
  const cancel = scheduler.after(10, () => fired.push(-2));
  cancel();
  scheduler.close();
  await new Promise((resolve) => setTimeout(resolve, 80));
  assert.equal(fired.length, 1);
});

test('on the dashboard: after the operator restart and the dual-stack change, the Gateway and LoadBalancer checks pass', async () => {
  const session = await demoSession();
  try {
    const { cluster, clock } = session.demo;
    const results = () => session.store.getState().results;
    assert.equal(results()['gateways.programmed'].status, 'fail');
    assert.equal(results()['loadbalancers.status-families'].status, 'fail');
    await cluster.patch(
      'deployments',
      'kube-system',
      'cilium-operator',
      { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': 'now' } } } } },
      'merge',
    );
    for (const [ns, name] of [
      ['network', 'smtp-relay'],
      ['default', 'mosquitto'],
    ]) {
      await cluster.patch('services', ns, name, { spec: { ipFamilyPolicy: 'RequireDualStack', ipFamilies: ['IPv4', 'IPv6'] } }, 'merge');
    }
    for (let i = 0; i < 40; i++) {
      clock.advance(SECOND);
      await settle();
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
    session.buffer.flush();
    assert.equal(results()['gateways.programmed'].status, 'pass', results()['gateways.programmed'].summary);
    assert.equal(results()['loadbalancers.status-families'].status, 'pass', results()['loadbalancers.status-families'].summary);
    assert.equal(results()['loadbalancers.external-ip'].status, 'fail', 'emby has no IPv4 in its annotation: Git must change');
  } finally {
    session.close();
  }
});
