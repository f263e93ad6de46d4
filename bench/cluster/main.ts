/**
 * `npm run bench -- --cluster [options]`: drdeck on a loaded real API server, beside k9s.
 *
 * Starts the test API server (test/cluster), loads N objects at a bounded rate (load.ts), and per N
 * measures, in runs whose medians are recorded: the raw LIST of every watched kind; drdeck's TUI in
 * tmux at 80x24 from launch to all panels synced, its RSS and idle CPU, change → screen and
 * key → frame at each write rate; the one-shot `check` through a counting proxy; k9s v0.50.16 on its
 * Services view on the same server. Then a churn at 50 events/s on 5k, and the in-process replay path
 * at 0/50/200 events/s. Writes bench/results.json and the table in BENCHMARKS.md. Fails no test: it
 * exits 1 only when it could not measure.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError } from 'commander';
import { startCluster } from '../../test/cluster/cluster.js';
import { kubeconfigVariant } from '../../test/e2e/harness.js';
import { DRDECK_BIN, ensureBuilt } from '../../test/built-cli.js';
import { ensureK9s, K9S_VERSION } from '../../test/tools/k9s.js';
import { KIND_KEYS } from '../../src/kinds.js';
import { Api } from './api.js';
import { benchObject, loadObjects, prepare, PROBE, startWriteLoad, toggleProbe, type LoadRun } from './load.js';
import { startCountingProxy } from './proxy.js';
import { runReplay } from './replay.js';
import { figure, rewriteTables, writeResults, type Figure, type Results } from './results.js';
import { percentile, slope } from './stats.js';
import { cpuShare, cpuSeconds, killServer, rssBytes, Terminal } from './tui.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const MB = 1024 * 1024;
/** When the second idle window starts, in seconds after sync. */
const SETTLE_SECONDS = 90;

export interface BenchOptions {
  n: number[];
  runs: number;
  quick: boolean;
  k9s: boolean;
  churnMinutes: number;
  rates: number[];
  idleSeconds: number;
  /** A second idle window, SETTLE_SECONDS after sync (0: none). */
  settledSeconds: number;
  samples: number;
  replay: boolean;
  concurrency: number;
  maxLoadRate: number;
  reuse?: string;
  tablesOnly?: boolean;
}

const positiveInts = (value: string): number[] => {
  const list = value.split(',').map((s) => Number(s.replace(/k$/i, '000')));
  if (list.some((n) => !Number.isInteger(n) || n <= 0)) throw new InvalidArgumentError('a comma-separated list of positive integers (1000,5k,20000)');
  return list;
};
const nonNegative = (value: string): number => {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('a number ≥ 0');
  return n;
};

/** Parses the `--cluster` options (after `--cluster` is removed). */
export function parseBenchArgs(argv: string[]): BenchOptions {
  const program = new Command('npm run bench -- --cluster')
    .exitOverride()
    // The one-line error is printed by runClusterBench; commander's own copy would be a second one.
    .configureOutput({ writeErr: () => {} })
    .option('--n <list>', 'object counts to load, ascending (each step adds to the last)', positiveInts, [1000, 5000, 20000])
    .option('--quick', 'one run per figure, 10 samples, 10 s idle, rates 0 and 50 only, no churn unless asked')
    .option('--runs <n>', 'runs per figure (median taken)', nonNegative)
    .option('--no-k9s', 'leave k9s out (no build, no k9s figures)')
    .option('--no-replay', 'leave the in-process replay path out')
    .option('--churn-minutes <m>', 'churn at 50 events/s on 5k, minutes (0: none)', nonNegative)
    .option('--rates <list>', 'write rates for change → screen (events/s)', (v) => v.split(',').map(Number), undefined)
    .option('--idle-seconds <s>', 'idle window after sync', nonNegative)
    .option('--settled-seconds <s>', `a second idle window, ${SETTLE_SECONDS} s after sync (0: none)`, nonNegative)
    .option('--samples <n>', 'changes (and keys) timed per rate', nonNegative)
    .option('--concurrency <n>', 'requests in flight while loading', nonNegative, 8)
    .option('--max-load-rate <n>', 'objects per second while loading, at most', nonNegative, 400)
    .option('--tables-only', 'only rewrite the tables of BENCHMARKS.md from bench/results.json')
    .option('--reuse <dir>', 'use a test cluster already started in DIR (npm run testcluster -- start DIR) and leave it running');
  program.parse(argv, { from: 'user' });
  const o = program.opts<{
    n: number[];
    quick?: boolean;
    runs?: number;
    k9s: boolean;
    replay: boolean;
    churnMinutes?: number;
    rates?: number[];
    idleSeconds?: number;
    settledSeconds?: number;
    samples?: number;
    concurrency: number;
    maxLoadRate: number;
    reuse?: string;
    tablesOnly?: boolean;
  }>();
  const quick = Boolean(o.quick);
  return {
    n: [...o.n].sort((a, b) => a - b),
    runs: Math.max(1, Math.round(o.runs ?? (quick ? 1 : 3))),
    quick,
    k9s: o.k9s,
    replay: o.replay,
    churnMinutes: o.churnMinutes ?? (quick ? 0 : 10),
    rates: o.rates ?? (quick ? [0, 50] : [0, 50, 200]),
    idleSeconds: o.idleSeconds ?? (quick ? 10 : 30),
    settledSeconds: o.settledSeconds ?? (quick ? 0 : 60),
    samples: o.samples ?? (quick ? 10 : 20),
    concurrency: Math.max(1, o.concurrency),
    maxLoadRate: Math.max(1, o.maxLoadRate),
    reuse: o.reuse,
    tablesOnly: Boolean(o.tablesOnly),
  };
}

