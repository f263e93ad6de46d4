/**
 * Shared pieces of the end-to-end tests: one real API server per test file (test/cluster), drdeck
 * sessions on a kubeconfig, a TCP proxy that can cut or black-hole the connection, and polling.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { parse, stringify } from 'yaml';
import { CoreV1Api } from '@kubernetes/client-node';
import { findGo } from '../cluster/build.js';
import { apiClient } from '../cluster/client.js';
import { startCluster, type Cluster as TestCluster, type StartOptions } from '../cluster/cluster.js';
import type { KubeObject } from '../../src/cluster.js';
import { parseConfig } from '../../src/config/load.js';
import { KubeCluster, type KubeClusterOptions } from '../../src/k8s/kube-cluster.js';
import { resolveKubeconfig } from '../../src/k8s/kubeconfig.js';
import type { KindKey } from '../../src/kinds.js';
import { objectKey } from '../../src/records.js';
import { startSession, type Session } from '../../src/session.js';

/** The e2e tests need the test API server, which is built with Go; CI must have it. */
export const CAN_RUN = Boolean(findGo()) || Boolean(process.env.CI);

/** Skips the test (returns true) when the API server cannot be built here. */
export function skipWithoutGo(t: TestContext): boolean {
  if (CAN_RUN) return false;
  t.skip('SKIPPED: go not found (the e2e tests build kube-apiserver with it; CI must have it)');
  return true;
}

