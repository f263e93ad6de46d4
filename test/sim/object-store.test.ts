import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClusterError, type FeedSink, type KubeObject, type SyncState, type WatchEvent } from '../../src/cluster.js';
import type { KindKey } from '../../src/kinds.js';
import { SimClock } from '../../src/sim/clock.js';
import { SimCluster } from '../../src/sim/object-store.js';

const T0 = Date.parse('2025-12-02T10:00:00Z');

function setup(historyLimit?: number) {
  const clock = new SimClock({ start: T0, manual: true });
  const cluster = new SimCluster({ clock, historyLimit });
  cluster.onClose(() => clock.close());
  return { clock, cluster };
}

/** Lets queued watch deliveries (microtasks) run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

const rd = (name: string, extra: Partial<KubeObject> = {}): KubeObject => ({
  metadata: { name, namespace: 'default' },
  spec: { kopia: { repository: `${name}-volsync-secret` } },
  ...extra,
});

const isCode = (code: number) => (error: unknown) => error instanceof ClusterError && error.code === code;

test('create fills apiVersion, kind, uid, creationTimestamp, generation and resourceVersion', async () => {
  const { cluster, clock } = setup();
  clock.advance(5_000);
  const created = await cluster.create('replicationdestinations', rd('plex-dst', { status: { ignored: true } }));
  assert.equal(created.apiVersion, 'volsync.backube/v1alpha1');
  assert.equal(created.kind, 'ReplicationDestination');
  assert.match(created.metadata.uid!, /^[0-9a-f-]{36}$/);
  assert.equal(created.metadata.creationTimestamp, '2025-12-02T10:00:05Z');
  assert.equal(created.metadata.generation, 1);
  assert.equal(typeof created.metadata.resourceVersion, 'string');
  assert.equal(created.status, undefined, 'status is not written by a create');
  assert.deepEqual(await cluster.get('replicationdestinations', 'default', 'plex-dst'), created);
  cluster.close();
});

test('get, list by namespace, delete, and the error codes', async () => {
  const { cluster } = setup();
  await cluster.create('secrets', { metadata: { name: 'a', namespace: 'default' } });
  await cluster.create('secrets', { metadata: { name: 'b', namespace: 'network' } });
  await cluster.create('storageclasses', { metadata: { name: 'sc', namespace: 'ignored' }, provisioner: 'x' });
  assert.equal((await cluster.list('secrets')).items.length, 2);
  assert.deepEqual(
    (await cluster.list('secrets', 'network')).items.map((o) => o.metadata.name),
    ['b'],
  );
  assert.equal((await cluster.get('storageclasses', undefined, 'sc')).metadata.namespace, undefined);

  await assert.rejects(cluster.create('secrets', { metadata: { name: 'a', namespace: 'default' } }), isCode(409));
  await assert.rejects(cluster.get('secrets', 'default', 'zzz'), (e: unknown) => isCode(404)(e) && (e as ClusterError).reason === 'NotFound');
  await assert.rejects(cluster.create('secrets', { metadata: { name: 'no-namespace' } }), isCode(422));
  await assert.rejects(cluster.create('secrets', { metadata: { name: 'Bad_Name', namespace: 'default' } }), isCode(422));

  await cluster.delete('secrets', 'default', 'a');
  await assert.rejects(cluster.get('secrets', 'default', 'a'), isCode(404));
  await assert.rejects(cluster.delete('secrets', 'default', 'a'), isCode(404));
  cluster.close();
});

test('returned objects are copies: callers cannot change the store', async () => {
  const { cluster } = setup();
  const created = await cluster.create('replicationdestinations', rd('plex-dst'));
  created.spec.kopia.repository = 'mutated';
  const got = await cluster.get('replicationdestinations', 'default', 'plex-dst');
  got.metadata.labels = { mutated: 'yes' };
  (await cluster.list('replicationdestinations')).items[0].spec.kopia = null;
  const again = await cluster.get('replicationdestinations', 'default', 'plex-dst');
  assert.equal(again.spec.kopia.repository, 'plex-dst-volsync-secret');
  assert.equal(again.metadata.labels, undefined);
  cluster.close();
});

test('merge patch: generation grows only when spec changes; resourceVersion changes on every real write', async () => {
  const { cluster } = setup();
  const created = await cluster.create('replicationdestinations', rd('plex-dst'));
  const annotated = await cluster.patch('replicationdestinations', 'default', 'plex-dst', { metadata: { annotations: { a: '1' } } }, 'merge');
  assert.equal(annotated.metadata.generation, 1);
  assert.notEqual(annotated.metadata.resourceVersion, created.metadata.resourceVersion);
  const triggered = await cluster.patch('replicationdestinations', 'default', 'plex-dst', { spec: { trigger: { manual: 'restore-1' } } }, 'merge');
  assert.equal(triggered.metadata.generation, 2);
  assert.deepEqual(triggered.spec, { kopia: { repository: 'plex-dst-volsync-secret' }, trigger: { manual: 'restore-1' } });
  const removed = await cluster.patch('replicationdestinations', 'default', 'plex-dst', { spec: { trigger: null } }, 'strategic');
  assert.equal(removed.metadata.generation, 3);
  assert.equal(removed.spec.trigger, undefined);
  const same = await cluster.patch('replicationdestinations', 'default', 'plex-dst', { spec: { trigger: null } }, 'merge');
  assert.equal(same.metadata.resourceVersion, removed.metadata.resourceVersion, 'a no-op patch writes nothing');
  cluster.close();
});

test('merge patch keeps identity fields and refuses a stale resourceVersion', async () => {
  const { cluster } = setup();
  const created = await cluster.create('replicationdestinations', rd('plex-dst'));
  const patched = await cluster.patch(
    'replicationdestinations',
    'default',
    'plex-dst',
    { apiVersion: 'x/v9', metadata: { uid: 'forged', creationTimestamp: '2000-01-01T00:00:00Z', generation: 42 } },
    'merge',
  );
  assert.equal(patched.apiVersion, 'volsync.backube/v1alpha1');
  assert.equal(patched.metadata.uid, created.metadata.uid);
  assert.equal(patched.metadata.creationTimestamp, created.metadata.creationTimestamp);
  assert.equal(patched.metadata.generation, 1);
  assert.equal(patched.metadata.resourceVersion, created.metadata.resourceVersion, 'nothing changed, nothing written');
  await cluster.patch('replicationdestinations', 'default', 'plex-dst', { metadata: { labels: { a: 'b' } } }, 'merge');
  await assert.rejects(
    cluster.patch(
      'replicationdestinations',
      'default',
      'plex-dst',
      { metadata: { resourceVersion: created.metadata.resourceVersion }, spec: { x: 1 } },
      'merge',
    ),
    isCode(409),
  );
  cluster.close();
});

test('json patch on the main resource; 422 on a failed test or malformed patch', async () => {
  const { cluster } = setup();
  await cluster.create('deployments', {
    metadata: { name: 'cilium-operator', namespace: 'kube-system' },
    spec: { template: { metadata: { annotations: {} } } },
  });
  const restarted = await cluster.patch(
    'deployments',
    'kube-system',
    'cilium-operator',
    [
      { op: 'test', path: '/metadata/name', value: 'cilium-operator' },
      { op: 'add', path: '/spec/template/metadata/annotations/kubectl.kubernetes.io~1restartedAt', value: '2025-12-02T10:30:00Z' },
    ],
    'json',
  );
  assert.equal(restarted.spec.template.metadata.annotations['kubectl.kubernetes.io/restartedAt'], '2025-12-02T10:30:00Z');
  assert.equal(restarted.metadata.generation, 2);
  await assert.rejects(
    cluster.patch('deployments', 'kube-system', 'cilium-operator', [{ op: 'test', path: '/spec/paused', value: true }], 'json'),
    (e: unknown) => isCode(422)(e) && (e as ClusterError).reason === 'Invalid',
  );
  await assert.rejects(cluster.patch('deployments', 'kube-system', 'cilium-operator', { not: 'an array' }, 'json'), isCode(422));
  await assert.rejects(cluster.patch('deployments', 'kube-system', 'cilium-operator', [{ op: 'remove', path: '/spec/nope' }], 'json'), isCode(422));
  await assert.rejects(cluster.patch('deployments', 'kube-system', 'missing', [], 'json'), isCode(404));
  cluster.close();
});

test('status subresource: status writes touch only .status; main writes never touch .status', async () => {
  const { cluster } = setup();
  await cluster.create('replicationdestinations', rd('plex-dst'));
  const withStatus = await cluster.patch(
    'replicationdestinations',
    'default',
    'plex-dst',
    { spec: { ignored: true }, metadata: { labels: { ignored: 'yes' } }, status: { lastManualSync: 'restore-1' } },
    'merge',
    { subresource: 'status' },
  );
  assert.deepEqual(withStatus.status, { lastManualSync: 'restore-1' });
  assert.equal(withStatus.spec.ignored, undefined);
  assert.equal(withStatus.metadata.labels, undefined);
  assert.equal(withStatus.metadata.generation, 1);

  const main = await cluster.patch(
    'replicationdestinations',
    'default',
    'plex-dst',
    { spec: { trigger: { manual: 'restore-2' } }, status: { lastManualSync: 'forged' } },
    'merge',
  );
  assert.equal(main.status.lastManualSync, 'restore-1');
  assert.equal(main.spec.trigger.manual, 'restore-2');
  const removedStatus = await cluster.patch('replicationdestinations', 'default', 'plex-dst', [{ op: 'remove', path: '/status' }], 'json');
  assert.deepEqual(removedStatus.status, { lastManualSync: 'restore-1' });
  cluster.close();
});

test('dry run validates and answers, but stores nothing and emits nothing', async () => {
  const { cluster } = setup();
  await cluster.create('replicationdestinations', rd('plex-dst'));
  const events: WatchEvent[] = [];
  const stop = cluster.watch(['replicationdestinations'], cluster.resourceVersion, (_k, e) => events.push(e));
  const rv = cluster.resourceVersion;

  const created = await cluster.create('replicationdestinations', rd('sonarr-dst'), { dryRun: true });
  assert.equal(created.metadata.name, 'sonarr-dst');
  const patched = await cluster.patch('replicationdestinations', 'default', 'plex-dst', { spec: { kopia: { copyMethod: 'Snapshot' } } }, 'merge', {
    dryRun: true,
  });
  assert.equal(patched.spec.kopia.copyMethod, 'Snapshot');
  assert.equal(patched.metadata.generation, 2);
  await cluster.delete('replicationdestinations', 'default', 'plex-dst', { dryRun: true });
  await assert.rejects(cluster.create('replicationdestinations', rd('plex-dst'), { dryRun: true }), isCode(409));
  await assert.rejects(
    cluster.patch('replicationdestinations', 'default', 'plex-dst', [{ op: 'test', path: '/x', value: 1 }], 'json', { dryRun: true }),
    isCode(422),
  );

  await settle();
  assert.equal(cluster.resourceVersion, rv);
  assert.deepEqual(events, []);
  await assert.rejects(cluster.get('replicationdestinations', 'default', 'sonarr-dst'), isCode(404));
  assert.equal((await cluster.get('replicationdestinations', 'default', 'plex-dst')).spec.kopia.copyMethod, undefined);
  stop();
  cluster.close();
});

test('a bound PVC spec is immutable except requests, with the API server message of seed issue 4', async () => {
  const { cluster } = setup();
  await cluster.create('persistentvolumeclaims', {
    metadata: { name: 'kopia', namespace: 'default' },
    spec: { accessModes: ['ReadWriteMany'], resources: { requests: { storage: '100Gi' } } },
  });
  await cluster.patch('persistentvolumeclaims', 'default', 'kopia', { spec: { volumeName: 'pvc-1' } }, 'merge');
  await cluster.patch('persistentvolumeclaims', 'default', 'kopia', { spec: { resources: { requests: { storage: '200Gi' } } } }, 'merge');
  await assert.rejects(
    cluster.patch('persistentvolumeclaims', 'default', 'kopia', { spec: { volumeName: 'kopia-repository' } }, 'merge', { dryRun: true }),
    /PersistentVolumeClaim "kopia" is invalid: spec: Forbidden: spec is immutable after creation/,
  );
  cluster.close();
});

test('watch delivers ADDED, MODIFIED, DELETED in order with increasing resourceVersions, after the write returns', async () => {
  const { cluster } = setup();
  const events: Array<[KindKey, string, string, string]> = [];
  const stop = cluster.watch(['replicationdestinations', 'secrets'], cluster.resourceVersion, (kind, e) =>
    events.push([kind, e.type, e.object.metadata.name, e.object.metadata.resourceVersion!]),
  );
  const created = cluster.create('replicationdestinations', rd('plex-dst'));
  cluster.createNow('pods', { metadata: { name: 'not-watched', namespace: 'default' } });
  cluster.patchNow('replicationdestinations', 'default', 'plex-dst', { spec: { trigger: { manual: 't' } } }, 'merge');
  assert.equal(events.length, 0, 'never delivered inside a write');
  await created;
  await cluster.create('secrets', { metadata: { name: 'plex-volsync-secret', namespace: 'default' } });
  await cluster.delete('replicationdestinations', 'default', 'plex-dst');
  await settle();

  assert.deepEqual(
    events.map(([kind, type, name]) => `${kind} ${type} ${name}`),
    [
      'replicationdestinations ADDED plex-dst',
      'replicationdestinations MODIFIED plex-dst',
      'secrets ADDED plex-volsync-secret',
      'replicationdestinations DELETED plex-dst',
    ],
  );
  const rvs = events.map(([, , , rv]) => Number(rv));
  assert.deepEqual(
    [...rvs].sort((a, b) => a - b),
    rvs,
  );
  assert.equal(new Set(rvs).size, rvs.length);
  assert.equal(events.at(-1)![3], cluster.resourceVersion, 'DELETED carries the deletion resourceVersion');
  stop();
  cluster.close();
});

test('watch resumes from a resourceVersion and replays only what came after it', async () => {
  const { cluster } = setup();
  await cluster.create('replicationdestinations', rd('a-dst'));
  const resumeFrom = cluster.resourceVersion;
  await cluster.create('replicationdestinations', rd('b-dst'));
  await cluster.delete('replicationdestinations', 'default', 'a-dst');

  const seen: string[] = [];
  const stop = cluster.watch(['replicationdestinations'], resumeFrom, (_k, e) => seen.push(`${e.type} ${e.object.metadata.name}`));
  await cluster.create('replicationdestinations', rd('c-dst'));
  await settle();
  assert.deepEqual(seen, ['ADDED b-dst', 'DELETED a-dst', 'ADDED c-dst']);
  stop();
  await cluster.create('replicationdestinations', rd('d-dst'));
  await settle();
  assert.equal(seen.length, 3, 'a stopped watch hears nothing');
  cluster.close();
});

test('a resourceVersion older than the history gets 410', async () => {
  const { cluster } = setup(3);
  const first = (await cluster.create('secrets', { metadata: { name: 's0', namespace: 'default' } })).metadata.resourceVersion!;
  for (let i = 1; i <= 5; i++) await cluster.create('secrets', { metadata: { name: `s${i}`, namespace: 'default' } });
  assert.throws(
    () => cluster.watch(['secrets'], first, () => {}),
    (e: unknown) => e instanceof ClusterError && e.code === 410 && /too old resource version/.test(e.message),
  );
  const stop = cluster.watch(['secrets'], cluster.resourceVersion, () => {});
  stop();
  assert.throws(() => cluster.watch(['secrets'], 'not-a-number', () => {}), isCode(400));
  cluster.close();
});

class RecordingSink implements FeedSink {
  log: string[] = [];
  items = new Map<KindKey, KubeObject[]>();
  reset(kind: KindKey, items: KubeObject[]): void {
    this.items.set(kind, items);
    this.log.push(`reset ${kind} ${items.length}`);
  }
  event(kind: KindKey, event: WatchEvent): void {
    this.log.push(`${event.type} ${kind} ${event.object.metadata.name}`);
  }
  sync(kind: KindKey, state: SyncState): void {
    this.log.push(`sync ${kind} ${state.phase}`);
  }
}

test('feed lists each kind, reports synced, then streams events; the returned function stops it', async () => {
  const { cluster } = setup();
  await cluster.create('secrets', { metadata: { name: 'existing', namespace: 'default' } });
  const sink = new RecordingSink();
  const stop = cluster.feed(['secrets', 'gateways'], sink);
  assert.deepEqual(sink.log, [], 'nothing is delivered inside feed()');
  await cluster.create('secrets', { metadata: { name: 'new', namespace: 'default' } });
  await settle();
  // The create happened before the deferred list, so it arrives in the list, not as an event.
  assert.deepEqual(sink.log, ['reset secrets 2', 'sync secrets synced', 'reset gateways 0', 'sync gateways synced']);
  await cluster.patch('secrets', 'default', 'new', { metadata: { labels: { a: 'b' } } }, 'merge');
  await cluster.create('gateways', { metadata: { name: 'gateway-external', namespace: 'network' } });
  await settle();
  assert.deepEqual(sink.log.slice(4), ['MODIFIED secrets new', 'ADDED gateways gateway-external']);
  stop();
  await cluster.delete('secrets', 'default', 'new');
  await settle();
  assert.equal(sink.log.length, 6);
  cluster.close();
});

test('close stops watches, refuses writes, and closes what was registered', async () => {
  const { cluster, clock } = setup();
  let fired = false;
  clock.after(1000, () => (fired = true));
  const sink = new RecordingSink();
  cluster.feed(['secrets'], sink);
  await settle();
  cluster.close();
  clock.advance(5000);
  assert.equal(fired, false);
  await assert.rejects(cluster.create('secrets', { metadata: { name: 'x', namespace: 'default' } }), isCode(503));
});
