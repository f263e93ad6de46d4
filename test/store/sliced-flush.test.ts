/**
 * The timed flush evaluates a batch's checks in slices with a turn of the event loop between them
 * (a key is read before the batch commits), then commits it in one store update; an explicit
 * flush() stays synchronous. Over 20,000 objects, where one batch's checks take tens of ms.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadedStore, touched } from '../../bench/run.js';
import type { KubeObject } from '../../src/cluster.js';
import type { KindKey } from '../../src/kinds.js';
import { objectKey } from '../../src/records.js';
import type { DeckState, DeckStore } from '../../src/store/deck-store.js';
import { FeedBuffer } from '../../src/store/feed-buffer.js';

const MINUTE = 60_000;

/** A PVC no RD restores, not Bound: the "Other PVCs Bound" check names it. */
function pendingClaim(name: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name, namespace: 'ns-1', resourceVersion: 'late-1', uid: `uid-${name}` },
    spec: { storageClassName: 'ceph-block' },
    status: { phase: 'Pending' },
  };
}

/** A Kustomization not Ready since `since`: stuck once the clock passes flux.stuckAfterMinutes (10). */
function progressing(name: string, since: number): KubeObject {
  return {
    apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
    kind: 'Kustomization',
    metadata: { name, namespace: 'flux-system', resourceVersion: 'late-1', uid: `uid-${name}`, generation: 1 },
    spec: { path: `./kubernetes/apps/${name}` },
    status: {
      observedGeneration: 1,
      conditions: [
        { type: 'Ready', status: 'False', reason: 'Progressing', message: 'Reconciliation in progress', lastTransitionTime: new Date(since).toISOString() },
      ],
    },
  };
}

/**
 * 20,000 objects synced, a Kustomization not Ready yet (not stuck), and a timed buffer. `events`
 * touches one object of every non-Flux kind and adds a pending PVC: a batch whose checks take
 * tens of ms, none of which is flux.stuck.
 */
function setup() {
  const { store, buffer: loader, objects } = loadedStore(20_000);
  const now = store.getState().now;
  loader.event('kustomizations', { type: 'ADDED', object: progressing('late-app', now) });
  loader.flush();
  loader.close();
  const buffer = new FeedBuffer(store, 20);
  const firsts = new Map<KindKey, KubeObject>();
  for (const { kind, object } of objects) if (kind !== 'kustomizations' && kind !== 'helmreleases' && !firsts.has(kind)) firsts.set(kind, object);
  const claim = pendingClaim('late-claim');
  let rv = 0;
  const events = (withClaim = true) => {
    rv++;
    for (const [kind, object] of firsts) buffer.event(kind, { type: 'MODIFIED', object: touched(object, rv) });
    if (withClaim) buffer.event('persistentvolumeclaims', { type: 'ADDED', object: claim });
  };
  return { store, buffer, events, claimKey: objectKey(claim), now, service: objectKey(firsts.get('services')!) };
}

/** The claim is in the store's objects, and the check that reads them names it. */
function claimSeen(state: DeckState, key: string): { inObjects: boolean; inResults: boolean } {
  return { inObjects: state.objects.persistentvolumeclaims.has(key), inResults: JSON.stringify(state.results['restores.other-pvcs']).includes('late-claim') };
}

/** Runs `then` on the next turn of the event loop after the buffer starts evaluating a batch. */
function onBatchStart(store: DeckStore, then: () => void): void {
  const batchSteps = store.getState().batchSteps;
  let armed = true;
  store.setState({
    batchSteps(batch) {
      if (armed) setImmediate(then);
      armed = false;
      return batchSteps(batch);
    },
  });
}

