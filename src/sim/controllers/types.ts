/**
 * What the simulated controllers run on: any `Cluster` (the in-memory one of the demo, or a real
 * API server), a scheduler for their delays, and a DNS table for external-dns to write to.
 */
import type { Cluster, DnsRecordType, KubeObject, WatchEventType } from '../../cluster.js';
import type { Config } from '../../config/schema.js';
import type { KindKey } from '../../kinds.js';
import type { ObjectCache } from './cache.js';

/**
 * Runs callbacks after a delay in the cluster's time: the SimClock in the demo (so `advance()`
 * drives every controller), a wall-clock scheduler scaled by a speed factor against a real server.
 */
export interface Scheduler {
  /** Runs `fn` after `ms` of scenario time; returns a function that cancels it. */
  after(ms: number, fn: () => void): () => void;
}

/**
 * The DNS server external-dns writes to: the demo's SimDns, or a table that rewrites dnsmasq's
 * records for the real test server. Names are compared case-insensitively.
 */
export interface DnsTable {
  lookup(name: string, type: DnsRecordType): string[];
  /** Adds one record; adding an existing record changes nothing. */
  add(name: string, type: DnsRecordType, address: string): void;
  remove(name: string, type: DnsRecordType, address: string): void;
}

export interface ControllerOptions {
  cluster: Cluster;
  scheduler: Scheduler;
  dns: DnsTable;
  /** drdeck's parsed config: the Kopia PVC and saved handle, the LB-IPAM annotation, the hostname annotation. */
  config: Config;
  /** One line per action taken and per write that failed (default: nothing). */
  log?: (line: string) => void;
  /**
   * What Git holds: objects the simulated Flux applies again when their Kustomization (label
   * kustomize.toolkit.fluxcd.io/name) reconciles and they are missing, e.g. an RD deleted by the
   * restores-recreate fix. Default: nothing.
   */
  git?: ReadonlyArray<{ kind: KindKey; object: KubeObject }>;
}

/** What each controller gets: the shared watch cache and helpers that stop working after `stop()`. */
export interface ControllerContext {
  readonly cluster: Cluster;
  readonly cache: ObjectCache;
  readonly config: Config;
  readonly dns: DnsTable;
  /** See ControllerOptions.git. */
  readonly git: ReadonlyArray<{ kind: KindKey; object: KubeObject }>;
  now(): number;
  log(line: string): void;
  /** Runs `fn` after `ms`, unless stopped first. */
  after(ms: number, fn: () => void): void;
  /**
   * Runs `fn` after `ms` unless a job under `key` is already waiting or running; the key stays busy
   * until the promise `fn` returns settles, so one object is never worked on twice at once; then
   * `next` runs (to look again at what changed meanwhile).
   */
  once(key: string, ms: number, fn: () => Promise<void> | void, next?: () => void): void;
  /** Whether a job under `key` is waiting or running. */
  busy(key: string): boolean;
  /** Whether `stop()` was called: async work checks it before each write. */
  readonly stopped: boolean;
}

/** One simulated controller: the kinds it watches and how it reacts to them. */
export interface Controller {
  readonly name: string;
  readonly kinds: readonly KindKey[];
  /** Called once every watched kind has been listed, after the first `changed` calls. */
  synced?(): void;
  /** An object was added, modified, deleted, or listed again (after a relist every object is passed again). */
  changed(kind: KindKey, object: KubeObject, type: WatchEventType): void;
}
