/**
 * The watcher's protocol handling against a scripted fake API server (no Go needed): a 410 as an
 * HTTP status relists without a retry, an ERROR event backs off, a server that ends every watch at
 * once does not make it spin, bookmarks advance the resourceVersion, a missing CRD is reported.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { FeedSink, KubeObject, SyncState, WatchEvent } from '../../src/cluster.js';
import { KubeCluster } from '../../src/k8s/kube-cluster.js';
import { resolveKubeconfig } from '../../src/k8s/kubeconfig.js';
import type { KindKey } from '../../src/kinds.js';

type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => void;

let server: Server;
let port = 0;
/** Requests seen, as "GET /path?query". */
let seen: string[] = [];
let onWatch: Handler = () => {};
let onList: Handler = () => {};

before(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    seen.push(`${req.method} ${url.pathname}${url.search}`);
    if (url.pathname === '/api/v1') return json(res, 200, { resources: [{ name: 'services' }] });
    if (url.pathname === '/apis/gateway.networking.k8s.io/v1' || url.pathname === '/apis/gateway.networking.k8s.io')
      return json(res, 404, status(404, 'NotFound', 'the server could not find the requested resource'));
    if (url.pathname === '/api/v1/services') return url.searchParams.get('watch') ? onWatch(req, res, url) : onList(req, res, url);
    json(res, 404, status(404, 'NotFound', 'not here'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
});
after(() => {
  server.closeAllConnections();
  server.close();
});

const status = (code: number, reason: string, message: string) => ({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message });
function json(res: ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}
const svc = (name: string, rv: string): KubeObject => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default', resourceVersion: rv } });
const listOf = (rv: string, ...items: KubeObject[]) => ({ kind: 'ServiceList', apiVersion: 'v1', metadata: { resourceVersion: rv }, items });

/** A sink that records everything, and a cluster on the fake server with fast timings. */
function watch(kinds: KindKey[], options: { listOnly?: boolean } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'drdeck-fake-'));
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(
    kubeconfig,
    JSON.stringify({
      clusters: [{ name: 'fake', cluster: { server: `http://127.0.0.1:${port}`, 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'u', user: { token: 't' } }],
      contexts: [{ name: 'fake', context: { cluster: 'fake', user: 'u' } }],
      'current-context': 'fake',
    }),
  );
  const log: string[] = [];
  const cluster = new KubeCluster({
    kubeconfig: resolveKubeconfig({ kubeconfig }),
    requestTimeoutMs: 5000,
    watch: { backoffInitialMs: 200, backoffMaxMs: 400, staleMs: 5000 },
    log: (line) => log.push(line),
    ...options,
  });
  const record = { resets: [] as Array<[KindKey, string[]]>, events: [] as Array<[KindKey, WatchEvent]>, sync: [] as Array<[KindKey, SyncState]> };
  const sink: FeedSink = {
    reset: (kind, items) => record.resets.push([kind, items.map((i) => i.metadata.name)]),
    event: (kind, event) => record.events.push([kind, event]),
    sync: (kind, state) => record.sync.push([kind, state]),
  };
  cluster.feed(kinds, sink);
  return { cluster, record, log };
}

