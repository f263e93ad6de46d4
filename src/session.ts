/**
 * A running drdeck: a cluster feeding the store through the batching buffer, the DNS poller, and
 * the store's one 1 Hz clock. The TUI and the headless commands both start one of these.
 */
import type { Cluster, Resolver } from './cluster.js';
import type { Config } from './config/schema.js';
import { DnsPoller } from './dns/poller.js';
import { KIND_KEYS } from './kinds.js';
import type { AuditEntry } from './state/audit-log.js';
import { createDeckStore, type DeckStore } from './store/deck-store.js';
import { FeedBuffer } from './store/feed-buffer.js';

export interface Session {
  store: DeckStore;
  buffer: FeedBuffer;
  cluster: Cluster;
  /** Stops watches, the poller and the clock (the cluster itself is closed too). */
  close(): void;
}

export interface SessionOptions {
  cluster: Cluster;
  resolver: Resolver | undefined;
  config: Config;
  flushMs?: number;
  /** Clock period; why 1 s: ages and ETAs on screen are shown to the second, no finer. */
  tickMs?: number;
  /** Read-only mode and where fix attempts are audited; without it fixes are off. */
  fixes?: { readOnly: boolean; audit: (entry: AuditEntry) => void };
}

export function startSession({ cluster, resolver, config, flushMs, tickMs = 1000, fixes }: SessionOptions): Session {
  const store = createDeckStore({
    config,
    clusterName: cluster.name,
    now: cluster.now(),
    fixes: fixes && { cluster, readOnly: fixes.readOnly, audit: fixes.audit },
  });
  const buffer = new FeedBuffer(store, flushMs);
  const stopFeed = cluster.feed(KIND_KEYS, buffer);
  const poller = new DnsPoller({
    store,
    buffer,
    resolver,
    intervalMs: config.dns.intervalSeconds * 1000,
    timeoutMs: config.dns.timeoutMs,
  });
  const clock = setInterval(() => store.getState().tick(cluster.now()), tickMs);
  return {
    store,
    buffer,
    cluster,
    close() {
      clearInterval(clock);
      poller.close();
      stopFeed();
      buffer.close();
      cluster.close();
    },
  };
}

/**
 * Resolves once every input has left `connecting` (synced, not installed, forbidden, or retrying),
 * or rejects after `timeoutMs` naming what never answered. With `untilFresh`, a watched kind that is
 * `retrying` has not answered either (a real cluster that cannot be reached), while DNS may be.
 */
export function waitForSync(session: Session, timeoutMs: number, { untilFresh = false } = {}): Promise<void> {
  const { store, buffer } = session;
  const pending = (): string[] =>
    Object.entries(store.getState().sync)
      .filter(([key, s]) => s.phase === 'connecting' || (untilFresh && key !== 'dns' && s.phase === 'retrying'))
      .map(([key]) => key);
  return new Promise((resolve, reject) => {
    const poll = setInterval(() => {
      buffer.flush();
      if (pending().length === 0) {
        clearInterval(poll);
        clearTimeout(deadline);
        resolve();
      }
    }, 20);
    const deadline = setTimeout(() => {
      clearInterval(poll);
      reject(new Error(`no answer within ${Math.round(timeoutMs / 1000)} s for: ${pending().join(', ')}`));
    }, timeoutMs);
  });
}
