import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FeedSink, KubeObject, WatchEvent } from '../../src/cluster.js';
import { configSchema } from '../../src/config/schema.js';
import { KIND_KEYS, type KindKey } from '../../src/kinds.js';
import { createDemoCluster, REBUILD_FACTS } from '../../src/sim/index.js';
import { demoSession } from '../demo-session.js';

const T0 = Date.parse('2025-12-02T10:00:00Z');
const MINUTE = 60_000;

const demo = () => createDemoCluster({ manual: true, t0: T0 });
const ready = (o: KubeObject | undefined) => o?.status?.conditions?.find((c: any) => c.type === 'Ready');
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

test('the demo starts 30 s after Flux was deployed, and its config parses', () => {
  const { cluster, clock, config } = demo();
  assert.equal(clock.now(), T0 + 30_000);
  assert.equal(cluster.now(), clock.now());
  assert.equal(cluster.peek('gitrepositories', 'flux-system', 'flux-system')?.metadata.creationTimestamp, '2025-12-02T10:00:00Z');
  const parsed = configSchema.parse(config);
  assert.equal(parsed.kopia.savedVolumeHandle, REBUILD_FACTS.savedVolumeHandle);
  assert.deepEqual(parsed.dns.servers, ['demo']);
  cluster.close();
});

test('at the start: 22 restores, none triggered, with seed issues 3 and 9 and a missing secret', () => {
  const { cluster } = demo();
  const rds = cluster.listNow('replicationdestinations', 'default');
  assert.equal(rds.length, 22);
  assert.deepEqual(
    rds.map((r) => r.metadata.name.replace(/-dst$/, '')),
    REBUILD_FACTS.apps,
  );
  const noCopyMethod = rds.filter((r) => r.spec.kopia.copyMethod !== 'Snapshot');
  assert.deepEqual(
    noCopyMethod.map((r) => r.metadata.name.replace(/-dst$/, '')),
    REBUILD_FACTS.missingCopyMethod,
  );
  for (const r of noCopyMethod) {
    assert.equal(r.status.conditions[0].message, 'unsupported copyMethod: -- must be Direct, None, or Snapshot');
  }
  assert.equal(rds.filter((r) => r.metadata.labels?.['kustomize.toolkit.fluxcd.io/ssa'] === 'IfNotPresent').length, 6);
  for (const r of rds) {
    assert.ok(r.spec.trigger?.manual === undefined || r.spec.trigger.manual === r.status.lastManualSync, `${r.metadata.name} is not triggered`);
  }
  const pvcs = REBUILD_FACTS.apps.map((app) => cluster.peek('persistentvolumeclaims', 'default', `${app}-config`)!);
  assert.ok(pvcs.every((p) => p.status.phase === 'Pending' && p.spec.dataSourceRef.kind === 'ReplicationDestination'));
  const secrets = new Set(cluster.listNow('secrets', 'default').map((s) => s.metadata.name));
  assert.deepEqual(
    REBUILD_FACTS.apps.filter((app) => !secrets.has(`${app}-volsync-secret`)),
    [REBUILD_FACTS.missingSecret],
  );
  cluster.close();
});

test('at the start: the 22 app Deployments mount their config PVC and are not available', () => {
  const { cluster } = demo();
  for (const app of REBUILD_FACTS.apps) {
    const d = cluster.peek('deployments', 'default', app)!;
    assert.deepEqual(d.spec.template.spec.volumes, [{ name: 'config', persistentVolumeClaim: { claimName: `${app}-config` } }]);
    assert.deepEqual(d.spec.template.spec.containers[0].volumeMounts, [{ name: 'config', mountPath: '/config' }]);
    assert.equal(d.status.availableReplicas, undefined);
    assert.equal(d.status.conditions.find((c: any) => c.type === 'Available').status, 'False');
  }
  cluster.close();
});

