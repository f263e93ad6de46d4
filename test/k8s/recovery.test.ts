/**
 * Recovery after faults, against a scripted fake API server (no Go needed): "the server is starting"
 * answers are retried after a moment without growing the back-off; a watcher deep in back-off retries
 * as soon as the server answers again; a watch that held resets the back-off; Ctrl-R asks again at
 * once; the liveness probe notices a server that stops answering and the watches come back with it.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { FeedSink, SyncState } from '../../src/cluster.js';
import { parseConfig } from '../../src/config/load.js';
import { KubeCluster, type KubeClusterOptions } from '../../src/k8s/kube-cluster.js';
import { resolveKubeconfig } from '../../src/k8s/kubeconfig.js';
import type { KindKey } from '../../src/kinds.js';
import { startSession } from '../../src/session.js';
import { resolveKey } from '../../src/store/keys.js';
import { keyMode } from '../../src/hooks/use-keys.js';

type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => void;

/** The fake server: what it answers to a list, a watch and /readyz, and whether it answers at all. */
const fake = {
  list: ((_req, res) => json(res, 200, listOf('1'))) as Handler,
  watch: ((_req, res) => res.writeHead(200, { 'Content-Type': 'application/json' }).flushHeaders()) as Handler,
  readyz: ((_req, res) => res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok')) as Handler,
  /** Holds every request without an answer, as a frozen server does. */
  frozen: false,
  /** Requests seen, with the time each came. */
  seen: [] as Array<{ at: number; what: string }>,
};

let server: Server;
let port = 0;
const sockets = new Set<Socket>();
/** Connections the server accepted, ever. */
let connections = 0;
const dir = mkdtempSync(join(tmpdir(), 'drdeck-recovery-'));

function handle(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://x');
  fake.seen.push({ at: Date.now(), what: `${req.method} ${url.pathname}${url.searchParams.get('watch') ? ' watch' : ''}` });
  if (fake.frozen) return;
  if (url.pathname === '/readyz') return fake.readyz(req, res, url);
  if (url.pathname === '/api/v1') return json(res, 200, { resources: [{ name: 'services' }] });
  if (url.pathname === '/api/v1/services') return url.searchParams.get('watch') ? fake.watch(req, res, url) : fake.list(req, res, url);
  // Every other kind: not installed (its group is not served).
  json(res, 404, status(404, 'NotFound', 'the server could not find the requested resource'));
}

async function listen(): Promise<void> {
  server = createServer(handle);
  server.on('connection', (socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
}

/** The server goes away: every connection reset, new ones refused. */
async function goAway(): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  for (const socket of sockets) socket.destroy();
  await closed;
}

before(listen);
after(async () => {
  await goAway().catch(() => {});
  rmSync(dir, { recursive: true, force: true });
});

const status = (code: number, reason: string, message: string) => ({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message });
function json(res: ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}
const listOf = (rv: string, items: unknown[] = []) => ({ kind: 'ServiceList', apiVersion: 'v1', metadata: { resourceVersion: rv }, items });
/** A LoadBalancer Service that publishes a name: DNS has something to ask. */
const published = {
  metadata: { name: 'app', namespace: 'default', resourceVersion: '4', annotations: { 'external-dns.alpha.kubernetes.io/hostname': 'app.example.com' } },
  spec: { type: 'LoadBalancer', ports: [{ port: 80 }] },
  status: { loadBalancer: { ingress: [{ ip: '10.0.0.5' }] } },
};

function kubeconfig(): ReturnType<typeof resolveKubeconfig> {
  const file = join(dir, 'kubeconfig');
  writeFileSync(
    file,
    JSON.stringify({
      clusters: [{ name: 'fake', cluster: { server: `http://127.0.0.1:${port}` } }],
      users: [{ name: 'u', user: { token: 't' } }],
      contexts: [{ name: 'fake', context: { cluster: 'fake', user: 'u' } }],
      'current-context': 'fake',
    }),
  );
  return resolveKubeconfig({ kubeconfig: file });
}

/** A cluster on the fake server watching Services into a sink that keeps every sync state. */
function watchServices(options: Omit<KubeClusterOptions, 'kubeconfig'>) {
  const log: string[] = [];
  const cluster = new KubeCluster({ kubeconfig: kubeconfig(), requestTimeoutMs: 2000, log: (line) => log.push(line), ...options });
  const states: Array<{ at: number; state: SyncState }> = [];
  const sink: FeedSink = { reset: () => {}, event: () => {}, sync: (_kind, state) => states.push({ at: Date.now(), state }) };
  cluster.feed(['services'] as KindKey[], sink);
  const last = () => states.at(-1)?.state;
  return { cluster, states, last, log };
}

async function until(what: string, probe: () => boolean, ms = 15_000, explain?: () => string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${explain ? `: ${explain()}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function reset(): void {
  fake.list = (_req, res) => json(res, 200, listOf('1'));
  fake.watch = (_req, res) => res.writeHead(200, { 'Content-Type': 'application/json' }).flushHeaders();
  fake.readyz = (_req, res) => res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok');
  fake.frozen = false;
  fake.seen = [];
}

test('requests one after another share one connection: no new TCP (and TLS) handshake for each', async () => {
  reset();
  const cluster = new KubeCluster({ kubeconfig: kubeconfig(), requestTimeoutMs: 2000 });
  try {
    const before = connections;
    for (let i = 0; i < 3; i++) await cluster.get('services', 'default', 'app').catch(() => {});
    await cluster.access('patch', 'services', 'default').catch(() => {});
    assert.equal(fake.seen.length, 4, fake.seen.map((s) => s.what).join(', '));
    assert.equal(connections - before, 1, 'one connection for four requests');
  } finally {
    cluster.close();
  }
});

test('a watch ended by its caller just after the server ended it leaves the next request its connection', async () => {
  reset();
  // Every watch answers with one event and ends at once; the watcher ends it, and watches again.
  fake.watch = (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(`${JSON.stringify({ type: 'ERROR', object: status(500, 'InternalError', 'etcdserver: leader changed') })}\n`);
  };
  const errors: unknown[] = [];
  const onError = (error: unknown) => errors.push(error);
  process.on('uncaughtException', onError);
  const { cluster, states } = watchServices({});
  try {
    await until('three watches', () => fake.seen.filter((s) => s.what === 'GET /api/v1/services watch').length >= 3);
    assert.deepEqual(errors, [], 'nothing thrown outside the watcher');
    assert.ok(states.some((s) => /leader changed; retrying/.test(s.state.detail ?? '')));
  } finally {
    cluster.close();
    process.off('uncaughtException', onError);
  }
});

test('"storage is (re)initializing" is asked again after a moment, again and again, without growing the back-off', async () => {
  reset();
  let lists = 0;
  fake.list = (_req, res) => (++lists <= 5 ? json(res, 429, status(429, 'TooManyRequests', 'storage is (re)initializing')) : json(res, 200, listOf('7')));
  // A back-off that grew would wait 2, 4, 8, 16 s: the five answers would take half a minute.
  const { cluster, states, last, log } = watchServices({ watch: { backoffInitialMs: 2000, backoffMaxMs: 60_000, warmupRetryMs: 200 }, liveness: false });
  try {
    await until('synced after five "initializing" answers', () => lists > 5 && last()?.phase === 'synced', 10_000);
    const listTimes = fake.seen.filter((r) => r.what === 'GET /api/v1/services').map((r) => r.at);
    const gaps = listTimes.slice(1).map((t, i) => t - listTimes[i]);
    assert.ok(
      gaps.every((gap) => gap < 1500),
      `every retry a moment after the last, none growing: ${gaps.join(', ')} ms`,
    );
    const retrying = states.find((s) => s.state.phase === 'retrying')?.state;
    assert.equal(retrying?.detail, 'storage is (re)initializing; retrying in 1 s');
    assert.equal(log.filter((l) => l === 'services: storage is (re)initializing; retrying in 1 s').length, 5);
  } finally {
    cluster.close();
  }
});

test('the server goes away and comes back: a watcher waiting out its back-off retries as soon as the server answers', async () => {
  reset();
  // Why 6 s: the first wait after an outage is the initial back-off (±20%), at least 4.8 s; the
  // server is back long before that, and the watch must not wait it out.
  const { cluster, last, log } = watchServices({
    watch: { backoffInitialMs: 6000, backoffMaxMs: 60_000 },
    liveness: { intervalMs: 200, timeoutMs: 1000, recheckMs: 100 },
  });
  try {
    await until('synced', () => last()?.phase === 'synced');
    // Held a while, so this is a watch that worked, not one that failed at once.
    await new Promise((resolve) => setTimeout(resolve, 1200));
    await goAway();
    await until('retrying', () => last()?.phase === 'retrying', 5000);
    assert.match(last()?.detail ?? '', /^connection (reset|refused) by 127\.0\.0\.1:\d+: GET \/api\/v1\/services; retrying in [4-8] s$/);
    await listen();
    const back = Date.now();
    await until(
      'synced again',
      () => last()?.phase === 'synced',
      15_000,
      () => JSON.stringify(last()),
    );
    const took = Date.now() - back;
    assert.ok(took < 3000, `synced ${took} ms after the server came back (its back-off was 4.8 s or more)`);
    assert.ok(log.includes('the API server answers again: every watch retries now'), log.join('\n'));
  } finally {
    cluster.close();
  }
});

test('a watch that held resets the back-off: the failure after it waits the first delay, not where an outage left it', async () => {
  reset();
  let lists = 0;
  // Why an overloaded server's 429: it answers, so these failures are no outage and no "the server
  // is back" signal resets the back-off; only the watch that held may.
  const overloaded = 'the server has received too many requests and has asked us to try again later';
  fake.list = (_req, res) => (++lists <= 4 ? json(res, 429, status(429, 'TooManyRequests', overloaded)) : json(res, 200, listOf('3')));
  let watchSocket: Socket | undefined;
  fake.watch = (req, res) => {
    watchSocket = req.socket;
    res.writeHead(200, { 'Content-Type': 'application/json' }).flushHeaders();
  };
  const { cluster, last } = watchServices({ watch: { backoffInitialMs: 300, backoffMaxMs: 60_000 }, liveness: false });
  try {
    // Four 429s: waits of 0.3, 0.6, 1.2, 2.4 s; a fifth would wait 4.8 s.
    await until('synced after four failures', () => last()?.phase === 'synced' && watchSocket !== undefined, 15_000);
    await new Promise((resolve) => setTimeout(resolve, 1200));
    const cut = Date.now();
    watchSocket!.resetAndDestroy();
    await until('watching again', () => fake.seen.filter((r) => r.what.endsWith('watch') && r.at > cut).length > 0, 10_000);
    const again = fake.seen.find((r) => r.what.endsWith('watch') && r.at > cut)!.at - cut;
    assert.ok(again < 1500, `watched again ${again} ms after the cut (the first delay is 0.3 s; the grown one 4.8 s)`);
  } finally {
    cluster.close();
  }
});

test('Ctrl-R: a kind waiting out a forbidden answer (a minute) is asked again at once, and so is DNS', async () => {
  reset();
  let allowed = false;
  fake.list = (_req, res) =>
    allowed
      ? json(res, 200, listOf('4', [published]))
      : json(res, 403, status(403, 'Forbidden', 'services is forbidden: User "u" cannot list resource "services" in API group "" at the cluster scope'));
  const kube = new KubeCluster({ kubeconfig: kubeconfig(), requestTimeoutMs: 2000, watch: { forbiddenRetryMs: 60_000 }, liveness: false });
  let dnsQueries = 0;
  const session = startSession({
    cluster: kube,
    resolver: {
      label: 'fake',
      query: async () => {
        dnsQueries++;
        return [];
      },
    },
    config: parseConfig({ dns: { zones: ['example.com'] } }, 'test'),
    flushMs: 10,
  });
  try {
    const services = () => session.store.getState().sync.services;
    await until('forbidden', () => services()?.phase === 'forbidden', 10_000);
    allowed = true;
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(services().phase, 'forbidden', 'nothing asks again by itself for a minute');
    const state = session.store.getState();
    const command = resolveKey('r', { ctrl: true }, keyMode(state));
    assert.deepEqual(command, { type: 'retry' });
    const pressed = Date.now();
    state.dispatch(command);
    await until('synced after Ctrl-R', () => services()?.phase === 'synced', 5000);
    assert.ok(Date.now() - pressed < 3000, `synced ${Date.now() - pressed} ms after Ctrl-R`);

    // The published name is asked once; its next turn is 30 s away, and Ctrl-R asks now.
    await until(
      'app.example.com asked',
      () => dnsQueries === 2,
      5000,
      () => `${dnsQueries} queries`,
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(dnsQueries, 2, 'A and AAAA, once');
    session.store.getState().dispatch(resolveKey('r', { ctrl: true }, keyMode(session.store.getState())));
    await until(
      'asked again after Ctrl-R',
      () => dnsQueries === 4,
      3000,
      () => `${dnsQueries} queries`,
    );
  } finally {
    session.close();
  }
});

test('a server that stops answering: the probe says so within seconds, the watch is failed, and it comes back when the server answers', async () => {
  reset();
  const session = startSession({
    cluster: new KubeCluster({
      kubeconfig: kubeconfig(),
      requestTimeoutMs: 2000,
      watch: { backoffInitialMs: 300, backoffMaxMs: 60_000 },
      liveness: { intervalMs: 300, timeoutMs: 500, recheckMs: 100 },
    }),
    resolver: undefined,
    config: parseConfig({}, 'test'),
    flushMs: 10,
  });
  try {
    const state = () => session.store.getState();
    await until('synced', () => state().sync.services?.phase === 'synced', 10_000);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const answeredBefore = Date.now();
    fake.frozen = true;
    const frozeAt = Date.now();
    await until('silent', () => state().serverSilentSince !== undefined, 10_000);
    const noticed = Date.now() - frozeAt;
    // Two probes of 0.5 s and the look between them: about 1.5 s here (11 s with the defaults).
    assert.ok(noticed < 5000, `noticed after ${noticed} ms`);
    assert.ok(state().serverSilentSince! <= frozeAt && state().serverSilentSince! >= answeredBefore - 1000, 'since: the last answer before the freeze');
    // The open watch hears nothing from a frozen server; it is failed rather than left to its staleness timer (90 s).
    await until('the watch failed', () => state().sync.services?.phase === 'retrying', 5000);
    assert.match(state().sync.services.detail ?? '', /^stopped answering: no answer to GET \/readyz within 0\.5 s; retrying in \d+ s$/);

    fake.frozen = false;
    // Requests held while frozen are given up by their deadlines; new ones are answered.
    await until('answering again, watch synced', () => state().serverSilentSince === undefined && state().sync.services?.phase === 'synced', 10_000);
  } finally {
    session.close();
  }
});
