/**
 * `npm run bench`: the speed targets, measured. Prints one line per measurement with its budget
 * and exits 1 when one is over budget. Run it on an idle machine; numbers are medians of repeats.
 * `npm run bench -- --cluster [--help]`: drdeck on a loaded real API server beside k9s (bench/cluster).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { ALL_CHECKS, evaluateAll } from '../src/checks/index.js';
import { PANELS } from '../src/checks/types.js';
import { barFixes } from '../src/store/fixes-slice.js';
import { parseConfig } from '../src/config/load.js';
import type { KubeObject } from '../src/cluster.js';
import { KIND_KEYS, type KindKey } from '../src/kinds.js';
import { readDesiredState } from '../src/preflight/repo.js';
import { snapshotOf as desiredSnapshotOf } from '../src/preflight/snapshot.js';
import { snapshotOf } from '../src/store/checks-slice.js';
import { createDeckStore } from '../src/store/deck-store.js';
import { FeedBuffer } from '../src/store/feed-buffer.js';
import { followTimeline, startSession, waitForSync } from '../src/session.js';
import { createDemoCluster } from '../src/sim/index.js';
import { generatePreflightRepo } from './preflight-repo.js';
import { renderDeck } from '../test/screens/render.js';
import { TUI_RENDER_OPTIONS } from '../src/screens/render-options.js';

interface Result {
  name: string;
  ms: number;
  budgetMs: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** The median of `repeats` runs of `fn`, timed whole, or as `fn` says when it returns its own time. */
function time(repeats: number, fn: () => void | number): number {
  const samples: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    const own = fn();
    samples.push(typeof own === 'number' ? own : performance.now() - start);
  }
  return median(samples);
}

/** A Ready condition as Flux and VolSync write it. */
const ready = (since: string) => ({
  type: 'Ready',
  status: 'True',
  reason: 'ReconciliationSucceeded',
  message: 'Applied revision: main@sha1:abc',
  lastTransitionTime: since,
});

/**
 * `n` objects in the proportions of the issue's loaded cluster (Services, PVCs, PVs, RDs,
 * HelmReleases, Kustomizations), each with the fields the checks read and some they do not
 * (managedFields, a last-applied annotation), as a watch would deliver them.
 */
