/**
 * How every fix runs, whatever asks for it (a key on the dashboard, `drdeck fix`): read-only
 * refuses; the plan is made from the store's snapshot; an access review says what permission is
 * missing before anything is sent; a server-side dry run of every request shows the server's
 * message and sends nothing when it rejects one; only then, once confirmed, the requests go out
 * and the fix follows its effect through the watch. Every attempt is audited. I/O only through
 * what the host hands in (the Cluster, the Router, the audit sink).
 *
 * Router requests (dns-add-records) have no access review (the router has no such thing) and no
 * dry run: instead the router's table is listed to check that none of the records exists yet.
 */
import { ClusterError, type AccessAnswer, type Cluster } from '../cluster.js';
import type { Snapshot } from '../checks/types.js';
import type { Config } from '../config/schema.js';
import type { Router } from '../dns/router.js';
import type { AuditEntry } from '../state/audit-log.js';
import {
  checkRouterPlan,
  dryRunPlan,
  NO_ROUTER,
  routerRecordText,
  ROUTER_NO_DRY_RUN,
  sendPlanned,
  sendRouterRequest,
  type DryRunResult,
  type RouterCheckResult,
} from './send.js';
import { isPlan, routerRequestsOf, type Fix, type FixOutcome, type Plan, type PlanOptions, type RunContext } from './types.js';

export interface FixHost {
  cluster: Cluster;
  /** The router's REST API, where one is configured: where router requests go. */
  router?: Router;
  /** Asks the DNS poller (and the router's count) to ask again now. */
  refreshDns?(): void;
  config: Config;
  readOnly: boolean;
  /** The store's latest snapshot: effects arrive through the watch. */
  snapshot(): Snapshot;
  /** Resolves when `done` returns a value for a snapshot; rejects after `timeoutMs` of the cluster's clock. */
  waitFor<T>(what: string, timeoutMs: number, done: (snapshot: Snapshot) => T | undefined): Promise<T>;
  audit(entry: AuditEntry): void;
  progress?(line: string): void;
}

/** Why a fix will not run: exit code 3 (refused) or 2 (could not run) for `drdeck fix`. */
export interface Refusal {
  refused: true;
  code: 2 | 3;
  message: string;
  /** When the dry run got as far as the server: its answers. */
  dryRun?: DryRunResult[];
  plan?: Plan;
}

export interface Prepared {
  refused: false;
  fix: Fix;
  plan: Plan;
  dryRun: DryRunResult[];
  /** For router requests: the listing that stands in for a dry run, one result per request. */
  routerCheck?: RouterCheckResult[];
  /** The router the router requests go to ("10.0.0.1", "demo"). */
  routerLabel?: string;
}

const where = (r: { namespace?: string; name: string }) => (r.namespace ? `${r.namespace}/${r.name}` : r.name);

function auditRequests(plan: Plan): AuditEntry['requests'] {
  return [
    ...plan.requests.map(({ verb, kind, namespace, name, patchType, body }) => ({ verb, kind, namespace, name, patchType, body })),
    // A router request as `PUT router /rest/ip/dns/static {body}`.
    ...routerRequestsOf(plan).map(({ method, path, body }) => ({ verb: method, kind: 'router', name: path, body })),
  ];
}

function entry(host: FixHost, fix: Fix, plan: Plan | undefined, dryRun: string, outcome: string, message: string): AuditEntry {
  return {
    time: new Date(host.cluster.now()).toISOString(),
    context: host.cluster.name,
    user: host.cluster.user,
    fixId: fix.id,
    targets: plan?.targets.map(where) ?? [],
    requests: plan ? auditRequests(plan) : [],
    dryRun,
    outcome,
    message,
  };
}

function messageOf(error: unknown): string {
  return error instanceof ClusterError || error instanceof Error ? error.message : String(error);
}

/** The permissions the plan needs that the user does not have, as "needs patch on ... in default". */
async function missingAccess(cluster: Cluster, plan: Plan): Promise<string[]> {
  const asked = new Map<string, Promise<AccessAnswer>>();
  for (const r of plan.requests) {
    const key = `${r.verb} ${r.kind} ${r.namespace ?? ''} ${r.subresource ?? ''}`;
    if (!asked.has(key)) asked.set(key, cluster.access(r.verb, r.kind, r.namespace, r.subresource));
  }
  const answers = await Promise.all(asked.values());
  return answers.filter((a) => !a.allowed).map((a) => `needs ${a.need}`);
}

/**
 * "ok", or every request the server rejected with its message; with router requests, what their
 * check found ("the router has no dry run: …", or each record that exists already).
 */