const log = (line: string): void => {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
};
const load1 = (): number => Number(loadavg()[0].toFixed(2));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Collects runs per figure key, then turns them into figures. */
class Recorder {
  private readonly runs = new Map<string, Omit<Figure, 'median' | 'runs' | 'load1'> & { runs: number[]; load1: number[]; achieved: number[] }>();
  add(f: Omit<Figure, 'median' | 'runs' | 'load1' | 'achievedRate'>, value: number | undefined, achievedRate?: number): void {
    if (value === undefined || !Number.isFinite(value)) return;
    const key = [f.tool, f.metric, f.n, f.rate, f.path].join('|');
    const entry = this.runs.get(key) ?? { ...f, runs: [], load1: [], achieved: [] };
    entry.runs.push(Number(value.toFixed(3)));
    entry.load1.push(load1());
    if (achievedRate !== undefined) entry.achieved.push(achievedRate);
    this.runs.set(key, entry);
  }
  figures(): Figure[] {
    return [...this.runs.values()].map(({ achieved, ...f }) =>
      figure({ ...f, ...(achieved.length ? { achievedRate: Number((achieved.reduce((a, b) => a + b, 0) / achieved.length).toFixed(1)) } : {}) }),
    );
  }
}

/** How many LoadBalancer Services N loaded objects include, plus the probe. */
function lbCount(n: number): number {
  let count = 1;
  for (let i = 0; i < n; i++) if (benchObject(i).kind === 'services') count++;
  return count;
}

/** drdeck's LoadBalancers panel line: "✗ 301/301 EXTERNAL-IP pending". */
const PENDING = /(\d+)\/(\d+) EXTERNAL-IP pending/;

interface Ctx {
  options: BenchOptions;
  rec: Recorder;
  api: Api;
  clusterDir: string;
  kubeconfig: string;
  socket: string;
  work: string;
  notes: string[];
  /** The probe's state: the next toggle step (even: it gets an address). */
  step: number;
  k9s?: string;
}

/** The probe's address now (undefined: none), from the last step done. */
const probeIp = (ctx: Ctx): string | undefined => {
  const last = ctx.step - 1;
  return last >= 0 && last % 2 === 0 ? `10.200.${(last >> 8) & 255}.${last & 255 || 1}` : undefined;
};

async function toggle(ctx: Ctx): Promise<{ ip: string | undefined; sentAt: number }> {
  const sentAt = performance.now();
  const ip = await toggleProbe(ctx.api, ctx.step++);
  return { ip, sentAt };
}

/** drdeck shows the probe's state: the pending count is M-1 with an address, M without. */
const drdeckShows = (m: number, ip: string | undefined) => (screen: string) => {
  const match = PENDING.exec(screen);
  return Boolean(match) && Number(match![2]) === m && Number(match![1]) === (ip ? m - 1 : m);
};

/** k9s's Services view shows the probe's row with the address, or without any 10.200. address. */
const k9sShows = (ip: string | undefined) => (screen: string) => {
  const row = screen.split('\n').find((line) => line.includes(PROBE.name));
  if (!row) return false;
  return ip ? row.includes(ip) : !row.includes('10.200.');
};

function drdeckEnv(home: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    HOME: home,
    XDG_CONFIG_HOME: join(home, 'config'),
    XDG_STATE_HOME: join(home, 'state'),
    TERM: 'xterm-256color',
    LANG: 'C.UTF-8',
  };
}

/**
 * Times `samples` probe changes until the screen shows them; returns the latencies in ms, and beside
 * them the time the server took to deliver each change to a plain watch of the probe in this process
 * (`watched`): the part of the latency no client can take away.
 */
