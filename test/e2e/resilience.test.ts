/**
 * When the API server misbehaves: one that stops answering (a TCP proxy that black-holes the
 * connection) must not hang anything and is said to have stopped answering, and a kind whose CRD is
 * removed says "not installed" while the rest keeps working, until the CRD is back.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { after, before, test } from 'node:test';
import { ApiextensionsV1Api } from '@kubernetes/client-node';
import { apiClient } from '../cluster/client.js';
import { installCrds } from '../cluster/cluster.js';
import { ClusterError } from '../../src/cluster.js';
import { KIND_KEYS } from '../../src/kinds.js';
import {
  adminClient,
  CAN_RUN,
  FAST_WATCH,
  kubeconfigVariant,
  liveSession,
  service,
  skipWithoutGo,
  startE2eCluster,
  startProxy,
  syncExcept,
  waitFor,
} from './harness.js';

let env: Awaited<ReturnType<typeof startE2eCluster>> | undefined;
before(async () => {
  if (CAN_RUN) env = await startE2eCluster('resilience');
});
after(async () => {
  await env?.stop();
});

/** Handles that keep Node's event loop alive, by type (timers, sockets). */
function handles(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const type of process.getActiveResourcesInfo()) counts[type] = (counts[type] ?? 0) + 1;
  return counts;
}

test('an API server that stops answering: every request ends within its timeout, the watches go retrying, nothing hangs', async (t) => {
  if (skipWithoutGo(t)) return;
  const { cluster } = env!;
  const proxy = await startProxy(cluster.state.ports.apiserver);
  const kubeconfig = kubeconfigVariant(cluster.kubeconfig, join(cluster.dir, 'kubeconfig-blackhole'), { server: `https://127.0.0.1:${proxy.port}` });
  const baseline = handles();
  const session = liveSession(kubeconfig, { requestTimeoutMs: 1500, watch: { ...FAST_WATCH, staleMs: 3000 } });
  try {
    const sync = () => session.store.getState().sync;
    await waitFor(
      'every kind synced',
      () => KIND_KEYS.every((k) => sync()[k].phase === 'synced'),
      10_000,
      () => syncExcept(session, 'synced'),
    );
    // Synced means listed; an event through the proxy shows that the Services watch is open too.
    const admin = adminClient(cluster.kubeconfig);
    await admin.create('services', service('default', 'watch-is-open'));
    admin.close();
    await waitFor('the Services watch open', () => session.store.getState().objects.services.has('default/watch-is-open'));

    proxy.setMode('blackhole');
    const started = performance.now();
    await assert.rejects(session.kube.list('services'), (error: unknown) => {
      assert.ok(error instanceof ClusterError);
      assert.equal(error.message, 'timed out after 1.5 s: GET /api/v1/services');
      assert.equal(error.reason, 'Timeout');
      return true;
    });
    const took = performance.now() - started;
    // The upper bound leaves room for a loaded CI machine; what matters is that it ends.
    assert.ok(took >= 1400 && took < 15_000, `the request ended after ${Math.round(took)} ms`);
    await assert.rejects(session.kube.canI('patch', 'services', '', 'default'), /^ClusterError: timed out after 1\.5 s: POST \/apis\/authorization\.k8s\.io/);

    // Open watches hear nothing: the staleness timer (3 s) restarts them, and the new ones time out.
    await waitFor(
      'every kind retrying',
      () => KIND_KEYS.every((k) => sync()[k].phase === 'retrying'),
      15_000,
      () => syncExcept(session, 'retrying'),
    );
    t.diagnostic(`every watch retrying ${Math.round(performance.now() - started)} ms after the black hole opened`);
    assert.match(sync().services.detail ?? '', /^timed out after 1\.5 s: GET \/api\/v1\/services; retrying in \d+ s$/);
    assert.ok(
      session.logs.some((line) => /^services: watch silent for 3 s, restarting it$/.test(line)),
      session.logs.join('\n'),
    );
    // The liveness probe hears nothing either: the whole server is said to have stopped answering.
    await waitFor('the server said silent', () => session.store.getState().serverSilentSince !== undefined, 15_000);
    t.diagnostic(`the server said silent ${Math.round(performance.now() - started)} ms after the black hole opened`);

    proxy.setMode('pass');
    await waitFor(
      'every kind synced again, the server answering',
      () => KIND_KEYS.every((k) => sync()[k].phase === 'synced') && session.store.getState().serverSilentSince === undefined,
      15_000,
      () => syncExcept(session, 'synced'),
    );
  } finally {
    session.close();
    await proxy.close();
  }
  // Closing leaves nothing behind: no more timers or sockets than before the session started.
  const left = () => Object.entries(handles()).filter(([type, count]) => count > (baseline[type] ?? 0));
  await waitFor('no handle left by the session', () => left().length === 0, 5000).catch(() => {
    assert.deepEqual(Object.fromEntries(left()), {}, `handles before the session: ${JSON.stringify(baseline)}`);
  });
});

test('a CRD that is not installed: its checks say so, the rest works, and it comes back when installed', async (t) => {
  if (skipWithoutGo(t)) return;
  const { cluster } = env!;
  const session = liveSession(cluster.kubeconfig);
  try {
    const sync = () => session.store.getState().sync;
    const result = (id: string) => session.store.getState().results[id];
    await waitFor(
      'every kind synced',
      () => KIND_KEYS.every((k) => sync()[k].phase === 'synced'),
      10_000,
      () => syncExcept(session, 'synced'),
    );

    await apiClient(cluster.kubeconfig, ApiextensionsV1Api).deleteCustomResourceDefinition({ name: 'gateways.gateway.networking.k8s.io' });
    await waitFor('gateways not installed', () => sync().gateways.phase === 'not-installed', 20_000);
    assert.equal(sync().gateways.detail, 'gateways.gateway.networking.k8s.io is not served by gateway.networking.k8s.io/v1 (CRD not installed)');
    await waitFor('checks re-evaluated', () => result('gateways.programmed')?.status === 'unknown');
    assert.equal(result('gateways.programmed').summary, 'Gateway not installed (CRD missing)');
    assert.ok(
      KIND_KEYS.every((k) => k === 'gateways' || sync()[k].phase === 'synced'),
      'the other kinds stay synced',
    );
    assert.notEqual(result('loadbalancers.external-ip').status, 'unknown');
    assert.notEqual(result('dns.records').status, 'pending', 'Gateways are optional for DNS');

    // As Flux would during a rebuild: the CRD appears, drdeck notices on its next look.
    await installCrds(cluster.kubeconfig);
    await waitFor('gateways synced again', () => sync().gateways.phase === 'synced', 20_000);
    await waitFor('gateways.programmed evaluated again', () => result('gateways.programmed')?.status !== 'unknown');
  } finally {
    session.close();
  }
});
