/**
 * drdeck's own credentials against a local HTTPS server with certificates made by openssl: the
 * cluster's CA (file or data), tls-server-name, insecure-skip-tls-verify, client certificates (file,
 * data, or from an exec plugin), token, tokenFile (re-read, and again after a 401), basic auth,
 * impersonation; and the client-node fallback for auth providers and proxies.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type Server } from 'node:https';
import { connect as netConnect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { after, before, test } from 'node:test';
import { stringify } from 'yaml';
import { ClusterError } from '../../src/cluster.js';
import { createAuthenticator, needsClientNode, TOKEN_FILE_REFRESH_MS } from '../../src/k8s/credentials.js';
import { ApiClient } from '../../src/k8s/http.js';
import { KubeCluster } from '../../src/k8s/kube-cluster.js';
import { KubeconfigError, resolveKubeconfig } from '../../src/k8s/kubeconfig.js';
import { fakePlugin, killLeftovers, type FakePlugin } from './fake-plugin.js';

const dir = mkdtempSync(join(tmpdir(), 'drdeck-credentials-'));
const pem = (name: string) => readFileSync(join(dir, name));
const b64 = (name: string) => pem(name).toString('base64');
const plugins: FakePlugin[] = [];

/** A CA, a server certificate for kube.test only (no IP), and a client certificate for carol, by openssl. */
function makeCertificates(): void {
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const key = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl('req', '-x509', ...key, '-keyout', 'ca.key', '-out', 'ca.crt', '-subj', '/CN=drdeck-test-ca', '-days', '2');
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=DNS:kube.test\n');
  openssl('req', ...key, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=kube.test');
  openssl(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'server.crt',
    '-days',
    '2',
    '-extfile',
    'server.ext',
  );
  openssl('req', ...key, '-keyout', 'client.key', '-out', 'client.csr', '-subj', '/CN=carol/O=ops');
  openssl('x509', '-req', '-in', 'client.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'client.crt', '-days', '2');
}

interface Seen {
  authorization?: string;
  impersonate: Record<string, string | string[] | undefined>;
  clientCN?: string;
}

let server: Server;
let port = 0;
/** Every request the server got. */
const seen: Seen[] = [];
/** The bearer tokens the server accepts on /protected. */
const accepted = new Set(['good']);

before(async () => {
  makeCertificates();
  server = createServer({ key: pem('server.key'), cert: pem('server.crt'), ca: pem('ca.crt'), requestCert: true, rejectUnauthorized: false }, (req, res) => {
    const peer = (req.socket as TLSSocket).getPeerCertificate();
    const entry: Seen = {
      authorization: req.headers.authorization,
      impersonate: Object.fromEntries(Object.entries(req.headers).filter(([name]) => name.startsWith('impersonate-'))),
      clientCN: peer && 'subject' in peer ? [peer.subject?.CN].flat()[0] : undefined,
    };
    seen.push(entry);
    if (req.url === '/protected' && !accepted.has((req.headers.authorization ?? '').replace(/^Bearer /, ''))) {
      res.writeHead(401, { 'Content-Type': 'application/json' });
      return res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 }));
    }
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(entry));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
after(() => {
  server.closeAllConnections();
  server.close();
  killLeftovers(plugins);
});

let files = 0;
function kubeconfig(cluster: Record<string, unknown>, user: Record<string, unknown>): string {
  const file = join(dir, `kubeconfig-${++files}`);
  writeFileSync(
    file,
    stringify({
      clusters: [{ name: 'c', cluster: { server: `https://127.0.0.1:${port}`, ...cluster } }],
      users: [{ name: 'carol', user }],
      contexts: [{ name: 'x', context: { cluster: 'c', user: 'carol' } }],
      'current-context': 'x',
    }),
  );
  return file;
}

const TRUSTED = { 'certificate-authority-data': '', 'tls-server-name': 'kube.test' };
before(() => {
  TRUSTED['certificate-authority-data'] = b64('ca.crt');
});

/** GETs `path` through KubeCluster's client, as every drdeck request goes. */
async function get(file: string, path = '/echo'): Promise<Seen> {
  const cluster = new KubeCluster({ kubeconfig: resolveKubeconfig({ kubeconfig: file }), requestTimeoutMs: 5_000 });
  try {
    const api = await cluster.connect();
    return await api.json<Seen>({ method: 'GET', path });
  } finally {
    cluster.close();
  }
}

async function failure(file: string, path = '/echo'): Promise<ClusterError> {
  try {
    await get(file, path);
  } catch (error) {
    assert.ok(error instanceof ClusterError, String(error));
    assert.equal(error.message.includes('\n'), false);
    return error;
  }
  assert.fail('expected the request to fail');
}

test("the cluster's CA, as data or as a file, with tls-server-name; without them TLS fails, and says so", async () => {
  assert.equal((await get(kubeconfig(TRUSTED, { token: 't' }))).authorization, 'Bearer t');
  assert.equal((await get(kubeconfig({ 'certificate-authority': join(dir, 'ca.crt'), 'tls-server-name': 'kube.test' }, {}))).authorization, undefined);

  const wrongName = await failure(kubeconfig({ 'certificate-authority-data': b64('ca.crt') }, {}));
  assert.equal(wrongName.reason, 'TLSError');
  assert.match(wrongName.message, /^TLS error with 127\.0\.0\.1:\d+: Hostname\/IP does not match certificate's altnames/);
  const unknownCa = await failure(kubeconfig({ 'tls-server-name': 'kube.test' }, {}));
  assert.equal(unknownCa.reason, 'TLSError');

  assert.equal((await get(kubeconfig({ 'insecure-skip-tls-verify': true }, { token: 'skip' }))).authorization, 'Bearer skip');
});

test('client certificates from files, from data, and from an exec plugin', async () => {
  const fromFiles = await get(kubeconfig(TRUSTED, { 'client-certificate': join(dir, 'client.crt'), 'client-key': join(dir, 'client.key') }));
  assert.equal(fromFiles.clientCN, 'carol');
  const fromData = await get(kubeconfig(TRUSTED, { 'client-certificate-data': b64('client.crt'), 'client-key-data': b64('client.key') }));
  assert.equal(fromData.clientCN, 'carol');
  const plugin = fakePlugin(dir, 'cert-plugin', { certificate: { cert: pem('client.crt').toString(), key: pem('client.key').toString() } });
  plugins.push(plugin);
  const fromPlugin = await get(kubeconfig(TRUSTED, { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: plugin.path } }));
  assert.equal(fromPlugin.clientCN, 'carol');
  assert.equal(fromPlugin.authorization, undefined);

  await assert.rejects(
    createAuthenticator(resolveKubeconfig({ kubeconfig: kubeconfig(TRUSTED, { 'client-certificate-data': b64('client.crt') }) }), { timeoutMs: 1000 }),
    (error: unknown) => error instanceof KubeconfigError && /^user "carol" has a client certificate without its key/.test(error.message),
  );
});

test('basic auth, and impersonation headers (kubectl --as, --as-group, --as-uid, --as-user-extra)', async () => {
  const basic = await get(kubeconfig(TRUSTED, { username: 'admin', password: 'p4ss' }));
  assert.equal(basic.authorization, `Basic ${Buffer.from('admin:p4ss').toString('base64')}`);
  const as = await get(
    kubeconfig(TRUSTED, { token: 't', as: 'limited', 'as-uid': 'u-1', 'as-groups': ['ops', 'dev'], 'as-user-extra': { 'scopes.example/x': ['a', 'b'] } }),
  );
  assert.deepEqual(as.impersonate, {
    'impersonate-user': 'limited',
    'impersonate-uid': 'u-1',
    'impersonate-group': 'ops, dev',
    'impersonate-extra-scopes.example%2fx': 'a, b',
  });
});

test('a tokenFile is read once, again after a minute, and again after a 401 (the request is retried once)', async () => {
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, 'good\n');
  const resolved = resolveKubeconfig({ kubeconfig: kubeconfig(TRUSTED, { tokenFile }) });
  let offset = 0;
  const auth = await createAuthenticator(resolved, { timeoutMs: 1000, now: () => Date.now() + offset });
  const closing = new AbortController();
  const api = new ApiClient(auth, resolved.server, 5_000, closing.signal, 'carol');
  try {
    assert.equal((await api.json<Seen>({ method: 'GET', path: '/protected' })).authorization, 'Bearer good');
    writeFileSync(tokenFile, 'rotated\n');
    accepted.add('rotated');
    assert.equal((await api.json<Seen>({ method: 'GET', path: '/protected' })).authorization, 'Bearer good', 'read once per refresh, not per request');
    offset += TOKEN_FILE_REFRESH_MS;
    assert.equal((await api.json<Seen>({ method: 'GET', path: '/protected' })).authorization, 'Bearer rotated');

    // The server stops accepting the token; the file is rotated meanwhile: one 401, then the new token.
    accepted.delete('rotated');
    writeFileSync(tokenFile, 'newest\n');
    accepted.add('newest');
    const before = seen.length;
    assert.equal((await api.json<Seen>({ method: 'GET', path: '/protected' })).authorization, 'Bearer newest');
    assert.deepEqual(
      seen.slice(before).map((s) => s.authorization),
      ['Bearer rotated', 'Bearer newest'],
    );

    // A token nobody accepts: one retry with the file read again, then one line naming the user.
    writeFileSync(tokenFile, 'stale\n');
    accepted.delete('newest');
    const again = seen.length;
    await assert.rejects(api.json({ method: 'GET', path: '/protected' }), (error: unknown) => {
      assert.ok(error instanceof ClusterError);
      assert.equal(error.message, 'the API server rejected the credentials of user "carol" (401 Unauthorized): GET /protected');
      assert.equal(error.reason, 'Unauthorized');
      return true;
    });
    assert.deepEqual(
      seen.slice(again).map((s) => s.authorization),
      ['Bearer newest', 'Bearer stale'],
    );
  } finally {
    closing.abort();
    auth.close();
  }
});

test('an inline token that the server refuses is not retried: nothing could change it', async () => {
  const before = seen.length;
  const error = await failure(kubeconfig(TRUSTED, { token: 'nope' }), '/protected');
  assert.equal(error.code, 401);
  assert.equal(seen.length - before, 1);
});

test('auth providers are left to client-node', async () => {
  const tokenFile = join(dir, 'provider-token');
  writeFileSync(tokenFile, 'from-provider');
  // client-node's file authenticator answers for any auth-provider with a tokenFile in its config.
  const file = kubeconfig(TRUSTED, { 'auth-provider': { name: 'file', config: { tokenFile } } });
  assert.equal(needsClientNode(resolveKubeconfig({ kubeconfig: file })), true);
  assert.equal((await get(file)).authorization, 'Bearer from-provider');
  assert.equal(needsClientNode(resolveKubeconfig({ kubeconfig: kubeconfig(TRUSTED, { token: 't', tokenFile }) })), false);
});

test('proxy-url is left to client-node: the request goes through the proxy', async () => {
  const tunnels: string[] = [];
  const proxy: HttpServer = createHttpServer((_req, res) => res.writeHead(405).end());
  proxy.on('connect', (req, client, head) => {
    tunnels.push(req.url ?? '');
    const [host, targetPort] = (req.url ?? '').split(':');
    const upstream = netConnect(Number(targetPort), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  try {
    const file = kubeconfig({ ...TRUSTED, 'proxy-url': `http://127.0.0.1:${(proxy.address() as AddressInfo).port}` }, { token: 'via-proxy' });
    assert.equal((await get(file)).authorization, 'Bearer via-proxy');
    assert.deepEqual(tunnels, [`127.0.0.1:${port}`]);
  } finally {
    proxy.closeAllConnections();
    proxy.close();
  }
});
