/**
 * The simulated API server: an in-memory object store behind the `Cluster` interface, with the
 * semantics drdeck relies on from a real one (resourceVersions, generation, the status subresource,
 * dry run, merge and JSON patches, watches that resume from a resourceVersion and expire).
 */
import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import {
  type AccessAnswer,
  ClusterError,
  type Cluster,
  type FeedSink,
  type KubeObject,
  type ListResult,
  type ObjectViews,
  type PatchType,
  type WatchEvent,
  type WatchEventType,
  type WriteOptions,
} from '../cluster.js';
import { apiVersionOf, KINDS, type KindKey } from '../kinds.js';
import { withoutLastApplied } from '../records.js';
import { applyJsonPatch, applyMergePatch, PatchError } from './patch.js';
import { invalid, validate } from './validation.js';

export interface SimClusterOptions {
  /** Where `now()` and creationTimestamps come from: the scenario clock. */
  clock: { now(): number };
  /** What the UI calls the cluster (default "demo"). */
  name?: string;
  /** How many events a watch can resume across (default 5000); older resourceVersions get 410. */
  historyLimit?: number;
}

/** Receives the events of a low-level watch, one at a time, in resourceVersion order. */
export type WatchHandler = (kind: KindKey, event: WatchEvent) => void;

interface HistoryEntry {
  rv: number;
  kind: KindKey;
  event: WatchEvent;
}

interface Watcher {
  kinds: ReadonlySet<KindKey>;
  handler: WatchHandler;
  queue: HistoryEntry[];
  scheduled: boolean;
  stopped: boolean;
}