/** A started test cluster in a temp folder, and the function that stops it and removes the folder. */
export async function startE2eCluster(name: string, options: StartOptions = {}): Promise<{ cluster: TestCluster; stop: () => Promise<void> }> {
  const dir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), `drdeck-e2e-${name}-`));
  const cluster = await startCluster(dir, { stopOnExit: true, ...options });
  return {
    cluster,
    stop: async () => {
      await cluster.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Fast watch timings for tests: short backoff, short staleness. */
export const FAST_WATCH: KubeClusterOptions['watch'] = {
  backoffInitialMs: 300,
  backoffMaxMs: 2_000,
  forbiddenRetryMs: 2_000,
  notInstalledRetryMs: 1_000,
};

export interface LiveSession extends Session {
  kube: KubeCluster;
  /** The watchers' diagnostics so far. */
  logs: string[];
}

/** A drdeck session on a kubeconfig, as `drdeck` starts one (the default 100 ms flush). */
export function liveSession(kubeconfig: string, options: Omit<KubeClusterOptions, 'kubeconfig'> = {}): LiveSession {
  const logs: string[] = [];
  const kube = new KubeCluster({
    kubeconfig: resolveKubeconfig({ kubeconfig }),
    watch: FAST_WATCH,
    log: (line) => logs.push(line),
    ...options,
  });
  const session = startSession({ cluster: kube, resolver: undefined, config: parseConfig({}, 'e2e') });
  return Object.assign(session, { kube, logs });
}

/** An admin client (drdeck's own KubeCluster, so its writes are exercised too). */
export function adminClient(kubeconfig: string): KubeCluster {
  return new KubeCluster({ kubeconfig: resolveKubeconfig({ kubeconfig }) });
}

/**
 * Polls `probe` every 20 ms until it returns a truthy value; fails with `what` (and what `explain`
 * says about the state then) after `timeoutMs`.
 */
export async function waitFor<T>(
  what: string,
  probe: () => T | Promise<T>,
  timeoutMs = 30_000,
  explain?: () => string,
): Promise<Exclude<T, false | null | undefined | 0 | ''>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value as Exclude<T, false | null | undefined | 0 | ''>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${explain ? `: ${explain()}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The sync phases that differ from `phase`, for a failed wait's message. */
export function syncExcept(session: Session, phase: string): string {
  const states = Object.entries(session.store.getState().sync).filter(([, s]) => s.phase !== phase);
  return JSON.stringify(Object.fromEntries(states));
}

/** The store's objects of a kind in one namespace, as `name -> uid`. */
export function storeObjects(session: Session, kind: KindKey, namespace: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const object of session.store.getState().objects[kind].values()) {
    if (object.metadata.namespace === namespace) found.set(object.metadata.name, object.metadata.uid ?? '');
  }
  return found;
}

/** The server's objects of a kind in one namespace, as `name -> uid`. */
export async function serverObjects(client: KubeCluster, kind: KindKey, namespace: string): Promise<Map<string, string>> {
  const { items } = await client.list(kind, namespace);
  return new Map(items.map((o: KubeObject) => [o.metadata.name, o.metadata.uid ?? '']));
}

/** A minimal Service. */
export function service(namespace: string, name: string, labels: Record<string, string> = {}): KubeObject {
  return { metadata: { name, namespace, labels }, spec: { ports: [{ name: 'http', port: 80 }] } };
}

/** `namespace/name` as the store keys it. */
export const keyOf = (namespace: string, name: string): string => objectKey({ metadata: { namespace, name } });

/** Writes a copy of a kubeconfig with another server URL, or with extra user fields (impersonation). */
export function kubeconfigVariant(source: string, target: string, change: { server?: string; user?: Record<string, unknown> }): string {
  const config = parse(readFileSync(source, 'utf8')) as {
    clusters: Array<{ cluster: { server: string } }>;
    users: Array<{ user: Record<string, unknown> }>;
  };
  if (change.server) for (const c of config.clusters) c.cluster.server = change.server;
  if (change.user) for (const u of config.users) Object.assign(u.user, change.user);
  writeFileSync(target, stringify(config), { mode: 0o600 });
  return target;
}

export type ProxyMode = 'pass' | 'blackhole' | 'reject';

/**
 * A TCP proxy in front of the API server. `pass` forwards; `blackhole` accepts connections and
 * stops moving bytes on every connection, old and new (a hung server or a dead network path);
 * `reject` resets every connection (a server that is down).
 */
export interface TcpProxy {
  readonly port: number;
  mode: ProxyMode;
  setMode(mode: ProxyMode): void;
  close(): Promise<void>;
}

export async function startProxy(targetPort: number): Promise<TcpProxy> {
  const pairs = new Set<{ client: Socket; upstream?: Socket }>();
  let mode: ProxyMode = 'pass';

  const link = (pair: { client: Socket; upstream?: Socket }) => {
    const upstream = connect(targetPort, '127.0.0.1');
    pair.upstream = upstream;
    pair.client.pipe(upstream);
    upstream.pipe(pair.client);
    const drop = () => {
      pair.client.destroy();
      upstream.destroy();
      pairs.delete(pair);
    };
    upstream.on('error', drop);
    upstream.on('close', drop);
  };

  const server: Server = createServer((client) => {
    const pair: { client: Socket; upstream?: Socket } = { client };
    pairs.add(pair);
    client.on('error', () => {});
    client.on('close', () => {
      pair.upstream?.destroy();
      pairs.delete(pair);
    });
    if (mode === 'reject') client.resetAndDestroy();
    else if (mode === 'blackhole') client.pause();
    else link(pair);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  return {
    port,
    get mode() {
      return mode;
    },
    setMode(next: ProxyMode) {
      if (next === mode) return;
      mode = next;
      for (const pair of [...pairs]) {
        if (next === 'reject') {
          pair.client.resetAndDestroy();
          pair.upstream?.destroy();
        } else if (next === 'blackhole') {
          // The bytes stop moving, both ways; nothing is closed.
          pair.client.unpipe();
          pair.upstream?.unpipe();
          pair.client.pause();
          pair.upstream?.pause();
        } else {
          // Whatever was held in the black hole has been given up by the client by now.
          pair.client.destroy();
          pair.upstream?.destroy();
        }
      }
    },
    async close() {
      for (const pair of pairs) {
        pair.client.destroy();
        pair.upstream?.destroy();
      }
      pairs.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Creates a namespace (a fresh one per test keeps tests apart: namespaces never finish deleting here). */
export async function createNamespace(kubeconfig: string, name: string): Promise<void> {
  await apiClient(kubeconfig, CoreV1Api).createNamespace({ body: { metadata: { name } } });
}
