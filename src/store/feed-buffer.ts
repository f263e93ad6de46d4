/**
 * Coalesces watch traffic before it reaches the store: events collect in a batch that is applied
 * in one store update per flush. Why: a relist or a burst of 5,000 events would otherwise be 5,000
 * store updates and as many renders; at most one flush every 50 ms keeps the screen under 20
 * frames a second. An isolated event (none flushed in the last 50 ms) is applied at once, on the
 * leading edge: only what a burst adds waits for the interval. Why 50 and not 100: under a steady
 * 50 events/s, a change waited for the window and then for Ink's frame, and the two made most of
 * its time to the screen (5k objects: p99 252 ms at 100 ms and 10 frames/s, 146 ms at 50 ms and 30).
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

export const DEFAULT_FLUSH_MS = 50;

/**
 * The most watch events one timed flush applies. Why: a burst of 5,000 (a watch replaying its
 * objects) applied in one store update holds the event loop for its whole length, and a key typed
 * meanwhile waits behind it; in parts, with a turn of the event loop between them, input is read
 * between any two parts.
 */
export const MAX_EVENTS_PER_COMMIT = 250;

/**
 * How long a timed flush evaluates checks before it lets the event loop turn. Why: one batch over
 * 5,000-20,000 objects costs 25-200 ms of checks; in slices of this length a key typed meanwhile
 * is read, and its frame drawn, between two slices instead of after the whole batch.
 */
export const SLICE_MS = 8;

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
  /** The timed flush's batch while its checks are evaluated, slice by slice (at most one at a time). */
  private steps: Generator<void, void> | undefined;
  /** The batch in flight is a part of a burst whose rest is queued. */
  private rest = false;

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

  /**
   * The clock ticked: the clock checks whose deadline passed are evaluated with the next batch, in
   * its slices. Why through the buffer and not straight into the store: at 20,000 objects the minute
   * on which every age moves re-evaluates thousands of rows; a key must not wait behind that either,
   * and one evaluation in flight at a time keeps a tick from committing results of older objects.
   */
  tick(now: number): void {
    this.batch.now = now;
    this.schedule();
  }

  /** The router's record count, through the same batches (the latest one wins). */
  routerRecords(status: RouterRecords): void {
    this.batch.routerRecords = sanitizeValue(status);
    this.schedule();
  }

  /**
   * Applies whatever is queued now, in one store update (tests and the headless check use this
   * instead of waiting); a timed flush still being evaluated is finished first, at once.
   */
  flush(): void {
    this.cancel();
    const steps = this.steps;
    this.steps = undefined;
    if (steps) while (!steps.next().done);
    this.flushedAt = performance.now();
    const batch = this.batch;
    this.batch = emptyBatch();
    if (hasWork(batch)) this.store.getState().applyBatch(batch);
  }

  /**
   * The timed flush: at most MAX_EVENTS_PER_COMMIT events, evaluated in slices (see step) and
   * committed in one store update; the rest after that commit. Resets go with the first part
   * (events after them build on them); sync states, DNS answers and the router's count with the
   * last (a kind is not "synced" before its events are in).
   */
  private flushPart(): void {
    this.cancel();
    this.flushedAt = performance.now();
    let part = this.batch;
    this.rest = part.events.length > MAX_EVENTS_PER_COMMIT;
    if (this.rest) {
      part = { ...emptyBatch(), resets: this.batch.resets, events: this.batch.events.slice(0, MAX_EVENTS_PER_COMMIT) };
      this.batch.resets = new Map();
      this.batch.events = this.batch.events.slice(MAX_EVENTS_PER_COMMIT);
    } else {
      this.batch = emptyBatch();
    }
    if (!hasWork(part)) return;
    this.steps = this.store.getState().batchSteps(part);
    this.step();
  }

  /**
   * Evaluates the batch in flight for SLICE_MS, then lets the event loop turn and goes on; at its
   * commit, what came meanwhile is scheduled. Why setImmediate: it runs after the event loop's poll
   * for input, so a key already typed is read (and its frame drawn) before the next slice.
   */
  private step(): void {
    this.immediate = undefined; // the one that called this step, if any: it has run
    const steps = this.steps;
    if (!steps || this.closed) return;
    const start = performance.now();
    do {
      if (steps.next().done) {
        this.steps = undefined;
        // The rest of a burst follows at once; what arrived during the evaluation waits for its timer.
        if (this.rest) this.immediate = setImmediate(() => this.flushPart());
        else if (hasWork(this.batch)) this.schedule();
        return;
      }
    } while (performance.now() - start < SLICE_MS);
    this.immediate = setImmediate(() => this.step());
  }

  /** Stops the buffer: nothing queued, and nothing of a batch still being evaluated, reaches the store. */
  close(): void {
    this.closed = true;
    this.cancel();
    this.steps = undefined;
  }

  private cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = this.immediate = undefined;
  }

  private schedule(): void {
    // While a batch is evaluated, what arrives waits in the next one; its commit schedules it.
    if (this.timer || this.immediate || this.steps || this.closed) return;
    const wait = this.flushedAt + this.flushMs - performance.now();
    // Why setImmediate and not a flush right here: what arrives in the same turn (a LIST's objects
    // and its sync state, the events of one chunk of a watch stream) still makes one batch.
    if (wait <= 0) this.immediate = setImmediate(() => this.flushPart());
    else this.timer = setTimeout(() => this.flushPart(), wait);
  }
}

function hasWork(batch: Batch): boolean {
  return !!(
    batch.resets.size ||
    batch.events.length ||
    batch.sync.size ||
    batch.dns.length ||
    batch.dnsForget?.length ||
    batch.routerRecords ||
    batch.now !== undefined
  );
}