test('the missing repository Secret is synced a minute after external-secrets is Ready: restores.secrets heals by itself', async () => {
  const session = await demoSession();
  try {
    const results = () => session.store.getState().results;
    const advance = async (ms: number) => {
      session.demo.clock.advance(ms);
      await new Promise((r) => setTimeout(r, 20));
      session.buffer.flush();
      session.store.getState().tick(session.cluster.now());
    };
    assert.equal(results()['restores.secrets'].status, 'fail');
    assert.match(results()['restores.secrets'].summary, /default\/thelounge-volsync-secret/);
    assert.equal(results()['restores.apps-running'].status, 'warn');
    assert.match(
      results()['restores.apps-running'].summary,
      /^0\/22 apps running; waiting: default\/atuin \(PVC atuin-config Pending\), default\/autobrr \(PVC autobrr-config Pending\) and 20 more$/,
    );
    const at = (ms: number) => REBUILD_FACTS.missingSecretAt + ms - (session.demo.clock.now() - session.demo.scenario.t0);
    assert.equal(REBUILD_FACTS.missingSecretAt, REBUILD_FACTS.essentialReadyAt['external-secrets'] + MINUTE);
    await advance(at(-1000));
    assert.equal(results()['restores.secrets'].status, 'fail', 'still missing just before');
    await advance(at(0));
    assert.equal(results()['restores.secrets'].status, 'pass', results()['restores.secrets'].summary);
    const secret = session.demo.cluster.peek('secrets', 'default', 'thelounge-volsync-secret')!;
    const other = session.demo.cluster.peek('secrets', 'default', 'plex-volsync-secret')!;
    assert.deepEqual(Object.keys(secret.data as object).sort(), Object.keys(other.data as object).sort());
    assert.deepEqual(secret.metadata.labels, other.metadata.labels);
    assert.equal(secret.metadata.ownerReferences?.[0]?.name, 'thelounge-volsync-secret');
    await advance(11 * MINUTE - (session.demo.clock.now() - session.demo.scenario.t0));
    assert.equal(results()['restores.secrets'].status, 'pass');
    assert.equal(results()['restores.apps-running'].status, 'warn', 'no restore, no app');
  } finally {
    session.close();
  }
});

test('at the start: the Kopia PVC is Flux-managed and bound to a new subvolume (seed issues 2 and 4)', () => {
  const { cluster } = demo();
  const pvc = cluster.peek('persistentvolumeclaims', 'default', 'kopia')!;
  assert.equal(pvc.status.phase, 'Bound');
  assert.equal(pvc.metadata.labels?.['kustomize.toolkit.fluxcd.io/name'] !== undefined, true);
  assert.ok(pvc.metadata.managedFields?.some((f) => f.manager === 'kustomize-controller'));
  const pv = cluster.peek('persistentvolumes', undefined, pvc.spec.volumeName)!;
  assert.equal(pv.spec.csi.volumeHandle, REBUILD_FACTS.wrongVolumeHandle);
  assert.notEqual(pv.spec.csi.volumeHandle, REBUILD_FACTS.savedVolumeHandle);
  assert.match(pv.spec.csi.volumeHandle, /^0001-0024-[0-9a-f-]{36}-0000000000000001-[0-9a-f-]{36}$/);
  assert.equal(pv.spec.persistentVolumeReclaimPolicy, 'Delete');

  const apps = REBUILD_FACTS.apps.map((app) => cluster.peek('kustomizations', 'flux-system', app)!);
  for (const ks of apps) {
    assert.equal(ready(ks).reason, 'ReconciliationFailed');
    assert.match(ready(ks).message, /spec is immutable after creation/);
    assert.ok(ks.status.inventory.entries.some((e: any) => e.id === 'default_kopia__PersistentVolumeClaim' && e.v === 'v1'));
  }
  cluster.close();
});

test('at the start: Gateways never programmed, LoadBalancers single-stack or pending, DNS without AAAA (issues 6-8)', async () => {
  const { cluster, dns } = demo();
  for (const name of ['gateway-external', 'gateway-internal']) {
    const gw = cluster.peek('gateways', 'network', name)!;
    const programmed = gw.status.conditions.find((c: any) => c.type === 'Programmed');
    assert.deepEqual([programmed.status, programmed.message, programmed.lastTransitionTime], ['Unknown', 'Waiting for controller', '1970-01-01T00:00:00Z']);
    assert.equal(gw.status.addresses, undefined);
  }
  assert.equal(cluster.peek('kustomizations', 'flux-system', 'cilium')!.spec.healthChecks, undefined);
  assert.equal(cluster.peek('deployments', 'kube-system', 'cilium-operator')!.status.availableReplicas, 2);

  const smtp = cluster.peek('services', 'network', 'smtp-relay')!;
  assert.equal(smtp.metadata.annotations?.['lbipam.cilium.io/ips'], 'fd00:101::1b:122,10.101.27.122');
  assert.deepEqual(
    smtp.status.loadBalancer.ingress.map((i: any) => i.ip),
    ['10.101.27.122'],
  );
  assert.equal(cluster.peek('services', 'default', 'emby')!.status.loadBalancer.ingress, undefined);
  assert.equal(cluster.peek('services', 'default', 'plex')!.status.loadBalancer.ingress.length, 2);

  assert.deepEqual(await dns.query('smtp-relay.sulibot.com', 'A', 100), ['10.101.27.122']);
  assert.deepEqual(await dns.query('smtp-relay.sulibot.com', 'AAAA', 100), []);
  assert.deepEqual(await dns.query('mosquitto.sulibot.com', 'AAAA', 100), []);
  assert.deepEqual(await dns.query('plex.sulibot.com', 'AAAA', 100), ['fd00:101::1b:124']);
  assert.deepEqual(await dns.query('emby.sulibot.com', 'A', 100), []);
  for (const route of cluster.listNow('httproutes')) {
    assert.deepEqual(await dns.query(route.spec.hostnames[0], 'A', 100), []);
  }
  cluster.close();
});

