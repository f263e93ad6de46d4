/**
 * When the session reviews the fixes' access: not while a kind is still in its first LIST (the
 * plans would be thrown away when it lands), and a second after the last kind arrives.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Cluster, FeedSink, KubeObject, SyncState } from '../../src/cluster.js';
import { parseConfig } from '../../src/config/load.js';
import type { KindKey } from '../../src/kinds.js';
import { startSession } from '../../src/session.js';
import { createDemoCluster } from '../../src/sim/index.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('the access review waits for every kind’s first LIST, then asks a second after the last one lands', async () => {
  const demo = createDemoCluster({ manual: true });
  // The demo's cluster, with the Services' LIST held back until `land` and every access question counted.
  let asked = 0;
  const held: { items?: KubeObject[]; state?: SyncState; sink?: FeedSink } = {};
  const cluster: Cluster = Object.assign(Object.create(demo.cluster) as Cluster, {
    feed(kinds: readonly KindKey[], sink: FeedSink) {
      held.sink = sink;
      return demo.cluster.feed(kinds, {
        reset: (kind, items) => (kind === 'services' && !held.state ? (held.items = items) : sink.reset(kind, items)),
        event: (kind, event) => sink.event(kind, event),
        sync: (kind, state) => (kind === 'services' && state.phase !== 'connecting' && !held.state ? (held.state = state) : sink.sync(kind, state)),
      });
    },
    access(...args: Parameters<Cluster['access']>) {
      asked++;
      return demo.cluster.access(...args);
    },
  });
  const land = () => {
    held.sink!.reset('services', held.items ?? []);
    held.sink!.sync('services', held.state!);
  };
  const session = startSession({
    cluster,
    resolver: demo.dns,
    router: demo.router,
    config: parseConfig(demo.config, 'demo'),
    flushMs: 5,
    fixes: { readOnly: false, audit: () => {} },
  });
  try {
    await sleep(2_500);
    const state = session.store.getState();
    assert.equal(state.sync.services.phase, 'connecting');
    assert.ok(state.sync.helmreleases.phase === 'synced' && state.sync.replicationdestinations.phase === 'synced', 'the other kinds are in');
    assert.equal(asked, 0, 'no access asked while the Services are still listing');
    assert.deepEqual(state.fixAccess, {});

    land();
    const landed = Date.now();
    while (asked === 0 && Date.now() - landed < 5_000) await sleep(50);
    assert.ok(asked > 0, 'the review asked once every kind was in');
    assert.ok(Date.now() - landed < 2_500, `the review came ${Date.now() - landed} ms after the last kind`);
    while (Object.keys(session.store.getState().fixAccess).length === 0 && Date.now() - landed < 5_000) await sleep(50);
    assert.ok(Object.keys(session.store.getState().fixAccess).length > 0, 'the review answered');
  } finally {
    session.close();
    demo.cluster.close();
  }
});
