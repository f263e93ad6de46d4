/**
 * The scenario clock of the simulated cluster: scenario time = start + elapsed real time × speed,
 * or, in manual mode, time that moves only when a test calls `advance`.
 */

export interface SimClockOptions {
  /** Scenario time at creation, in ms since epoch. */
  start: number;
  /** Scenario milliseconds per real millisecond (default 1). */
  speed?: number;
  /** Time stands still until `advance()`: for deterministic tests that never sleep. */
  manual?: boolean;
}

interface Timer {
  due: number;
  seq: number;
  fn: () => void;
}

/** Longest delay setTimeout accepts; longer waits are re-armed when this one fires. */
const MAX_DELAY_MS = 2 ** 31 - 1;

/** A clock in scenario time with timers scheduled in scenario time. */
export class SimClock {
  readonly manual: boolean;
  private speedValue: number;
  /** Scenario time at `realBase` (real mode), or simply the current time (manual mode). */
  private base: number;
  private realBase = performance.now();
  private timers: Timer[] = [];
  private seq = 0;
  private handle: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(options: SimClockOptions) {
    if (!(options.speed === undefined || options.speed > 0)) throw new RangeError('speed must be > 0');
    this.base = options.start;
    this.speedValue = options.speed ?? 1;
    this.manual = options.manual ?? false;
  }

  /** Current scenario time, ms since epoch. */
  now(): number {
    if (this.manual) return this.base;
    return this.base + (performance.now() - this.realBase) * this.speedValue;
  }

  get speed(): number {
    return this.speedValue;
  }

  /** Changes the speed from now on; time already elapsed keeps the old speed. */
  setSpeed(speed: number): void {
    if (!(speed > 0)) throw new RangeError('speed must be > 0');
    this.rebase();
    this.speedValue = speed;
    this.arm();
  }

  /**
   * Runs `fn` when scenario time reaches `time`. A time already past fires as soon as possible
   * (manual mode: on the next `advance`). Returns a function that cancels the timer.
   */
  at(time: number, fn: () => void): () => void {
    if (this.closed) return () => {};
    const timer: Timer = { due: time, seq: this.seq++, fn };
    // Kept sorted by (due, seq) so that timers due at the same instant fire in the order scheduled.
    let i = this.timers.length;
    while (i > 0 && this.timers[i - 1].due > time) i--;
    this.timers.splice(i, 0, timer);
    if (i === 0) this.arm();
    return () => {
      const index = this.timers.indexOf(timer);
      if (index < 0) return;
      this.timers.splice(index, 1);
      if (index === 0) this.arm();
    };
  }

  /** Runs `fn` after `ms` of scenario time. */
  after(ms: number, fn: () => void): () => void {
    return this.at(this.now() + ms, fn);
  }

  /** Number of timers still waiting. */
  get pending(): number {
    return this.timers.length;
  }

  /**
   * Moves scenario time forward by `ms` and fires every timer due by then, synchronously and in
   * order of due time, with `now()` equal to each timer's due time while it runs. Timers scheduled by
   * a callback inside the window fire too. In real mode this skips ahead.
   */
  advance(ms: number): void {
    if (ms < 0) throw new RangeError('cannot go back in time');
    if (this.closed) return;
    const target = this.now() + ms;
    if (this.manual) {
      this.fireUntil(target, true);
      this.base = Math.max(this.base, target);
    } else {
      this.rebase();
      this.base += ms;
      this.fireUntil(this.now(), false);
    }
    this.arm();
  }

  /** Cancels every timer; the clock keeps telling time but schedules nothing more. */
  close(): void {
    this.closed = true;
    this.timers = [];
    if (this.handle) clearTimeout(this.handle);
    this.handle = undefined;
  }

  private rebase(): void {
    this.base = this.now();
    this.realBase = performance.now();
  }

  /** Fires timers due by `limit`; errors are rethrown after the others have run. */
  private fireUntil(limit: number, setTime: boolean): void {
    let failure: { error: unknown } | undefined;
    while (!this.closed && this.timers.length > 0 && this.timers[0].due <= limit) {
      const timer = this.timers.shift()!;
      if (setTime) this.base = Math.max(this.base, timer.due);
      try {
        timer.fn();
      } catch (error) {
        failure ??= { error };
      }
    }
    if (failure) throw failure.error;
  }

  /** Real mode: one setTimeout for the earliest timer, re-armed after each firing. */
  private arm(): void {
    if (this.manual || this.closed) return;
    if (this.handle) clearTimeout(this.handle);
    this.handle = undefined;
    const next = this.timers[0];
    if (!next) return;
    const delay = Math.min(MAX_DELAY_MS, Math.max(0, (next.due - this.now()) / this.speedValue));
    this.handle = setTimeout(() => {
      this.handle = undefined;
      try {
        this.fireUntil(this.now(), false);
      } finally {
        this.arm();
      }
    }, Math.ceil(delay));
  }
}