/** RFC 3339 with second precision, as the API server writes timestamps. */
export function timestamp(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

const keyOf = (namespace: string | undefined, name: string): string => (namespace ? `${namespace}/${name}` : name);

/** `persistentvolumeclaims` or `replicationdestinations.volsync.backube`, as API errors name resources. */
function resourceName(kind: KindKey): string {
  const info = KINDS[kind];
  return info.group ? `${info.plural}.${info.group}` : info.plural;
}

/** `PersistentVolumeClaim`, `ReplicationDestination.volsync.backube`: how a delete's precondition conflict names the resource. */
function kindName(kind: KindKey): string {
  const info = KINDS[kind];
  return info.group ? `${info.kind}.${info.group}` : info.kind;
}

const clone = <T>(value: T): T => structuredClone(value);

/**
 * An object as drdeck receives it through `list`, `get` and `feed`, the way src/k8s reads a real
 * server: a Secret as metadata only (PartialObjectMetadata), and no object with the annotation in
 * which `kubectl apply` copies the whole manifest (a Secret's data included). The store itself, and
 * `peek`, `listNow` and `watch` (the server's own view, for scenarios and controllers), keep all.
 */
function asReceived(kind: KindKey, object: KubeObject): KubeObject {
  const kept = withoutLastApplied(object);
  return kind === 'secrets' ? { apiVersion: kept.apiVersion, kind: kept.kind, metadata: kept.metadata } : kept;
}

/** An in-memory API server. Writes apply synchronously; their watch events are delivered in a microtask. */
export class SimCluster implements Cluster {
  readonly name: string;
  readonly user = 'demo-operator';
  /** Verbs the demo's user may not use, as "verb kind" (tests of refusals); everything else is allowed. */
  readonly denied = new Set<string>();
  /** The object views' reads (src/sim/views.ts), set by the demo once its scenario is loaded. */
  views?: ObjectViews;
  private readonly clock: { now(): number };
  private readonly historyLimit: number;
  private readonly store = new Map<KindKey, Map<string, KubeObject>>();
  private rv = 0;
  private history: HistoryEntry[] = [];
  /** Every event with a resourceVersion up to this one has left the history. */
  private compactedRv = 0;
  private readonly watchers = new Set<Watcher>();
  private readonly closers: Array<() => void> = [];
  private closed = false;

  constructor(options: SimClusterOptions) {
    this.clock = options.clock;
    this.name = options.name ?? 'demo';
    this.historyLimit = options.historyLimit ?? 5000;
  }

  now(): number {
    return this.clock.now();
  }

  async access(verb: string, kind: KindKey, namespace?: string, subresource?: 'status'): Promise<AccessAnswer> {
    const need = `${verb} on ${resourceName(kind).replace(/^([^.]+)/, `$1${subresource ? `/${subresource}` : ''}`)}${namespace ? ` in ${namespace}` : ''}`;
    return { allowed: !this.denied.has(`${verb} ${kind}`), need };
  }

  /** The resourceVersion of the latest write. */
  get resourceVersion(): string {
    return String(this.rv);
  }

  async list(kind: KindKey, namespace?: string): Promise<ListResult> {
    return { items: this.listNow(kind, namespace).map((o) => asReceived(kind, o)), resourceVersion: String(this.rv) };
  }

  async get(kind: KindKey, namespace: string | undefined, name: string): Promise<KubeObject> {
    const found = this.peek(kind, namespace, name);
    if (!found) throw this.notFound(kind, name);
    return asReceived(kind, found);
  }

  /** Synchronous `get` for simulated controllers and scenario steps; undefined when absent. */
  peek(kind: KindKey, namespace: string | undefined, name: string): KubeObject | undefined {
    const found = this.bucket(kind).get(keyOf(KINDS[kind].namespaced ? namespace : undefined, name));
    return found && clone(found);
  }

  /** Synchronous `list`, sorted by namespace and name. */
  listNow(kind: KindKey, namespace?: string): KubeObject[] {
    const items = [...this.bucket(kind).values()].filter((o) => !namespace || o.metadata.namespace === namespace);
    return items.sort((a, b) => keyOf(a.metadata.namespace, a.metadata.name).localeCompare(keyOf(b.metadata.namespace, b.metadata.name))).map(clone);
  }

  async create(kind: KindKey, object: KubeObject, options: WriteOptions = {}): Promise<KubeObject> {
    return this.createNow(kind, object, options);
  }

  /**
   * Synchronous create. Like the API server it assigns uid, creationTimestamp, generation 1 and a
   * resourceVersion, and drops `.status` (every kind is treated as having a status subresource).
   */
  createNow(kind: KindKey, object: KubeObject, options: WriteOptions = {}): KubeObject {
    this.ensureOpen();
    if (options.subresource) throw new ClusterError(`create is not allowed on the ${options.subresource} subresource`, 405, 'MethodNotAllowed');
    const next = this.normalize(kind, object);
    const meta = next.metadata;
    if (!meta.name && typeof meta.generateName === 'string') meta.name = `${meta.generateName}${randomSuffix()}`;
    delete next.status;
    delete meta.resourceVersion;
    delete meta.deletionTimestamp;
    meta.uid = randomUUID();
    meta.creationTimestamp = timestamp(this.now());
    meta.generation = 1;
    return this.insert(kind, next, options.dryRun ?? false);
  }

  /**
   * Stores an object as given (status, uid, creationTimestamp and generation kept when present): how
   * a scenario sets up the state a real cluster would have reached. Emits ADDED like a create.
   */
  load(kind: KindKey, object: KubeObject): KubeObject {
    this.ensureOpen();
    const next = this.normalize(kind, object);
    const meta = next.metadata;
    delete meta.resourceVersion;
    meta.uid ??= randomUUID();
    meta.creationTimestamp ??= timestamp(this.now());
    meta.generation ??= 1;
    return this.insert(kind, next, false);
  }

  async patch(kind: KindKey, namespace: string | undefined, name: string, patch: unknown, type: PatchType, options: WriteOptions = {}): Promise<KubeObject> {
    return this.patchNow(kind, namespace, name, patch, type, options);
  }

  /**
   * Synchronous patch. `strategic` is applied as a merge patch (maps merge, lists are replaced).
   * A main-resource write keeps `.status`; a status write keeps everything but `.status`;
   * `metadata.generation` grows only when `.spec` changed. A patch that changes nothing stores
   * nothing and emits nothing, as on a real server.
   */
  patchNow(kind: KindKey, namespace: string | undefined, name: string, patch: unknown, type: PatchType, options: WriteOptions = {}): KubeObject {
    this.ensureOpen();
    const key = keyOf(KINDS[kind].namespaced ? namespace : undefined, name);
    const old = this.bucket(kind).get(key);
    if (!old) throw this.notFound(kind, name);

    let patched: unknown;
    try {
      if (type === 'json') {
        patched = applyJsonPatch(old, patch);
      } else {
        if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) {
          throw new ClusterError(`a ${type} patch must be a JSON object`, 400, 'BadRequest');
        }
        patched = applyMergePatch(clone(old), patch);
      }
    } catch (error) {
      if (error instanceof PatchError) throw invalid(kind, name, error.message);
      throw error;
    }
    if (typeof patched !== 'object' || patched === null || Array.isArray(patched) || typeof (patched as KubeObject).metadata !== 'object') {
      throw invalid(kind, name, 'the patched object has no metadata');
    }
    const candidate = patched as KubeObject;
    const sentRv = candidate.metadata.resourceVersion;
    if (sentRv !== undefined && sentRv !== old.metadata.resourceVersion) {
      throw new ClusterError(
        `Operation cannot be fulfilled on ${resourceName(kind)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
        409,
        'Conflict',
      );
    }
    if (candidate.metadata.name !== old.metadata.name || candidate.metadata.namespace !== old.metadata.namespace) {
      throw new ClusterError(`the name or namespace of the object does not match "${key}"`, 400, 'BadRequest');
    }

    let next: KubeObject;
    if (options.subresource === 'status') {
      next = clone(old);
      setOrDelete(next, 'status', candidate.status);
    } else {
      next = this.normalize(kind, candidate);
      setOrDelete(next, 'status', clone(old.status));
      for (const field of ['uid', 'creationTimestamp', 'generation', 'resourceVersion'] as const) {
        setOrDelete(next.metadata, field, old.metadata[field]);
      }
      if (!isDeepStrictEqual(next.spec, old.spec)) next.metadata.generation = (old.metadata.generation ?? 0) + 1;
      validate(kind, next, old);
    }

    if (isDeepStrictEqual(next, old) || options.dryRun) return clone(next);
    return this.commit(kind, 'MODIFIED', next);
  }

  async delete(kind: KindKey, namespace: string | undefined, name: string, options: WriteOptions = {}): Promise<void> {
    this.deleteNow(kind, namespace, name, options);
  }

  /**
   * Synchronous delete: immediate (no finalizers); the DELETED event carries a new resourceVersion.
   * Preconditions are checked as the API server checks them, dry run included: a uid or
   * resourceVersion that differs is a 409 Conflict in the server's words, and nothing is deleted.
   */
  deleteNow(kind: KindKey, namespace: string | undefined, name: string, options: WriteOptions = {}): void {
    this.ensureOpen();
    const old = this.bucket(kind).get(keyOf(KINDS[kind].namespaced ? namespace : undefined, name));
    if (!old) throw this.notFound(kind, name);
    const { uid, resourceVersion } = options.preconditions ?? {};
    // As k8s.io/apiserver's rest.BeforeDelete words it, naming the resource by its Kind.
    const conflict = (why: string) => new ClusterError(`Operation cannot be fulfilled on ${kindName(kind)} "${name}": ${why}`, 409, 'Conflict');
    if (uid !== undefined && uid !== old.metadata.uid) {
      throw conflict(
        `the UID in the precondition (${uid}) does not match the UID in record (${old.metadata.uid}). The object might have been deleted and then recreated`,
      );
    }
    if (resourceVersion !== undefined && resourceVersion !== old.metadata.resourceVersion) {
      throw conflict(
        `the ResourceVersion in the precondition (${resourceVersion}) does not match the ResourceVersion in record (${old.metadata.resourceVersion}). The object might have been modified`,
      );
    }
    if (options.dryRun) return;
    this.commit(kind, 'DELETED', clone(old));
  }

  /**
   * A low-level watch of `kinds` from `resourceVersion`: replays every retained event after it, then
   * delivers new ones, each in a microtask after the write (never inside the write call). Throws
   * 410 when events after `resourceVersion` have already left the bounded history; the caller
   * relists, as with a real server. Returns a function that stops the watch.
   */
  watch(kinds: readonly KindKey[], resourceVersion: string, handler: WatchHandler): () => void {
    this.ensureOpen();
    if (!/^(0|[1-9][0-9]*)$/.test(resourceVersion)) {
      throw new ClusterError(`invalid resourceVersion "${resourceVersion}"`, 400, 'BadRequest');
    }
    const from = Number(resourceVersion);
    if (from < this.compactedRv) {
      throw new ClusterError(`too old resource version: ${from} (${this.compactedRv})`, 410, 'Expired');
    }
    const watcher: Watcher = { kinds: new Set(kinds), handler, queue: [], scheduled: false, stopped: false };
    for (const entry of this.history) {
      if (entry.rv > from && watcher.kinds.has(entry.kind)) this.enqueue(watcher, entry);
    }
    this.watchers.add(watcher);
    return () => {
      watcher.stopped = true;
      this.watchers.delete(watcher);
    };
  }

  feed(kinds: readonly KindKey[], sink: FeedSink): () => void {
    let stopWatch: (() => void) | undefined;
    let cancelled = false;
    // Deferred so the caller holds the stop function before the first callback. List and watch
    // registration happen in one synchronous block, so no write can fall between them; writes made
    // by the sink itself during reset land after `rv` and are replayed by the watch.
    queueMicrotask(() => {
      if (cancelled || this.closed) return;
      const rv = this.rv;
      for (const kind of kinds) {
        sink.reset(
          kind,
          this.listNow(kind).map((o) => asReceived(kind, o)),
        );
        sink.sync(kind, { phase: 'synced', since: this.now() });
      }
      if (cancelled || this.closed) return;
      stopWatch = this.watch(kinds, String(rv), (kind, event) => sink.event(kind, { type: event.type, object: asReceived(kind, event.object) }));
    });
    return () => {
      cancelled = true;
      stopWatch?.();
    };
  }

  /** Registers something to release on `close` (the scenario clock, simulated controllers). */
  onClose(fn: () => void): void {
    if (this.closed) fn();
    else this.closers.push(fn);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const watcher of this.watchers) watcher.stopped = true;
    this.watchers.clear();
    for (const fn of this.closers.splice(0)) fn();
  }

  private bucket(kind: KindKey): Map<string, KubeObject> {
    let bucket = this.store.get(kind);
    if (!bucket) {
      if (!KINDS[kind]) throw new ClusterError(`the server could not find the requested resource (${String(kind)})`, 404, 'NotFound');
      bucket = new Map();
      this.store.set(kind, bucket);
    }
    return bucket;
  }

  /** A deep copy with apiVersion and kind from the kinds table and no namespace on cluster-scoped kinds. */
  private normalize(kind: KindKey, object: KubeObject): KubeObject {
    const info = KINDS[kind];
    const { apiVersion: _a, kind: _k, ...rest } = clone(object);
    const next: KubeObject = { apiVersion: apiVersionOf(info), kind: info.kind, ...rest, metadata: { ...rest.metadata } };
    if (!info.namespaced) delete next.metadata.namespace;
    return next;
  }

  private insert(kind: KindKey, next: KubeObject, dryRun: boolean): KubeObject {
    validate(kind, next);
    const name = next.metadata.name;
    if (this.bucket(kind).has(keyOf(next.metadata.namespace, name))) {
      throw new ClusterError(`${resourceName(kind)} "${name}" already exists`, 409, 'AlreadyExists');
    }
    if (dryRun) return clone(next);
    return this.commit(kind, 'ADDED', next);
  }

  /** Stores (or removes) `object` under a new resourceVersion, records the event and queues it to watchers. */
  private commit(kind: KindKey, type: WatchEventType, object: KubeObject): KubeObject {
    this.rv += 1;
    object.metadata.resourceVersion = String(this.rv);
    const key = keyOf(object.metadata.namespace, object.metadata.name);
    if (type === 'DELETED') this.bucket(kind).delete(key);
    else this.bucket(kind).set(key, object);

    const entry: HistoryEntry = { rv: this.rv, kind, event: { type, object: clone(object) } };
    this.history.push(entry);
    if (this.history.length > this.historyLimit) this.compactedRv = this.history.shift()!.rv;
    for (const watcher of this.watchers) {
      if (watcher.kinds.has(kind)) this.enqueue(watcher, entry);
    }
    return clone(object);
  }

  private enqueue(watcher: Watcher, entry: HistoryEntry): void {
    watcher.queue.push(entry);
    if (watcher.scheduled) return;
    watcher.scheduled = true;
    queueMicrotask(() => {
      watcher.scheduled = false;
      const entries = watcher.queue.splice(0);
      for (const { kind, event } of entries) {
        if (watcher.stopped) return;
        watcher.handler(kind, { type: event.type, object: clone(event.object) });
      }
    });
  }

  private notFound(kind: KindKey, name: string): ClusterError {
    return new ClusterError(`${resourceName(kind)} "${name}" not found`, 404, 'NotFound');
  }

  private ensureOpen(): void {
    if (this.closed) throw new ClusterError('the simulated cluster is closed', 503, 'ServiceUnavailable');
  }
}

function setOrDelete<T extends object, K extends keyof T>(target: T, field: K, value: T[K] | undefined): void {
  if (value === undefined) delete target[field];
  else target[field] = value;
}

function randomSuffix(): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  let out = '';
  for (let i = 0; i < 5; i++) out += alphabet[Math.floor(Math.random() * alphabet.length)];
  return out;
}
