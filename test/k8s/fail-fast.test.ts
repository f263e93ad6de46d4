/**
 * `waitForSync` gives up early when the API server will not answer: every watcher's last failure
 * carries its ClusterError reason in the sync state, and when every watched kind failed for a
 * reason waiting cannot cure (refused, unresolvable, TLS, credentials) it rejects at once; a
 * timeout, or one kind that got through, keeps the whole wait.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Cluster, FeedSink, SyncState } from '../../src/cluster.js';
import { parseConfig } from '../../src/config/load.js';
import { KubeCluster } from '../../src/k8s/kube-cluster.js';
import { resolveKubeconfig } from '../../src/k8s/kubeconfig.js';
import { KIND_KEYS, type KindKey } from '../../src/kinds.js';
import { startSession, UnreachableError, waitForSync } from '../../src/session.js';

const dir = mkdtempSync(join(tmpdir(), 'drdeck-fail-fast-'));
const config = parseConfig({}, 'test');

test('a refused connection: every kind retrying with reason ConnectionRefused, and waitForSync rejects at once', async () => {
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(
    kubeconfig,
    JSON.stringify({
      clusters: [{ name: 'c', cluster: { server: 'https://127.0.0.1:1', 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'u', user: { token: 't' } }],
      contexts: [{ name: 'home', context: { cluster: 'c', user: 'u' } }],
      'current-context': 'home',
    }),
  );
  const cluster = new KubeCluster({ kubeconfig: resolveKubeconfig({ kubeconfig }) });
  const session = startSession({ cluster, resolver: undefined, config, flushMs: 10 });
  try {
    const started = Date.now();
    await assert.rejects(waitForSync(session, 60_000, { untilFresh: true }), (error: unknown) => {
      assert.ok(error instanceof UnreachableError, String(error));
      assert.equal(error.message, 'cannot reach the API server of home: connection refused by 127.0.0.1:1');
      assert.equal(error.reason, 'ConnectionRefused');
      return true;
    });
    assert.ok(Date.now() - started < 10_000, `gave up after ${Date.now() - started} ms, not after 60 s`);
    const sync = session.store.getState().sync;
    assert.ok(
      KIND_KEYS.every((kind) => sync[kind].reason === 'ConnectionRefused'),
      JSON.stringify(sync),
    );
  } finally {
    session.close();
  }
});

/** A cluster whose watchers report the given states and nothing else. */
function reporting(states: (kind: KindKey) => SyncState): Cluster {
  return {
    name: 'fake',
    user: 'u',
    now: () => Date.now(),
    list: () => Promise.reject(new Error('not here')),
    get: () => Promise.reject(new Error('not here')),
    create: () => Promise.reject(new Error('not here')),
    patch: () => Promise.reject(new Error('not here')),
    delete: () => Promise.reject(new Error('not here')),
    access: () => Promise.reject(new Error('not here')),
    feed(kinds: readonly KindKey[], sink: FeedSink) {
      for (const kind of kinds) sink.sync(kind, states(kind));
      return () => {};
    },
    close() {},
  };
}

const failed = (reason: string, detail: string): SyncState => ({ phase: 'retrying', reason, detail: `${detail}; retrying in 1 s` });

test('which failures end the wait early, and what they say', async () => {
  const cases: Array<[string, (kind: KindKey) => SyncState, RegExp | undefined]> = [
    [
      'credentials',
      () => failed('Unauthorized', 'exec plugin "aws" of user "u" failed (exit 255): no SSO session'),
      /^exec plugin "aws" of user "u" failed \(exit 255\): no SSO session$/,
    ],
    [
      'TLS',
      () => failed('TLSError', 'TLS error with 10.0.0.1:6443: certificate has expired: GET /api/v1/services'),
      /^TLS error with 10\.0\.0\.1:6443: certificate has expired$/,
    ],
    ['a name', () => failed('Unreachable', 'cannot resolve k8s.home: GET /api/v1'), /^cannot reach the API server of fake: cannot resolve k8s\.home$/],
    ['timeouts: a slow server may still answer', () => failed('Timeout', 'timed out after 10 s: GET /api/v1'), undefined],
    [
      'one kind got through',
      (kind) =>
        kind === 'services' ? { phase: 'synced', since: Date.now() } : failed('ConnectionRefused', 'connection refused by 10.0.0.1:6443: GET /api/v1'),
      undefined,
    ],
  ];
  for (const [what, states, early] of cases) {
    const session = startSession({ cluster: reporting(states), resolver: undefined, config, flushMs: 10 });
    try {
      const started = Date.now();
      const error = await waitForSync(session, 1_500, { untilFresh: true }).then(
        () => assert.fail(`${what}: resolved`),
        (e: unknown) => e as Error,
      );
      if (early) {
        assert.ok(error instanceof UnreachableError, `${what}: ${String(error)}`);
        assert.match(error.message, early, what);
        assert.ok(Date.now() - started < 1_000, `${what}: early`);
      } else {
        assert.equal(error instanceof UnreachableError, false, `${what}: ${error.message}`);
        assert.match(error.message, /^no answer within 2 s for: /, what);
        assert.ok(Date.now() - started >= 1_400, `${what}: waited the whole timeout`);
      }
    } finally {
      session.close();
    }
  }
});
