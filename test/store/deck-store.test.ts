import { ALL_CHECKS } from '../../src/checks/index.js';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubeObject } from '../../src/cluster.js';
import { defaultConfig } from '../../src/config/schema.js';
import { KIND_KEYS } from '../../src/kinds.js';
import { createDeckStore } from '../../src/store/deck-store.js';
import { FeedBuffer, MAX_EVENTS_PER_COMMIT } from '../../src/store/feed-buffer.js';
import { fluxDeployedAt } from '../../src/store/selectors.js';

function freshStore() {
  return createDeckStore({ config: defaultConfig(), clusterName: 'test', now: Date.parse('2026-11-26T03:00:00Z') });
}

function gateway(name: string, programmed: 'True' | 'Unknown', rv: string): KubeObject {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: { name, namespace: 'network', resourceVersion: rv },
    spec: { gatewayClassName: 'cilium' },
    status: {
      conditions: [
        programmed === 'True'
          ? { type: 'Programmed', status: 'True', reason: 'Programmed', lastTransitionTime: '2026-11-26T02:59:00Z' }
          : { type: 'Programmed', status: 'Unknown', reason: 'Pending', message: 'Waiting for controller', lastTransitionTime: '1970-01-01T00:00:00Z' },
      ],
    },
  };
}

function syncAll(buffer: FeedBuffer) {
  for (const kind of KIND_KEYS) buffer.reset(kind, []);
  for (const kind of KIND_KEYS) buffer.sync(kind, { phase: 'synced' });
  buffer.sync('dns', { phase: 'not-installed', detail: 'no resolver configured (dns.servers)' });
  buffer.flush();
}

test('every check is listed from the start, pending until its inputs sync', () => {
  const store = freshStore();
  const { results } = store.getState();
  assert.equal(Object.keys(results).length, ALL_CHECKS.length);
  assert.ok(Object.values(results).every((r) => r.status === 'pending'));
});

test('a batch is one store update, and only the checks reading a changed kind are re-evaluated', () => {
  const store = freshStore();
  const buffer = new FeedBuffer(store, 1000);
  syncAll(buffer);
  let updates = 0;
  store.subscribe(() => updates++);
  const before = store.getState().results;

  buffer.event('gateways', { type: 'ADDED', object: gateway('gateway-external', 'Unknown', '10') });
  buffer.event('gateways', { type: 'ADDED', object: gateway('gateway-internal', 'Unknown', '11') });
  buffer.flush();

  assert.equal(updates, 1);
  const after = store.getState().results;
  assert.equal(after['gateways.programmed'].status, 'fail');
  assert.notEqual(after['gateways.programmed'], before['gateways.programmed']);
  // Checks that do not read Gateways keep their very objects, so their panels do not re-render.
  assert.equal(after['kopia.pvc-bound'], before['kopia.pvc-bound']);
  assert.equal(after['restores.copy-method'], before['restores.copy-method']);
});

test('an event with an unchanged resourceVersion changes nothing; a deletion is applied', () => {
  const store = freshStore();
  const buffer = new FeedBuffer(store, 1000);
  syncAll(buffer);
  buffer.event('gateways', { type: 'ADDED', object: gateway('gateway-external', 'True', '10') });
  buffer.flush();
  const objects = store.getState().objects;
  buffer.event('gateways', { type: 'MODIFIED', object: gateway('gateway-external', 'True', '10') });
  buffer.flush();
  assert.equal(store.getState().objects, objects);

  buffer.event('gateways', { type: 'DELETED', object: gateway('gateway-external', 'True', '12') });
  buffer.flush();
  assert.equal(store.getState().objects.gateways.size, 0);
});

