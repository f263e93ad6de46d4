/**
 * The benchmark's second path, for rates the test API server cannot take (it takes ~40-100 writes/s
 * on a busy 2-core machine): drdeck alone, in this process, on the loaded server, with its Services
 * watch fed from here.
 *
 * drdeck's own KubeCluster (src/k8s: discovery, LIST, WATCH through src/k8s/watcher.ts) talks to an
 * HTTPS proxy on loopback that passes every request to the real server except the Services WATCH:
 * that stream is written here, as the API server writes it (one JSON watch event per line), made of
 * the real Service objects the server LISTed, each MODIFIED with a new label and resourceVersion, at
 * the asked rate, plus the probe Service losing or gaining its load-balancer address now and then.
 * The session (src/session.ts: watcher → FeedBuffer → store → checks) renders the real App with
 * drdeck's own Ink options to a fake 80x24 terminal; event → frame is the time from an event's due
 * time to the first frame that shows its change.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { Agent, createServer, type Server } from 'node:https';
import type { ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { Api } from './api.js';
import { PROBE } from './load.js';
import { forward } from './proxy.js';

export interface ReplayOptions {
  clusterDir: string;
  work: string;
  /** Objects loaded (for the record). */
  n: number;
  /** Services events per second on the replayed stream, besides the probe's. */
  rate: number;
  /** Probe changes timed. */
  samples: number;
}

export interface ReplayResult {
  latencies: number[];
  /** Events per second the stream carried. */
  rate: number;
  syncMs: number;
}

/** Strips ANSI escape sequences (Ink's colours and cursor moves). */
export function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001b\[[0-9;?]*[ -/]*[@-~]|\u001b\][^\u0007]*\u0007|\u001b[=>78]/g, '');
}

/** A fake terminal for Ink: 80x24, a TTY; calls `onFrame` with each write's text (ANSI stripped). */
class FakeStdout extends Writable {
  readonly isTTY = true;
  columns = 80;
  rows = 24;
  constructor(private readonly onFrame: (text: string, at: number) => void) {
    super();
  }
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, done: () => void): void {
    this.onFrame(stripAnsi(chunk.toString()), performance.now());
    done();
  }
}

function fakeStdin(): NodeJS.ReadStream {
  const stdin = new PassThrough() as unknown as NodeJS.ReadStream & { setRawMode: (mode: boolean) => void };
  Object.assign(stdin, { isTTY: true, setRawMode: () => stdin, ref: () => stdin, unref: () => stdin });
  return stdin;
}

interface RawObject {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace?: string; resourceVersion?: string; labels?: Record<string, string> };
  spec?: { type?: string };
  status?: { loadBalancer?: { ingress?: Array<{ ip?: string }> } };
}

/** Every Service the server has, as it LISTs them (pages of 500). */
async function listServices(api: Api): Promise<RawObject[]> {
  const items: RawObject[] = [];
  let token: string | undefined;
  do {
    const query = new URLSearchParams({ limit: '500', ...(token ? { continue: token } : {}) });
    const res = await api.must('GET', `/api/v1/services?${query}`);
    const page = JSON.parse(res.body) as { items: RawObject[]; metadata: { continue?: string } };
    for (const item of page.items) items.push({ ...item, apiVersion: 'v1', kind: 'Service' });
    token = page.metadata.continue || undefined;
  } while (token);
  return items;
}

