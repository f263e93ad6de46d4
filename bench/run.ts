/**
 * `npm run bench`: the speed targets, measured. Prints one line per measurement with its budget
 * and exits 1 when one is over budget. Run it on an idle machine; numbers are medians of repeats.
 * `npm run bench -- --cluster [--help]`: drdeck on a loaded real API server beside k9s (bench/cluster).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { ALL_CHECKS, evaluateAll } from '../src/checks/index.js';
import { parseConfig } from '../src/config/load.js';
import { KIND_KEYS } from '../src/kinds.js';
import { readDesiredState } from '../src/preflight/repo.js';
import { snapshotOf as desiredSnapshotOf } from '../src/preflight/snapshot.js';
import { snapshotOf } from '../src/store/checks-slice.js';
import { createDeckStore } from '../src/store/deck-store.js';
import { FeedBuffer } from '../src/store/feed-buffer.js';
import { startSession, waitForSync } from '../src/session.js';
import { createDemoCluster } from '../src/sim/index.js';
import { generatePreflightRepo } from './preflight-repo.js';

interface Result {
  name: string;
  ms: number;
  budgetMs: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function time(repeats: number, fn: () => void): number {
  const samples: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    fn();
    samples.push(performance.now() - start);
  }
  return median(samples);
}

async function main(): Promise<void> {
  const results: Result[] = [];
  const root = fileURLToPath(new URL('..', import.meta.url));

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

  // 2. Every check on the demo scenario's full snapshot.
  const demo = createDemoCluster({ manual: true });
  const demoConfig = parseConfig(demo.config, 'demo');
  const session = startSession({ cluster: demo.cluster, resolver: demo.dns, config: demoConfig, flushMs: 5 });
  await waitForSync(session, 5000);
  session.buffer.flush();
  const snapshot = snapshotOf(session.store.getState());
  results.push({ name: `all ${ALL_CHECKS.length} checks on the rebuild scenario`, budgetMs: 20, ms: time(50, () => evaluateAll(snapshot, demoConfig)) });
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

  let over = 0;
  for (const r of results) {
    const ok = r.ms <= r.budgetMs;
    if (!ok) over++;
    console.log(`${ok ? 'ok  ' : 'OVER'}  ${r.ms.toFixed(1).padStart(8)} ms  (budget ${r.budgetMs} ms)  ${r.name}`);
  }
  process.exitCode = over ? 1 : 0;
}

// `--cluster`: the real-server benchmark beside k9s (bench/cluster/main.ts), loaded only when asked.
const clusterFlag = process.argv.indexOf('--cluster');
if (clusterFlag >= 0) {
  const args = process.argv.slice(2).filter((_, i) => i + 2 !== clusterFlag);
  void import('./cluster/main.js').then(async ({ runClusterBench }) => {
    process.exitCode = await runClusterBench(args);
  });
} else void main();
