/**
 * The cluster interface: what drdeck needs from a Kubernetes API server. `src/sim` implements it in
 * memory for the demo and the tests; `src/k8s` implements it on a real API server. Nothing else
 * talks to a cluster.
 */
import type { KindKey } from './kinds.js';

/** A Kubernetes object as the API returns it (only the parts drdeck relies on are typed). */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec?: any;
  status?: any;
  [field: string]: unknown;
}

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: Array<{ apiVersion: string; kind: string; name: string; uid?: string }>;
  managedFields?: Array<{ manager?: string; operation?: string; subresource?: string; fieldsV1?: unknown }>;
  [field: string]: unknown;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface WatchEvent {
  type: WatchEventType;
  object: KubeObject;
}

export interface ListResult {
  items: KubeObject[];
  /** Opaque: compare for equality only, never as a number. */
  resourceVersion: string;
}

export type PatchType = 'merge' | 'json' | 'strategic';

/**
 * A delete's preconditions (DeleteOptions.preconditions): the server deletes only the object with
 * this uid at this resourceVersion, and answers 409 Conflict otherwise.
 */
export interface Preconditions {
  uid?: string;
  resourceVersion?: string;
}

export interface WriteOptions {
  /** Server-side dry run (`dryRun=All`): validated and admitted, never persisted. */
  dryRun?: boolean;
  /** Write the status subresource instead of the main resource. */
  subresource?: 'status';
  /**
   * For a delete: delete only the object as it was seen. (A patch carries its precondition in its
   * body: `metadata.resourceVersion` in a merge patch.)
   */
  preconditions?: Preconditions;
}

/** A failed request, with the HTTP status the API server (or the simulation) answered. */
export class ClusterError extends Error {
  constructor(
    message: string,
    readonly code: number,
    readonly reason: string = '',
  ) {
    super(message);
    this.name = 'ClusterError';
  }
}

/** Sync state of one kind's watch, shown on screen and used by checks to say `pending`. */
export type SyncPhase = 'connecting' | 'synced' | 'retrying' | 'forbidden' | 'not-installed';

export interface SyncState {
  phase: SyncPhase;
  /** Human detail: the last error, the missing verb, "retrying in 4 s". */
  detail?: string;
  /** When the data was last known fresh (ms since epoch); set while retrying to say "stale since". */
  since?: number;
  /**
   * The ClusterError reason of the last failure while retrying ('ConnectionRefused', 'Unreachable',
   * 'TLSError', 'Timeout', 'Unauthorized', ...): what tells "the API server cannot be reached" apart.
   */
  reason?: string;
}

/** Receives watch traffic. Events arrive in any number; the sink decides how to batch them. */
export interface FeedSink {
  /** Replace everything known about a kind (after a list or relist). */
  reset(kind: KindKey, items: KubeObject[]): void;
  event(kind: KindKey, event: WatchEvent): void;
  sync(kind: KindKey, state: SyncState): void;
}

/** The answers a resolver gave for one name. `null` for a record type means "not asked yet". */
export interface DnsAnswer {
  name: string;
  a: string[];
  aaaa: string[];
  /** Set when the resolver could not be asked (timeout, refused). */
  error?: string;
  checkedAt: number;
}

/**
 * What drdeck knows of the router's static DNS table, for the DNS panel's record count. Present
 * only where a router is configured (`dns.routeros`, or the demo's).
 */
export interface RouterRecords {
  /** The router, as the screen names it: "10.0.0.1", "demo". */
  label: string;
  /** How many static entries it has, when the last listing worked. */
  count?: number;
  /** Of those, how many drdeck added (comment starting "drdeck:"). */
  drdeck?: number;
  /** Why the last listing failed, in the router's (or the client's) words. */
  error?: string;
  /** When it was last asked (the cluster's clock); absent until the first answer. */
  checkedAt?: number;
}

/** The answer of an access review: may the user do this, and if not, what it takes. */
export interface AccessAnswer {
  allowed: boolean;
  /** What it takes, in RBAC's words: "patch on replicationdestinations.volsync.backube in default". */
  need: string;
  /** The authorizer's reason, when it gave one. */
  reason?: string;
}

/** One core/v1 Event about an object, as the events view lists it. */
export interface EventRow {
  uid: string;
  /** Normal or Warning. */
  type: string;
  reason: string;
  message: string;
  count: number;
  /** When it last happened (ms since epoch): the newest first. */
  lastTime: number;
  /** Who reported it: "volsync", "kustomize-controller". */
  source: string;
}