/** Runs one replay; see the file's comment. */
export async function runReplay(options: ReplayOptions): Promise<ReplayResult> {
  // Why dynamic imports: Ink reads "am I in CI" once, when it loads; in CI it would draw nothing
  // until exit, and no frame would ever be timed.
  delete process.env.CI;
  const [{ render }, React, { App }, { DeckContext }, { TUI_RENDER_OPTIONS }, { startSession }, { KubeCluster }, { resolveKubeconfig }, { parseConfig }] =
    await Promise.all([
      import('ink'),
      import('react'),
      import('../../src/screens/App.js'),
      import('../../src/hooks/use-deck.js'),
      import('../../src/screens/render-options.js'),
      import('../../src/session.js'),
      import('../../src/k8s/kube-cluster.js'),
      import('../../src/k8s/kubeconfig.js'),
      import('../../src/config/load.js'),
    ]);
  const api = new Api(options.clusterDir);
  const items = await listServices(api);
  const lbs = items.filter((s) => s.spec?.type === 'LoadBalancer');
  const m = lbs.length;
  const probe = items.find((s) => s.metadata.name === PROBE.name && s.metadata.namespace === PROBE.namespace);
  if (!probe) throw new Error('replay: the probe Service is missing');
  const others = items.filter((s) => s !== probe);
  const withAddress = (s: RawObject) => (s.status?.loadBalancer?.ingress ?? []).some((i) => i.ip);
  let probeHasIp = withAddress(probe);
  const pendingNow = () => lbs.filter((s) => s !== probe && !withAddress(s)).length + (probeHasIp ? 0 : 1);

  // The proxy: everything to the server, but the Services watch from here.
  const state = JSON.parse(readFileSync(join(options.clusterDir, 'cluster.json'), 'utf8')) as { server: string };
  const cert = readFileSync(join(options.clusterDir, 'pki', 'apiserver.crt'));
  const key = readFileSync(join(options.clusterDir, 'pki', 'apiserver.key'));
  const agent = new Agent({ keepAlive: true, ca: cert });
  const target = new URL(state.server);
  const streams = new Set<ServerResponse>();
  let rv = 0;
  const server: Server = createServer({ cert, key }, (req, res) => {
    const url = new URL(req.url ?? '/', state.server);
    if (url.pathname === '/api/v1/services' && url.searchParams.get('watch') === 'true') {
      rv = Math.max(rv, Number(url.searchParams.get('resourceVersion') ?? 0));
      res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
      res.flushHeaders();
      streams.add(res);
      res.on('close', () => streams.delete(res));
      return;
    }
    forward(req, res, target, agent, 60_000);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const proxyUrl = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const kubeconfigFile = join(options.work, `kubeconfig-replay-${process.pid}`);
  const admin = readFileSync(join(options.clusterDir, 'kubeconfig'), 'utf8').replace(state.server, proxyUrl);
  writeFileSync(kubeconfigFile, admin, { mode: 0o600 });

  const send = (object: RawObject): void => {
    object.metadata.resourceVersion = String(++rv);
    const line = `${JSON.stringify({ type: 'MODIFIED', object })}\n`;
    for (const stream of streams) stream.write(line);
  };

  // The fake terminal: each frame checked against what is awaited.
  let waiter: { test: (frame: string) => boolean; resolve: (at: number) => void } | undefined;
  let lastFrame = '';
  const stdout = new FakeStdout((frame, at) => {
    lastFrame = frame;
    if (waiter?.test(frame)) {
      const w = waiter;
      waiter = undefined;
      w.resolve(at);
    }
  });
  const waitFrame = (test: (frame: string) => boolean, timeoutMs: number): Promise<number | undefined> =>
    new Promise((resolve) => {
      if (test(lastFrame)) return resolve(performance.now());
      const timer = setTimeout(() => {
        waiter = undefined;
        resolve(undefined);
      }, timeoutMs);
      waiter = {
        test,
        resolve: (at) => {
          clearTimeout(timer);
          resolve(at);
        },
      };
    });
  const shows = (pending: number) => (frame: string) => new RegExp(`\\b${pending}/${m} EXTERNAL-IP pending`).test(frame);

  const kube = new KubeCluster({ kubeconfig: resolveKubeconfig({ kubeconfig: kubeconfigFile }), log: () => {} });
  const session = startSession({ cluster: kube, resolver: undefined, config: parseConfig({}, 'bench') });
  const t0 = performance.now();
  const app = render(React.createElement(DeckContext.Provider, { value: session.store }, React.createElement(App)), {
    ...TUI_RENDER_OPTIONS,
    stdout: stdout as unknown as NodeJS.WriteStream,
    stdin: fakeStdin(),
    stderr: new FakeStdout(() => {}) as unknown as NodeJS.WriteStream,
    patchConsole: false,
  });
  let sent = 0;
  const latencies: number[] = [];
  let timer: ReturnType<typeof setInterval> | undefined;
  try {
    const synced = await waitFrame(shows(pendingNow()), 600_000);
    if (synced === undefined) throw new Error(`replay: drdeck did not show ${m} LoadBalancer Services; last frame:\n${lastFrame}`);
    const syncMs = synced - t0;
    const deadline = Date.now() + 30_000;
    while (streams.size === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    if (streams.size === 0) throw new Error('replay: drdeck never opened its Services watch');
    // The load: MODIFIED Services, a new label each, spread evenly (due times kept, so a late timer catches up).
    const started = performance.now();
    let tick = 0;
    if (options.rate > 0) {
      timer = setInterval(() => {
        const due = Math.floor(((performance.now() - started) / 1000) * options.rate);
        while (sent < due) {
          const object = structuredClone(others[(tick++ * 7919) % others.length]!);
          object.metadata.labels = { ...object.metadata.labels, 'bench-replay': String(tick) };
          send(object);
          sent++;
        }
      }, 10);
      await new Promise((r) => setTimeout(r, 2_000));
    }
    for (let i = 0; i < options.samples; i++) {
      probeHasIp = !probeHasIp;
      const object = structuredClone(probe);
      object.status = { loadBalancer: probeHasIp ? { ingress: [{ ip: `10.201.${(i >> 8) & 255}.${i & 255 || 1}` }] } : {} };
      const sentAt = performance.now();
      send(object);
      const seen = await waitFrame(shows(pendingNow()), 30_000);
      latencies.push(seen === undefined ? 30_000 : seen - sentAt);
      await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
    }
    const seconds = (performance.now() - started) / 1000;
    return { latencies, rate: options.rate > 0 ? sent / seconds : 0, syncMs };
  } finally {
    clearInterval(timer);
    app.unmount();
    session.close();
    for (const stream of streams) stream.end();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    agent.destroy();
    api.close();
  }
}