export function dryRunText(results: readonly DryRunResult[], routerCheck: readonly RouterCheckResult[] = []): string {
  const rejected = results.filter((r) => r.error);
  // One router error for many records (an unreachable router) is said once, naming them all.
  const byError = new Map<string, string[]>();
  for (const r of routerCheck) if (r.error) byError.set(r.error, [...(byError.get(r.error) ?? []), routerRecordText(r.request)]);
  const parts = [
    ...rejected.map((r) => `${r.request.verb} ${r.request.kind} ${where(r.request)}: ${r.error}`),
    ...[...byError].map(([error, records]) => `PUT ${records.join(', ')}: ${error}`),
  ];
  if (parts.length) return parts.join('; ');
  return routerCheck.length ? (results.length ? `ok; ${ROUTER_NO_DRY_RUN}` : ROUTER_NO_DRY_RUN) : 'ok';
}

const preparedDryRunText = (p: Pick<Prepared, 'dryRun' | 'routerCheck'>) => dryRunText(p.dryRun, p.routerCheck);

/** Plans, reviews access and dry-runs a fix. Nothing is written to the cluster. */
export async function prepareFix(host: FixHost, fix: Fix, options: PlanOptions): Promise<Prepared | Refusal> {
  if (host.readOnly) {
    const message = 'read-only mode: fixes are turned off (--read-only)';
    host.audit(entry(host, fix, undefined, 'skipped', 'refused', message));
    return { refused: true, code: 3, message };
  }
  const plan = fix.plan(host.snapshot(), host.config, options);
  if (!isPlan(plan)) return { refused: true, code: 2, message: plan.refused };
  const routed = routerRequestsOf(plan).length > 0;
  if (routed && !host.router) return { refused: true, code: 2, message: NO_ROUTER, plan };
  let missing: string[];
  try {
    missing = await missingAccess(host.cluster, plan);
  } catch (error) {
    return { refused: true, code: 2, message: `could not review access: ${messageOf(error)}`, plan };
  }
  if (missing.length) {
    const message = `not allowed: ${missing.join('; ')}`;
    host.audit(entry(host, fix, plan, 'skipped', 'refused', message));
    return { refused: true, code: 3, message, plan };
  }
  const dryRun = await dryRunPlan(host.cluster, plan);
  if (dryRun.some((r) => r.error)) {
    const message = `the server rejected the dry run, nothing was sent: ${dryRunText(dryRun)}`;
    host.audit(entry(host, fix, plan, dryRunText(dryRun), 'refused', message));
    return { refused: true, code: 2, message, dryRun, plan };
  }
  if (!routed || !host.router) return { refused: false, fix, plan, dryRun };
  const routerCheck = await checkRouterPlan(host.router, plan);
  if (routerCheck.some((r) => r.error)) {
    const text = dryRunText(dryRun, routerCheck);
    const message = `the router check failed, nothing was sent: ${text}`;
    host.audit(entry(host, fix, plan, text, 'refused', message));
    return { refused: true, code: 2, message, dryRun, plan };
  }
  return { refused: false, fix, plan, dryRun, routerCheck, routerLabel: host.router.label };
}

/** Records that the operator looked at the plan and its dry run and went no further. */
export function recordNotApplied(host: FixHost, prepared: Prepared, outcome: 'dry-run' | 'cancelled'): void {
  const message = outcome === 'dry-run' ? 'dry run only: nothing was sent' : 'not confirmed: nothing was sent';
  host.audit(entry(host, prepared.fix, prepared.plan, preparedDryRunText(prepared), outcome, message));
}

/** Sends the confirmed plan and follows its effect; the outcome is audited. */
export async function applyFix(host: FixHost, prepared: Prepared): Promise<FixOutcome> {
  const { fix, plan } = prepared;
  const context: RunContext = {
    send: (request) => sendPlanned(host.cluster, request),
    snapshot: () => host.snapshot(),
    waitFor: (what, timeoutMs, done) => host.waitFor(what, timeoutMs, done),
    progress: (line) => host.progress?.(line),
    now: () => host.cluster.now(),
  };
  const router = host.router;
  if (router) context.sendRouter = (request) => sendRouterRequest(router, request);
  if (host.refreshDns) context.refreshDns = () => host.refreshDns?.();
  let outcome: FixOutcome;
  try {
    outcome = await fix.run(plan, context, host.config);
  } catch (error) {
    outcome = { ok: false, message: messageOf(error) };
  }
  host.audit(entry(host, fix, plan, preparedDryRunText(prepared), outcome.ok ? 'done' : 'failed', outcome.message));
  return outcome;
}
