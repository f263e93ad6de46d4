/**
 * A running drdeck: a cluster feeding the store through the batching buffer, the DNS poller (and
 * the router's record count, where a router is configured), and the store's one 1 Hz clock. The
 * TUI and the headless commands both start one of these.
 */
import type { Cluster, Resolver } from './cluster.js';
import { apiUnreachable, stillListing } from './checks/unreachable.js';
import type { Config } from './config/schema.js';
import { DnsPoller } from './dns/poller.js';
import type { Router } from './dns/router.js';
import { RouterPoller } from './dns/router-poller.js';
import { KIND_KEYS } from './kinds.js';
import type { AuditRecord } from './state/audit-log.js';
import { createDeckStore, type DeckState, type DeckStore } from './store/deck-store.js';
import { fluxDeployedAt } from './store/selectors.js';
import { advance, createTimeline, loadTimeline, resume, saveTimeline, type TimelineState } from './timeline/index.js';
import { FeedBuffer } from './store/feed-buffer.js';

export interface Session {
  store: DeckStore;
  buffer: FeedBuffer;
  cluster: Cluster;
  /** The router the DNS fix writes to, where one is configured. */
  router?: Router;
  /** Asks the resolver about every name, and the router for its count, now rather than on the interval. */
  refreshDns(): void;
  /** Stops watches, the poller and the clock (the cluster itself is closed too). */
  close(): void;
}

export interface SessionOptions {
  cluster: Cluster;
  resolver: Resolver | undefined;
  /** The router's REST API (`dns.routeros`, or the demo's): its record count and the dns-add-records fix. */
  router?: Router;
  config: Config;
  flushMs?: number;
  /** Clock period; why 1 s: ages and ETAs on screen are shown to the second, no finer. */
  tickMs?: number;
  /** Read-only mode and where fix attempts are audited; without it fixes are off. */
  fixes?: { readOnly: boolean; audit: (record: AuditRecord) => void };
  /** Where the context's timeline is saved; `fresh` starts a new one (the demo's scenario restarts). */
  timeline?: { dir: string; fresh?: boolean };
}

/**
 * Keeps the context's timeline: loaded (or started) once, advanced whenever the checks or the clock
 * move, saved atomically whenever it changes, so a kill -9 or a dropped SSH session loses nothing.
 */
export function followTimeline(store: DeckStore, cluster: Pick<Cluster, 'name' | 'now'>, options: { dir: string; fresh?: boolean }): () => void {
  const now = cluster.now();
  const loaded = options.fresh ? {} : loadTimeline(options.dir, cluster.name, now);
  const start = loaded.state ? resume(loaded.state, now) : createTimeline(cluster.name, now);
  store.setState({ timeline: start, timelineNotice: loaded.warning });
  const save = (state: TimelineState) => {
    try {
      saveTimeline(options.dir, state);
    } catch (error) {
      store.setState({ timelineNotice: `cannot save the timeline: ${(error as Error).message}` });
    }
  };
  save(start);
  return store.subscribe((state, previous) => {
    if (!state.timeline) return;
    if (state.results !== previous.results || state.now !== previous.now) {
      // Why the cluster's clock and not state.now: state.now moves once a tick, and a result that
      // changes between ticks happened now, not at the last tick (at the demo's speed 600 a tick
      // is 10 scenario minutes).
      const now = Math.max(state.now, cluster.now());
      // Why only without a t0: advance reads it only then.
      const t0 = state.timeline.t0 === undefined ? fluxDeployedAt(state) : undefined;
      const next = advance(state.timeline, state.results, now, t0, state.timelineSpec);
      // setTimeline comes back here as a timeline-only change, which saves it.
      if (next !== state.timeline) return state.setTimeline(next);
    }
    if (state.timeline !== previous.timeline) save(state.timeline);
  });
}

/**
 * What a real cluster (KubeCluster) adds for recovery; the demo has none of it. Read off the object
 * like `server`, so the Cluster interface stays what every source can give.
 */
