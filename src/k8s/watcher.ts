/**
 * One watcher per kind, the way client-go's reflector works: discovery, LIST, then WATCH from the
 * list's resourceVersion with bookmarks; re-watch from the last resourceVersion when the server
 * ends a watch; relist on 410 Gone; back off and retry on every other error, saying so through
 * the sink's sync state. It keeps no objects, only the last resourceVersion (opaque: compared for
 * equality only, never as a number).
 *
 * Recovery: a server that is starting ("storage is (re)initializing") is asked again after a
 * second without growing the back-off; a watch that held resets it; and the cluster ends every
 * back-off at once (`retryNow`) when the server answers again, or when the operator asks.
 */
import { ClusterError, type FeedSink, type KubeObject, type SyncState, type WatchEventType } from '../cluster.js';
import type { KindKey } from '../kinds.js';
import type { Discovery } from './discovery.js';
import { seconds, type ApiClient, type RequestSpec } from './http.js';
import { acceptFor, listAll, received, resourceName, resourcePath } from './resources.js';

/** Timings of the watchers; tests shorten them. */
export interface WatchTuning {
  /**
   * The server ends each watch after a random time in this range (`timeoutSeconds`), so watches
   * are renewed regularly, and not all at the same moment.
   */
  watchSeconds: readonly [number, number];
  /**
   * A watch that sent nothing, not even a bookmark, for this long is restarted. Why: a watch can
   * go silent without an error (a dead peer behind NAT, kubernetes-client/javascript#596); the API
   * server sends a bookmark about once a minute, so 90 s of silence means something is wrong.
   */
  staleMs: number;
  /** Retry delays after an error: doubling from the first to the cap, each ±20% so watchers spread out. */
  backoffInitialMs: number;
  backoffMaxMs: number;
  /**
   * The wait after "the server is starting" answers (see `isWarmup`), ±20%, without growing the
   * back-off. Why a second: the API server sends `Retry-After: 1` with them, and a CRD's storage is
   * ready a moment after its first request; a grown back-off would leave a panel stale for 30 s.
   */
  warmupRetryMs: number;
  /** After a 403: RBAC may be fixed meanwhile, but asking often only fills the audit log. */
  forbiddenRetryMs: number;
  /** How often to look again for a kind that is not installed: Flux installs CRDs during a rebuild. */
  notInstalledRetryMs: number;
  /** Objects per LIST page. */
  pageSize: number;
}

export const DEFAULT_WATCH_TUNING: WatchTuning = {
  watchSeconds: [240, 300],
  staleMs: 90_000,
  backoffInitialMs: 1_000,
  backoffMaxMs: 30_000,
  warmupRetryMs: 1_000,
  forbiddenRetryMs: 60_000,
  notInstalledRetryMs: 30_000,
  pageSize: 500,
};

/** Below this, a watch that the server closed without sending anything counts as a failure, not a renewal. */
const MIN_WATCH_MS = 1_000;

/**
 * Short retries in a row before "the server is starting" counts as a failure like any other. Why a
 * cap: a server that says so for minutes is not starting, it is broken, and asking every second
 * for ever is what the back-off is there to prevent.
 */
const MAX_WARMUPS = 30;

/** What kube-apiserver answers while it, or a CRD's storage, is starting: asked again in a second. */
const WARMING = /storage is \(re\)initializing|before all known HTTP paths have been installed|too large resource version/i;

/**
 * Whether an error means "the server is starting, ask again in a moment": a CRD's "storage is
 * (re)initializing" (429) until its watch cache has synced, "the request has been made before all
 * known HTTP paths have been installed" (503) while kube-apiserver starts, "Too large resource
 * version" (504) while its watch cache catches up.
 */
export function isWarmup(error: ClusterError): boolean {
  return [429, 500, 503, 504].includes(error.code) && WARMING.test(error.message);
}

/** What the watchers tell their cluster about the API server: every answer and every failure. */
export interface ServerHealth {
  /** A request was answered (a list, a watch opening, watch data). */
  answered(): void;
  /** A request failed. */
  failed(error: ClusterError): void;
}