async function until(what: string, probe: () => boolean, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

test('a bookmark advances the resourceVersion the next watch starts from; a 410 status relists without a retry', async () => {
  seen = [];
  let lists = 0;
  onList = (_req, res) => json(res, 200, ++lists === 1 ? listOf('10', svc('a', '9')) : listOf('30', svc('b', '29')));
  let watches = 0;
  onWatch = (_req, res) => {
    watches++;
    if (watches === 1) {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write(`${JSON.stringify({ type: 'ADDED', object: svc('c', '11') })}\n`);
      res.end(`${JSON.stringify({ type: 'BOOKMARK', object: { kind: 'Service', apiVersion: 'v1', metadata: { resourceVersion: '20' } } })}\n`);
    } else if (watches === 2) json(res, 410, status(410, 'Expired', 'too old resource version: 20 (25)'));
    else res.writeHead(200).flushHeaders();
  };
  const { cluster, record, log } = watch(['services']);
  try {
    await until('the relist', () => record.resets.length === 2 && watches >= 3);
    const watchRvs = seen.filter((r) => r.includes('watch=true')).map((r) => new URL(r.split(' ')[1], 'http://x').searchParams.get('resourceVersion'));
    assert.deepEqual(watchRvs.slice(0, 3), ['10', '20', '30'], 'from the list, from the bookmark, from the relist');
    assert.deepEqual(record.resets, [
      ['services', ['a']],
      ['services', ['b']],
    ]);
    assert.deepEqual(
      record.events.map(([, e]) => `${e.type} ${e.object.metadata.name}`),
      ['ADDED c'],
    );
    assert.deepEqual(new Set(record.sync.map(([, s]) => s.phase)), new Set(['synced']), 'never retrying: a 410 is not an outage');
    assert.ok(log.includes('services: 410 Gone (too old resource version: 20 (25)), relisting'));
    assert.ok(seen.every((r) => !r.includes('watch=true') || (r.includes('allowWatchBookmarks=true') && /timeoutSeconds=(2[4-9]\d|300)\b/.test(r))));
  } finally {
    cluster.close();
  }
});

test('an ERROR event backs off with the message; a server that ends every watch at once does not make it spin', async () => {
  let watches = 0;
  onList = (_req, res) => json(res, 200, listOf('5'));
  onWatch = (_req, res) => {
    watches++;
    res.writeHead(200, { 'Content-Type': 'application/json' });
    if (watches === 1) res.end(`${JSON.stringify({ type: 'ERROR', object: status(500, 'InternalError', 'etcdserver: leader changed') })}\n`);
    else res.end();
  };
  const { cluster, record } = watch(['services']);
  try {
    await until('three watches', () => watches >= 3);
    const states = record.sync.map(([, s]) => s);
    assert.equal(states[0].phase, 'synced');
    assert.match(states.find((s) => s.phase === 'retrying')?.detail ?? '', /^etcdserver: leader changed; retrying in 1 s$/);
    assert.ok(states.some((s) => /^the API server ended the watch at once \(GET \/api\/v1\/services\); retrying in/.test(s.detail ?? '')));
    const before = watches;
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.ok(watches - before <= 3, `${watches - before} watches in 500 ms: backing off, not spinning`);
  } finally {
    cluster.close();
  }
});

test('a kind whose group is not served is not installed, and the sink hears nothing after close', async () => {
  onList = (_req, res) => json(res, 200, listOf('1'));
  onWatch = (_req, res) => res.writeHead(200).flushHeaders();
  const { cluster, record } = watch(['gateways', 'services']);
  await until('both answered', () => record.sync.length >= 2);
  assert.deepEqual(
    record.sync.find(([kind]) => kind === 'gateways'),
    ['gateways', { phase: 'not-installed', detail: 'gateways.gateway.networking.k8s.io: CRD not installed' }],
  );
  assert.deepEqual(
    record.resets.find(([kind]) => kind === 'gateways'),
    ['gateways', []],
  );
  cluster.close();
  const heard = record.sync.length + record.resets.length + record.events.length;
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(record.sync.length + record.resets.length + record.events.length, heard);
});

test('a one-shot read (listOnly) LISTs each kind and opens no watch', async () => {
  seen = [];
  onList = (_req, res) => json(res, 200, listOf('10', svc('a', '9')));
  onWatch = (_req, res) => res.writeHead(200).flushHeaders();
  const { cluster, record } = watch(['services', 'gateways'], { listOnly: true });
  try {
    await until(
      'both kinds answered',
      () => record.sync.some(([k, s]) => k === 'services' && s.phase === 'synced') && record.sync.some(([k]) => k === 'gateways'),
    );
    // Why a bounded wait for something that must not come: a watch would follow its list at once.
    await until('a watch that should not come', () => seen.some((r) => r.includes('watch=true')), 500).catch(() => {});
    const services = seen.filter((r) => r.startsWith('GET /api/v1/services'));
    assert.equal(services.length, 1, `one LIST of Services, nothing more: ${services.join(', ')}`);
    assert.doesNotMatch(services[0], /watch=true/);
    assert.ok(record.resets.some(([kind, names]) => kind === 'services' && names.join() === 'a'));
    assert.deepEqual(
      seen.filter((r) => r.includes('watch=true')),
      [],
    );
  } finally {
    cluster.close();
  }
});