export function clusterObjects(n: number): Array<{ kind: KindKey; object: KubeObject }> {
  const since = new Date(Date.now() - 3_600_000).toISOString();
  const managedFields = [
    { manager: 'kustomize-controller', operation: 'Apply', fieldsType: 'FieldsV1', fieldsV1: { 'f:metadata': { 'f:labels': {} }, 'f:spec': {} } },
  ];
  const meta = (name: string, namespace: string | undefined, i: number) => ({
    name,
    ...(namespace ? { namespace } : {}),
    resourceVersion: String(i + 1),
    uid: `uid-${i}`,
    creationTimestamp: since,
    labels: { 'app.kubernetes.io/name': name, 'kustomize.toolkit.fluxcd.io/name': `app-${i % 100}` },
    managedFields,
  });
  const out: Array<{ kind: KindKey; object: KubeObject }> = [];
  for (let i = 0; out.length < n; i++) {
    const ns = `ns-${i % 100}`;
    const host = 100 + (i % 150);
    out.push({
      kind: 'services',
      object: {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { ...meta(`svc-${i}`, ns, i), annotations: { 'lbipam.cilium.io/ips': `fd00:101::1b:${host},10.101.27.${host}` } },
        spec: { type: i % 4 === 0 ? 'LoadBalancer' : 'ClusterIP', ipFamilyPolicy: 'PreferDualStack', ipFamilies: ['IPv4', 'IPv6'], ports: [{ port: 80 }] },
        status: { loadBalancer: i % 4 === 0 ? { ingress: [{ ip: `10.101.27.${host}` }, { ip: `fd00:101::1b:${host}` }] } : {} },
      },
    });
    out.push({
      kind: 'persistentvolumeclaims',
      object: {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: meta(`data-${i}`, ns, i),
        spec: { storageClassName: 'ceph-block', volumeName: `pv-${i}`, dataSourceRef: { kind: 'ReplicationDestination', name: `app-${i}-dst` } },
        status: { phase: 'Bound' },
      },
    });
    out.push({
      kind: 'persistentvolumes',
      object: {
        apiVersion: 'v1',
        kind: 'PersistentVolume',
        metadata: meta(`pv-${i}`, undefined, i),
        status: { phase: 'Bound', lastPhaseTransitionTime: since },
      },
    });
    if (i % 2 === 0) {
      out.push({
        kind: 'replicationdestinations',
        object: {
          apiVersion: 'volsync.backube/v1alpha1',
          kind: 'ReplicationDestination',
          metadata: meta(`app-${i}-dst`, ns, i),
          spec: { trigger: { manual: 'restore-once' }, kopia: { copyMethod: 'Snapshot', repository: `app-${i}-volsync-secret` } },
          status: {
            lastManualSync: 'restore-once',
            latestImage: { kind: 'VolumeSnapshot', name: `snap-${i}` },
            conditions: [{ type: 'Synchronizing', status: 'False', reason: 'ManualTriggerWaiting', lastTransitionTime: since }],
          },
        },
      });
    }
    if (i % 3 === 0) {
      out.push({
        kind: 'helmreleases',
        object: {
          apiVersion: 'helm.toolkit.fluxcd.io/v2',
          kind: 'HelmRelease',
          metadata: { ...meta(`app-${i}`, ns, i), generation: 1 },
          spec: { interval: '1h' },
          status: { observedGeneration: 1, conditions: [ready(since)] },
        },
      });
      out.push({
        kind: 'kustomizations',
        object: {
          apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
          kind: 'Kustomization',
          metadata: { ...meta(`app-${i}`, 'flux-system', i), generation: 1 },
          spec: { path: `./kubernetes/apps/${ns}/app-${i}`, dependsOn: i >= 3 ? [{ name: `app-${i - 3}` }] : [] },
          status: { observedGeneration: 1, conditions: [ready(since)], inventory: { entries: [{ id: `${ns}_app-${i}_apps_Deployment`, v: 'v1' }] } },
        },
      });
    }
  }
  return out.slice(0, n);
}

/** A store with `n` objects synced, through the feed buffer as the watchers deliver them. */
export function loadedStore(n: number): {
  store: ReturnType<typeof createDeckStore>;
  buffer: FeedBuffer;
  objects: Array<{ kind: KindKey; object: KubeObject }>;
} {
  const config = parseConfig({}, 'bench');
  const store = createDeckStore({ config, clusterName: 'bench', now: Date.now() });
  const buffer = new FeedBuffer(store, 60_000);
  const objects = clusterObjects(n);
  const byKind = new Map<KindKey, KubeObject[]>();
  for (const { kind, object } of objects) byKind.set(kind, [...(byKind.get(kind) ?? []), object]);
  for (const kind of KIND_KEYS) {
    buffer.reset(kind, byKind.get(kind) ?? []);
    buffer.sync(kind, { phase: 'synced', since: Date.now() });
  }
  buffer.flush();
  return { store, buffer, objects };
}

/** The same object, changed the way a status update changes it (a new resourceVersion). */
export function touched(object: KubeObject, rv: number): KubeObject {
  return { ...object, metadata: { ...object.metadata, resourceVersion: `t${rv}` } };
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? NaN;
}

/**
 * Key press → frame with the App drawn by Ink (the CLI's render options) into a fake terminal, over
 * a store of `n` objects fed through a real-timed feed buffer: `eventsPerSecond` touched Services,
 * and every `burstEveryMs` a burst touching every object at once (a watch replaying its objects).
 * Why keys are measured from when they were due: a key waits in the kernel while the event loop is
 * busy; a timer set for its due time fires as late as the key would have been read.
 */