test('a timed flush lets a key in before its batch commits, commits objects and results in one update, and keeps a tick made meanwhile', async () => {
  const { store, buffer, events, claimKey, now } = setup();
  const before = store.getState();
  assert.notEqual(before.results['flux.stuck'].status, 'fail', 'the Kustomization is not stuck yet');
  assert.deepEqual(claimSeen(before, claimKey), { inObjects: false, inResults: false });

  const later = now + 11 * MINUTE;
  let keyRead: { batches: number } | undefined;
  onBatchStart(store, () => {
    // A key (focus the Kopia panel) and the 1 Hz clock, while the batch is being evaluated.
    keyRead = { batches: store.getState().batches };
    store.getState().dispatch({ type: 'focus', direction: 'down' });
    store.getState().tick(later);
  });
  // Every store update as a screen would see it.
  const seen: Array<{ inObjects: boolean; inResults: boolean; batches: number }> = [];
  store.subscribe((state) => seen.push({ ...claimSeen(state, claimKey), batches: state.batches }));
  events();
  await until(() => store.getState().batches > before.batches && keyRead !== undefined, 20_000, 'the batch committed and the key read');

  assert.ok(keyRead, 'the key was read');
  assert.equal(keyRead.batches, before.batches, 'the key was read before the batch committed');
  const after = store.getState();
  // One store update for the batch, after the key's and the tick's, with objects and results together.
  assert.equal(after.batches, before.batches + 1);
  assert.deepEqual(seen.at(-1), { inObjects: true, inResults: true, batches: before.batches + 1 });
  assert.ok(
    seen.every((s) => s.inObjects === s.inResults),
    `no update shows the new objects with the old results: ${JSON.stringify(seen)}`,
  );
  assert.equal(seen.filter((s) => s.inObjects).length, 1);
  // What happened in between is kept: the key's focus, the tick's clock and its verdict on a check the batch did not evaluate.
  assert.notEqual(after.focus, before.focus);
  assert.equal(after.now, later);
  assert.equal(after.results['flux.stuck'].status, 'fail', after.results['flux.stuck'].summary);

  // What comes after still has its timed flush (each one evaluated in slices too).
  for (const batch of [2, 3]) {
    events(false);
    await until(() => store.getState().batches === before.batches + batch, 20_000, `timed batch ${batch} committed`);
  }
  buffer.close();
});

test('an explicit flush stays synchronous, and finishes a timed flush still being evaluated first', async () => {
  const { store, buffer, events, claimKey, service } = setup();
  const before = store.getState().batches;
  const touchedBefore = store.getState().objects.services;

  // Alone: the batch and its results are in the store when flush() returns.
  events();
  buffer.flush();
  assert.deepEqual(claimSeen(store.getState(), claimKey), { inObjects: true, inResults: true });
  assert.equal(store.getState().batches, before + 1);
  assert.notEqual(store.getState().objects.services, touchedBefore);

  // During a timed flush: flush() commits that batch, then what came after it, before it returns.
  let flushed: { during: number; after: number; claim: ReturnType<typeof claimSeen> } | undefined;
  onBatchStart(store, () => {
    const during = store.getState().batches;
    buffer.event('persistentvolumeclaims', { type: 'DELETED', object: pendingClaim('late-claim') });
    buffer.flush();
    flushed = { during, after: store.getState().batches, claim: claimSeen(store.getState(), claimKey) };
  });
  events(false);
  await until(() => flushed !== undefined, 20_000, 'the explicit flush ran');
  assert.deepEqual(flushed, { during: before + 1, after: before + 3, claim: { inObjects: false, inResults: false } });
  assert.equal(store.getState().objects.services.get(service)?.metadata?.resourceVersion, 't2');
  buffer.close();
});

test('a buffer closed while a timed flush is being evaluated commits nothing', async () => {
  const { store, buffer, events, claimKey } = setup();
  const before = store.getState().batches;
  let closedAt: number | undefined;
  onBatchStart(store, () => {
    buffer.close();
    closedAt = store.getState().batches;
  });
  events();
  await until(() => closedAt !== undefined, 20_000, 'the buffer closed');
  assert.equal(closedAt, before, 'closed before the commit');
  // Why turns and not a time: the evaluation goes on only on a turn of the event loop (setImmediate).
  for (let i = 0; i < 50; i++) await new Promise((r) => setImmediate(r));
  assert.equal(store.getState().batches, before);
  assert.deepEqual(claimSeen(store.getState(), claimKey), { inObjects: false, inResults: false });
});

/** Polls until `done` holds, failing after `ms`. */
async function until(done: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
