/**
 * Exec credential plugins as client-go runs them, with fake plugins (no API server needed): what the
 * plugin is given, one call in flight, cached until its expiry or a 401, killed at its timeout with
 * its whole process group, failures in one line without the plugin's stdout, a back-off after a
 * failure, and close() stopping a plugin that is still running.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { after, test } from 'node:test';
import { stringify } from 'yaml';
import { ClusterError } from '../../src/cluster.js';
import { createAuthenticator, FAILURE_BACKOFF_MS, type Auth, type Authenticator } from '../../src/k8s/credentials.js';
import { KILL_GRACE_MS } from '../../src/k8s/exec-plugin.js';
import { KubeconfigError, resolveKubeconfig } from '../../src/k8s/kubeconfig.js';
import { alive, FAKE_SECRET, fakePlugin, killLeftovers, pidsOf, type FakePlugin, type PluginBehaviour } from './fake-plugin.js';

const dir = mkdtempSync(join(tmpdir(), 'drdeck-exec-'));
const plugins: FakePlugin[] = [];
const open: Authenticator[] = [];
after(() => {
  for (const auth of open) auth.close();
  killLeftovers(plugins);
});

const CA = Buffer.from('-----BEGIN CERTIFICATE-----\nnot really\n-----END CERTIFICATE-----\n');

let files = 0;
/** A kubeconfig whose user runs `exec`; the server is never contacted here. */
function kubeconfig(exec: Record<string, unknown>, cluster: Record<string, unknown> = {}): string {
  const file = join(dir, `kubeconfig-${++files}`);
  writeFileSync(
    file,
    stringify({
      clusters: [{ name: 'c', cluster: { server: 'https://127.0.0.1:1', ...cluster } }],
      users: [{ name: 'alice', user: { exec: { apiVersion: 'client.authentication.k8s.io/v1', interactiveMode: 'Never', ...exec } } }],
      contexts: [{ name: 'x', context: { cluster: 'c', user: 'alice' } }],
      'current-context': 'x',
    }),
  );
  return file;
}

/** A clock the test moves by hand, starting at the real time (the plugins' expiry uses the real clock). */
function clock() {
  let offset = 0;
  return { now: () => Date.now() + offset, advance: (ms: number) => (offset += ms) };
}

let plugs = 0;
async function withPlugin(behaviour: PluginBehaviour, options: { timeoutMs?: number; now?: () => number; exec?: Record<string, unknown> } = {}) {
  const plugin = fakePlugin(dir, `plugin-${++plugs}`, behaviour);
  plugins.push(plugin);
  const auth = await createAuthenticator(resolveKubeconfig({ kubeconfig: kubeconfig({ command: plugin.path, ...options.exec }) }), {
    timeoutMs: options.timeoutMs ?? 10_000,
    now: options.now,
  });
  open.push(auth);
  return { plugin, auth };
}

const never = new AbortController().signal;
const bearer = (auth: Auth) => auth.headers.Authorization;

async function waitUntil(what: string, probe: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function rejection(promise: Promise<unknown>): Promise<ClusterError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof ClusterError, String(error));
    assert.equal(error.message.includes('\n'), false, 'one line');
    return error;
  }
  assert.fail('expected a rejection');
}

test('the plugin gets KUBERNETES_EXEC_INFO (not interactive, cluster info), its args and env, found on PATH, stdin closed', async () => {
  const plugin = fakePlugin(dir, 'on-path', { tokens: ['from-path'] });
  plugins.push(plugin);
  const file = kubeconfig(
    {
      command: 'on-path',
      args: ['get-token', '--cluster', 'home'],
      env: [{ name: 'PLUGIN_ENV', value: 'set-by-kubeconfig' }],
      provideClusterInfo: true,
    },
    {
      'certificate-authority-data': CA.toString('base64'),
      'tls-server-name': 'kube.home',
      extensions: [{ name: 'client.authentication.k8s.io/exec', extension: { audience: 'home' } }],
    },
  );
  const auth = await createAuthenticator(resolveKubeconfig({ kubeconfig: file }), {
    timeoutMs: 10_000,
    env: { ...process.env, PATH: `${dir}${delimiter}${process.env.PATH}` },
  });
  open.push(auth);
  assert.equal(bearer(await auth.get(never)), 'Bearer from-path');
  const [spawn] = plugin.spawns();
  assert.deepEqual(spawn.args, ['get-token', '--cluster', 'home']);
  assert.equal(spawn.env.PLUGIN_ENV, 'set-by-kubeconfig');
  assert.equal(spawn.env.HOME, process.env.HOME, "drdeck's environment is passed on");
  assert.equal(spawn.stdin, '', 'stdin is closed: drdeck never gives a plugin the terminal');
  assert.deepEqual(JSON.parse(spawn.info ?? ''), {
    apiVersion: 'client.authentication.k8s.io/v1',
    kind: 'ExecCredential',
    spec: {
      interactive: false,
      cluster: {
        server: 'https://127.0.0.1:1',
        'tls-server-name': 'kube.home',
        'certificate-authority-data': CA.toString('base64'),
        config: { audience: 'home' },
      },
    },
  });
});

