/** The views slice on a fresh store with a fake ObjectViews: what the keys do to an open logs view. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LogHandler, ObjectViews } from '../../src/cluster.js';
import { defaultConfig } from '../../src/config/schema.js';
import { keyMode } from '../../src/hooks/use-keys.js';
import { createDeckStore, type DeckStore } from '../../src/store/deck-store.js';
import { resolveKey } from '../../src/store/keys.js';

function press(store: DeckStore, ...keys: string[]): void {
  for (const k of keys) {
    const state = store.getState();
    state.dispatch(resolveKey(k === 'esc' ? '' : k, k === 'esc' ? { escape: true } : {}, keyMode(state)));
  }
}

const until = async (what: string, probe: () => boolean) => {
  for (const deadline = Date.now() + 10_000; !probe();) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

function deck(): { store: DeckStore; handlers: LogHandler[]; stopped: () => number } {
  const handlers: LogHandler[] = [];
  let stops = 0;
  const views: ObjectViews = {
    object: async (_kind, namespace, name) => ({ kind: 'Deployment', metadata: { name, namespace } }),
    events: () => () => {},
    logSources: async () => ({
      sources: [{ namespace: 'apps', pod: 'web-1', container: 'app', containers: ['app', 'sidecar'], why: 'pod of Deployment apps/web', restarts: 2 }],
      notes: [],
    }),
    log: (_source, _options, handler) => {
      handlers.push(handler);
      return () => stops++;
    },
  };
  const store = createDeckStore({ config: defaultConfig(), clusterName: 'test', now: Date.now(), views });
  store.setState({ screen: 'detail', focus: 'gateways' });
  store.getState().setLayout({ selection: 'Deployment/apps/web' });
  return { store, handlers, stopped: () => stops };
}

test('logs: k stops autoscroll one row above the end, G resumes it, f toggles it; c and p reopen the stream; Esc stops it', async () => {
  const { store, handlers, stopped } = deck();
  press(store, 'l');
  await until('the stream', () => handlers.length === 1);
  handlers[0].lines(Array.from({ length: 100 }, (_, i) => `line ${i}`));
  await until('the lines', () => (store.getState().view?.lines.length ?? 0) === 100);
  const rows = store.getState().view!.head.length + 100;
  store.getState().setViewPage(10, rows);
  assert.equal(store.getState().view!.follow, true);
  press(store, 'k');
  assert.equal(store.getState().view!.follow, false, 'scrolling up stops autoscroll');
  assert.equal(store.getState().view!.top, rows - 10 - 1, 'one row above the end, not the top');
  press(store, 'G');
  assert.equal(store.getState().view!.follow, true);
  press(store, 'f');
  assert.equal(store.getState().view!.follow, false);
  assert.equal(store.getState().view!.top, rows - 10, 'stays at the end it was drawn at');

  press(store, 'c');
  await until('the sidecar', () => handlers.length === 2);
  assert.equal(stopped(), 1, 'the first stream ended');
  assert.match(store.getState().view!.head.at(-1)!, /── log of pod apps\/web-1 \(sidecar, restarted 2x\)/);
  // The stopped stream ending late must not overwrite the new one.
  handlers[0].end();
  assert.equal(store.getState().view!.status.startsWith('the log ended'), false);
  press(store, 'p');
  await until('the previous container', () => handlers.length === 3);
  assert.match(store.getState().view!.head.at(-1)!, /── log of the previous pod/);
  press(store, 'esc');
  assert.equal(store.getState().view, null);
  assert.equal(stopped(), 3, 'closing ends the stream');
  assert.equal(store.getState().screen, 'detail');
});

test('y with no object selected, or on a line that is not a Kubernetes object: one line, no view', () => {
  const { store } = deck();
  store.getState().setLayout({ selection: undefined });
  press(store, 'y');
  assert.equal(store.getState().view, null);
  assert.match(store.getState().commandMessage, /select an object's line first/);
  store.getState().setLayout({ selection: 'DNS/emby.example.com' });
  press(store, 'e');
  assert.equal(store.getState().view, null);
  assert.match(store.getState().commandMessage, /DNS is not a Kubernetes object/);
});