export interface WatcherOptions {
  kind: KindKey;
  api: () => Promise<ApiClient>;
  discovery: Discovery;
  sink: FeedSink;
  tuning: WatchTuning;
  /** Diagnostics: relists, retries, stale watches. */
  log: (line: string) => void;
  /** Hears every answer and failure (the cluster's "the server is back" signal). */
  health?: ServerHealth;
  random?: () => number;
  /** LIST once (retrying until it succeeds) and stop: no watch is opened (a one-shot `drdeck check`). */
  listOnly?: boolean;
}

interface RawEvent {
  type?: string;
  object?: { metadata?: { resourceVersion?: string }; message?: string; code?: number; reason?: string };
}

/** Watches one kind into a sink until stopped. */
export class KindWatcher {
  private readonly kind: KindKey;
  private readonly stopper = new AbortController();
  /** The resourceVersion to watch from; undefined means "list first". */
  private rv: string | undefined;
  private state: SyncState = { phase: 'connecting' };
  /** When the data was last known fresh: the last list, event, bookmark or healthy watch. */
  private freshAt: number | undefined;
  private failures = 0;
  /** "The server is starting" answers in a row (short retries, see MAX_WARMUPS). */
  private warmups = 0;
  /** Whether a watch since the last list went anywhere (an event, a bookmark, or it stayed open a while). */
  private progressed = false;
  /** What the current request needs, for the "forbidden" detail. */
  private verb: 'list' | 'watch' = 'list';
  /** The version the server serves the kind at, as discovery found it before the last list. */
  private version: string | undefined;
  /** Aborts the current step's request (see `interrupt`); a new one per step. */
  private attempt = new AbortController();
  /** Why the current step was interrupted: the error it fails with. */
  private interruption: ClusterError | undefined;
  /** Whether a watch stream is open now. */
  private streaming = false;
  /** Ends the wait before the next step, while there is one. */
  private wake: (() => void) | undefined;

  constructor(private readonly options: WatcherOptions) {
    this.kind = options.kind;
  }

  start(): void {
    void this.run();
  }

  /** Stops for good: aborts the request in flight and the pending timer; the sink hears nothing more. */
  stop(): void {
    this.stopper.abort();
  }

  /**
   * Ends the wait before the next attempt now (a back-off, or the wait of a kind forbidden or not
   * installed) and forgets the failures that grew it. Why: the server answers again, or the
   * operator asked. A request in flight is left to finish: it has its own deadline.
   */
  retryNow(): void {
    this.failures = 0;
    this.warmups = 0;
    // What discovery said during an outage may be wrong: a restarting server serves CRDs late.
    if (this.state.phase === 'not-installed') this.options.discovery.forget(this.kind);
    this.wake?.();
  }

  /**
   * Fails the request in flight with `error`: the server stopped answering, and an open watch on a
   * frozen server would only notice at its staleness timer. `answeredAt`, when the server last
   * answered, is when an open watch's data was last known fresh. Nothing to do while waiting.
   */
  interrupt(error: ClusterError, answeredAt?: number): void {
    if (this.stopped || this.wake) return;
    if (this.streaming && answeredAt !== undefined) this.freshAt = Math.max(this.freshAt ?? 0, answeredAt);
    this.interruption = error;
    this.attempt.abort();
  }

  private get stopped(): boolean {
    return this.stopper.signal.aborted;
  }

  /** Aborted when the watcher stops or the current step is interrupted. */
  private get signal(): AbortSignal {
    return AbortSignal.any([this.stopper.signal, this.attempt.signal]);
  }

  private async run(): Promise<void> {
    while (!this.stopped && !(this.options.listOnly && this.rv !== undefined)) {
      this.attempt = new AbortController();
      this.interruption = undefined;
      let delay: number;
      try {
        delay = await this.step();
      } catch (error) {
        if (this.stopped) return;
        const failure = this.interruption ?? (error instanceof ClusterError ? error : new ClusterError((error as Error)?.message ?? String(error), 0, 'Error'));
        delay = this.recover(failure);
      }
      if (delay > 0) await this.sleep(delay);
    }
  }