async function eventToScreen(
  ctx: Ctx,
  term: Terminal,
  shows: (ip: string | undefined) => (s: string) => boolean,
  samples: number,
): Promise<{ latencies: number[]; watched: number[] }> {
  const latencies: number[] = [];
  const watched: number[] = [];
  let waiting: ((at: number) => void) | undefined;
  const stop = ctx.api.watch(
    `/api/v1/namespaces/${PROBE.namespace}/services?watch=1&fieldSelector=metadata.name%3D${PROBE.name}&allowWatchBookmarks=false`,
    (at, type) => {
      if (type === 'MODIFIED') waiting?.(at);
    },
  );
  try {
    await sleep(500); // the watch is open before the first change
    for (let i = 0; i < samples; i++) {
      const arrived = new Promise<number>((resolve) => (waiting = resolve));
      const { ip, sentAt } = await toggle(ctx);
      const seen = await term.waitFor(shows(ip), 30_000, 15);
      if (!seen) {
        ctx.notes.push(`${term.session}: a probe change did not reach the screen in 30 s (counted as 30 s)`);
        latencies.push(30_000);
      } else latencies.push(seen.at - sentAt);
      const at = await Promise.race([arrived, sleep(5_000).then(() => undefined)]);
      if (at !== undefined) watched.push(at - sentAt);
      waiting = undefined;
      // Why up to 2.1 s: k9s redraws on a 2 s tick, and a screen read the moment it changes would
      // otherwise start the next change just after a tick (each one then waited nearly the whole
      // tick: p50 1.85 s). Spread over a whole tick, a change lands at a random point of it, as a
      // change on a real cluster does.
      await sleep(100 + Math.random() * 2_000);
    }
  } finally {
    stop();
  }
  return { latencies, watched };
}

/** Times `samples` focus moves (l, then h) in drdeck until the focused panel's marker moves. */
async function keyToFrame(term: Terminal, samples: number): Promise<number[]> {
  const latencies: number[] = [];
  for (let i = 0; i < samples; i++) {
    const [key, panel] = i % 2 === 0 ? ['l', 'Kopia'] : ['h', 'Flux'];
    const t0 = performance.now();
    await term.keys(key);
    const seen = await term.waitFor((s) => s.includes(`▶ ${panel}`), 30_000, 10);
    latencies.push(seen ? seen.at - t0 : 30_000);
    await sleep(100 + Math.random() * 150);
  }
  return latencies;
}

/** All watched kinds synced, as drdeck's --log says (one line per phase change). */
function allSynced(logFile: string): boolean {
  let text = '';
  try {
    text = readFileSync(logFile, 'utf8');
  } catch {
    return false;
  }
  return KIND_KEYS.every((kind) => text.includes(`sync ${kind}: synced`));
}

