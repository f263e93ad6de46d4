/**
 * Coalesces watch traffic before it reaches the store: events collect in a batch that is applied
 * in one store update per flush. Why: a relist or a burst of 5,000 events would otherwise be 5,000
 * store updates and as many renders; at most one flush every 100 ms keeps the screen under 10
 * frames a second. An isolated event (none flushed in the last 100 ms) is applied at once, on the
 * leading edge: only what a burst adds waits for the interval.
 *
 * It is also where text from the cluster, the resolver and the router enters drdeck: every string
 * is capped and its control characters escaped here (src/text/sanitize.ts), once, so the checks and
 * the screens never see a 100 KB line or a terminal escape sequence.
 */
import type { DnsAnswer, FeedSink, KubeObject, RouterRecords, SyncState, WatchEvent } from '../cluster.js';
import type { InputKey } from '../checks/types.js';
import type { KindKey } from '../kinds.js';
import { slim } from '../records.js';
import { cleanText, sanitizeValue } from '../text/sanitize.js';
import type { DeckStore } from './deck-store.js';
import { emptyBatch, type Batch } from './resources-slice.js';

export const DEFAULT_FLUSH_MS = 100;

/**
 * The most watch events one timed flush applies. Why: a burst of 5,000 (a watch replaying its
 * objects) applied in one store update holds the event loop for its whole length, and a key typed
 * meanwhile waits behind it; in parts, with a turn of the event loop between them, input is read
 * between any two parts.
 */
export const MAX_EVENTS_PER_COMMIT = 250;

/** Anything but an object has no name to be kept under: it is not an object the API could send. */
const isObject = (item: unknown): item is KubeObject => typeof item === 'object' && item !== null && !Array.isArray(item);

/** A sync state's words (the API server's error, its reason) are text of cluster origin too. */
function cleanSync(state: SyncState): SyncState {
  const { detail, reason } = state;
  if (detail === undefined && reason === undefined) return state;
  return {
    ...state,
    ...(detail !== undefined ? { detail: cleanText(String(detail)) } : {}),
    ...(reason !== undefined ? { reason: cleanText(String(reason)) } : {}),
  };
}

export class FeedBuffer implements FeedSink {
  private batch: Batch = emptyBatch();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private immediate: ReturnType<typeof setImmediate> | undefined;
  /** When the last flush ran (performance.now), for the leading edge. */
  private flushedAt = -Infinity;
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
      items.filter(isObject).map((item) => slim(kind, item)),
    );
    this.schedule();
  }

  event(kind: KindKey, event: WatchEvent): void {
    if (!isObject(event.object)) return;
    this.batch.events.push({ kind, event: { type: event.type, object: slim(kind, event.object) } });
    this.schedule();
  }

  sync(kind: InputKey, state: SyncState): void {
    this.batch.sync.set(kind, cleanSync(state));
    this.schedule();
  }

  /** DNS answers go through the same batches as watch events. */
  dns(answers: DnsAnswer[], forget: string[] = []): void {
    // Why a loop and not push(...answers): spreading a huge array overflows the call stack.
    for (const answer of answers) this.batch.dns.push(sanitizeValue(answer));
    if (forget.length) this.batch.dnsForget = [...(this.batch.dnsForget ?? []), ...forget];
    this.schedule();
  }

  /** The router's record count, through the same batches (the latest one wins). */
  routerRecords(status: RouterRecords): void {
    this.batch.routerRecords = sanitizeValue(status);
    this.schedule();
  }

  /** Applies whatever is queued now, in one store update (tests and the headless check use this instead of waiting). */
  flush(): void {
    this.cancel();
    this.flushedAt = performance.now();
    const batch = this.batch;
    this.batch = emptyBatch();
    apply(this.store, batch);
  }

  /**
   * The timed flush: at most MAX_EVENTS_PER_COMMIT events now, the rest on the next turn of the
   * event loop. Resets go with the first part (events after them build on them); sync states, DNS
   * answers and the router's count with the last (a kind is not "synced" before its events are in).
   */
  private flushPart(): void {
    if (this.batch.events.length <= MAX_EVENTS_PER_COMMIT) return this.flush();
    this.cancel();
    this.flushedAt = performance.now();
    const rest = this.batch;
    const part: Batch = { ...emptyBatch(), resets: rest.resets, events: rest.events.slice(0, MAX_EVENTS_PER_COMMIT) };
    rest.resets = new Map();
    rest.events = rest.events.slice(MAX_EVENTS_PER_COMMIT);
    apply(this.store, part);
    // Why setImmediate: it runs after the event loop's poll for input, so a key already typed is read first.
    if (!this.closed) this.immediate = setImmediate(() => this.flushPart());
  }

  close(): void {
    this.closed = true;
    this.cancel();
  }

  private cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = this.immediate = undefined;
  }

  private schedule(): void {
    if (this.timer || this.immediate || this.closed) return;
    const wait = this.flushedAt + this.flushMs - performance.now();
    // Why setImmediate and not a flush right here: what arrives in the same turn (a LIST's objects
    // and its sync state, the events of one chunk of a watch stream) still makes one batch.
    if (wait <= 0) this.immediate = setImmediate(() => this.flushPart());
    else this.timer = setTimeout(() => this.flushPart(), wait);
  }
}

function apply(store: DeckStore, batch: Batch): void {
  if (batch.resets.size || batch.events.length || batch.sync.size || batch.dns.length || batch.dnsForget?.length || batch.routerRecords) {
    store.getState().applyBatch(batch);
  }
}