  /** Lists if needed, then watches until the stream ends. Returns the wait before the next step. */
  private async step(): Promise<number> {
    if (this.rv === undefined) {
      this.verb = 'list';
      const availability = await this.options.discovery.availability(this.kind);
      if (!availability.served) {
        this.failures = 0;
        if (this.state.phase !== 'not-installed') this.emitReset([]);
        this.setState({ phase: 'not-installed', detail: availability.detail });
        return this.options.tuning.notInstalledRetryMs;
      }
      this.version = availability.version;
      await this.list();
      if (this.options.listOnly) return 0;
    }
    this.verb = 'watch';
    await this.watch();
    return 0;
  }

  /** Decides what an error means and how long to wait. */
  private recover(error: ClusterError): number {
    const { tuning, log, random = Math.random } = this.options;
    this.options.health?.failed(error);
    if (isWarmup(error) && this.warmups < MAX_WARMUPS) {
      // The server is there and says "in a moment": not an outage, so the back-off does not grow.
      this.warmups++;
      const delay = Math.round(tuning.warmupRetryMs * (0.8 + 0.4 * random()));
      const detail = `${error.message}; retrying in ${Math.max(1, Math.round(delay / 1000))} s`;
      this.setState({ phase: 'retrying', detail, since: this.freshAt, ...(error.reason ? { reason: error.reason } : {}) });
      log(`${this.kind}: ${detail}`);
      return delay;
    }
    if (error.code === 410) {
      // The history the watch needs is gone: only a new list can catch up, and its reset replaces
      // everything, so nothing is duplicated and no deletion is missed.
      this.rv = undefined;
      log(`${this.kind}: 410 Gone (${error.message}), relisting`);
      // A 410 on the very first watch after a list would loop: back off instead.
      if (this.progressed) return 0;
    } else if (error.code === 404) {
      // The CRD went away (or its version did): discovery decides whether it is still served.
      this.options.discovery.forget(this.kind);
      this.rv = undefined;
      log(`${this.kind}: 404 (${error.message}), looking it up again`);
      if (this.failures === 0) {
        this.failures++;
        return 0;
      }
    } else if (error.code === 403) {
      this.rv = undefined;
      this.setState({ phase: 'forbidden', detail: `needs ${this.verb} on ${resourceName(this.kind)}`, reason: error.reason || 'Forbidden' });
      log(`${this.kind}: forbidden (${error.message}); asking again in ${seconds(tuning.forbiddenRetryMs)}`);
      return tuning.forbiddenRetryMs;
    }
    const base = Math.min(tuning.backoffMaxMs, tuning.backoffInitialMs * 2 ** this.failures);
    const delay = Math.round(base * (0.8 + 0.4 * random()));
    this.failures++;
    const detail = `${error.message}; retrying in ${Math.max(1, Math.round(delay / 1000))} s`;
    this.setState({ phase: 'retrying', detail, since: this.freshAt, ...(error.reason ? { reason: error.reason } : {}) });
    log(`${this.kind}: ${detail}`);
    return delay;
  }

  private async list(): Promise<void> {
    const api = await this.options.api();
    const { items, resourceVersion } = await listAll(api, this.kind, {
      pageSize: this.options.tuning.pageSize,
      signal: this.signal,
      version: this.version,
    });
    if (this.stopped) return;
    this.options.health?.answered();
    this.rv = resourceVersion;
    this.progressed = false;
    this.freshAt = Date.now();
    this.emitReset(items);
    this.setState({ phase: 'synced', since: this.freshAt });
  }