test('v1beta1 plugins get a v1beta1 ExecCredential, without cluster info unless asked', async () => {
  const { plugin, auth } = await withPlugin(
    { apiVersion: 'client.authentication.k8s.io/v1beta1' },
    { exec: { apiVersion: 'client.authentication.k8s.io/v1beta1' } },
  );
  assert.equal(bearer(await auth.get(never)), 'Bearer token');
  assert.deepEqual(JSON.parse(plugin.spawns()[0].info ?? ''), {
    apiVersion: 'client.authentication.k8s.io/v1beta1',
    kind: 'ExecCredential',
    spec: { interactive: false },
  });
});

test('a cold start of 17 requests spawns a slow plugin once; all get the same credentials', async () => {
  const { plugin, auth } = await withPlugin({ delayMs: 500, tokens: ['slow'] });
  const all = await Promise.all(Array.from({ length: 17 }, () => auth.get(never)));
  assert.equal(plugin.spawns().length, 1);
  assert.ok(all.every((a) => a === all[0]));
  assert.equal(bearer(all[0]), 'Bearer slow');
});

test('without an expiry the credential is kept until a 401; a 401 on an old credential does not refresh twice', async () => {
  const time = clock();
  const { plugin, auth } = await withPlugin({ tokens: ['first', 'second', 'third'] }, { now: time.now });
  const first = await auth.get(never);
  time.advance(24 * 3600_000);
  for (let i = 0; i < 20; i++) assert.equal(await auth.get(never), first);
  assert.equal(plugin.spawns().length, 1, 'one spawn for a day of requests');

  assert.equal(auth.rejected(first), true, 'a retry can help: the plugin may give another credential');
  const second = await auth.get(never);
  assert.equal(bearer(second), 'Bearer second');
  // Another request that went out with the first credential comes back 401 later: already replaced.
  auth.rejected(first);
  assert.equal(await auth.get(never), second);
  assert.equal(plugin.spawns().length, 2);
});

test('an expiring credential is used until a little before its expiry, then the plugin runs again', async () => {
  const time = clock();
  const { plugin, auth } = await withPlugin({ expiresInMs: 60_000, tokens: ['one', 'two'] }, { now: time.now });
  const first = await auth.get(never);
  time.advance(45_000);
  assert.equal(await auth.get(never), first, '45 s into a 60 s credential');
  assert.equal(plugin.spawns().length, 1);
  time.advance(11_000);
  assert.equal(bearer(await auth.get(never)), 'Bearer two', 'refreshed a few seconds before the expiry (a tenth of its life, at most 10 s)');
  assert.equal(plugin.spawns().length, 2);
});

test('a plugin that returns an expired credential is not run on every request', async () => {
  const { plugin, auth } = await withPlugin({ expiresInMs: -60_000 });
  for (let i = 0; i < 10; i++) await auth.get(never);
  assert.equal(plugin.spawns().length, 1);
});

test('a hung plugin is killed at its timeout with its whole process group, even when it ignores SIGTERM', async () => {
  const time = clock();
  // 3 s: on a loaded machine node itself can take over a second to start the plugin and its child.
  const { plugin, auth } = await withPlugin({ hang: true, ignoreTerm: true, child: true }, { timeoutMs: 3_000, now: time.now });
  const started = Date.now();
  const error = await rejection(auth.get(never));
  assert.equal(error.message, `exec plugin "${plugin.path.split('/').pop()}" of user "alice" did not answer within 3 s`);
  assert.equal(error.reason, 'Timeout');
  assert.ok(Date.now() - started < 8_000, `rejected after ${Date.now() - started} ms`);
  const pids = pidsOf(plugin);
  assert.equal(pids.length, 2, 'the plugin and its child');
  await waitUntil('the plugin and its child gone', () => pids.every((pid) => !alive(pid)), KILL_GRACE_MS + 10_000);

  // The failure is kept for a short back-off: requests meanwhile get it at once, no new spawn.
  assert.equal((await rejection(auth.get(never))).reason, 'Timeout');
  assert.equal(plugin.spawns().length, 1);
  time.advance(FAILURE_BACKOFF_MS[0]);
  const again = auth.get(never);
  await waitUntil('the plugin run again after the back-off', () => plugin.spawns().length === 2);
  auth.close();
  assert.equal((await rejection(again)).reason, 'Cancelled');
  const all = pidsOf(plugin);
  await waitUntil('close() stopped the second run', () => all.every((pid) => !alive(pid)), KILL_GRACE_MS + 10_000);
});

