/**
 * The `Cluster` interface on a real API server, through a kubeconfig. Importing this module is
 * cheap: credentials are drdeck's own (credentials.ts), and @kubernetes/client-node (about 0.6 s)
 * loads only for the kubeconfigs that need it (auth providers, proxies), on the first request.
 */
import { ClusterError, type Cluster, type FeedSink, type KubeObject, type ListResult, type PatchType, type WriteOptions } from '../cluster.js';
import { apiVersionOf, KINDS, type KindKey } from '../kinds.js';
import { AccessReview, type AccessAnswer } from './access.js';
import { Discovery } from './discovery.js';
import { DEFAULT_VIEW_TUNING, KubeViews, type ViewTuning } from './object-views.js';
import { createAuthenticator, type Authenticator } from './credentials.js';
import { ApiClient, seconds } from './http.js';
import type { ResolvedKubeconfig } from './kubeconfig.js';
import { DEFAULT_LIVENESS, ServerLiveness, type LivenessTuning } from './liveness.js';
import { acceptFor, listAll, received, resourcePath } from './resources.js';
import { DEFAULT_WATCH_TUNING, KindWatcher, type WatchTuning } from './watcher.js';

export interface KubeClusterOptions {
  kubeconfig: ResolvedKubeconfig;
  /** Deadline of every request (config `requestTimeoutMs`); default 10 s. */
  requestTimeoutMs?: number;
  /** How long an exec credential plugin may run before it is stopped; default: the request timeout. */
  execTimeoutMs?: number;
  /** Watch timings (tests shorten them). */
  watch?: Partial<WatchTuning>;
  /** The liveness probe beside the watches (tests shorten it); `false` turns it off. */
  liveness?: Partial<LivenessTuning> | false;
  /** The object views' events watch timings (tests shorten them). */
  views?: Partial<ViewTuning>;
  /** Diagnostics from the watchers: relists, retries, stale watches. */
  log?: (line: string) => void;
  /** LIST every kind fed and open no watch (nor the liveness probe): a one-shot `drdeck check`. */
  listOnly?: boolean;
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

const CONTENT_TYPES: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
  strategic: 'application/strategic-merge-patch+json',
};

/** Every write is attributed to drdeck in managedFields, so `kubectl get --show-managed-fields` tells who did it. */
const FIELD_MANAGER = 'drdeck';

/** A real cluster: its kube context's API server. */
export class KubeCluster implements Cluster {
  /** The kube context. */
  readonly name: string;
  readonly user: string;
  readonly server: string;
  readonly requestTimeoutMs: number;
  private readonly closing = new AbortController();
  private client: Promise<ApiClient> | undefined;
  private authenticator: Authenticator | undefined;
  private readonly discovery: Discovery;
  /** The object views' reads (YAML, events, logs). */
  readonly views: KubeViews;
  private readonly reviews: AccessReview;
  private readonly watchers = new Set<KindWatcher>();
  private readonly tuning: WatchTuning;
  private readonly liveness: ServerLiveness;
  private readonly probing: boolean;

  constructor(private readonly options: KubeClusterOptions) {
    this.name = options.kubeconfig.contextName;
    this.user = options.kubeconfig.userName;
    this.server = options.kubeconfig.server;
    this.requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.tuning = { ...DEFAULT_WATCH_TUNING, ...options.watch };
    const api = () => this.connect();
    this.discovery = new Discovery(api);
    this.reviews = new AccessReview(api);
    this.views = new KubeViews(api, this.discovery, { ...DEFAULT_VIEW_TUNING, ...options.views });
    const log = options.log ?? (() => {});
    this.probing = options.liveness !== false && !options.listOnly;
    const liveness: LivenessTuning = { ...DEFAULT_LIVENESS, ...(options.liveness || {}) };
    this.liveness = new ServerLiveness({
      probe: (timeoutMs, signal) => this.probe(timeoutMs, signal),
      tuning: liveness,
      minBackIntervalMs: this.tuning.backoffInitialMs,
      log,
    });
    this.liveness.onBack(() => {
      for (const watcher of this.watchers) watcher.retryNow();
    });
    this.liveness.onSilence((since) => {
      if (since === undefined) return;
      // Why interrupt: an open watch on a frozen server hears nothing and waits for its staleness
      // timer; failed now, every kind says it is stale, and retries once the server answers.
      const error = new ClusterError(`stopped answering: no answer to GET /readyz within ${seconds(liveness.timeoutMs)}`, 0, 'Timeout');
      for (const watcher of this.watchers) watcher.interrupt(error, since);
    });
  }

  now(): number {
    return Date.now();
  }

  /**
   * Prepares the credentials of the kubeconfig's user (once; again after a failure): reads the files
   * it names, and loads client-node where needed. Runs no exec plugin yet. Rejects with a
   * KubeconfigError when the kubeconfig cannot be used.
   */
  connect(): Promise<ApiClient> {
    if (!this.client) {
      const { kubeconfig, execTimeoutMs } = this.options;
      const client = createAuthenticator(kubeconfig, { timeoutMs: execTimeoutMs ?? this.requestTimeoutMs }).then((auth) => {
        this.authenticator = auth;
        // Closed while client-node was loading: nothing may start after close().
        if (this.closing.signal.aborted) auth.close();
        return new ApiClient(auth, this.server, this.requestTimeoutMs, this.closing.signal, this.user);
      });
      this.client = client;
      client.catch(() => {
        if (this.client === client) this.client = undefined;
      });
    }
    return this.client;
  }

  async list(kind: KindKey, namespace?: string): Promise<ListResult> {
    const api = await this.connect();
    return listAll(api, kind, { namespace, pageSize: this.tuning.pageSize, version: await this.discovery.version(kind) });
  }