async function measureDrdeck(ctx: Ctx, n: number, run: number, objects: number): Promise<void> {
  const { options, rec } = ctx;
  const home = mkdtempSync(join(ctx.work, 'drdeck-home-'));
  const logFile = join(home, 'drdeck.log');
  const term = new Terminal(ctx.socket, `drdeck-${n}-${run}`);
  const m = lbCount(n);
  const t0 = performance.now();
  const pid = await term.start([process.execPath, DRDECK_BIN, '--kubeconfig', ctx.kubeconfig, '--log', logFile], drdeckEnv(home), 80, 24);
  try {
    const first = await term.waitFor((s) => s.trim().length > 0, 120_000, 10);
    if (first) rec.add({ tool: 'drdeck', metric: 'first-frame', n, rate: 0, path: 'server', unit: 'ms' }, first.at - t0);
    // Synced: every watch says so in the log, and the screen shows every LoadBalancer Service.
    const synced = await term.waitFor((s) => drdeckShows(m, probeIp(ctx))(s) && allSynced(logFile), 600_000, 10);
    if (!synced) throw new Error(`drdeck did not sync ${n} objects in 10 minutes; the screen:\n${await term.screen()}`);
    const syncMs = synced.at - t0;
    rec.add({ tool: 'drdeck', metric: 'sync', n, rate: 0, path: 'server', unit: 'ms' }, syncMs);
    if (first) rec.add({ tool: 'drdeck', metric: 'first-frame-to-sync', n, rate: 0, path: 'server', unit: 'ms' }, synced.at - first.at);
    rec.add({ tool: 'drdeck', metric: 'rss-synced', n, rate: 0, path: 'server', unit: 'MB' }, (rssBytes(pid) ?? NaN) / MB);
    const cpu = await cpuShare(pid, options.idleSeconds * 1000);
    rec.add({ tool: 'drdeck', metric: 'idle-cpu', n, rate: 0, path: 'server', unit: '%', note: `over ${options.idleSeconds} s` }, cpu * 100);
    rec.add(
      { tool: 'drdeck', metric: 'rss-idle', n, rate: 0, path: 'server', unit: 'MB', note: `after ${options.idleSeconds} s idle` },
      (rssBytes(pid) ?? NaN) / MB,
    );
    log(
      `drdeck N=${n} run ${run}: synced in ${(syncMs / 1000).toFixed(1)} s, RSS ${((rssBytes(pid) ?? 0) / MB).toFixed(0)} MB, idle CPU ${(cpu * 100).toFixed(1)} %`,
    );
    if (options.settledSeconds > 0) {
      // Why a second window: the first one holds what follows a sync once (the access review, the
      // heap the sync left being collected, the phase clock counting seconds in its first minute);
      // this one is idle as it stays, with the minute's step of every age in it.
      await sleep(Math.max(0, synced.at + SETTLE_SECONDS * 1000 - performance.now()));
      const settled = await cpuShare(pid, options.settledSeconds * 1000);
      const note = `over ${options.settledSeconds} s from ${SETTLE_SECONDS} s after sync`;
      rec.add({ tool: 'drdeck', metric: 'idle-cpu-settled', n, rate: 0, path: 'server', unit: '%', note }, settled * 100);
      rec.add(
        { tool: 'drdeck', metric: 'rss-settled', n, rate: 0, path: 'server', unit: 'MB', note: `${SETTLE_SECONDS + options.settledSeconds} s after sync` },
        (rssBytes(pid) ?? NaN) / MB,
      );
      log(`drdeck N=${n} run ${run}: settled idle CPU ${(settled * 100).toFixed(1)} % (${note}), RSS ${((rssBytes(pid) ?? 0) / MB).toFixed(0)} MB`);
    }
    for (const rate of options.rates) {
      const stop = startWriteLoad(ctx.api, objects, rate);
      await sleep(rate > 0 ? 3_000 : 0); // the load reaches its pace before the first sample
      const cpuBefore = cpuSeconds(pid);
      const tCpu = performance.now();
      const { latencies: events, watched } = await eventToScreen(ctx, term, (ip) => drdeckShows(m, ip), options.samples);
      const keys = await keyToFrame(term, options.samples);
      const busy = (cpuSeconds(pid) - cpuBefore) / ((performance.now() - tCpu) / 1000);
      const achieved = stop();
      const base = { tool: 'drdeck' as const, n, rate, path: 'server' as const, unit: 'ms' as const };
      rec.add({ ...base, metric: 'event-to-screen-p50' }, percentile(events, 50), achieved.rate);
      rec.add({ ...base, metric: 'event-to-screen-p99' }, percentile(events, 99), achieved.rate);
      if (watched.length) {
        const raw = { ...base, tool: 'raw' as const, note: 'a plain watch of the probe in the benchmark, during drdeck’s samples' };
        rec.add({ ...raw, metric: 'event-to-watch-p50' }, percentile(watched, 50), achieved.rate);
        rec.add({ ...raw, metric: 'event-to-watch-p99' }, percentile(watched, 99), achieved.rate);
      }
      rec.add({ ...base, metric: 'key-to-frame-p50' }, percentile(keys, 50), achieved.rate);
      rec.add({ ...base, metric: 'key-to-frame-p99' }, percentile(keys, 99), achieved.rate);
      if (rate > 0) rec.add({ ...base, metric: 'busy-cpu', unit: '%' }, busy * 100, achieved.rate);
      if (rate > 0) rec.add({ ...base, metric: 'rss-loaded', unit: 'MB' }, (rssBytes(pid) ?? NaN) / MB, achieved.rate);
      log(
        `drdeck N=${n} ${rate}/s (took ${achieved.rate.toFixed(0)}/s): change → screen p50 ${percentile(events, 50)?.toFixed(0)} p99 ${percentile(events, 99)?.toFixed(0)} ms (the server to a plain watch: p50 ${percentile(watched, 50)?.toFixed(0)} p99 ${percentile(watched, 99)?.toFixed(0)} ms); key → frame p50 ${percentile(keys, 50)?.toFixed(0)} p99 ${percentile(keys, 99)?.toFixed(0)} ms`,
      );
    }
  } finally {
    await term.kill();
    rmSync(home, { recursive: true, force: true });
  }
}

/**
 * One `drdeck check --json` on KUBECONFIG: its time, exit code, and whether it answered (exit 0 or 1
 * with its JSON summary; 2 is "could not check", e.g. its --timeout), else its log's last lines.
 */