test('5,000 watch events in one burst reach the store in parts of MAX_EVENTS_PER_COMMIT, and a key typed meanwhile is read between two parts', async () => {
  const store = freshStore();
  const buffer = new FeedBuffer(store, 20);
  syncAll(buffer);
  const batchesBefore = store.getState().batches;
  for (let i = 0; i < 5000; i++) {
    buffer.event('services', {
      type: 'ADDED',
      object: {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: `svc-${i}`, namespace: 'default', resourceVersion: String(100 + i) },
        spec: { type: 'ClusterIP' },
      },
    });
  }
  buffer.sync('services', { phase: 'retrying', detail: 'watch closed', since: 1 });
  // What a key does when it is read: note how much of the burst is in the store then.
  const seenByKey: number[] = [];
  const sizes: number[] = [];
  const unsubscribe = store.subscribe((state) => {
    sizes.push(state.objects.services.size);
    if (sizes.length === 1) setImmediate(() => seenByKey.push(store.getState().objects.services.size));
  });
  await until(() => store.getState().objects.services.size === 5000, 10_000, 'the burst applied');
  unsubscribe();
  const parts = Math.ceil(5000 / MAX_EVENTS_PER_COMMIT);
  assert.ok(parts > 1);
  assert.equal(store.getState().batches - batchesBefore, parts);
  assert.deepEqual(
    sizes,
    Array.from({ length: parts }, (_, i) => Math.min(5000, MAX_EVENTS_PER_COMMIT * (i + 1))),
  );
  assert.equal(seenByKey[0], MAX_EVENTS_PER_COMMIT, 'the key was read after the first part, before the rest was applied');
  // The sync state comes with the last part, not before the events it follows.
  assert.equal(store.getState().sync.services.phase, 'retrying');
  buffer.close();
});

test('an explicit flush still applies the whole burst in one update', () => {
  const store = freshStore();
  const buffer = new FeedBuffer(store, 60_000);
  syncAll(buffer);
  const batchesBefore = store.getState().batches;
  for (let i = 0; i < 1200; i++) {
    buffer.event('services', {
      type: 'ADDED',
      object: { apiVersion: 'v1', kind: 'Service', metadata: { name: `s${i}`, namespace: 'default', resourceVersion: String(i + 1) } },
    });
  }
  buffer.flush();
  assert.equal(store.getState().batches - batchesBefore, 1);
  assert.equal(store.getState().objects.services.size, 1200);
  buffer.close();
});

/** Polls until `done` holds, failing after `ms`. */
async function until(done: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) assert.fail(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

test('an isolated event reaches the store at once; the burst behind it waits for the interval, as one batch', async () => {
  const store = freshStore();
  const buffer = new FeedBuffer(store, 1000);
  const service = (name: string, rv: string): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: 'default', resourceVersion: rv },
  });
  const turn = () => new Promise((r) => setImmediate(r));
  const batches = store.getState().batches;
  buffer.event('services', { type: 'ADDED', object: service('a', '1') });
  await turn();
  // Not after the 1 s interval: in the same turn of the event loop.
  assert.equal(store.getState().objects.services.size, 1);
  assert.equal(store.getState().batches, batches + 1);
  buffer.event('services', { type: 'ADDED', object: service('b', '2') });
  buffer.event('services', { type: 'ADDED', object: service('c', '3') });
  await turn();
  assert.equal(store.getState().objects.services.size, 1, 'within the interval, a burst waits');
  await until(() => store.getState().objects.services.size === 3, 5000, 'the burst applied');
  assert.equal(store.getState().batches, batches + 2);
  buffer.close();
});

test('Secret values never reach the store', () => {
  const store = freshStore();
  const buffer = new FeedBuffer(store, 1000);
  buffer.reset('secrets', [
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'plex-volsync-secret', namespace: 'default' },
      data: { KOPIA_PASSWORD: 'c2VjcmV0' },
      stringData: { x: 'y' },
    } as KubeObject,
  ]);
  buffer.flush();
  const stored = store.getState().objects.secrets.get('default/plex-volsync-secret');
  assert.ok(stored);
  assert.equal(JSON.stringify(stored).includes('c2VjcmV0'), false);
  assert.equal('data' in stored, false);
});

test('the clock tick re-evaluates only the checks that depend on time', () => {
  const store = freshStore();
  const buffer = new FeedBuffer(store, 1000);
  syncAll(buffer);
  const before = store.getState().results;
  store.getState().tick(store.getState().now + 60_000);
  const after = store.getState().results;
  assert.equal(after['kopia.pvc-bound'], before['kopia.pvc-bound']);
});