interface Recoverable {
  /** Every watch waiting to retry tries now. */
  retryNow?(): void;
  /** Hears the API server stop answering (since when) and answer again (undefined). */
  onSilence?(listener: (since: number | undefined) => void): () => void;
}

/**
 * Keeps the fixes' access review current: a second after the fixes the checks ask for or the sync
 * states change, and every minute for RBAC (and targets) changed meanwhile. Why a second: a burst of
 * watch events is one review, not hundreds. Why not on every object or result: a review plans every
 * fix over every object (18 ms at 5,000 Services), and under a steady write load, or a clock check's
 * ages ticking, those change every second while the fixes asked for do not. Not while the server
 * cannot be asked.
 */
function followAccess(store: DeckStore): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  /** The minute's review, and the one a change asks for (see `soon`). */
  const review = () => {
    const state = store.getState();
    if (state.serverSilentSince !== undefined || apiUnreachable(state.sync)) return;
    void state.reviewAccess();
  };
  // Why not while a kind is still in its first LIST: the plans made then are thrown away when it
  // lands (at 20,000 objects two reviews of 200 ms each made the start 10 % longer); the last
  // kind's arrival is a sync change that reviews a second later. The minute's review does not
  // wait, so one LIST that never ends does not keep the review away.
  const reviewUnlessListing = () => {
    timer = undefined;
    if (!stillListing(store.getState().sync)) review();
  };
  const soon = () => (timer ??= setTimeout(reviewUnlessListing, ACCESS_REVIEW_DEBOUNCE_MS));
  const unsubscribe = store.subscribe((state, previous) => {
    if (state.sync !== previous.sync || (state.results !== previous.results && askedFixes(state.results) !== askedFixes(previous.results))) soon();
  });
  const interval = setInterval(review, ACCESS_REVIEW_INTERVAL_MS);
  soon();
  return () => {
    unsubscribe();
    clearTimeout(timer);
    clearInterval(interval);
  };
}

/** The fixes the results ask for, as one comparable string ("flux-reconcile restores-trigger"). */
function askedFixes(results: DeckState['results']): string {
  return [...new Set(Object.values(results).flatMap((r) => r.fixes))].sort().join(' ');
}

const ACCESS_REVIEW_DEBOUNCE_MS = 1_000;
/** Why a minute: the access answers are cached that long (src/k8s/access.ts); asking sooner asks nothing new. */
const ACCESS_REVIEW_INTERVAL_MS = 60_000;

export function startSession({ cluster, resolver, router, config, flushMs, tickMs = 1000, fixes, timeline }: SessionOptions): Session {
  // Why late-bound: the store (with the fixes' environment) is made before the pollers that feed it.
  let refreshDns = () => {};
  // Why read off the object: only a real cluster (KubeCluster) has a server URL; the demo has none.
  const server = (cluster as { server?: unknown }).server;
  const recoverable = cluster as Recoverable;
  const store = createDeckStore({
    config,
    clusterName: cluster.name,
    ...(typeof server === 'string' && server ? { server } : {}),
    now: cluster.now(),
    fixes: fixes && { cluster, router, readOnly: fixes.readOnly, audit: fixes.audit, refreshDns: () => refreshDns() },
    views: cluster.views,
    retryNow: () => {
      recoverable.retryNow?.();
      refreshDns();
    },
  });
  const buffer = new FeedBuffer(store, flushMs);
  const stopSilence = recoverable.onSilence?.((since) => store.setState({ serverSilentSince: since })) ?? (() => {});
  const stopFeed = cluster.feed(KIND_KEYS, buffer);
  const poller = new DnsPoller({
    store,
    buffer,
    resolver,
    intervalMs: config.dns.intervalSeconds * 1000,
    timeoutMs: config.dns.timeoutMs,
  });
  const routerPoller = router && new RouterPoller({ buffer, router, intervalMs: config.dns.intervalSeconds * 1000, now: () => cluster.now() });
  refreshDns = () => {
    poller.poll(true);
    routerPoller?.poll();
  };
  // Through the buffer: a tick is evaluated in slices with the watch traffic, one evaluation at a time.
  const clock = setInterval(() => buffer.tick(cluster.now()), tickMs);
  const stopTimeline = timeline ? followTimeline(store, cluster, timeline) : () => {};
  const stopAccess = fixes && !fixes.readOnly ? followAccess(store) : () => {};
  return {
    store,
    buffer,
    cluster,
    ...(router ? { router } : {}),
    refreshDns,
    close() {
      clearInterval(clock);
      stopSilence();
      stopAccess();
      stopTimeline();
      poller.close();
      routerPoller?.close();
      stopFeed();
      buffer.close();
      cluster.close();
    },
  };
}

