/**
 * Fixes as data: `{id, title, dangerous, plan, run}`. The confirm screen, the help bar, read-only
 * mode, the audit log and `drdeck fix` all derive from these. `plan` is pure (a snapshot and the
 * config in, the exact requests out); `run` sends the plan through the Cluster interface it is
 * handed and follows the effect through the store's snapshots, never through return values.
 */
import type { KubeObject, PatchType } from '../cluster.js';
import type { FixId, PanelId, Snapshot } from '../checks/types.js';
import type { Config } from '../config/schema.js';
import type { PlannedRouterRequest, RouterDnsRecord } from '../dns/routeros.js';
import type { KindKey } from '../kinds.js';

export type { PlannedRouterRequest } from '../dns/routeros.js';

/** What a fix acts on: a Kubernetes kind, or `dns` for a published name (dns-add-records). */
export type TargetKind = KindKey | 'dns';

/** One object (or published name) a fix acts on. */
export interface FixTarget {
  kind: TargetKind;
  namespace?: string;
  name: string;
}

/** One request a fix will send, exactly: shown on the confirm screen, dry-run first, audited. */
export interface PlannedRequest {
  verb: 'create' | 'patch' | 'delete';
  kind: KindKey;
  namespace?: string;
  name: string;
  /** For patch. */
  patchType?: PatchType;
  subresource?: 'status';
  /**
   * The patch, the object to create, or a delete's DeleteOptions (its preconditions: the uid and
   * resourceVersion of the object as the plan saw it). A destructive patch carries those in its
   * `metadata`, so it too applies only to the object the operator saw.
   */
  body?: unknown;
  /** One line for people: "annotate HelmRelease ceph-csi/ceph-csi-rbd to reconcile". */
  summary: string;
}

/** How the operator confirms: `y`, or the object's name typed out for a destructive step. */
export type Confirmation = { kind: 'yes' } | { kind: 'type'; text: string };

export interface Plan {
  fixId: FixId;
  title: string;
  targets: FixTarget[];
  /** In the order they are sent. */
  requests: PlannedRequest[];
  /**
   * Requests to the router's REST API (dns-add-records), sent after `requests`, in order. Exactly as
   * sent: method, path, JSON body. The router has no dry run and no access review: the runner
   * checks instead, by listing, that none of the records exists yet.
   */
  routerRequests?: PlannedRouterRequest[];
  /** The equivalent kubectl / flux command lines. */
  commands: string[];
  /** What the operator must know before confirming (Git must change too, what will be deleted). */
  warnings: string[];
  /** Shown in full before confirming a destructive step: the PVC, its PV, its handle, its policy. */
  details: string[];
  confirm: Confirmation;
  /** The change to make in Git, when the lasting cure lives there (a values snippet, a template line). */
  gitChange?: string;
  /** The token written by this run (reconcile requestedAt, restore trigger), to follow it. */
  token?: string;
  /**
   * Requests of `requests` that `run` holds back until what they need exists (restores-trigger: an
   * RD whose repository Secret does not exist yet), each with why. Shown, dry-run and audited with
   * the others; the run sends each once it can, and its outcome says which went late and which never.
   */
  held?: Array<{ namespace?: string; name: string; reason: string }>;
}

/** A plan could not be made: nothing to do, or a reason it must not run (never deletes a saved PV). */
export interface NoPlan {
  refused: string;
}

export interface PlanOptions {
  /**
   * `namespace/name` (or `name`) when the operator picked one object; all applicable otherwise.
   * May start with the Kind where names alone are ambiguous: `HelmRelease/ceph-csi/ceph-csi-rbd`
   * (`formatTarget` in src/fixes/util.ts writes this form from a FixTarget).
   */
  target?: string;
  /** One unique token per run (reconcile requestedAt, restore trigger). */
  token: string;
  /** For a HelmRelease reconcile: also force and reset (the same token). */
  force?: boolean;
  /** Reconcile the object's source first. */
  withSource?: boolean;
  /**
   * The time of the plan, ms since epoch, for timestamps a fix writes (a rollout's `restartedAt`).
   * Default: the snapshot's `now`.
   */
  now?: number;
}

/** What a run can use: the cluster to write to, and the store's view to follow the effect. */
export interface RunContext {
  /** Sends one planned request (no dry run). The runner provides it so every request is audited alike. */
  send(request: PlannedRequest): Promise<KubeObject | void>;
  /** The latest snapshot from the store (effects arrive through the watch). */
  snapshot(): Snapshot;
  /** Resolves when `done` returns a result for a snapshot, rejects after `timeoutMs` with `what`. */
  waitFor<T>(what: string, timeoutMs: number, done: (snapshot: Snapshot) => T | undefined): Promise<T>;
  /** One line of progress for the spinner. */
  progress(line: string): void;
  /** Scenario or wall-clock time. */
  now(): number;
  /**
   * Sends one planned router request, with the router client's timeout; rejects with the router's
   * own words. Absent when no router is configured.
   */
  sendRouter?(request: PlannedRouterRequest): Promise<RouterDnsRecord>;
  /** Asks the DNS poller to ask the resolver again now, rather than on its interval. */
  refreshDns?(): void;
}

export interface FixOutcome {
  ok: boolean;
  /** One line: "2 HelmReleases Ready", "restore of plex failed: ...". */
  message: string;
  /** One line per object followed, for the log and the audit: "default/plex-dst: failed: ...". */
  details?: string[];
}

export interface Fix {
  id: FixId;
  title: string;
  /** Deletes or replaces something: confirmed by typing the object's name. */
  dangerous: boolean;
  /** The panel whose fix key offers it. */
  panel: PanelId;
  /** The key on the panel's detail (and dashboard) that offers it. */
  key: string;
  /** Two words for the help bar: "trigger restores". */
  label: string;
  /** The targets this fix would act on now (empty: nothing to do). */
  targets(snapshot: Snapshot, config: Config): FixTarget[];
  /**
   * Whether `targets` would give any, where that is cheaper to tell than the targets themselves
   * (without it, `targets(...).length > 0`). The help bar asks this of every fix a panel names.
   */
  hasTargets?(snapshot: Snapshot, config: Config): boolean;
  plan(snapshot: Snapshot, config: Config, options: PlanOptions): Plan | NoPlan;
  /** How long to follow the effect before calling the run failed. */
  timeoutMs: number;
  run(plan: Plan, context: RunContext, config: Config): Promise<FixOutcome>;
}

/** The router requests of a plan (none for a Kubernetes-only fix). */
export function routerRequestsOf(plan: Plan): PlannedRouterRequest[] {
  return plan.routerRequests ?? [];
}

export function isPlan(plan: Plan | NoPlan): plan is Plan {
  return 'requests' in plan;
}