async function runCheck(ctx: Ctx, kubeconfig: string): Promise<{ ms: number; code: number | null; answered: boolean; logTail: string }> {
  const home = mkdtempSync(join(ctx.work, 'check-home-'));
  try {
    const t0 = performance.now();
    const { code, stdout } = await new Promise<{ code: number | null; stdout: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [DRDECK_BIN, 'check', '--kubeconfig', kubeconfig, '--json', '--timeout', '120', '--log', join(home, 'check.log')], {
        env: drdeckEnv(home),
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: 300_000,
      });
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      child.on('error', reject);
      // 'close', not 'exit': the exit can come before the last of stdout has been read.
      child.on('close', (c) => resolve({ code: c, stdout: out }));
    });
    const ms = performance.now() - t0;
    let answered = false;
    try {
      answered = (code === 0 || code === 1) && (JSON.parse(stdout) as { summary?: unknown }).summary !== undefined;
    } catch {
      // Not JSON: no answer.
    }
    let logTail = '';
    try {
      // What its log said last (watch retries, relists) is the lead to why it did not answer.
      logTail = readFileSync(join(home, 'check.log'), 'utf8').trim().split('\n').slice(-3).join(' | ').slice(0, 400);
    } catch {
      // No log: nothing to add.
    }
    return { ms, code, answered, logTail };
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

/**
 * The one-shot `check`: timed straight on the server, then once more through the counting proxy for
 * its requests (the proxy's hop is kept out of the time).
 */
async function measureCheck(ctx: Ctx, n: number): Promise<void> {
  const direct = await runCheck(ctx, ctx.kubeconfig);
  if (!direct.answered) ctx.notes.push(`check at N=${n} exited ${direct.code} without its JSON answer; its log ended: ${direct.logTail}`);
  ctx.rec.add({ tool: 'drdeck', metric: 'check', n, rate: 0, path: 'server', unit: 'ms' }, direct.ms);
  const proxy = await startCountingProxy(ctx.clusterDir, ctx.api.server);
  try {
    const kubeconfig = kubeconfigVariant(ctx.kubeconfig, join(ctx.work, 'kubeconfig-proxied'), { server: proxy.url });
    const counted = await runCheck(ctx, kubeconfig);
    if (!counted.answered)
      ctx.notes.push(`check through the proxy at N=${n} exited ${counted.code} without its JSON answer; its log ended: ${counted.logTail}`);
    const requests = proxy.seen.length;
    const watches = proxy.seen.filter((r) => r.watch).length;
    ctx.rec.add({ tool: 'drdeck', metric: 'check-requests', n, rate: 0, path: 'proxy', unit: 'count' }, requests);
    ctx.rec.add({ tool: 'drdeck', metric: 'check-watches', n, rate: 0, path: 'proxy', unit: 'count' }, watches);
    log(
      `check N=${n}: ${(direct.ms / 1000).toFixed(2)} s (exit ${direct.code}); through the proxy ${requests} requests (${watches} watches), exit ${counted.code}`,
    );
  } finally {
    await proxy.close();
  }
}

/** Requests each TUI makes in its first 15 s, through the counting proxy. */
async function measureRequests(ctx: Ctx, n: number, tool: 'drdeck' | 'k9s'): Promise<void> {
  const proxy = await startCountingProxy(ctx.clusterDir, ctx.api.server);
  const kubeconfig = kubeconfigVariant(ctx.kubeconfig, join(ctx.work, `kubeconfig-${tool}-proxied`), { server: proxy.url });
  const home = mkdtempSync(join(ctx.work, `${tool}-req-home-`));
  const term = new Terminal(ctx.socket, `${tool}-req-${n}`);
  try {
    if (tool === 'drdeck') await term.start([process.execPath, DRDECK_BIN, '--kubeconfig', kubeconfig], drdeckEnv(home), 80, 24);
    else await term.start([ctx.k9s!, ...k9sArgs(kubeconfig)], k9sEnv(home), 120, 40);
    await sleep(15_000);
    ctx.rec.add({ tool, metric: 'requests-15s', n, rate: 0, path: 'proxy', unit: 'count' }, proxy.seen.length);
    log(`${tool} N=${n}: ${proxy.seen.length} requests in its first 15 s`);
  } finally {
    await term.kill();
    await proxy.close();
    rmSync(home, { recursive: true, force: true });
  }
}

function k9sEnv(home: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    HOME: home,
    XDG_CONFIG_HOME: join(home, 'config'),
    XDG_STATE_HOME: join(home, 'state'),
    XDG_DATA_HOME: join(home, 'data'),
    XDG_CACHE_HOME: join(home, 'cache'),
    K9S_CONFIG_DIR: join(home, 'k9s'),
    TERM: 'xterm-256color',
    LANG: 'C.UTF-8',
  };
}

/** k9s on its Services view over all namespaces, read-only (it must never write to the server). */
const k9sArgs = (kubeconfig: string): string[] => ['--kubeconfig', kubeconfig, '-c', 'svc', '-A', '--readonly', '--logFile', '/dev/null'];