  async get(kind: KindKey, namespace: string | undefined, name: string): Promise<KubeObject> {
    const api = await this.connect();
    const version = await this.discovery.version(kind);
    // The metadata-only Accept for a Secret here too: no read of drdeck's ever asks for Secret data.
    const path = resourcePath(kind, namespace, name, undefined, version);
    return received(kind, await api.json<KubeObject>({ method: 'GET', path, accept: acceptFor(kind, false) }), version);
  }

  async create(kind: KindKey, object: KubeObject, options: WriteOptions = {}): Promise<KubeObject> {
    const info = KINDS[kind];
    if (options.subresource) throw new ClusterError(`create is not allowed on the ${options.subresource} subresource`, 405, 'MethodNotAllowed');
    const namespace = object.metadata?.namespace;
    if (info.namespaced && !namespace) throw new ClusterError(`a ${info.kind} needs metadata.namespace`, 400, 'BadRequest');
    const api = await this.connect();
    // Writes go to the version the server serves the kind at, as reads do.
    const version = await this.discovery.version(kind);
    return api.json<KubeObject>({
      method: 'POST',
      path: resourcePath(kind, namespace, undefined, undefined, version),
      query: writeQuery(options),
      body: { ...object, apiVersion: apiVersionOf(info, version), kind: info.kind },
    });
  }

  async patch(kind: KindKey, namespace: string | undefined, name: string, patch: unknown, type: PatchType, options: WriteOptions = {}): Promise<KubeObject> {
    const api = await this.connect();
    return api.json<KubeObject>({
      method: 'PATCH',
      path: resourcePath(kind, namespace, name, options.subresource, await this.discovery.version(kind)),
      query: writeQuery(options),
      body: patch,
      contentType: CONTENT_TYPES[type],
    });
  }

  async delete(kind: KindKey, namespace: string | undefined, name: string, options: WriteOptions = {}): Promise<void> {
    const api = await this.connect();
    const { preconditions, dryRun } = options;
    await api.json({
      method: 'DELETE',
      path: resourcePath(kind, namespace, name, undefined, await this.discovery.version(kind)),
      query: { dryRun: dryRun ? 'All' : undefined },
      // The server deletes only the object the operator saw; another one by that name gets a 409.
      // Why dryRun in the body too: with a body, the API server reads the DeleteOptions from it
      // alone and ignores the query, so a dry run would delete for real.
      ...(preconditions ? { body: { apiVersion: 'v1', kind: 'DeleteOptions', preconditions, ...(dryRun ? { dryRun: ['All'] } : {}) } } : {}),
    });
  }

  feed(kinds: readonly KindKey[], sink: FeedSink): () => void {
    const log = this.options.log ?? (() => {});
    const started = kinds.map((kind) => {
      const watcher = new KindWatcher({
        kind,
        api: () => this.connect(),
        discovery: this.discovery,
        sink,
        tuning: this.tuning,
        log,
        health: this.liveness,
        listOnly: this.options.listOnly,
      });
      this.watchers.add(watcher);
      return watcher;
    });
    if (!this.closing.signal.aborted) {
      for (const watcher of started) watcher.start();
      if (this.probing && started.length) this.liveness.start();
    }
    return () => {
      for (const watcher of started) {
        watcher.stop();
        this.watchers.delete(watcher);
      }
      if (this.watchers.size === 0) this.liveness.stop();
    };
  }

  /**
   * Every watch waiting to retry (a back-off, a forbidden or not-installed kind) tries now, and the
   * liveness probe looks now: the operator's "retry now" key.
   */
  retryNow(): void {
    for (const watcher of this.watchers) watcher.retryNow();
    this.liveness.probeNow();
  }

  /**
   * Hears the API server stop answering (with the time of its last answer) and answer again
   * (undefined). Returns the unsubscribe.
   */
  onSilence(listener: (since: number | undefined) => void): () => void {
    return this.liveness.onSilence(listener);
  }

  /** One liveness probe: `GET /readyz`, answered 200 within `timeoutMs`. */
  private async probe(timeoutMs: number, signal: AbortSignal): Promise<void> {
    const api = await this.connect();
    const res = await api.stream({ method: 'GET', path: '/readyz', accept: 'text/plain', timeoutMs, signal });
    // The body is "ok"; read it so the connection is reused.
    res.resume();
  }

  /**
   * Whether the kubeconfig's user may `verb` a resource, e.g. `canI('patch', 'replicationdestinations',
   * 'volsync.backube', 'default')`; answers are cached for a minute.
   */
  canI(verb: string, resource: string, group: string, namespace?: string, name?: string): Promise<AccessAnswer> {
    return this.reviews.canI(verb, resource, group, namespace, name);
  }

  /** Whether the user may `verb` objects of a kind drdeck knows. */
  access(verb: string, kind: KindKey, namespace?: string, subresource?: 'status'): Promise<AccessAnswer> {
    const resource = subresource ? `${KINDS[kind].plural}/${subresource}` : KINDS[kind].plural;
    return this.canI(verb, resource, KINDS[kind].group, namespace);
  }

  canIKind(verb: string, kind: KindKey, namespace?: string, name?: string): Promise<AccessAnswer> {
    return this.canI(verb, KINDS[kind].plural, KINDS[kind].group, namespace, name);
  }

  /** Aborts every request, watch, timer and exec plugin; nothing is left to keep the process alive. */
  close(): void {
    this.closing.abort();
    this.liveness.stop();
    for (const watcher of this.watchers) watcher.stop();
    this.watchers.clear();
    this.authenticator?.close();
  }
}

function writeQuery(options: WriteOptions): Record<string, string | undefined> {
  return { dryRun: options.dryRun ? 'All' : undefined, fieldManager: FIELD_MANAGER };
}