  /**
   * One watch, from `rv` to its end. Resolves when the server ends it (its timeoutSeconds) or when
   * it went stale; rejects with a ClusterError on anything else (an ERROR event included).
   */
  private async watch(): Promise<void> {
    const { api: getApi, tuning, log, random = Math.random } = this.options;
    const api = await getApi();
    const [min, max] = tuning.watchSeconds;
    const stream = new AbortController();
    const spec: RequestSpec & { signal: AbortSignal } = {
      method: 'GET',
      path: resourcePath(this.kind, undefined, undefined, undefined, this.version),
      query: {
        watch: 'true',
        resourceVersion: this.rv,
        allowWatchBookmarks: 'true',
        timeoutSeconds: Math.round(min + random() * (max - min)),
      },
      accept: acceptFor(this.kind, false),
      signal: AbortSignal.any([stream.signal, this.signal]),
    };
    const res = await api.stream(spec);
    const openedAt = (this.freshAt = Date.now());
    this.streaming = true;
    this.options.health?.answered();
    if (this.state.phase !== 'synced') this.setState({ phase: 'synced', since: openedAt });

    await new Promise<void>((resolve, reject) => {
      let buffered = '';
      let received = 0;
      let settled = false;
      let staleTimer: ReturnType<typeof setTimeout> | undefined;
      const finish = (error?: unknown) => {
        if (settled) return;
        settled = true;
        this.streaming = false;
        clearTimeout(staleTimer);
        stream.abort();
        if (received > 0 || Date.now() - openedAt >= MIN_WATCH_MS) {
          // A watch that held is health, even a quiet one: the failure after it starts from the
          // first delay, not from where an earlier outage left the back-off.
          this.progressed = true;
          this.failures = 0;
          this.warmups = 0;
        }
        if (error === undefined) resolve();
        else reject(api.streamError(error, spec));
      };
      const arm = () => {
        clearTimeout(staleTimer);
        staleTimer = setTimeout(() => {
          log(`${this.kind}: watch silent for ${seconds(tuning.staleMs)}, restarting it`);
          finish();
        }, tuning.staleMs);
      };
      arm();
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (settled) return;
        buffered += chunk;
        let newline: number;
        while ((newline = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, newline).trim();
          buffered = buffered.slice(newline + 1);
          if (!line) continue;
          try {
            this.handle(JSON.parse(line) as RawEvent);
            received++;
          } catch (error) {
            finish(
              error instanceof SyntaxError ? new ClusterError(`the API server sent an unreadable watch event: ${error.message}`, 0, 'InvalidResponse') : error,
            );
            return;
          }
        }
        this.freshAt = Date.now();
        this.failures = 0;
        this.options.health?.answered();
        arm();
      });
      res.on('end', () => {
        if (received === 0 && Date.now() - openedAt < MIN_WATCH_MS)
          finish(new ClusterError(`the API server ended the watch at once (${spec.method} ${spec.path})`, 0, 'WatchClosed'));
        else {
          this.freshAt = Date.now();
          this.failures = 0;
          finish();
        }
      });
      res.on('error', (error) => finish(error));
      res.on('close', () => finish(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })));
    });
  }

  private handle(event: RawEvent): void {
    const type = event.type;
    if (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED') {
      const object = received(this.kind, event.object as KubeObject, this.version);
      this.rv = object.metadata?.resourceVersion ?? this.rv;
      if (!this.stopped) this.options.sink.event(this.kind, { type: type as WatchEventType, object });
    } else if (type === 'BOOKMARK') {
      this.rv = event.object?.metadata?.resourceVersion ?? this.rv;
    } else if (type === 'ERROR') {
      const status = event.object ?? {};
      throw new ClusterError(status.message ?? 'the watch failed', status.code ?? 0, status.reason ?? '');
    } else {
      throw new ClusterError(`unexpected watch event type "${String(type)}"`, 0, 'InvalidResponse');
    }
  }

  private emitReset(items: KubeObject[]): void {
    if (!this.stopped) this.options.sink.reset(this.kind, items);
  }

  private setState(state: SyncState): void {
    const s = this.state;
    if (s.phase === state.phase && s.detail === state.detail && s.since === state.since && s.reason === state.reason) return;
    this.state = state;
    if (!this.stopped) this.options.sink.sync(this.kind, state);
  }

  /** Waits `ms`, or until stopped, or until `retryNow`. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const signal = this.stopper.signal;
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
      signal.addEventListener('abort', done, { once: true });
    });
  }
}