async function measureK9s(ctx: Ctx, n: number, run: number, objects: number): Promise<void> {
  const { options, rec } = ctx;
  const home = mkdtempSync(join(ctx.work, 'k9s-home-'));
  const term = new Terminal(ctx.socket, `k9s-${n}-${run}`);
  const t0 = performance.now();
  const pid = await term.start([ctx.k9s!, ...k9sArgs(ctx.kubeconfig)], k9sEnv(home), 120, 40);
  try {
    const first = await term.waitFor((s) => s.trim().length > 0, 120_000, 10);
    if (first) rec.add({ tool: 'k9s', metric: 'first-frame', n, rate: 0, path: 'server', unit: 'ms' }, first.at - t0);
    const data = await term.waitFor(k9sShows(probeIp(ctx)), 180_000, 10);
    if (!data) throw new Error(`k9s did not show the probe Service in 3 minutes; the screen:\n${await term.screen()}`);
    rec.add({ tool: 'k9s', metric: 'first-data', n, rate: 0, path: 'server', unit: 'ms' }, data.at - t0);
    rec.add({ tool: 'k9s', metric: 'rss-synced', n, rate: 0, path: 'server', unit: 'MB' }, (rssBytes(pid) ?? NaN) / MB);
    const cpu = await cpuShare(pid, options.idleSeconds * 1000);
    rec.add({ tool: 'k9s', metric: 'idle-cpu', n, rate: 0, path: 'server', unit: '%' }, cpu * 100);
    rec.add({ tool: 'k9s', metric: 'rss-idle', n, rate: 0, path: 'server', unit: 'MB' }, (rssBytes(pid) ?? NaN) / MB);
    log(`k9s N=${n} run ${run}: data on screen in ${((data.at - t0) / 1000).toFixed(1)} s, idle CPU ${(cpu * 100).toFixed(1)} %`);
    for (const rate of options.rates.filter((r) => r <= 50)) {
      const stop = startWriteLoad(ctx.api, objects, rate);
      await sleep(rate > 0 ? 3_000 : 0);
      const cpuBefore = cpuSeconds(pid);
      const tCpu = performance.now();
      const { latencies: events } = await eventToScreen(ctx, term, k9sShows, options.samples);
      const busy = (cpuSeconds(pid) - cpuBefore) / ((performance.now() - tCpu) / 1000);
      const achieved = stop();
      const base = { tool: 'k9s' as const, n, rate, path: 'server' as const, unit: 'ms' as const };
      rec.add({ ...base, metric: 'event-to-screen-p50' }, percentile(events, 50), achieved.rate);
      rec.add({ ...base, metric: 'event-to-screen-p99' }, percentile(events, 99), achieved.rate);
      if (rate > 0) rec.add({ ...base, metric: 'busy-cpu', unit: '%' }, busy * 100, achieved.rate);
      log(`k9s N=${n} ${rate}/s: change → screen p50 ${percentile(events, 50)?.toFixed(0)} p99 ${percentile(events, 99)?.toFixed(0)} ms`);
    }
  } finally {
    await term.kill();
    rmSync(home, { recursive: true, force: true });
  }
}

/** drdeck under 50 events/s on `n` objects for `minutes`: RSS every 10 s. */
async function churn(ctx: Ctx, n: number, objects: number, minutes: number): Promise<void> {
  const home = mkdtempSync(join(ctx.work, 'churn-home-'));
  const logFile = join(home, 'drdeck.log');
  const term = new Terminal(ctx.socket, `drdeck-churn-${n}`);
  const m = lbCount(n);
  const pid = await term.start([process.execPath, DRDECK_BIN, '--kubeconfig', ctx.kubeconfig, '--log', logFile], drdeckEnv(home), 80, 24);
  try {
    const synced = await term.waitFor((s) => drdeckShows(m, probeIp(ctx))(s) && allSynced(logFile), 600_000, 50);
    if (!synced) throw new Error('drdeck did not sync for the churn');
    const stop = startWriteLoad(ctx.api, objects, 50);
    const t0 = performance.now();
    const points: Array<[number, number]> = [];
    while (performance.now() - t0 < minutes * 60_000) {
      points.push([(performance.now() - t0) / 60_000, (rssBytes(pid) ?? NaN) / MB]);
      await sleep(10_000);
    }
    points.push([(performance.now() - t0) / 60_000, (rssBytes(pid) ?? NaN) / MB]);
    const achieved = stop();
    const rss = points.map(([, y]) => y);
    const base = { tool: 'drdeck' as const, n, rate: 50, path: 'server' as const, unit: 'MB' as const, note: `${minutes} min, RSS every 10 s` };
    ctx.rec.add({ ...base, metric: 'churn-rss-start' }, rss[0], achieved.rate);
    ctx.rec.add({ ...base, metric: 'churn-rss-end' }, rss.at(-1), achieved.rate);
    ctx.rec.add({ ...base, metric: 'churn-rss-max' }, Math.max(...rss), achieved.rate);
    ctx.rec.add({ ...base, metric: 'churn-rss-growth' }, rss.at(-1)! - rss[0], achieved.rate);
    ctx.rec.add({ ...base, metric: 'churn-rss-slope', unit: 'MB/min' }, slope(points), achieved.rate);
    // The second half on its own: after the heap has risen to what a steady load keeps (garbage
    // between collections), a leak still climbs; a rise to a plateau does not. Medians of three
    // samples (30 s) at each end, so one collection's timing does not make the figure.
    const half = points.filter(([x]) => x >= minutes / 2);
    const around = (ys: readonly number[]) => percentile(ys, 50) ?? NaN;
    const lateGrowth = around(half.slice(-3).map(([, y]) => y)) - around(half.slice(0, 3).map(([, y]) => y));
    ctx.rec.add({ ...base, metric: 'churn-rss-growth-late' }, lateGrowth, achieved.rate);
    ctx.rec.add({ ...base, metric: 'churn-rss-slope-late', unit: 'MB/min' }, slope(half), achieved.rate);
    log(
      `churn N=${n} ${minutes} min at ${achieved.rate.toFixed(0)}/s: RSS ${rss[0].toFixed(0)} → ${rss.at(-1)!.toFixed(0)} MB (max ${Math.max(...rss).toFixed(0)}), slope ${slope(points).toFixed(2)} MB/min; second half: ${lateGrowth.toFixed(1)} MB, slope ${slope(half).toFixed(2)} MB/min`,
    );
  } finally {
    await term.kill();
    rmSync(home, { recursive: true, force: true });
  }
}

