/**
 * One watcher per kind, the way client-go's reflector works: discovery, LIST, then WATCH from the
 * list's resourceVersion with bookmarks; re-watch from the last resourceVersion when the server
 * ends a watch; relist on 410 Gone; back off and retry on every other error, saying so through
 * the sink's sync state. It keeps no objects, only the last resourceVersion (opaque: compared for
 * equality only, never as a number).
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
  forbiddenRetryMs: 60_000,
  notInstalledRetryMs: 30_000,
  pageSize: 500,
};

/** Below this, a watch that the server closed without sending anything counts as a failure, not a renewal. */
const MIN_WATCH_MS = 1_000;

export interface WatcherOptions {
  kind: KindKey;
  api: () => Promise<ApiClient>;
  discovery: Discovery;
  sink: FeedSink;
  tuning: WatchTuning;
  /** Diagnostics: relists, retries, stale watches. */
  log: (line: string) => void;
  random?: () => number;
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
  /** Whether a watch since the last list went anywhere (an event, a bookmark, or it stayed open a while). */
  private progressed = false;
  /** What the current request needs, for the "forbidden" detail. */
  private verb: 'list' | 'watch' = 'list';
  /** The version the server serves the kind at, as discovery found it before the last list. */
  private version: string | undefined;

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

  private get stopped(): boolean {
    return this.stopper.signal.aborted;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      let delay: number;
      try {
        delay = await this.step();
      } catch (error) {
        if (this.stopped) return;
        delay = this.recover(error instanceof ClusterError ? error : new ClusterError((error as Error)?.message ?? String(error), 0, 'Error'));
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
    }
    this.verb = 'watch';
    await this.watch();
    return 0;
  }

  /** Decides what an error means and how long to wait. */
  private recover(error: ClusterError): number {
    const { tuning, log } = this.options;
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
    const delay = Math.round(base * (0.8 + 0.4 * (this.options.random ?? Math.random)()));
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
      signal: this.stopper.signal,
      version: this.version,
    });
    if (this.stopped) return;
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
      signal: AbortSignal.any([stream.signal, this.stopper.signal]),
    };
    const res = await api.stream(spec);
    const openedAt = (this.freshAt = Date.now());
    if (this.state.phase !== 'synced') this.setState({ phase: 'synced', since: openedAt });

    await new Promise<void>((resolve, reject) => {
      let buffered = '';
      let received = 0;
      let settled = false;
      let staleTimer: ReturnType<typeof setTimeout> | undefined;
      const finish = (error?: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(staleTimer);
        stream.abort();
        if (received > 0 || Date.now() - openedAt >= MIN_WATCH_MS) this.progressed = true;
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

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const signal = this.stopper.signal;
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
    });
  }
}