test('at the start: infra not Ready, ceph-csi HelmReleases stuck with the helm-controller shape (issue 1)', () => {
  const { cluster } = demo();
  for (const name of ['cert-manager', 'external-secrets', 'volsync']) {
    assert.notEqual(ready(cluster.peek('kustomizations', 'flux-system', name)).status, 'True', name);
  }
  assert.match(ready(cluster.peek('kustomizations', 'flux-system', 'volsync')).message, /dependency 'flux-system\/external-secrets' is not ready/);
  for (const name of ['ceph-csi-cephfs', 'ceph-csi-rbd']) {
    const hr = cluster.peek('helmreleases', 'ceph-csi', name)!;
    assert.equal(ready(hr).message, `HelmChart 'ceph-csi/ceph-csi-${name}' is not ready: latest generation of object has not been reconciled`);
    assert.equal(ready(hr).lastTransitionTime, '1970-01-01T00:00:00Z');
    const chart = cluster.peek('helmcharts', 'ceph-csi', `ceph-csi-${name}`)!;
    assert.ok(chart.metadata.generation! > chart.status.observedGeneration);
  }
  cluster.close();
});

test('after 20 scenario minutes the essential infra is Ready and the ceph-csi HelmReleases are still stuck', () => {
  const { cluster, clock, config } = demo();
  clock.advance(20 * MINUTE);
  for (const name of configSchema.parse(config).flux.essential) {
    const ks = cluster.peek('kustomizations', 'flux-system', name)!;
    assert.equal(ready(ks).status, 'True', name);
    assert.equal(ks.status.observedGeneration, ks.metadata.generation);
    assert.equal(ks.status.lastHandledReconcileAt, undefined);
  }
  const volsync = cluster.peek('kustomizations', 'flux-system', 'volsync')!;
  assert.equal(ready(volsync).lastTransitionTime, '2025-12-02T10:16:00Z');
  for (const name of ['ceph-csi-cephfs', 'ceph-csi-rbd']) {
    assert.equal(ready(cluster.peek('helmreleases', 'ceph-csi', name)).status, 'False');
  }
  assert.equal(ready(cluster.peek('helmreleases', 'volsync-system', 'volsync')).status, 'True');
  assert.equal(cluster.peek('deployments', 'volsync-system', 'volsync')!.status.availableReplicas, 1);
  assert.ok(cluster.listNow('pods', 'ceph-csi').every((p) => p.status.phase === 'Running'));
  assert.ok(cluster.peek('volumesnapshotclasses', undefined, 'csi-cephfs-config-snapclass'));
  // Nothing fixed any seed issue.
  assert.equal(cluster.listNow('replicationdestinations').filter((r) => !r.spec.kopia.copyMethod).length, 8);
  assert.equal(ready(cluster.peek('kustomizations', 'flux-system', 'plex')).reason, 'ReconciliationFailed');
  assert.equal(clock.pending, 0);
  cluster.close();
});

test('scenario steps go through the write API: a feed sees them as MODIFIED events, in order', async () => {
  const { cluster, clock } = demo();
  const events: Array<{ kind: KindKey; event: WatchEvent }> = [];
  let listed = 0;
  const sink: FeedSink = {
    reset: (_kind, items) => (listed += items.length),
    event: (kind, event) => events.push({ kind, event }),
    sync: () => {},
  };
  cluster.feed(KIND_KEYS, sink);
  await settle();
  assert.ok(listed > 150, `listed ${listed}`);
  clock.advance(2 * MINUTE);
  assert.equal(events.length, 0, 'delivered after the step, not inside it');
  await settle();
  const names = events.map(({ kind, event }) => `${event.type} ${kind} ${event.object.metadata.name}`);
  assert.deepEqual(names, [
    'MODIFIED kustomizations ceph-csi',
    'MODIFIED helmreleases cilium',
    'MODIFIED helmreleases cert-manager',
    'MODIFIED kustomizations cilium',
    'MODIFIED kustomizations cert-manager',
  ]);
  const rvs = events.map(({ event }) => Number(event.object.metadata.resourceVersion));
  assert.ok(rvs.every((rv, i) => i === 0 || rv > rvs[i - 1]));
  cluster.close();
});

test('a step skips objects the operator deleted', () => {
  const { cluster, clock } = demo();
  cluster.deleteNow('helmreleases', 'volsync-system', 'volsync');
  clock.advance(20 * MINUTE);
  assert.equal(cluster.peek('helmreleases', 'volsync-system', 'volsync'), undefined);
  assert.equal(ready(cluster.peek('kustomizations', 'flux-system', 'volsync')).status, 'True');
  cluster.close();
});
