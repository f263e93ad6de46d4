/**
 * `drdeck check` and `drdeck fix` on an API server that will not answer: a refused connection or a
 * name that does not resolve is said at once (exit 2, one line), not after the whole --timeout;
 * a server that accepts the connection and then hangs still gets the whole timeout. No API server
 * is needed: nobody listens on port 1, `.invalid` never resolves (RFC 6761), and the hanging server
 * is the harness's black-hole proxy.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { stringify } from 'yaml';
import { startProxy } from './harness.js';
import { runCli } from './run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'drdeck-fail-fast-'));

function kubeconfig(name: string, server: string): string {
  const file = join(dir, name);
  writeFileSync(
    file,
    stringify({
      clusters: [{ name: 'far', cluster: { server, 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'someone', user: { token: 'whatever' } }],
      contexts: [{ name: 'far', context: { cluster: 'far', user: 'someone' } }],
      'current-context': 'far',
    }),
  );
  return file;
}

/** Far below the 60 s timeout, far above what start-up takes on a busy machine. */
const FAST_MS = 20_000;

test('check on a closed port: "connection refused", exit 2, well before its timeout', async (t) => {
  const run = await runCli(['check', '--kubeconfig', kubeconfig('refused', 'https://127.0.0.1:1'), '--timeout', '60']);
  t.diagnostic(`exited after ${run.exitMs} ms`);
  assert.equal(run.code, 2);
  assert.equal(run.stdout, '');
  assert.equal(run.stderr, 'drdeck: cannot reach the API server of far: connection refused by 127.0.0.1:1\n');
  assert.ok(run.exitMs < FAST_MS, `took ${run.exitMs} ms`);
});

test('check on a host name that does not resolve: exit 2, well before its timeout', async (t) => {
  const run = await runCli(['check', '--kubeconfig', kubeconfig('nxdomain', 'https://drdeck-test.invalid:6443'), '--timeout', '60']);
  t.diagnostic(`exited after ${run.exitMs} ms`);
  assert.equal(run.code, 2);
  assert.equal(run.stderr, 'drdeck: cannot reach the API server of far: cannot resolve drdeck-test.invalid\n');
  assert.ok(run.exitMs < FAST_MS, `took ${run.exitMs} ms`);
});

test('fix on a closed port says so at once too', async () => {
  const run = await runCli(['fix', 'flux-reconcile', '--kubeconfig', kubeconfig('refused-fix', 'https://127.0.0.1:1'), '--timeout', '60']);
  assert.equal(run.code, 2);
  assert.equal(run.stderr, 'drdeck: cannot reach the API server of far: connection refused by 127.0.0.1:1\n');
  assert.ok(run.exitMs < FAST_MS, `took ${run.exitMs} ms`);
});

test('a server that accepts the connection and then hangs still gets the whole timeout', async (t) => {
  const proxy = await startProxy(1);
  proxy.setMode('blackhole');
  try {
    const run = await runCli(['check', '--kubeconfig', kubeconfig('hangs', `https://127.0.0.1:${proxy.port}`), '--timeout', '4']);
    t.diagnostic(`exited after ${run.exitMs} ms`);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /^drdeck: no answer from the cluster far \(https:\/\/127\.0\.0\.1:\d+\) within 4 s\n$/);
    assert.ok(run.exitMs >= 4_000, `waited its timeout: ${run.exitMs} ms`);
  } finally {
    await proxy.close();
  }
});
