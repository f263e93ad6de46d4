/**
 * Coalesces watch traffic before it reaches the store: events collect in a batch that is applied
 * in one store update per flush. Why: a relist or a burst of 5,000 events would otherwise be 5,000
 * store updates and as many renders; one flush every 100 ms keeps the screen under 10 frames a
 * second while staying well inside the "within one second" freshness an operator expects.
 */
import type { DnsAnswer, FeedSink, KubeObject, RouterRecords, SyncState, WatchEvent } from '../cluster.js';
import type { InputKey } from '../checks/types.js';
import type { KindKey } from '../kinds.js';
import { slim } from '../records.js';
import type { DeckStore } from './deck-store.js';
import { emptyBatch, type Batch } from './resources-slice.js';

export const DEFAULT_FLUSH_MS = 100;

export class FeedBuffer implements FeedSink {
  private batch: Batch = emptyBatch();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;

  constructor(
    private readonly store: DeckStore,
    private readonly flushMs: number = DEFAULT_FLUSH_MS,
  ) {}

  reset(kind: KindKey, items: KubeObject[]): void {
    // A reset supersedes the events queued before it for the same kind.
    this.batch.events = this.batch.events.filter((e) => e.kind !== kind);
    this.batch.resets.set(
      kind,
      items.map((item) => slim(kind, item)),
    );
    this.schedule();
  }

  event(kind: KindKey, event: WatchEvent): void {
    this.batch.events.push({ kind, event: { type: event.type, object: slim(kind, event.object) } });
    this.schedule();
  }

  sync(kind: InputKey, state: SyncState): void {
    this.batch.sync.set(kind, state);
    this.schedule();
  }

  /** DNS answers go through the same batches as watch events. */
  dns(answers: DnsAnswer[], forget: string[] = []): void {
    this.batch.dns.push(...answers);
    if (forget.length) this.batch.dnsForget = [...(this.batch.dnsForget ?? []), ...forget];
    this.schedule();
  }

  /** The router's record count, through the same batches (the latest one wins). */
  routerRecords(status: RouterRecords): void {
    this.batch.routerRecords = status;
    this.schedule();
  }

  /** Applies whatever is queued now (tests and the headless check use this instead of waiting). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.batch;
    this.batch = emptyBatch();
    if (batch.resets.size || batch.events.length || batch.sync.size || batch.dns.length || batch.dnsForget?.length || batch.routerRecords) {
      this.store.getState().applyBatch(batch);
    }
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    if (this.timer || this.closed) return;
    this.timer = setTimeout(() => this.flush(), this.flushMs);
  }
}
