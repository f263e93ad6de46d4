/**
 * The objects the cluster benchmark loads, the bounded-rate loader that creates them, the write load
 * on other objects, and the probe Service whose change the screens are timed on.
 *
 * The mix (per 100 objects): 30 Services of type LoadBalancer, 20 PVCs, 20 PVs, 10
 * ReplicationDestinations, 10 HelmReleases, 10 Kustomizations, spread over {@link NAMESPACES}
 * namespaces. LoadBalancer Services ask for no node port (`allocateLoadBalancerNodePorts: false`):
 * the node-port range holds only ~2,700 of them.
 */
import type { KindKey } from '../../src/kinds.js';
import { resourcePath } from '../../src/k8s/resources.js';
import type { Api } from './api.js';

/** Namespaces the objects spread over. */
export const NAMESPACES = 20;
/** The probe Service's namespace and name: first in k9s's all-namespaces list (sorted by namespace, then name). */
export const PROBE = { namespace: 'aaa-bench', name: 'aaa-probe' } as const;

/** Per 100 objects. */
export const MIX: ReadonlyArray<readonly [KindKey, number]> = [
  ['services', 30],
  ['persistentvolumeclaims', 20],
  ['persistentvolumes', 20],
  ['replicationdestinations', 10],
  ['helmreleases', 10],
  ['kustomizations', 10],
];

export const namespaceOf = (i: number): string => `bench-${String(i % NAMESPACES).padStart(2, '0')}`;

/** The i-th object of the mix: which kind, and its manifest. Deterministic, so a rerun loads the same set. */
export function benchObject(i: number): { kind: KindKey; namespace?: string; body: Record<string, unknown> } {
  let slot = i % 100;
  let kind: KindKey = MIX[0][0];
  for (const [k, share] of MIX) {
    if (slot < share) {
      kind = k;
      break;
    }
    slot -= share;
  }
  const name = `b-${kind.slice(0, 4)}-${String(i).padStart(6, '0')}`;
  const namespace = namespaceOf(i);
  const meta = { name, namespace, labels: { 'app.kubernetes.io/part-of': 'drdeck-bench' } };
  const octet = (n: number) => `${(n >> 8) & 255}.${n & 255}`;
  switch (kind) {
    case 'services':
      return {
        kind,
        namespace,
        body: {
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { ...meta, annotations: { 'lbipam.cilium.io/ips': `10.120.${octet(i)},fd00:120::${i.toString(16)}` } },
          spec: { type: 'LoadBalancer', allocateLoadBalancerNodePorts: false, ipFamilyPolicy: 'SingleStack', ports: [{ name: 'http', port: 80 }] },
        },
      };
    case 'persistentvolumeclaims':
      return {
        kind,
        namespace,
        body: {
          apiVersion: 'v1',
          kind: 'PersistentVolumeClaim',
          metadata: meta,
          spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'bench', resources: { requests: { storage: '1Gi' } } },
        },
      };
    case 'persistentvolumes':
      return {
        kind,
        body: {
          apiVersion: 'v1',
          kind: 'PersistentVolume',
          metadata: { name, labels: meta.labels },
          spec: {
            capacity: { storage: '1Gi' },
            accessModes: ['ReadWriteOnce'],
            persistentVolumeReclaimPolicy: 'Retain',
            storageClassName: 'bench',
            hostPath: { path: `/var/bench/${name}` },
          },
        },
      };
    case 'replicationdestinations':
      return {
        kind,
        namespace,
        body: {
          apiVersion: 'volsync.backube/v1alpha1',
          kind: 'ReplicationDestination',
          metadata: meta,
          spec: {
            trigger: { manual: 'restore-once' },
            restic: { repository: `${name}-restic`, copyMethod: 'Snapshot', accessModes: ['ReadWriteOnce'], capacity: '1Gi' },
          },
        },
      };
    case 'helmreleases':
      return {
        kind,
        namespace,
        body: {
          apiVersion: 'helm.toolkit.fluxcd.io/v2',
          kind: 'HelmRelease',
          metadata: meta,
          spec: { interval: '30m', chart: { spec: { chart: 'app-template', sourceRef: { kind: 'HelmRepository', name: 'bench', namespace: 'flux-system' } } } },
        },
      };
    default:
      return {
        kind,
        namespace,
        body: {
          apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
          kind: 'Kustomization',
          metadata: meta,
          spec: { interval: '30m', prune: true, path: `./apps/${name}`, sourceRef: { kind: 'GitRepository', name: 'flux-system', namespace: 'flux-system' } },
        },
      };
  }
}

