/**
 * Recovery in the store: a server that stopped answering is said with since when (header, every
 * panel, next step); the retry key reaches the session; fixes the access review refused are left out
 * of the help bar and the next step, while their key still says why, whole.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { PANELS } from '../../src/checks/types.js';
import { connect } from '../../src/commands/connect.js';
import { defaultConfig } from '../../src/config/schema.js';
import { KIND_KEYS } from '../../src/kinds.js';
import { waitForSync } from '../../src/session.js';
import { createDeckStore } from '../../src/store/deck-store.js';
import { FeedBuffer } from '../../src/store/feed-buffer.js';
import { ALL_FIXES } from '../../src/fixes/index.js';
import { barFixes, offeredFixes, refusalText } from '../../src/store/fixes-slice.js';
import { headerStatus, nextStepLine, panelSyncNote } from '../../src/store/selectors.js';

const T0 = Date.parse('2026-11-26T03:00:00Z');

test('a server that stopped answering: the header, every panel and the next step say so with since when; answered, they do not', () => {
  const store = createDeckStore({ config: defaultConfig(), clusterName: 'home', server: 'https://10.0.0.1:6443', now: T0 });
  const buffer = new FeedBuffer(store, 1000);
  for (const kind of KIND_KEYS) buffer.reset(kind, []);
  for (const kind of KIND_KEYS) buffer.sync(kind, { phase: 'synced', since: T0 });
  buffer.sync('dns', { phase: 'synced', detail: 'asked 10.0.0.1' });
  buffer.flush();
  for (const panel of PANELS) assert.equal(panelSyncNote(store.getState(), panel), '', panel);

  store.setState({ serverSilentSince: T0 + 5_000 });
  const state = store.getState();
  assert.equal(headerStatus(state), 'the API server https://10.0.0.1:6443 stopped answering since 03:00:05');
  assert.equal(headerStatus(state, 50), 'the API server stopped answering since 03:00:05');
  assert.equal(headerStatus(state, 35), 'API server silent since 03:00:05');
  for (const panel of PANELS) assert.equal(panelSyncNote(state, panel), 'the API server https://10.0.0.1:6443 stopped answering since 03:00:05', panel);
  assert.match(nextStepLine(state), /^Next: the API server https:\/\/10\.0\.0\.1:6443 stopped answering since 03:00:05: .*Ctrl-R retries now/);

  store.setState({ serverSilentSince: undefined });
  assert.doesNotMatch(headerStatus(store.getState()), /stopped answering/);
  for (const panel of PANELS) assert.equal(panelSyncNote(store.getState(), panel), '', panel);
});

test('the retry key reaches the session, on every screen and on the confirm screen too', () => {
  let retries = 0;
  const store = createDeckStore({ config: defaultConfig(), clusterName: 'home', now: T0, retryNow: () => retries++ });
  store.getState().dispatch({ type: 'retry' });
  store.setState({ screen: 'detail' });
  store.getState().dispatch({ type: 'retry' });
  store.setState({ confirming: { fixId: 'kopia-reclaim', typed: '' } });
  store.getState().dispatch({ type: 'retry' });
  assert.equal(retries, 3);
});

/** The demo at its start (time frozen), with fixes on, audited to a temporary folder. */
async function demo() {
  const stateDir = mkdtempSync(join(tmpdir(), 'drdeck-access-'));
  const config = join(stateDir, 'drdeck.yaml');
  writeFileSync(config, '# empty\n');
  const connected = await connect({ demo: true, manual: true, stateDir, config, flushMs: 5 });
  await waitForSync(connected.session, 5_000);
  connected.session.buffer.flush();
  return {
    ...connected,
    close() {
      connected.session.close();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

const FLUX_KINDS = ['kustomizations', 'helmreleases', 'helmcharts', 'gitrepositories', 'ocirepositories', 'helmrepositories'];

test('fixes the access review refuses: out of the help bar and the next step; their key still answers, with every missing permission', async () => {
  const { session, demo: sim, close } = await demo();
  const { store } = session;
  try {
    assert.match(nextStepLine(store.getState()), /^Next: \[R\] reconcile stuck on Flux · /);
    assert.deepEqual(barFixes(store.getState(), 'flux'), ['flux-reconcile', 'flux-reconcile-stuck']);

    for (const kind of FLUX_KINDS) sim!.cluster.denied.add(`patch ${kind}`);
    await store.getState().reviewAccess();
    const state = store.getState();
    assert.deepEqual(state.fixAccess['flux-reconcile-stuck'], {
      allowed: false,
      missing: ['needs patch on helmcharts.source.toolkit.fluxcd.io in ceph-csi', 'needs patch on helmreleases.helm.toolkit.fluxcd.io in ceph-csi'],
    });
    assert.deepEqual(barFixes(state, 'flux'), [], 'neither r nor R in the help bar');
    assert.deepEqual(offeredFixes(state, 'flux'), ['flux-reconcile', 'flux-reconcile-stuck'], 'the keys still answer');
    assert.match(nextStepLine(state), /^Next: Wait for the infrastructure/, 'no [R]');
    assert.equal(
      refusalText(state, 'flux-reconcile-stuck'),
      'not allowed: needs patch on helmcharts.source.toolkit.fluxcd.io in ceph-csi; needs patch on helmreleases.helm.toolkit.fluxcd.io in ceph-csi',
    );
    assert.deepEqual(barFixes(state, 'kopia'), ['kopia-reclaim'], 'the other panels keep theirs');

    // The key pressed anyway: refused, with the same words, and nothing sent.
    await store.getState().requestFix('flux-reconcile-stuck');
    assert.equal(store.getState().fixes['flux-reconcile-stuck']?.phase, 'refused');
    assert.equal(store.getState().fixes['flux-reconcile-stuck']?.message, refusalText(state, 'flux-reconcile-stuck'));

    // RBAC fixed: the next review offers them again, and the old refusal is no longer said.
    sim!.cluster.denied.clear();
    await store.getState().reviewAccess();
    assert.deepEqual(barFixes(store.getState(), 'flux'), ['flux-reconcile', 'flux-reconcile-stuck']);
    assert.equal(refusalText(store.getState(), 'flux-reconcile-stuck'), undefined);
    assert.match(nextStepLine(store.getState()), /^Next: \[R\] reconcile stuck/);
  } finally {
    close();
  }
});

test('a refusal from a key pressed before any review counts as the review; a review that cannot ask keeps what was known', async () => {
  const { session, demo: sim, close } = await demo();
  const { store } = session;
  try {
    sim!.cluster.denied.add('patch persistentvolumeclaims');
    sim!.cluster.denied.add('delete persistentvolumeclaims');
    await store.getState().requestFix('kopia-reclaim');
    assert.equal(store.getState().fixAccess['kopia-reclaim']?.allowed, false);
    assert.deepEqual(barFixes(store.getState(), 'kopia'), []);

    const access = sim!.cluster.access.bind(sim!.cluster);
    sim!.cluster.access = () => Promise.reject(new Error('timed out after 10 s: POST /apis/authorization.k8s.io/v1/selfsubjectaccessreviews'));
    const before = store.getState().fixAccess;
    await store.getState().reviewAccess();
    assert.equal(store.getState().fixAccess, before, 'unchanged, not cleared');
    sim!.cluster.access = access;
  } finally {
    close();
  }
});

test('a review while nothing changed asks the server again without planning again; a change plans at once', async () => {
  const { session, demo: sim, close } = await demo();
  const { store } = session;
  const planned: string[] = [];
  const plans = new Map(ALL_FIXES.map((fix) => [fix, fix.plan]));
  for (const [fix, plan] of plans) fix.plan = (...args) => (planned.push(fix.id), plan.apply(fix, args));
  let asked = 0;
  const access = sim!.cluster.access.bind(sim!.cluster);
  sim!.cluster.access = (...args) => (asked++, access(...args));
  try {
    await store.getState().reviewAccess();
    const first = planned.length;
    assert.ok(first > 0 && asked > 0, `planned ${first}, asked ${asked}`);

    // RBAC taken away while no object moved: the next review says so, from the plans it kept.
    const askedBefore = asked;
    for (const kind of FLUX_KINDS) sim!.cluster.denied.add(`patch ${kind}`);
    await store.getState().reviewAccess();
    assert.equal(planned.length, first, 'no fix planned again');
    assert.ok(asked > askedBefore, 'the server was asked again');
    assert.equal(store.getState().fixAccess['flux-reconcile-stuck']?.allowed, false);

    // Any object changed: planned again at once.
    store.setState({ objects: { ...store.getState().objects } });
    await store.getState().reviewAccess();
    assert.ok(planned.length > first, 'planned again');
  } finally {
    for (const [fix, plan] of plans) fix.plan = plan;
    sim!.cluster.access = access;
    close();
  }
});

test('a review plans one fix per turn of the event loop: what was typed meanwhile is read between two plans', async () => {
  const { session, close } = await demo();
  const { store } = session;
  const planned: string[] = [];
  const plans = new Map(ALL_FIXES.map((fix) => [fix, fix.plan]));
  for (const [fix, plan] of plans) fix.plan = (...args) => (planned.push(fix.id), plan.apply(fix, args));
  try {
    const review = store.getState().reviewAccess();
    const seen: number[] = [];
    // Input read by the event loop while the review runs, as a key would be.
    await new Promise<void>((resolve) => setImmediate(() => (seen.push(planned.length), resolve())));
    await review;
    assert.ok(planned.length >= 3, `planned ${planned.join(', ')}`);
    assert.ok(seen[0] < planned.length, `the event loop turned only after all ${planned.length} plans`);
  } finally {
    for (const [fix, plan] of plans) fix.plan = plan;
    close();
  }
});

test("the help bar's fixes: their targets are walked again after 10 s only when an object or a result changed meanwhile", async () => {
  const { session, close } = await demo();
  const walked: string[] = [];
  const saved = ALL_FIXES.map((fix) => ({ fix, targets: fix.targets, hasTargets: fix.hasTargets }));
  for (const { fix, targets, hasTargets } of saved) {
    fix.targets = (...args) => (walked.push(fix.id), targets.apply(fix, args));
    if (hasTargets) fix.hasTargets = (...args) => (walked.push(fix.id), hasTargets.apply(fix, args));
  }
  try {
    const state = session.store.getState();
    assert.deepEqual(offeredFixes(state, 'flux'), ['flux-reconcile', 'flux-reconcile-stuck']);
    assert.ok(walked.length > 0);
    const count = walked.length;
    // A moment well inside a later 10 s of the clock.
    const later = { ...state, now: Math.floor(state.now / 10_000) * 10_000 + 21_000 };
    assert.deepEqual(offeredFixes(later, 'flux'), ['flux-reconcile', 'flux-reconcile-stuck']);
    assert.equal(walked.length, count, 'nothing changed: nothing walked');
    assert.deepEqual(offeredFixes({ ...later, results: { ...state.results } }, 'flux'), ['flux-reconcile', 'flux-reconcile-stuck']);
    assert.ok(walked.length > count, 'a result changed: walked again');
    const again = walked.length;
    offeredFixes({ ...later, now: later.now + 5_000, objects: { ...state.objects } }, 'flux');
    assert.equal(walked.length, again, 'an object changed within the same 10 s: not yet');
    offeredFixes({ ...later, now: later.now + 10_000, objects: { ...state.objects } }, 'flux');
    assert.ok(walked.length > again, 'and in the next 10 s: walked');
  } finally {
    for (const { fix, targets, hasTargets } of saved) Object.assign(fix, { targets, hasTargets });
    close();
  }
});