async function keyToFrame(
  n: number,
  eventsPerSecond: number,
  seconds: number,
  burstEveryMs = 0,
): Promise<{ p50: number; p99: number; max: number; samples: number; cpuMs: number }> {
  const { store, objects } = loadedStore(n);
  const buffer = new FeedBuffer(store);
  // Each step of a timed flush (one check, or the commit): the longest time the event loop is held by one.
  const batchSteps = store.getState().batchSteps;
  const applied: number[] = [];
  let commits = 0;
  store.setState({
    *batchSteps(batch) {
      const steps = batchSteps(batch);
      for (;;) {
        const start = performance.now();
        const step = steps.next();
        applied.push(performance.now() - start);
        if (step.done) return void commits++;
        yield;
      }
    },
  });
  const services = objects.filter((o) => o.kind === 'services');
  const deck = await renderDeck(store, 80, 24, { ink: TUI_RENDER_OPTIONS });
  const latencies: number[] = [];
  let rv = 0;
  let waiting: { due: number } | undefined;
  const timers: Array<ReturnType<typeof setInterval>> = [];
  const cpu = process.cpuUsage();
  // The first write after the key's own store update is its frame.
  const push = deck.frames.push.bind(deck.frames);
  deck.frames.push = (...frames: string[]) => {
    if (waiting) latencies.push(performance.now() - waiting.due);
    waiting = undefined;
    return push(...frames);
  };
  if (eventsPerSecond > 0) {
    timers.push(
      setInterval(() => {
        const { object } = services[rv % services.length];
        buffer.event('services', { type: 'MODIFIED', object: touched(object, ++rv) });
      }, 1000 / eventsPerSecond),
    );
  }
  if (burstEveryMs > 0) {
    timers.push(
      setInterval(() => {
        // As a watch stream delivers them: a chunk of objects per read from the socket.
        const send = (from: number) => {
          for (const { kind, object } of objects.slice(from, from + 50)) buffer.event(kind, { type: 'MODIFIED', object: touched(object, ++rv) });
          if (from + 50 < objects.length) setImmediate(() => send(from + 50));
        };
        send(0);
      }, burstEveryMs),
    );
  }
  const end = performance.now() + seconds * 1000;
  let key = 'l';
  while (performance.now() < end) {
    // A key every 150-350 ms, at a time not in step with the events or the frames.
    const due = performance.now() + 150 + Math.random() * 200;
    await new Promise<void>((resolve) =>
      setTimeout(
        () => {
          const before = store.getState().focus;
          waiting = { due };
          void deck.press(key);
          if (store.getState().focus === before) waiting = undefined;
          key = key === 'l' ? 'h' : 'l';
          resolve();
        },
        Math.max(0, due - performance.now()),
      ),
    );
    await new Promise((r) => setTimeout(r, 100));
  }
  const used = process.cpuUsage(cpu);
  for (const t of timers) clearInterval(t);
  buffer.close();
  deck.unmount();
  if (process.env.BENCH_VERBOSE)
    console.log(
      `  store commits: ${commits}; steps (one check or a commit): longest ${Math.max(...applied).toFixed(0)} ms, p99 ${percentile(applied, 99).toFixed(1)} ms`,
    );
  return {
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: Math.max(...latencies),
    samples: latencies.length,
    cpuMs: (used.user + used.system) / 1000,
  };
}

/**
 * Idle: `n` objects synced, the timeline followed (saved to a scratch directory) as the session does,
 * the 1 Hz clock, and the App drawn by Ink as the CLI draws it; nothing else changes for `seconds`.
 */