/**
 * The ClusterError reasons of a server that will not answer however long drdeck waits: nobody
 * listens, its name does not resolve, TLS fails, the credentials are refused or cannot be had.
 * A timeout is not one of them: a slow server may still answer.
 */
export const WILL_NOT_ANSWER: ReadonlySet<string> = new Set(['ConnectionRefused', 'Unreachable', 'TLSError', 'Unauthorized']);

/** `waitForSync` gave up early: every watched kind failed for a reason waiting will not cure. */
export class UnreachableError extends Error {
  constructor(
    message: string,
    /** The ClusterError reason, e.g. 'ConnectionRefused'. */
    readonly reason: string,
  ) {
    super(message);
    this.name = 'UnreachableError';
  }
}

/** "connection refused by 127.0.0.1:6443: GET /api/v1/services; retrying in 2 s" -> "connection refused by 127.0.0.1:6443". */
function failureText(detail: string): string {
  return detail
    .replace(/; retrying in \d+ s$/, '')
    .replace(/(: | \()(GET|POST|PUT|PATCH|DELETE) \/\S*\)?$/, '')
    .trim();
}

/**
 * Resolves once every input has left `connecting` (synced, not installed, forbidden, or retrying),
 * or rejects after `timeoutMs` naming what never answered. With `untilFresh`, a watched kind that is
 * `retrying` has not answered either (a real cluster that cannot be reached), while DNS may be. A
 * configured router is waited for too (its first listing, or its failure), but never past the deadline.
 *
 * Rejects early, with an UnreachableError, once every watched kind has failed for a reason in
 * WILL_NOT_ANSWER: a refused connection is known at the first request, and waiting out the whole
 * timeout would only hide it.
 */
export function waitForSync(session: Session, timeoutMs: number, { untilFresh = false } = {}): Promise<void> {
  const { store, buffer } = session;
  const pending = (): string[] =>
    Object.entries(store.getState().sync)
      .filter(([key, s]) => s.phase === 'connecting' || (untilFresh && key !== 'dns' && s.phase === 'retrying'))
      .map(([key]) => key)
      .concat(session.router && store.getState().routerRecords?.checkedAt === undefined ? ['router'] : []);
  const hopeless = (): UnreachableError | undefined => {
    const kinds = Object.entries(store.getState().sync).filter(([key]) => key !== 'dns');
    if (!kinds.every(([, s]) => s.phase === 'retrying' && s.reason && WILL_NOT_ANSWER.has(s.reason))) return undefined;
    const [, first] = kinds[0];
    const text = failureText(first.detail ?? first.reason ?? '');
    const network = first.reason === 'ConnectionRefused' || first.reason === 'Unreachable';
    return new UnreachableError(network ? `cannot reach the API server of ${session.cluster.name}: ${text}` : text, first.reason!);
  };
  return new Promise((resolve, reject) => {
    const finish = (error?: Error) => {
      clearInterval(poll);
      clearTimeout(deadline);
      if (error) reject(error);
      else resolve();
    };
    const poll = setInterval(() => {
      buffer.flush();
      if (pending().length === 0) return finish();
      const unreachable = hopeless();
      if (unreachable) finish(unreachable);
    }, 20);
    const deadline = setTimeout(() => {
      clearInterval(poll);
      const left = pending();
      // The router's count is a nicety: a router slower than the deadline leaves it "not counted yet".
      if (left.every((key) => key === 'router')) return resolve();
      reject(new Error(`no answer within ${Math.round(timeoutMs / 1000)} s for: ${left.join(', ')}`));
    }, timeoutMs);
  });
}