test('a clock check is re-evaluated on a tick only once what it read of the clock changes', () => {
  const store = freshStore();
  const buffer = new FeedBuffer(store, 1000);
  syncAll(buffer);
  const start = store.getState().now;
  // Progressing since 9 minutes ago: stuck (not Ready for 10m) one minute from now.
  buffer.event('kustomizations', {
    type: 'ADDED',
    object: {
      apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
      kind: 'Kustomization',
      metadata: { name: 'apps', namespace: 'flux-system', resourceVersion: '1' },
      status: { conditions: [{ type: 'Ready', status: 'Unknown', reason: 'Progressing', lastTransitionTime: new Date(start - 9 * 60_000).toISOString() }] },
    },
  });
  buffer.flush();
  const stuck = () => store.getState().results['flux.stuck'];
  const waiting = stuck();
  assert.equal(waiting.status, 'pass');
  for (let s = 1; s <= 60; s++) store.getState().tick(start + s * 1000);
  assert.equal(stuck(), waiting, 'the same result object until the threshold passes');
  store.getState().tick(start + 61_000);
  assert.equal(stuck().status, 'fail');
  assert.match(stuck().summary, /not Ready for 10m/);
  const tenMinutes = stuck();
  store.getState().tick(start + 100_000);
  assert.equal(stuck(), tenMinutes, 'the age reads 10m until the next minute');
  store.getState().tick(start + 121_000);
  assert.match(stuck().summary, /not Ready for 11m/);
  // A clock set back (the demo's scenario restarted) is judged afresh.
  store.getState().tick(start);
  assert.equal(stuck().status, 'pass');
  buffer.close();
});

test('an object whose name is not text (JSON such as {"toString": 1}) does not stop the flush it came in', () => {
  const store = freshStore();
  const buffer = new FeedBuffer(store, 1000);
  syncAll(buffer);
  const broken = gateway('ignored', 'True', '7');
  broken.metadata = { ...broken.metadata, name: JSON.parse('{"toString": 1}') as string, namespace: JSON.parse('{"valueOf": 2}') as string };
  buffer.event('gateways', { type: 'ADDED', object: broken });
  buffer.event('gateways', { type: 'ADDED', object: gateway('gateway-external', 'True', '10') });
  assert.doesNotThrow(() => buffer.flush());
  assert.ok(store.getState().objects.gateways.has('network/gateway-external'));
});

test('a creation time that is not text does not break the header: the other Kustomizations still date Flux', async () => {
  const { fluxDeployedAt } = await import('../../src/store/selectors.js');
  const store = freshStore();
  const buffer = new FeedBuffer(store, 1000);
  syncAll(buffer);
  const namespace = store.getState().config.flux.namespace;
  const ks = (name: string, creationTimestamp: unknown): KubeObject => ({
    apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
    kind: 'Kustomization',
    metadata: { name, namespace, creationTimestamp: creationTimestamp as string },
  });
  buffer.reset('kustomizations', [ks('broken', JSON.parse('{"toString": 1}')), ks('apps', '2026-11-26T02:40:00Z')]);
  buffer.flush();
  assert.equal(fluxDeployedAt(store.getState()), Date.parse('2026-11-26T02:40:00Z'));
});

test('when Flux was deployed follows the Kustomizations as they change, though worked out once per listing', () => {
  const store = freshStore();
  const buffer = new FeedBuffer(store, 60_000);
  syncAll(buffer);
  const ks = (name: string, created: string, rv: string): KubeObject => ({
    apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
    kind: 'Kustomization',
    metadata: { name, namespace: 'flux-system', resourceVersion: rv, creationTimestamp: created },
  });
  buffer.event('kustomizations', { type: 'ADDED', object: ks('apps', '2026-11-26T02:10:00Z', '1') });
  buffer.flush();
  assert.equal(fluxDeployedAt(store.getState()), Date.parse('2026-11-26T02:10:00Z'));
  assert.equal(fluxDeployedAt(store.getState()), Date.parse('2026-11-26T02:10:00Z'));
  buffer.event('kustomizations', { type: 'ADDED', object: ks('flux-system', '2026-11-26T02:00:00Z', '2') });
  buffer.flush();
  assert.equal(fluxDeployedAt(store.getState()), Date.parse('2026-11-26T02:00:00Z'));
  buffer.event('kustomizations', { type: 'DELETED', object: ks('flux-system', '2026-11-26T02:00:00Z', '3') });
  buffer.flush();
  assert.equal(fluxDeployedAt(store.getState()), Date.parse('2026-11-26T02:10:00Z'));
  buffer.close();
});