async function idle(n: number, seconds: number): Promise<{ cpuMs: number; frames: number; updates: number }> {
  const { store } = loadedStore(n);
  const dir = mkdtempSync(join(tmpdir(), 'drdeck-bench-idle-'));
  let clock = Date.now();
  const stopTimeline = followTimeline(store, { name: 'bench', now: () => clock }, { dir, fresh: true });
  const deck = await renderDeck(store, 80, 24, { ink: TUI_RENDER_OPTIONS });
  // Settle: the first frames and the timeline's first save.
  await new Promise((r) => setTimeout(r, 1500));
  let updates = 0;
  const unsubscribe = store.subscribe(() => void updates++);
  const frames = deck.frames.length;
  const cpu = process.cpuUsage();
  const ticks: number[] = [];
  const tick = setInterval(() => {
    const start = performance.now();
    store.getState().tick((clock = Date.now()));
    ticks.push(performance.now() - start);
  }, 1000);
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const used = process.cpuUsage(cpu);
  clearInterval(tick);
  unsubscribe();
  stopTimeline();
  deck.unmount();
  rmSync(dir, { recursive: true, force: true });
  if (process.env.BENCH_VERBOSE)
    console.log(`  one tick with its subscribers (screens, timeline): median ${median(ticks).toFixed(2)} ms, max ${Math.max(...ticks).toFixed(2)} ms`);
  return { cpuMs: (used.user + used.system) / 1000, frames: deck.frames.length - frames, updates };
}

/** Memory now, after a full collection (heap figures are what is retained, not garbage yet to go). */
function memory(): { rss: number; heapUsed: number; external: number; arrayBuffers: number } {
  collect();
  const m = process.memoryUsage();
  const mb = (n: number) => Math.round(n / 1048576);
  return { rss: mb(m.rss), heapUsed: mb(m.heapUsed), external: mb(m.external), arrayBuffers: mb(m.arrayBuffers) };
}

let gc: (() => void) | undefined;
function collect(): void {
  if (!gc) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  gc();
}

/**
 * Churn: `n` objects synced, the App drawn, then `eventsPerSecond` changed objects (every kind in
 * turn) for `seconds`; memory sampled after a collection every `everySeconds`.
 */
async function churn(n: number, eventsPerSecond: number, seconds: number, everySeconds: number): Promise<Array<{ at: number } & ReturnType<typeof memory>>> {
  const samples: Array<{ at: number } & ReturnType<typeof memory>> = [];
  samples.push({ at: -1, ...memory() });
  const { store, objects } = loadedStore(n);
  const buffer = new FeedBuffer(store);
  const deck = await renderDeck(store, 80, 24, { ink: TUI_RENDER_OPTIONS });
  let rv = 0;
  const feed = setInterval(() => {
    const { kind, object } = objects[(rv * 7919) % objects.length];
    buffer.event(kind, { type: 'MODIFIED', object: touched(object, ++rv) });
  }, 1000 / eventsPerSecond);
  const tick = setInterval(() => store.getState().tick(Date.now()), 1000);
  const started = performance.now();
  samples.push({ at: 0, ...memory() });
  while (performance.now() - started < seconds * 1000) {
    await new Promise((r) => setTimeout(r, everySeconds * 1000));
    // The fake terminal keeps every frame; a real one does not.
    deck.frames.splice(0, deck.frames.length);
    samples.push({ at: Math.round((performance.now() - started) / 1000), ...memory() });
  }
  clearInterval(feed);
  clearInterval(tick);
  buffer.close();
  deck.unmount();
  return samples;
}

