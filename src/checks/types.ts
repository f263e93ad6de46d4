/**
 * The vocabulary of checks: pure functions of a snapshot of the watched objects and the config.
 * No I/O and no React here or in any check file.
 */
import type { DnsAnswer, KubeObject, RouterRecords, SyncState } from '../cluster.js';
import type { Config } from '../config/schema.js';
import type { KindKey } from '../kinds.js';
import type { SourceRef } from '../preflight/types.js';

export const PANELS = ['flux', 'kopia', 'restores', 'gateways', 'loadbalancers', 'dns'] as const;
export type PanelId = (typeof PANELS)[number];

/** Panel titles, exactly as the dashboard shows them. */
export const PANEL_TITLES: Readonly<Record<PanelId, string>> = {
  flux: 'Flux',
  kopia: 'Kopia',
  restores: 'Restores',
  gateways: 'Gateways',
  loadbalancers: 'LoadBalancers',
  dns: 'DNS',
};

export type CheckStatus = 'pass' | 'warn' | 'fail' | 'pending' | 'unknown';

/** Worst first: the order in which panels and lists sort findings. */
export const STATUS_SEVERITY: Readonly<Record<CheckStatus, number>> = {
  fail: 4,
  warn: 3,
  unknown: 2,
  pending: 1,
  pass: 0,
};

/**
 * The fix ids checks may name. A contract shared with the JSON output and scripts; the fixes
 * themselves are `src/fixes`.
 */
export const FIX_IDS = [
  'flux-reconcile',
  'flux-reconcile-stuck',
  'kopia-reclaim',
  'restores-trigger',
  'restores-set-copy-method',
  'restores-recreate',
  'gateways-restart-operator',
  'loadbalancers-dual-stack',
  'dns-add-records',
] as const;
export type FixId = (typeof FIX_IDS)[number];

/** One observed fact behind a verdict: which object, which field, what value. */
export interface Evidence {
  kind: string;
  namespace?: string;
  name: string;
  field: string;
  value: string;
  /** The verdict on this one object (a list mixes good and bad objects). */
  status?: CheckStatus;
  /** Where the object is written in the Git repository (preflight's evidence: `file:line`). */
  source?: SourceRef;
}

/**
 * Where a snapshot came from: a live cluster, the demo's simulation, or the desired state read from
 * the Git repository (`drdeck preflight`). Every verdict says which.
 */
export type CheckSource = 'cluster' | 'demo' | 'git';

/**
 * What a check judges: `spec`, what the manifests say (the same in Git as in the cluster, so
 * preflight runs it on the repository's desired state), or `status`, what only a running cluster has.
 */
export type CheckScope = 'spec' | 'status';

export interface CheckResult {
  id: string;
  panel: PanelId;
  status: CheckStatus;
  /** One line, meant for a panel row: what is wrong and why, or what is fine. */
  summary: string;
  evidence: Evidence[];
  fixes: FixId[];
  /** For checks whose cure is in Git: the file to look for and the change to make. */
  gitHint?: string;
  /** The snapshot's source (runCheck always sets it). */
  source?: CheckSource;
}

export type Verdict = Omit<CheckResult, 'id' | 'panel' | 'source'>;

/** Inputs are kinds, plus `dns` for the resolver's answers. */
export type InputKey = KindKey | 'dns';

/** Everything a check may read. Objects are keyed `namespace/name` (or `name` when cluster-scoped). */
export interface Snapshot {
  now: number;
  objects: Readonly<Record<KindKey, ReadonlyMap<string, KubeObject>>>;
  sync: Readonly<Record<InputKey, SyncState>>;
  /** Answers of the configured resolver, by lower-case hostname. */
  dns: ReadonlyMap<string, DnsAnswer>;
  /** The router's record count, where a router is configured (absent: no router). Part of the `dns` input. */
  routerRecords?: RouterRecords;
  /** Where the objects come from; absent means a live cluster. */
  source?: CheckSource;
  /**
   * Where a clock check notes when what it read of the clock next changes (runCheck supplies it; the
   * helpers `durationSince`, `longerThan` and `shorterThan` fill it in).
   */
  deadline?: Deadline;
}

/** The earliest time (the snapshot's clock) at which a clock check's verdict may change. */
export interface Deadline {
  at: number;
}

export interface Check {
  id: string;
  panel: PanelId;
  title: string;
  /** `spec` when the check reads only what the manifests say: preflight runs it on the Git repository too. */
  scope: CheckScope;
  /** Kinds the check cannot say anything without: not synced means `pending`, absent means `unknown`. */
  inputs: readonly InputKey[];
  /** Kinds read when present (a missing OCIRepository CRD does not make Flux unknown). */
  optional?: readonly InputKey[];
  /**
   * True when the verdict depends on the clock (ages, thresholds): re-evaluated on a tick once a
   * deadline it noted has passed. It reads the clock only through `durationSince`, `longerThan`
   * and `shorterThan` (src/checks/util.ts), which note those deadlines.
   */
  clock?: boolean;
  evaluate(snapshot: Snapshot, config: Config): Verdict;
}
