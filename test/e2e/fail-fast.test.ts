/**
 * `drdeck check` and `drdeck fix` on an API server that will not answer: a refused connection, a
 * name that does not resolve, a certificate that cannot be verified, refused credentials are said
 * at once (exit 2, one line), not after the whole --timeout; a server that accepts the connection
 * and then hangs still gets the whole timeout. No API server is needed: nobody listens on port 1,
 * `.invalid` never resolves (RFC 6761), the hanging server is the harness's black-hole proxy, and
 * the TLS server is a local one with a self-signed certificate.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { stringify } from 'yaml';
import { startProxy } from './harness.js';
import { runCli } from './run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'drdeck-fail-fast-'));

function kubeconfig(name: string, server: string, cluster: Record<string, unknown> = { 'insecure-skip-tls-verify': true }): string {
  const file = join(dir, name);
  writeFileSync(
    file,
    stringify({
      clusters: [{ name: 'far', cluster: { server, ...cluster } }],
      users: [{ name: 'someone', user: { token: 'whatever' } }],
      contexts: [{ name: 'far', context: { cluster: 'far', user: 'someone' } }],
      'current-context': 'far',
    }),
  );
  return file;
}

/** Far below the 60 s timeout, far above what start-up takes on a busy machine. */
const FAST_MS = 30_000;

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

test('a certificate that cannot be verified, and credentials the server refuses: said at once', async (t) => {
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      'tls.key',
      '-out',
      'tls.crt',
      '-subj',
      '/CN=localhost',
      '-days',
      '2',
    ],
    { cwd: dir, stdio: 'pipe' },
  );
  // Answers 401 to everything, as an API server does to a token it does not know.
  const server = createServer({ key: readFileSync(join(dir, 'tls.key')), cert: readFileSync(join(dir, 'tls.crt')) }, (_req, res) => {
    res.writeHead(401, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const tls = await runCli(['check', '--kubeconfig', kubeconfig('untrusted', url, {}), '--timeout', '60']);
    t.diagnostic(`TLS: exited after ${tls.exitMs} ms`);
    assert.equal(tls.code, 2);
    assert.match(tls.stderr, /^drdeck: TLS error with 127\.0\.0\.1:\d+: self[- ]signed certificate\n$/);
    assert.ok(tls.exitMs < FAST_MS, `took ${tls.exitMs} ms`);

    const refused = await runCli(['check', '--kubeconfig', kubeconfig('unauthorized', url), '--timeout', '60']);
    t.diagnostic(`401: exited after ${refused.exitMs} ms`);
    assert.equal(refused.code, 2);
    assert.equal(refused.stderr, 'drdeck: the API server rejected the credentials of user "someone" (401 Unauthorized)\n');
    assert.ok(refused.exitMs < FAST_MS, `took ${refused.exitMs} ms`);
  } finally {
    server.closeAllConnections();
    server.close();
  }
});