/** The in-process path (replay.ts) at 0, 50 and 200 events/s. */
async function replay(ctx: Ctx, n: number): Promise<void> {
  for (const rate of [0, 50, 200]) {
    for (let r = 0; r < ctx.options.runs; r++) {
      const result = await runReplay({ clusterDir: ctx.clusterDir, work: ctx.work, n, rate, samples: ctx.options.samples * 2 });
      const base = { tool: 'drdeck' as const, n, rate, path: 'replay' as const, unit: 'ms' as const };
      ctx.rec.add({ ...base, metric: 'event-to-frame-p50' }, percentile(result.latencies, 50), result.rate);
      ctx.rec.add({ ...base, metric: 'event-to-frame-p99' }, percentile(result.latencies, 99), result.rate);
      if (rate === 0) ctx.rec.add({ ...base, metric: 'sync' }, result.syncMs);
      log(
        `replay N=${n} ${rate}/s (carried ${result.rate.toFixed(0)}/s): event → frame p50 ${percentile(result.latencies, 50)?.toFixed(0)} p99 ${percentile(result.latencies, 99)?.toFixed(0)} ms`,
      );
    }
  }
}

function commit(): string {
  try {
    const sha = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { cwd: root, encoding: 'utf8' }).trim();
    return dirty ? `${sha} (src modified)` : sha;
  } catch {
    return 'unknown';
  }
}