/** Creates the namespaces and the probe Service (with no address yet). */
export async function prepare(api: Api): Promise<void> {
  const names = [PROBE.namespace, ...Array.from({ length: NAMESPACES }, (_, i) => namespaceOf(i))];
  await Promise.all(names.map((name) => api.must('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } }, undefined, true)));
  await api.must(
    'POST',
    resourcePath('services', PROBE.namespace),
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { ...PROBE, annotations: { 'lbipam.cilium.io/ips': '10.200.0.1,fd00:200::1' } },
      spec: { type: 'LoadBalancer', allocateLoadBalancerNodePorts: false, ipFamilyPolicy: 'SingleStack', ports: [{ name: 'http', port: 80 }] },
    },
    undefined,
    true,
  );
}

/** What a loader run achieved. */
export interface LoadRun {
  created: number;
  seconds: number;
  /** Objects per second the server took. */
  rate: number;
}

/**
 * Creates objects `from` .. `to`-1 with `concurrency` requests in flight and at most `maxRate` per
 * second; an object that exists already counts as created (a rerun on the same server).
 */
export async function loadObjects(api: Api, from: number, to: number, options: { concurrency: number; maxRate: number }): Promise<LoadRun> {
  const started = Date.now();
  let next = from;
  const interval = 1000 / options.maxRate;
  const worker = async (): Promise<void> => {
    while (next < to) {
      const i = next++;
      // Why a schedule and not a sleep per request: the rate stays bounded however many workers run.
      const due = started + (i - from) * interval;
      if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
      const { kind, namespace, body } = benchObject(i);
      await api.must('POST', resourcePath(kind, namespace), body, undefined, true);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  const seconds = (Date.now() - started) / 1000;
  return { created: to - from, seconds, rate: (to - from) / seconds };
}

/**
 * A write load on the loaded objects (not the probe): a label change on one object after another,
 * `rate` per second, at most 16 in flight (a write that would exceed that is skipped and counted).
 * Returns a stop function that reports the rate achieved.
 */
export function startWriteLoad(api: Api, objects: number, rate: number): () => { sent: number; failed: number; skipped: number; rate: number } {
  const started = Date.now();
  // Why a run mark in the value: the stride visits the same objects in the same order on every run,
  // and a label set to the value it already has is a write the server drops: no watch event.
  const run = started.toString(36);
  let sent = 0;
  let failed = 0;
  let skipped = 0;
  let inFlight = 0;
  let tick = 0;
  let stopped = false;
  if (rate <= 0 || objects <= 0) return () => ({ sent: 0, failed: 0, skipped: 0, rate: 0 });
  const fire = (): void => {
    if (inFlight >= 16) {
      skipped++;
      return;
    }
    const i = (tick * 7919) % objects; // a stride over all objects, so every kind gets writes
    tick++;
    const { kind, namespace, body } = benchObject(i);
    const name = (body.metadata as { name: string }).name;
    inFlight++;
    api
      .request('PATCH', resourcePath(kind, namespace, name), { metadata: { labels: { 'bench-tick': `${run}-${tick}` } } }, 'application/merge-patch+json')
      .then((res) => (res.status === 200 ? sent++ : failed++))
      .catch(() => failed++)
      .finally(() => inFlight--);
  };
  // Fires in small batches every 20 ms, so 200/s does not need a 5 ms timer.
  const timer = setInterval(() => {
    if (stopped) return;
    const due = Math.floor(((Date.now() - started) / 1000) * rate);
    while (sent + failed + skipped + inFlight < due) fire();
  }, 20);
  return () => {
    stopped = true;
    clearInterval(timer);
    const seconds = (Date.now() - started) / 1000;
    return { sent, failed, skipped, rate: sent / seconds };
  };
}

/**
 * Changes the probe Service's load-balancer status: even steps give it an address (10.200.x.y, new
 * each time), odd steps take it away. Returns the address set, or undefined when taken away.
 */
export async function toggleProbe(api: Api, step: number): Promise<string | undefined> {
  const ip = step % 2 === 0 ? `10.200.${(step >> 8) & 255}.${step & 255 || 1}` : undefined;
  const patch = { status: { loadBalancer: { ingress: ip ? [{ ip }] : null } } };
  await api.must('PATCH', resourcePath('services', PROBE.namespace, PROBE.name, 'status'), patch, 'application/merge-patch+json');
  return ip;
}
