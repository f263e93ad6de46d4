/**
 * Asks the configured resolver for the A and AAAA records of every published name, off the UI's
 * path: names are re-asked when what is expected of them changes and on an interval, with bounded
 * concurrency and a timeout per query. Answers reach the store through the feed buffer's batches.
 */
import type { DnsAnswer, DnsRecordType, Resolver } from '../cluster.js';
import { expectedRecords } from '../checks/dns.js';
import { snapshotOf } from '../store/checks-slice.js';
import type { DeckStore } from '../store/deck-store.js';
import type { FeedBuffer } from '../store/feed-buffer.js';

export interface DnsPollerOptions {
  store: DeckStore;
  buffer: FeedBuffer;
  /** Undefined when no resolver is configured: the DNS checks then say so. */
  resolver: Resolver | undefined;
  intervalMs: number;
  timeoutMs: number;
  concurrency?: number;
}

/** Runs `worker` over `items` with at most `limit` in flight. */
async function eachLimited<T>(items: readonly T[], limit: number, worker: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await worker(items[next++]);
  });
  await Promise.all(lanes);
}

async function ask(resolver: Resolver, name: string, type: DnsRecordType, timeoutMs: number): Promise<string[]> {
  return resolver.query(name, type, timeoutMs);
}

export class DnsPoller {
  private readonly unsubscribe: () => void;
  private readonly interval: ReturnType<typeof setInterval> | undefined;
  /** The expectation each name was last asked under, to re-ask only names whose inputs changed. */
  private asked = new Map<string, string>();
  private running = false;
  private again = false;
  private closed = false;

  constructor(private readonly options: DnsPollerOptions) {
    const { store, buffer, resolver } = options;
    if (!resolver) {
      buffer.sync('dns', { phase: 'not-installed', detail: 'no resolver configured (dns.servers)' });
      this.unsubscribe = () => {};
      return;
    }
    buffer.sync('dns', { phase: 'connecting', detail: `asking ${resolver.label}` });
    this.unsubscribe = store.subscribe((state, previous) => {
      if (state.objects !== previous.objects) this.poll(false);
    });
    this.interval = setInterval(() => this.poll(true), options.intervalMs);
    this.poll(false);
  }

  /** Queries the names whose expectation changed, or all of them when `all`. */
  poll(all: boolean): void {
    if (this.closed) return;
    if (this.running) {
      this.again ||= all;
      return;
    }
    this.running = true;
    void this.run(all).finally(() => {
      this.running = false;
      if (this.again && !this.closed) {
        this.again = false;
        this.poll(true);
      }
    });
  }

  close(): void {
    this.closed = true;
    this.unsubscribe();
    if (this.interval) clearInterval(this.interval);
  }

  private async run(all: boolean): Promise<void> {
    const { store, buffer, resolver, timeoutMs } = this.options;
    if (!resolver) return;
    const state = store.getState();
    if (state.sync.services.phase === 'connecting') return;
    const expected = expectedRecords(snapshotOf(state), state.config);
    const wanted = new Map(expected.map((e) => [e.name.toLowerCase(), JSON.stringify([e.a, e.aaaa])]));
    const forget = [...this.asked.keys()].filter((name) => !wanted.has(name));
    for (const name of forget) this.asked.delete(name);
    const names = [...wanted].filter(([name, key]) => all || this.asked.get(name) !== key).map(([name]) => name);
    if (names.length === 0 && forget.length === 0) return;

    const answers: DnsAnswer[] = [];
    let failures = 0;
    await eachLimited(names, this.options.concurrency ?? 8, async (name) => {
      const [a, aaaa] = await Promise.allSettled([ask(resolver, name, 'A', timeoutMs), ask(resolver, name, 'AAAA', timeoutMs)]);
      const error = [a, aaaa].find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (error) failures++;
      answers.push({
        name,
        a: a.status === 'fulfilled' ? a.value : [],
        aaaa: aaaa.status === 'fulfilled' ? aaaa.value : [],
        error: error ? String((error.reason as Error)?.message ?? error.reason) : undefined,
        checkedAt: store.getState().now,
      });
      // A failed name stays un-asked, so the next change or interval asks it again.
      if (!error) this.asked.set(name, wanted.get(name) ?? '');
    });
    if (this.closed) return;
    buffer.dns(answers, forget);
    buffer.sync(
      'dns',
      failures > 0 && failures === names.length
        ? { phase: 'retrying', detail: `${resolver.label} did not answer`, since: store.getState().now }
        : { phase: 'synced', detail: `asked ${resolver.label}` },
    );
  }
}