async function main(): Promise<void> {
  const results: Result[] = [];
  const root = fileURLToPath(new URL('..', import.meta.url));
  const only = process.argv.slice(2).find((a) => !a.startsWith('-'));
  // V8 flags set at run time, as an entry point could set them (e.g. --optimize-for-size), to compare RSS.
  if (process.env.BENCH_V8_FLAGS) setFlagsFromString(process.env.BENCH_V8_FLAGS);

  // 0. Key → frame at 5,000 objects under load (issue 13: p99 ≤ 100 ms), Ink drawing as the CLI does.
  for (const [label, rate, burst] of [
    ['50 events/s', 50, 0],
    ['50 events/s and a 5,000-event burst every 3 s', 50, 3000],
  ] as const) {
    if (only && only !== 'keys' && only !== `keys${burst ? '-burst' : ''}`) continue;
    const r = await keyToFrame(5000, rate, 20, burst);
    const load = (await import('node:os')).loadavg()[0].toFixed(2);
    console.log(
      `key → frame, 5,000 objects, ${label}: p50 ${r.p50.toFixed(0)} ms, p99 ${r.p99.toFixed(0)} ms, max ${r.max.toFixed(0)} ms (${r.samples} keys; CPU ${r.cpuMs.toFixed(0)} ms in 20 s; load ${load})`,
    );
    results.push({ name: `key → frame p99, 5,000 objects, ${label}`, budgetMs: 100, ms: r.p99 });
  }
  if (only?.startsWith('keys')) return report(results);

  // 0c. Memory across churn (issue 13: ≤ 250 MB, flat): BENCH_CHURN_S seconds, 60 unless set.
  if (only === 'churn') {
    const seconds = Number(process.env.BENCH_CHURN_S ?? 60);
    for (const s of await churn(20_000, 50, seconds, Math.max(5, Math.round(seconds / 12)))) {
      console.log(
        `${s.at < 0 ? 'before load' : `${s.at} s`}: rss ${s.rss} MB, heap used ${s.heapUsed} MB, external ${s.external} MB, array buffers ${s.arrayBuffers} MB`,
      );
    }
    return;
  }

  // 0b. Idle (issue 13: < 1 % of a core): 20,000 objects, nothing changing but the clock.
  if (!only || only === 'idle') {
    const seconds = 30;
    const r = await idle(20_000, seconds);
    const load = (await import('node:os')).loadavg()[0].toFixed(2);
    const percent = (r.cpuMs / (seconds * 1000)) * 100;
    console.log(
      `idle, 20,000 objects, ${seconds} s: CPU ${r.cpuMs.toFixed(0)} ms (${percent.toFixed(2)} % of a core), ${r.frames} frames written, ${r.updates} store updates (load ${load})`,
    );
    results.push({ name: `idle CPU over ${seconds} s, 20,000 objects (ms; budget 1 % of a core)`, budgetMs: seconds * 10, ms: r.cpuMs });
    if (only) return report(results);
  }

  // 1. A burst of 5,000 watch events applied as one batch (store update + dirty checks).
  const config = parseConfig({}, 'bench');
  results.push({
    name: '5,000 Service events, one batch, checks re-evaluated',
    budgetMs: 250,
    ms: time(5, () => {
      const store = createDeckStore({ config, clusterName: 'bench', now: Date.now() });
      const buffer = new FeedBuffer(store, 60_000);
      for (const kind of KIND_KEYS) buffer.sync(kind, { phase: 'synced' });
      buffer.flush();
      for (let i = 0; i < 5000; i++) {
        buffer.event('services', {
          type: 'ADDED',
          object: {
            apiVersion: 'v1',
            kind: 'Service',
            metadata: {
              name: `svc-${i}`,
              namespace: `ns-${i % 50}`,
              resourceVersion: String(i + 1),
              annotations: { 'lbipam.cilium.io/ips': `fd00:101::1b:${100 + (i % 150)},10.101.27.${100 + (i % 150)}` },
            },
            spec: { type: 'LoadBalancer' },
            status: { loadBalancer: { ingress: [{ ip: `10.101.27.${100 + (i % 150)}` }] } },
          },
        });
      }
      buffer.flush();
      buffer.close();
    }),
  });

  // 1b. 20,000 objects synced; then one changed Service: what one event costs (issue 13: "each stage
  // costs what its change costs"), one 1 Hz tick with nothing changed, and the initial sync itself.
  {
    const started = performance.now();
    const { store, buffer, objects } = loadedStore(20_000);
    const syncMs = performance.now() - started;
    results.push({ name: '20,000 objects: LIST results applied and every check evaluated', budgetMs: 3000, ms: syncMs });
    const services = objects.filter((o) => o.kind === 'services');
    let rv = 0;
    results.push({
      name: '20,000 objects: one Service event, one batch',
      budgetMs: 50,
      ms: time(7, () => {
        const { object } = services[rv % services.length];
        buffer.event('services', { type: 'MODIFIED', object: touched(object, ++rv) });
        buffer.flush();
      }),
    });
    const kustomizations = objects.filter((o) => o.kind === 'kustomizations');
    results.push({
      name: '20,000 objects: one Kustomization event, one batch',
      budgetMs: 50,
      ms: time(7, () => {
        const { object } = kustomizations[rv % kustomizations.length];
        buffer.event('kustomizations', { type: 'MODIFIED', object: touched(object, ++rv) });
        buffer.flush();
      }),
    });
    results.push({
      name: "20,000 objects: one Kustomization event, then every panel's help-bar fixes",
      budgetMs: 20,
      ms: time(7, () => {
        // Fixes on (the bench's store has no cluster to fix, so it starts read-only).
        store.setState({ readOnly: false });
        const { object } = kustomizations[rv % kustomizations.length];
        buffer.event('kustomizations', { type: 'MODIFIED', object: touched(object, ++rv) });
        buffer.flush();
        const start = performance.now();
        for (const panel of PANELS) barFixes(store.getState(), panel);
        return performance.now() - start;
      }),
    });
    let now = store.getState().now;
    results.push({ name: '20,000 objects: one 1 Hz clock tick', budgetMs: 5, ms: time(7, () => store.getState().tick((now += 1000))) });
    buffer.close();
  }

  if (only === 'batch') return report(results);

  // 2. Every check on the demo scenario's full snapshot.
  const demo = createDemoCluster({ manual: true });
  const demoConfig = parseConfig(demo.config, 'demo');
  const session = startSession({ cluster: demo.cluster, resolver: demo.dns, config: demoConfig, flushMs: 5 });
  await waitForSync(session, 5000);
  session.buffer.flush();
  const snapshot = snapshotOf(session.store.getState());
  results.push({ name: `all ${ALL_CHECKS.length} checks on the rebuild scenario`, budgetMs: 20, ms: time(50, () => void evaluateAll(snapshot, demoConfig)) });
  session.close();

  // 3. `drdeck --help` must not load Ink or the Kubernetes client (DESIGN.md: start-up).
  results.push({
    name: '`drdeck --help` (built CLI, whole process)',
    budgetMs: 400,
    ms: time(5, () => {
      const r = spawnSync(process.execPath, [`${root}bin/drdeck.js`, '--help'], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`drdeck --help failed: ${r.stderr}`);
    }),
  });

  // 4. Preflight on a generated 2,000-file repository: read it the way Flux applies it, then the checks.
  const repo = mkdtempSync(join(tmpdir(), 'drdeck-bench-repo-'));
  try {
    const count = generatePreflightRepo(repo);
    const samples: number[] = [];
    for (let i = 0; i < 3; i++) {
      const start = performance.now();
      const state = await readDesiredState(repo);
      evaluateAll(desiredSnapshotOf(state, Date.now()), config);
      samples.push(performance.now() - start);
    }
    results.push({ name: `preflight: readDesiredState + checks on a ${count.toLocaleString('en')}-file repository`, budgetMs: 3000, ms: median(samples) });
  } finally {
    rmSync(repo, { recursive: true, force: true });
  }

  report(results);
}

function report(results: Result[]): void {
  let over = 0;
  for (const r of results) {
    const ok = r.ms <= r.budgetMs;
    if (!ok) over++;
    console.log(`${ok ? 'ok  ' : 'OVER'}  ${r.ms.toFixed(1).padStart(8)} ms  (budget ${r.budgetMs} ms)  ${r.name}`);
  }
  process.exitCode = over ? 1 : 0;
}

// Run as the bench (imported by a profiling script: only the generators). `--cluster`: the
// real-server benchmark beside k9s (bench/cluster/main.ts), loaded only when asked.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const clusterFlag = process.argv.indexOf('--cluster');
  if (clusterFlag >= 0) {
    const args = process.argv.slice(2).filter((_, i) => i + 2 !== clusterFlag);
    void import('./cluster/main.js').then(async ({ runClusterBench }) => {
      process.exitCode = await runClusterBench(args);
    });
  } else void main();
}