/** Runs the cluster benchmark; returns the exit code. */
export async function runClusterBench(argv: string[]): Promise<number> {
  let options: BenchOptions;
  try {
    options = parseBenchArgs(argv);
  } catch (error) {
    const message = (error as Error).message;
    if (/outputHelp|help/.test((error as { code?: string }).code ?? '')) return 0;
    console.error(message);
    return 2;
  }
  if (options.tablesOnly) {
    await rewriteTables(join(root, 'bench', 'results.json'), join(root, 'BENCHMARKS.md'));
    log('rewrote the tables of BENCHMARKS.md from bench/results.json');
    return 0;
  }
  const startedAt = new Date().toISOString();
  if (!existsSync('/proc/self/status')) {
    console.error('the cluster benchmark reads /proc: it runs on Linux only');
    return 1;
  }
  const k9sBuild = options.k9s
    ? ensureK9s({ log }).catch((error: unknown) => {
        log(`k9s: ${(error as Error).message}; the run goes on without it`);
        return undefined;
      })
    : Promise.resolve(undefined);
  log('building the drdeck bundle if a source is newer than it');
  ensureBuilt();
  const work = mkdtempSync(join(tmpdir(), 'drdeck-bench-'));
  const clusterDir = options.reuse ? resolve(options.reuse) : mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'drdeck-bench-cluster-'));
  mkdirSync(work, { recursive: true });
  const socket = join(work, 'tmux.sock');
  const notes: string[] = [];
  const rec = new Recorder();
  const loads: Array<LoadRun & { n: number }> = [];
  log(options.reuse ? `using the test API server in ${clusterDir}` : `starting the test API server in ${clusterDir}`);
  const cluster = options.reuse ? undefined : await startCluster(clusterDir, { stopOnExit: true, log });
  const api = new Api(clusterDir);
  const ctx: Ctx = { options, rec, api, clusterDir, kubeconfig: join(clusterDir, 'kubeconfig'), socket, work, notes, step: 0 };
  let failed = false;
  /** Writes what was measured so far: after each N (a run cut short keeps its figures) and at the end. */
  const save = async (final: boolean): Promise<void> => {
    const k9sBinary = final ? await k9sBuild : ctx.k9s;
    const results: Results = {
      schema: 1,
      startedAt,
      finishedAt: new Date().toISOString(),
      command: `npm run bench -- --cluster ${argv.join(' ')}`.trim(),
      machine: {
        nproc: cpus().length,
        node: process.version,
        commit: commit(),
        cpu: cpus()[0]?.model ?? 'unknown',
        ...(k9sBinary ? { k9s: K9S_VERSION } : {}),
      },
      load: loads.map((l) => ({ n: l.n, created: l.created, seconds: Number(l.seconds.toFixed(2)), rate: Number(l.rate.toFixed(1)) })),
      figures: rec.figures(),
      notes: [...new Set(notes), ...(final ? [] : ['partial: the run was still going when this was written'])],
    };
    await writeResults(results, join(root, 'bench', 'results.json'), join(root, 'BENCHMARKS.md'));
  };
  try {
    await prepare(api);
    // The probe starts without an address, whatever an earlier run on a reused server left.
    await toggleProbe(api, 1);
    ctx.step = 2;
    let loaded = 0;
    for (const n of options.n) {
      log(`loading ${n - loaded} objects (to N=${n}) at ≤ ${options.maxLoadRate}/s, ${options.concurrency} in flight`);
      const run = await loadObjects(api, loaded, n, { concurrency: options.concurrency, maxRate: options.maxLoadRate });
      loads.push({ n, ...run });
      log(`loaded: ${run.created} in ${run.seconds.toFixed(1)} s (${run.rate.toFixed(0)}/s)`);
      loaded = n;
      for (let r = 0; r < options.runs; r++) {
        const t0 = performance.now();
        const total = await api.listAll();
        rec.add(
          { tool: 'raw', metric: 'raw-list', n, rate: 0, path: 'server', unit: 'ms', note: `${total} objects, every watched kind at once, pages of 500` },
          performance.now() - t0,
        );
      }
      // Each part on its own: one that fails is noted and the others still run.
      const part = async (name: string, fn: () => Promise<void>): Promise<void> => {
        try {
          await fn();
        } catch (error) {
          failed = true;
          notes.push(`${name} at N=${n} failed: ${(error as Error).message.split('\n')[0]}`);
          log(`${name} at N=${n} failed: ${(error as Error).message}`);
        }
      };
      for (let r = 0; r < options.runs; r++) await part('drdeck', () => measureDrdeck(ctx, n, r, n));
      for (let r = 0; r < options.runs; r++) await part('check', () => measureCheck(ctx, n));
      await part('drdeck requests', () => measureRequests(ctx, n, 'drdeck'));
      if (options.replay && n <= 5000) await part('replay', () => replay(ctx, n));
      if (n === 5000 && options.churnMinutes > 0) await part('churn', () => churn(ctx, n, n, options.churnMinutes));
      // k9s last: a cold build may still be going while drdeck is measured; only the last N waits for it.
      const last = n === options.n.at(-1);
      const k9s = last ? await k9sBuild : await Promise.race([k9sBuild, sleep(0).then(() => undefined)]);
      if (k9s) {
        ctx.k9s = k9s;
        for (let r = 0; r < options.runs; r++) await part('k9s', () => measureK9s(ctx, n, r, n));
        await part('k9s requests', () => measureRequests(ctx, n, 'k9s'));
      } else if (options.k9s) notes.push(`k9s ${K9S_VERSION} was ${last ? 'not available' : 'still building'} at N=${n}`);
      await save(false);
    }
    if (options.churnMinutes > 0 && !options.n.includes(5000)) notes.push('churn runs at N=5000 only: add 5000 to --n');
  } catch (error) {
    // What was measured is still written, with the reason the run stopped.
    failed = true;
    const message = (error as Error).message.split('\n')[0];
    notes.push(`the run stopped early: ${message}`);
    log(`stopped: ${(error as Error).message}`);
  } finally {
    await killServer(socket);
    api.close();
    if (cluster) {
      await cluster.stop();
      rmSync(clusterDir, { recursive: true, force: true });
    }
    rmSync(work, { recursive: true, force: true });
  }
  await save(true);
  log('wrote bench/results.json and BENCHMARKS.md');
  return failed ? 1 : 0;
}
