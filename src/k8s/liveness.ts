/**
 * Whether the API server answers, for one cluster: every request the watchers make reports here,
 * and a cheap probe (`GET /readyz`, short timeout) runs beside the watches. Two signals come out:
 *
 * - "back": the server answers again after requests failed because it was not there (refused,
 *   reset, timed out, 5xx). Every watcher waiting in back-off retries at once, so the panels are
 *   fresh a moment after the server is ready instead of when the longest back-off ends.
 * - "silent": the probe timed out twice in a row, the way a frozen server (SIGSTOP, a hung VM, a
 *   black-holed path) behaves. Its open watches would only notice at their staleness timer (90 s);
 *   this says so within seconds, and the watches are restarted when it answers again.
 */
import { ClusterError } from '../cluster.js';
import type { ServerHealth } from './watcher.js';

/** Probe timings; tests shorten them. */
export interface LivenessTuning {
  /**
   * Time between probes while all is well. Why 4 s: with the timeout below and one quick second
   * look after a miss, a frozen server is noticed within about 11 s (4 + 3 + 0.5 + 3), inside the
   * 15 s an operator waits before wondering; one tiny request every 4 s is nothing next to the watches.
   */
  intervalMs: number;
  /** How long a probe waits for an answer. /readyz answers in milliseconds; a loaded server in well under this. */
  timeoutMs: number;
  /** After a miss, how soon to look again (a single lost answer is not an outage). */
  recheckMs: number;
  /** Misses in a row that make the server "silent". */
  misses: number;
}

export const DEFAULT_LIVENESS: LivenessTuning = { intervalMs: 4_000, timeoutMs: 3_000, recheckMs: 500, misses: 2 };

/** ClusterError reasons of a request that never reached the server, or that the server did not finish. */
const NOT_THERE: ReadonlySet<string> = new Set(['ConnectionRefused', 'ConnectionReset', 'Unreachable', 'Timeout', 'NetworkError']);

/** Whether a failure says the server is not there (as opposed to an answer drdeck does not like). */
export function serverAbsent(error: ClusterError): boolean {
  return (error.code === 0 && NOT_THERE.has(error.reason)) || (error.code >= 500 && error.code <= 504);
}

export interface LivenessOptions {
  /** One probe: resolves when the server answered it well; rejects with a ClusterError. */
  probe(timeoutMs: number, signal: AbortSignal): Promise<void>;
  tuning: LivenessTuning;
  /**
   * The least time between two "back" signals. Why: behind a load balancer with one dead server,
   * answers and refusals alternate; waking every watcher on each would be a storm of requests.
   */
  minBackIntervalMs: number;
  log: (line: string) => void;
}

export class ServerLiveness implements ServerHealth {
  /** A request failed because the server was not there, and none has been answered since. */
  private absent = false;
  private lastBackAt = -Infinity;
  private backTimer: ReturnType<typeof setTimeout> | undefined;
  private probeTimer: ReturnType<typeof setTimeout> | undefined;
  private probing: AbortController | undefined;
  private running = false;
  private missed = 0;
  /** When the server last answered anything (ms since epoch). */
  private lastAnswerAt: number | undefined;
  private silent: number | undefined;
  private readonly backListeners = new Set<() => void>();
  private readonly silenceListeners = new Set<(since: number | undefined) => void>();

  constructor(private readonly options: LivenessOptions) {}

  /** Since when the server has not answered (its last answer), while the probe says it is silent. */
  get silentSince(): number | undefined {
    return this.silent;
  }

  /** Hears "the server answers again" (see the module comment). Returns the unsubscribe. */
  onBack(listener: () => void): () => void {
    this.backListeners.add(listener);
    return () => this.backListeners.delete(listener);
  }

  /** Hears the server going silent (with since when) and answering again (undefined). */
  onSilence(listener: (since: number | undefined) => void): () => void {
    this.silenceListeners.add(listener);
    return () => this.silenceListeners.delete(listener);
  }

  answered(): void {
    this.lastAnswerAt = Date.now();
    this.missed = 0;
    this.setSilent(undefined);
    if (!this.absent) return;
    const wait = this.lastBackAt + this.options.minBackIntervalMs - Date.now();
    if (wait <= 0) this.back();
    else this.backTimer ??= setTimeout(() => this.back(), wait);
  }

  failed(error: ClusterError): void {
    if (serverAbsent(error)) this.absent = true;
  }

  /** Starts probing (idempotent). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.lastAnswerAt ??= Date.now();
    this.schedule(this.options.tuning.intervalMs);
  }

  /** Stops probing and every timer; in-flight probe aborted. */
  stop(): void {
    this.running = false;
    clearTimeout(this.probeTimer);
    clearTimeout(this.backTimer);
    this.backTimer = undefined;
    this.probing?.abort();
  }

  /** Probes now rather than at the next interval (the operator asked to retry). */
  probeNow(): void {
    if (!this.running || this.probing) return;
    clearTimeout(this.probeTimer);
    void this.probe();
  }

  private back(): void {
    clearTimeout(this.backTimer);
    this.backTimer = undefined;
    if (!this.absent) return;
    this.absent = false;
    this.lastBackAt = Date.now();
    this.options.log('the API server answers again: every watch retries now');
    for (const listener of [...this.backListeners]) listener();
  }

  private setSilent(since: number | undefined): void {
    if (since === this.silent) return;
    this.silent = since;
    for (const listener of [...this.silenceListeners]) listener(since);
  }

  private schedule(ms: number): void {
    if (!this.running) return;
    clearTimeout(this.probeTimer);
    this.probeTimer = setTimeout(() => void this.probe(), ms);
  }

  private async probe(): Promise<void> {
    const { tuning, log } = this.options;
    const probing = (this.probing = new AbortController());
    try {
      await this.options.probe(tuning.timeoutMs, probing.signal);
      if (!probing.signal.aborted) this.answered();
    } catch (error) {
      if (probing.signal.aborted || !this.running) return;
      const failure = error instanceof ClusterError ? error : new ClusterError(String(error), 0, 'Error');
      if (failure.code > 0) {
        // A status (not ready yet, forbidden): the server is there and not frozen, but this is not
        // the answer that says it is back.
        this.lastAnswerAt = Date.now();
        this.missed = 0;
        this.setSilent(undefined);
      } else if (failure.reason === 'Timeout') {
        this.failed(failure);
        this.missed++;
        if (this.missed >= tuning.misses && this.silent === undefined) {
          log(`the API server stopped answering: ${this.missed} probes in a row without an answer (${failure.message})`);
          this.setSilent(this.lastAnswerAt ?? Date.now());
        }
      } else {
        // Refused, reset, TLS: the watchers say so themselves; this is not a frozen server.
        this.failed(failure);
        this.missed = 0;
        this.setSilent(undefined);
      }
    } finally {
      if (this.probing === probing) this.probing = undefined;
    }
    this.schedule(this.missed > 0 ? tuning.recheckMs : tuning.intervalMs);
  }
}
