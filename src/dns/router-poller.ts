/**
 * Counts the router's static DNS entries for the DNS panel ("router 10.0.0.1: 152 static records"),
 * on the DNS poller's interval and on request (after dns-add-records), off the UI's path: one
 * listing at a time, each with the router client's own timeout. Counts reach the store through the
 * feed buffer's batches.
 */
import type { RouterRecords } from '../cluster.js';
import type { FeedBuffer } from '../store/feed-buffer.js';
import type { Router } from './router.js';
import { isDrdeckRecord } from './routeros.js';

export interface RouterPollerOptions {
  buffer: Pick<FeedBuffer, 'routerRecords'>;
  router: Router;
  intervalMs: number;
  /** The cluster's clock, for `checkedAt`. */
  now(): number;
}

export class RouterPoller {
  private readonly interval: ReturnType<typeof setInterval>;
  private running = false;
  private again = false;
  private closed = false;
  private last: RouterRecords;

  constructor(private readonly options: RouterPollerOptions) {
    this.last = { label: options.router.label };
    options.buffer.routerRecords(this.last);
    this.interval = setInterval(() => this.poll(), options.intervalMs);
    this.poll();
  }

  /** Lists the router's table now (or right after the listing in flight). */
  poll(): void {
    if (this.closed) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    void this.run().finally(() => {
      this.running = false;
      if (this.again && !this.closed) {
        this.again = false;
        this.poll();
      }
    });
  }

  close(): void {
    this.closed = true;
    clearInterval(this.interval);
  }

  private async run(): Promise<void> {
    const { router, buffer, now } = this.options;
    let next: RouterRecords;
    try {
      const records = await router.list();
      next = { label: router.label, count: records.length, drdeck: records.filter(isDrdeckRecord).length, checkedAt: now() };
    } catch (error) {
      next = { label: router.label, error: error instanceof Error ? error.message : String(error), checkedAt: now() };
    }
    if (this.closed) return;
    this.last = next;
    buffer.routerRecords(next);
  }

  /** The latest count or error (for tests). */
  get current(): RouterRecords {
    return this.last;
  }
}