test('a failing plugin: its exit code and the first line of its stderr, never its stdout', async () => {
  const { plugin, auth } = await withPlugin({ fail: { code: 3, stderr: '\nerror: refresh token expired\nsee https://example.com\n' } });
  const error = await rejection(auth.get(never));
  const name = plugin.path.split('/').pop();
  assert.equal(error.message, `exec plugin "${name}" of user "alice" failed (exit 3): error: refresh token expired`);
  assert.equal(error.reason, 'Unauthorized');
  assert.equal(error.message.includes(FAKE_SECRET), false);
});

test('plugins that answer badly: one line each, nothing of what they wrote', async () => {
  const cases: Array<[PluginBehaviour, RegExp]> = [
    [{ stdout: `token: ${FAKE_SECRET}` }, /wrote something other than an ExecCredential \(not JSON\)$/],
    [{ stdout: '' }, /wrote nothing$/],
    [
      { apiVersion: 'client.authentication.k8s.io/v1beta1' },
      /answered in apiVersion "client\.authentication\.k8s\.io\/v1beta1", but the kubeconfig says client\.authentication\.k8s\.io\/v1$/,
    ],
    [
      { stdout: JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status: {} }) },
      /returned neither a token nor a client certificate$/,
    ],
    [
      { stdout: JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status: { clientCertificateData: FAKE_SECRET } }) },
      /returned a client certificate without its key/,
    ],
    [{ stdout: JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential' }) }, /returned no status$/],
  ];
  for (const [behaviour, expected] of cases) {
    const { auth } = await withPlugin(behaviour);
    const error = await rejection(auth.get(never));
    assert.match(error.message, /^exec plugin "plugin-\d+" of user "alice" /);
    assert.match(error.message, expected);
    assert.equal(error.message.includes(FAKE_SECRET), false);
  }
});

test('a plugin that is not installed: its installHint, in one line; interactiveMode Always: log in first', async () => {
  const missing = await createAuthenticator(
    resolveKubeconfig({ kubeconfig: kubeconfig({ command: 'drdeck-no-such-plugin', installHint: 'kubelogin is required.\n  brew install kubelogin\n' }) }),
    { timeoutMs: 5_000 },
  );
  open.push(missing);
  const error = await rejection(missing.get(never));
  assert.equal(error.message, 'exec plugin "drdeck-no-such-plugin" of user "alice" is not on PATH: kubelogin is required. brew install kubelogin');
  assert.equal(error.reason, 'Unauthorized');

  const { plugin, auth } = await withPlugin({}, { exec: { interactiveMode: 'Always' } });
  const interactive = await rejection(auth.get(never));
  assert.match(interactive.message, /needs a terminal \(interactiveMode: Always\): run `kubectl get ns` once to log in, then start drdeck again$/);
  assert.equal(plugin.spawns().length, 0);
});

test('an exec section client-go would refuse is a KubeconfigError naming the user', async () => {
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [
      { command: 'x', apiVersion: 'client.authentication.k8s.io/v1alpha1' },
      /^exec of user "alice": apiVersion "client\.authentication\.k8s\.io\/v1alpha1" is not supported/,
    ],
    [{ command: 'x', env: [{ name: 'A' }] }, /^exec of user "alice": env\[0\] needs a name and a string value$/],
    [{ command: 'x', interactiveMode: 'Sometimes' }, /^exec of user "alice": interactiveMode "Sometimes" is not Never, IfAvailable or Always$/],
    [{ command: '' }, /^exec of user "alice": command is missing$/],
  ];
  for (const [exec, expected] of cases) {
    await assert.rejects(createAuthenticator(resolveKubeconfig({ kubeconfig: kubeconfig(exec) }), { timeoutMs: 1000 }), (error: unknown) => {
      assert.ok(error instanceof KubeconfigError);
      assert.match(error.message, expected);
      return true;
    });
  }
});

test('close() stops a plugin that is still running', async () => {
  const { plugin, auth } = await withPlugin({ hang: true, child: true }, { timeoutMs: 60_000 });
  const pending = auth.get(never);
  await waitUntil('the plugin started', () => plugin.spawns().length === 1);
  auth.close();
  assert.equal((await rejection(pending)).reason, 'Cancelled');
  const pids = pidsOf(plugin);
  await waitUntil('the plugin and its child gone', () => pids.every((pid) => !alive(pid)), KILL_GRACE_MS + 10_000);
  assert.equal((await rejection(auth.get(never))).reason, 'Closed');
});
