/**
 * drdeck's watchers against a real kube-apiserver: changes reach the store quickly; an API server
 * outage and a forced 410 Gone leave the store exactly like the server afterwards.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { after, before, test } from 'node:test';
import { compactEtcd, restartApiServer, startApiServer, stopApiServer } from '../cluster/cluster.js';
import { KIND_KEYS } from '../../src/kinds.js';
import {
  adminClient,
  CAN_RUN,
  createNamespace,
  kubeconfigVariant,
  liveSession,
  serverObjects,
  service,
  skipWithoutGo,
  startE2eCluster,
  startProxy,
  syncExcept,
  storeObjects,
  waitFor,
} from './harness.js';

let env: Awaited<ReturnType<typeof startE2eCluster>> | undefined;
before(async () => {
  if (CAN_RUN) env = await startE2eCluster('watch');
});
after(async () => {
  await env?.stop();
});

const allSynced = (session: ReturnType<typeof liveSession>) => KIND_KEYS.every((kind) => session.store.getState().sync[kind].phase === 'synced');

test('a change on the server reaches the store within one second', async (t) => {
  if (skipWithoutGo(t)) return;
  const { cluster } = env!;
  const admin = adminClient(cluster.kubeconfig);
  const session = liveSession(cluster.kubeconfig);
  try {
    await createNamespace(cluster.kubeconfig, 'latency');
    await waitFor(
      'every kind synced',
      () => allSynced(session),
      10_000,
      () => syncExcept(session, 'synced'),
    );
    const services = () => session.store.getState().objects.services;
    const timings: Record<string, number> = {};
    const timed = async (what: string, write: () => Promise<unknown>, seen: () => boolean) => {
      const start = performance.now();
      await write();
      await waitFor(what, seen, 1000);
      timings[what] = Math.round(performance.now() - start);
    };
    await timed(
      'create',
      () => admin.create('services', service('latency', 'web')),
      () => services().has('latency/web'),
    );
    await timed(
      'patch',
      () => admin.patch('services', 'latency', 'web', { metadata: { labels: { tier: 'front' } } }, 'merge'),
      () => services().get('latency/web')?.metadata.labels?.tier === 'front',
    );
    await timed(
      'delete',
      () => admin.delete('services', 'latency', 'web'),
      () => !services().has('latency/web'),
    );
    t.diagnostic(`write-to-store latency (ms, the feed buffer's flush included): ${JSON.stringify(timings)}`);
  } finally {
    session.close();
    admin.close();
  }
});

test('an API server outage: retrying while it is down, then the store matches the server', async (t) => {
  if (skipWithoutGo(t)) return;
  const { cluster } = env!;
  const admin = adminClient(cluster.kubeconfig);
  const session = liveSession(cluster.kubeconfig);
  let stopped = false;
  try {
    await createNamespace(cluster.kubeconfig, 'outage');
    await admin.create('services', service('outage', 'keep'));
    await admin.create('services', service('outage', 'doomed'));
    await waitFor('both Services in the store', () => storeObjects(session, 'services', 'outage').size === 2);

    await stopApiServer(cluster.dir);
    stopped = true;
    // The open watch breaks first (connection reset); the next attempt finds nobody listening.
    const down = await waitFor(
      'services retrying: connection refused',
      () => {
        const sync = session.store.getState().sync.services;
        return sync.phase === 'retrying' && /connection refused/.test(sync.detail ?? '') && sync;
      },
      15_000,
    );
    assert.match(down.detail ?? '', /^connection refused by 127\.0\.0\.1:\d+: GET \/api\/v1\/services; retrying in \d+ s$/);
    assert.ok(down.since && down.since <= Date.now(), 'says since when the data is stale');
    assert.deepEqual([...storeObjects(session, 'services', 'outage').keys()].sort(), ['doomed', 'keep'], 'the last known data stays');

    await startApiServer(cluster.dir);
    stopped = false;
    // Written at once, while drdeck is still backing off.
    await admin.create('services', service('outage', 'born'));
    await admin.delete('services', 'outage', 'doomed');
    await waitFor(
      'every kind synced again',
      () => allSynced(session),
      30_000,
      () => syncExcept(session, 'synced'),
    );
    await waitFor('the store matches the server', async () => {
      const server = await serverObjects(admin, 'services', 'outage');
      const store = storeObjects(session, 'services', 'outage');
      return JSON.stringify([...server].sort()) === JSON.stringify([...store].sort());
    });
    assert.deepEqual([...storeObjects(session, 'services', 'outage').keys()].sort(), ['born', 'keep']);
  } finally {
    session.close();
    admin.close();
    if (stopped) await startApiServer(cluster.dir);
  }
});

test('a watch forced into 410 Gone by etcd compaction relists: no duplicate, no lost deletion', async (t) => {
  if (skipWithoutGo(t)) return;
  const { cluster } = env!;
  const admin = adminClient(cluster.kubeconfig);
  const proxy = await startProxy(cluster.state.ports.apiserver);
  const kubeconfig = kubeconfigVariant(cluster.kubeconfig, join(cluster.dir, 'kubeconfig-proxy'), { server: `https://127.0.0.1:${proxy.port}` });
  const session = liveSession(kubeconfig);
  try {
    await createNamespace(cluster.kubeconfig, 'gone');
    for (const name of ['a', 'b', 'c']) await admin.create('services', service('gone', name));
    await waitFor('three Services in the store', () => storeObjects(session, 'services', 'gone').size === 3);
    const before = storeObjects(session, 'services', 'gone');

    // drdeck loses the server; meanwhile b is deleted, c is deleted and created again (new uid), d
    // is created, then etcd forgets the history and the API server's watch cache starts afresh.
    proxy.setMode('reject');
    await waitFor('services retrying', () => session.store.getState().sync.services.phase === 'retrying', 15_000);
    await admin.delete('services', 'gone', 'b');
    await admin.delete('services', 'gone', 'c');
    await admin.create('services', service('gone', 'c'));
    await admin.create('services', service('gone', 'd'));
    await compactEtcd(cluster.dir);
    await restartApiServer(cluster.dir);
    proxy.setMode('pass');

    await waitFor(
      'services relisted after 410',
      () => session.logs.some((line) => /^services: 410 Gone \(too old resource version.*\), relisting$/.test(line)),
      30_000,
    );
    await waitFor(
      'every kind synced again',
      () => allSynced(session),
      30_000,
      () => syncExcept(session, 'synced'),
    );
    await waitFor('the store matches the server', async () => {
      const server = await serverObjects(admin, 'services', 'gone');
      const store = storeObjects(session, 'services', 'gone');
      return JSON.stringify([...server].sort()) === JSON.stringify([...store].sort());
    });
    const after = storeObjects(session, 'services', 'gone');
    assert.deepEqual([...after.keys()].sort(), ['a', 'c', 'd']);
    assert.equal(after.get('a'), before.get('a'));
    assert.notEqual(after.get('c'), before.get('c'), 'c is the new object, not the deleted one');
    // The 410 relists at once. Why one back-off may still show: right after the restart the API
    // server's watch cache can refuse the very resourceVersion the fresh list returned; the watcher
    // then backs off once (rather than loop list/410) — seen on a loaded 2-core CI machine.
    const backoffs = session.logs.filter((line) => /^services: too old resource version.*retrying/.test(line)).length;
    assert.ok(backoffs <= 1, `relisted at once, at most one back-off (saw ${backoffs})`);
    t.diagnostic(session.logs.filter((line) => line.startsWith('services:')).join('\n'));
  } finally {
    session.close();
    admin.close();
    await proxy.close();
  }
});
