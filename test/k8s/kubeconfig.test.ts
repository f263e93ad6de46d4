/** Kubeconfig loading follows kubectl: which files, how they merge, relative paths, clear errors. */
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { test } from 'node:test';
import { stringify } from 'yaml';
import { KubeconfigError, loadKubeConfig, resolveKubeconfig } from '../../src/k8s/kubeconfig.js';

const dir = mkdtempSync(join(tmpdir(), 'drdeck-kubeconfig-'));

function file(name: string, config: unknown): string {
  const path = join(dir, name);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, typeof config === 'string' ? config : stringify(config));
  return path;
}

const cluster = (name: string, server: string, extra: object = {}) => ({ name, cluster: { server, ...extra } });
const user = (name: string, fields: object) => ({ name, user: fields });
const context = (name: string, c: string, u?: string) => ({ name, context: { cluster: c, ...(u ? { user: u } : {}) } });

const first = file('a/config', {
  clusters: [cluster('prod', 'https://prod.example:6443', { 'certificate-authority': 'ca.crt' })],
  users: [user('alice', { token: 'from-a' })],
  contexts: [context('prod', 'prod', 'alice')],
  'current-context': 'prod',
});
file('a/ca.crt', 'not really a certificate');
const second = file('b/config', {
  clusters: [cluster('prod', 'https://shadowed.example'), cluster('lab', 'https://lab.example')],
  users: [user('alice', { token: 'from-b' }), user('bob', { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: './bin/cred' } })],
  contexts: [context('lab', 'lab', 'bob')],
  'current-context': 'lab',
});
file('b/bin/cred', '');

test('KUBECONFIG: files merged, the first definition and the first current-context win, missing files skipped', () => {
  const env = { KUBECONFIG: [join(dir, 'absent'), first, second].join(delimiter) };
  const k = resolveKubeconfig({ env });
  assert.deepEqual(k.files, [first, second]);
  assert.equal(k.contextName, 'prod');
  assert.equal(k.server, 'https://prod.example:6443');
  const alice = k.merged.users.find((u) => u.name === 'alice')?.user as { token: string };
  assert.equal(alice.token, 'from-a');
  const lab = resolveKubeconfig({ env, context: 'lab' });
  assert.equal(lab.server, 'https://lab.example');
  assert.equal(lab.userName, 'bob');
});

test('relative paths are relative to the file that holds them; exec commands only when they name a path', () => {
  const k = resolveKubeconfig({ env: { KUBECONFIG: [first, second].join(delimiter) } });
  const prod = k.merged.clusters.find((c) => c.name === 'prod')?.cluster as Record<string, string>;
  assert.equal(prod['certificate-authority'], join(dir, 'a', 'ca.crt'));
  const bob = k.merged.users.find((u) => u.name === 'bob')?.user as { exec: { command: string } };
  assert.equal(bob.exec.command, join(dir, 'b', 'bin', 'cred'));
});

test('--kubeconfig wins over KUBECONFIG; without either, ~/.kube/config', () => {
  assert.equal(resolveKubeconfig({ kubeconfig: second, env: { KUBECONFIG: first } }).contextName, 'lab');
  const home = join(dir, 'home');
  file('home/.kube/config', { clusters: [cluster('h', 'https://home.example')], contexts: [context('h', 'h')], 'current-context': 'h' });
  const k = resolveKubeconfig({ env: { HOME: home } });
  assert.equal(k.server, 'https://home.example');
  assert.equal(k.userName, 'drdeck-anonymous', 'a context without a user still gets its cluster TLS settings');
});

test('mistakes are one-line KubeconfigErrors naming the file and the problem', () => {
  const cases: Array<[Parameters<typeof resolveKubeconfig>[0], RegExp]> = [
    [{ kubeconfig: join(dir, 'nope') }, /^kubeconfig \S+nope does not exist \(--kubeconfig\)$/],
    [{ env: { KUBECONFIG: join(dir, 'nope') } }, /^no kubeconfig found: none of the files in KUBECONFIG exists/],
    [{ env: { HOME: join(dir, 'nobody') } }, /^no kubeconfig found: \S+nobody\/\.kube\/config does not exist \(use --kubeconfig FILE or set KUBECONFIG\)$/],
    [{ kubeconfig: first, context: 'staging' }, /^context "staging" not found in \S+a\/config \(contexts: prod\)$/],
    [{ kubeconfig: file('bad.yaml', 'clusters: [\n') }, /^kubeconfig \S+bad\.yaml is not valid YAML: /],
    [{ kubeconfig: file('list.yaml', '- 1\n') }, /is not a kubeconfig \(expected a mapping\)$/],
    [{ kubeconfig: file('nocurrent.yaml', { contexts: [context('x', 'x')] }) }, /^no current context in \S+; pass --context \(contexts: x\)$/],
    [
      { kubeconfig: file('nocluster.yaml', { contexts: [context('x', 'gone')], 'current-context': 'x' }) },
      /^context "x" names cluster "gone", which is not in /,
    ],
    [
      { kubeconfig: file('nouser.yaml', { clusters: [cluster('c', 'https://c')], contexts: [context('x', 'c', 'ghost')], 'current-context': 'x' }) },
      /^context "x" names user "ghost", which is not in /,
    ],
    [
      { kubeconfig: file('noserver.yaml', { clusters: [{ name: 'c', cluster: {} }], contexts: [context('x', 'c')], 'current-context': 'x' }) },
      /^cluster "c" in \S+ has no server$/,
    ],
    [
      {
        kubeconfig: file('noca.yaml', {
          clusters: [cluster('c', 'https://c', { 'certificate-authority': 'missing.crt' })],
          contexts: [context('x', 'c')],
          'current-context': 'x',
        }),
      },
      /^certificate-authority of cluster "c": \S+missing\.crt does not exist$/,
    ],
  ];
  for (const [options, message] of cases) {
    assert.throws(
      () => resolveKubeconfig(options),
      (error: unknown) => {
        assert.ok(error instanceof KubeconfigError, String(error));
        assert.match(error.message, message);
        assert.equal(error.message.includes('\n'), false);
        return true;
      },
    );
  }
});

test('client-node authenticates: a token, a tokenFile (kubectl spelling), an exec plugin', async () => {
  const headers = async (path: string) => {
    const kc = await loadKubeConfig(resolveKubeconfig({ kubeconfig: path }));
    const options: { headers?: Record<string, string> } = {};
    await kc.applyToHTTPSOptions(options);
    return options.headers ?? {};
  };
  const base = { clusters: [cluster('c', 'https://c.example')], contexts: [context('x', 'c', 'u')], 'current-context': 'x' };
  assert.equal((await headers(file('token.yaml', { ...base, users: [user('u', { token: 't0k3n' })] }))).Authorization, 'Bearer t0k3n');

  file('tokens/token', 'from-file');
  assert.equal((await headers(file('tokens/kubeconfig', { ...base, users: [user('u', { tokenFile: 'token' })] }))).Authorization, 'Bearer from-file');

  const plugin = file(
    'plugin/cred.sh',
    `#!/bin/sh\necho '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"from-exec"}}'\n`,
  );
  chmodSync(plugin, 0o755);
  const exec = { apiVersion: 'client.authentication.k8s.io/v1', command: './cred.sh', interactiveMode: 'Never' };
  assert.equal((await headers(file('plugin/kubeconfig', { ...base, users: [user('u', { exec })] }))).Authorization, 'Bearer from-exec');
});