/** A pod (and container) whose log the logs view can read, and why it is the one behind the object. */
export interface LogSource {
  namespace: string;
  pod: string;
  container: string;
  /** Every container of the pod, for the container choice. */
  containers: readonly string[];
  /** Why this pod: "mover of ReplicationDestination 3-home/thelounge". */
  why: string;
  /** Restarts of the container: `--previous` has something to show when above 0. */
  restarts: number;
}

/**
 * Where to look for the pods behind an object: pods with these labels in a namespace, or the pods
 * of a Deployment (by its selector).
 */
export interface PodQuery {
  namespace: string;
  labels?: Readonly<Record<string, string>>;
  /** A Deployment's name in `namespace`: its pods, by its `spec.selector.matchLabels`. */
  deployment?: string;
  /** One pod, by name. */
  pod?: string;
  /** Why these pods: "mover of ReplicationDestination 3-home/thelounge". */
  why: string;
}

/** The pods found for a list of queries, and one line for each query that found none or failed. */
export interface LogSources {
  sources: readonly LogSource[];
  notes: readonly string[];
}

export interface LogOptions {
  previous: boolean;
  follow: boolean;
  /** Lines from the end to start with. */
  tailLines: number;
}

/** Hears one stream: lines as they come, then its end (with the error that ended it). */
export interface LogHandler {
  lines(lines: readonly string[]): void;
  end(error?: ClusterError): void;
}

/** Hears an object's events: every row known so far (after each change), or why they cannot be read. */
export interface EventsHandler {
  rows(rows: readonly EventRow[]): void;
  error(error: ClusterError): void;
}

/**
 * The reads behind the object views (`y` YAML, `e` events, `l` logs): a real API server's
 * (src/k8s/object-views.ts) or the demo's (src/sim/views.ts). Kinds are drdeck's (KindKey).
 */
export interface ObjectViews {
  /** The object as the server has it now: a fresh GET (a Secret: metadata only). */
  object(kind: KindKey, namespace: string | undefined, name: string): Promise<KubeObject>;
  /** Lists the object's Events, then hears new ones until the returned function is called. */
  events(object: KubeObject, handler: EventsHandler): () => void;
  /** The pods the queries find (in their order; the newest pod first within one). */
  logSources(queries: readonly PodQuery[]): Promise<LogSources>;
  /** Streams a container's log; the returned function ends it. */
  log(source: LogSource, options: LogOptions, handler: LogHandler): () => void;
}

export interface Cluster {
  /** What the UI calls this cluster: the kube context, or "demo". */
  readonly name: string;
  /** Who drdeck acts as (the kubeconfig's user), for the audit log. */
  readonly user: string;
  /** The cluster's clock in ms since epoch: real time, or scenario time in the demo. */
  now(): number;
  list(kind: KindKey, namespace?: string): Promise<ListResult>;
  get(kind: KindKey, namespace: string | undefined, name: string): Promise<KubeObject>;
  create(kind: KindKey, object: KubeObject, options?: WriteOptions): Promise<KubeObject>;
  patch(kind: KindKey, namespace: string | undefined, name: string, patch: unknown, type: PatchType, options?: WriteOptions): Promise<KubeObject>;
  delete(kind: KindKey, namespace: string | undefined, name: string, options?: WriteOptions): Promise<void>;
  /**
   * Starts watching every kind into the sink: list, then watch from the list's resourceVersion,
   * reporting sync state. Returns a function that stops all watches.
   */
  feed(kinds: readonly KindKey[], sink: FeedSink): () => void;
  /** Whether the user may `verb` this kind (SelfSubjectAccessReview on a real cluster; briefly cached). */
  access(verb: string, kind: KindKey, namespace?: string, subresource?: 'status'): Promise<AccessAnswer>;
  /** The object views' reads, where this cluster can serve them. */
  readonly views?: ObjectViews;
  /** Releases timers and connections. */
  close(): void;
}

export type DnsRecordType = 'A' | 'AAAA';

/**
 * A DNS resolver drdeck asks directly (the router), never the system resolver. `query` resolves to
 * the addresses answered (empty for NXDOMAIN or no records of that type) and rejects with a readable
 * message when the server cannot be asked (timeout, refused).
 */
export interface Resolver {
  /** What to call it on screen, e.g. "10.0.0.1:53" or "demo". */
  readonly label: string;
  query(name: string, type: DnsRecordType, timeoutMs: number): Promise<string[]>;
}
