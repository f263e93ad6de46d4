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
import { randomUUID } from 'node:crypto';
import { ClusterError, type AccessAnswer, type Cluster } from '../cluster.js';
import type { Snapshot } from '../checks/types.js';
import type { Config } from '../config/schema.js';
import type { Router } from '../dns/router.js';
import { requestText, type AuditIntent, type AuditOutcome, type AuditOutcomeKind, type AuditRecord, type AuditRequest } from '../state/audit-log.js';
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
import {
  isPlan,
  routerRequestsOf,
  type Fix,
  type FixOutcome,
  type Plan,
  type PlannedRequest,
  type PlannedRouterRequest,
  type PlanOptions,
  type RunContext,
} from './types.js';

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
  /** Appends one record to the audit log; it may throw (a full disk): see applyFix. */
  audit(record: AuditRecord): void;
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

function auditRequests(plan: Plan): AuditRequest[] {
  return [
    ...plan.requests.map(({ verb, kind, namespace, name, patchType, body }) => ({ verb, kind, namespace, name, patchType, body })),
    // A router request as `PUT router /rest/ip/dns/static {body}`.
    ...routerRequestsOf(plan).map(routerAuditRequest),
  ];
}

function routerAuditRequest({ method, path, body }: PlannedRouterRequest): AuditRequest {
  return { verb: method, kind: 'router', name: path, body };
}

/** The audit records of one attempt, all with its id. */
class AttemptLog {
  readonly id = randomUUID();

  constructor(
    private readonly host: FixHost,
    readonly fix: Fix,
  ) {}

  private base() {
    const { cluster } = this.host;
    return { attempt: this.id, time: new Date(cluster.now()).toISOString(), context: cluster.name, fixId: this.fix.id };
  }

  intent(plan: Plan | undefined, dryRun: string): void {
    const intent: AuditIntent = {
      record: 'intent',
      ...this.base(),
      user: this.host.cluster.user,
      targets: plan?.targets.map(where) ?? [],
      requests: plan ? auditRequests(plan) : [],
      dryRun,
    };
    this.host.audit(intent);
  }

  request(request: AuditRequest, error?: string): void {
    const { verb, kind, namespace, name } = request;
    this.host.audit({
      record: 'request',
      ...this.base(),
      verb,
      kind,
      ...(namespace !== undefined ? { namespace } : {}),
      name,
      ok: error === undefined,
      ...(error !== undefined ? { error } : {}),
    });
  }

  outcome(outcome: AuditOutcomeKind, message: string, more: Partial<Pick<AuditOutcome, 'sent' | 'rejected' | 'inFlight' | 'details' | 'reason'>> = {}): void {
    const { sent = [], ...rest } = more;
    this.host.audit({ record: 'outcome', ...this.base(), outcome, message, sent, ...dropEmpty(rest) });
  }
}

function dropEmpty<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && !(Array.isArray(v) && v.length === 0))) as Partial<T>;
}

/** An attempt that sent nothing: its intent and its outcome, written together. */
function recordUnsent(host: FixHost, fix: Fix, plan: Plan | undefined, dryRun: string, outcome: AuditOutcomeKind, message: string, reason?: string): void {
  const log = new AttemptLog(host, fix);
  log.intent(plan, dryRun);
  log.outcome(outcome, message, { reason });
}

function messageOf(error: unknown): string {
  return error instanceof ClusterError || error instanceof Error ? error.message : String(error);
}

/** What the server is asked of a request to tell whether the user may send it. */
export type AccessAsk = Pick<PlannedRequest, 'verb' | 'kind' | 'namespace' | 'subresource'>;

/** The permissions requests need that the user does not have, as "needs patch on ... in default" (each asked once). */
export async function missingAccess(cluster: Cluster, requests: readonly AccessAsk[]): Promise<string[]> {
  const asked = new Map<string, Promise<AccessAnswer>>();
  for (const r of requests) {
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
    recordUnsent(host, fix, undefined, 'skipped', 'refused', message);
    return { refused: true, code: 3, message };
  }
  const plan = fix.plan(host.snapshot(), host.config, options);
  if (!isPlan(plan)) return { refused: true, code: 2, message: plan.refused };
  const routed = routerRequestsOf(plan).length > 0;
  if (routed && !host.router) return { refused: true, code: 2, message: NO_ROUTER, plan };
  let missing: string[];
  try {
    missing = await missingAccess(host.cluster, plan.requests);
  } catch (error) {
    return { refused: true, code: 2, message: `could not review access: ${messageOf(error)}`, plan };
  }
  if (missing.length) {
    const message = `not allowed: ${missing.join('; ')}`;
    recordUnsent(host, fix, plan, 'skipped', 'refused', message);
    return { refused: true, code: 3, message, plan };
  }
  const dryRun = await dryRunPlan(host.cluster, plan);
  if (dryRun.some((r) => r.error)) {
    const message = `the server rejected the dry run, nothing was sent: ${dryRunText(dryRun)}`;
    recordUnsent(host, fix, plan, dryRunText(dryRun), 'refused', message);
    return { refused: true, code: 2, message, dryRun, plan };
  }
  if (!routed || !host.router) return { refused: false, fix, plan, dryRun };
  const routerCheck = await checkRouterPlan(host.router, plan);
  if (routerCheck.some((r) => r.error)) {
    const text = dryRunText(dryRun, routerCheck);
    const message = `the router check failed, nothing was sent: ${text}`;
    recordUnsent(host, fix, plan, text, 'refused', message);
    return { refused: true, code: 2, message, dryRun, plan };
  }
  return { refused: false, fix, plan, dryRun, routerCheck, routerLabel: host.router.label };
}

/**
 * Records that the operator looked at the plan and its dry run and went no further: a dry run, a
 * cancel, or drdeck interrupted (`reason`: the signal) while the confirm screen was open.
 */
export function recordNotApplied(host: FixHost, prepared: Prepared, outcome: 'dry-run' | 'cancelled' | 'interrupted', reason?: string): void {
  const message =
    outcome === 'dry-run'
      ? 'dry run only: nothing was sent'
      : outcome === 'cancelled'
        ? 'not confirmed: nothing was sent'
        : `interrupted (${reason ?? 'unknown'}) before it was confirmed: nothing was sent`;
  recordUnsent(host, prepared.fix, prepared.plan, preparedDryRunText(prepared), outcome, message, outcome === 'interrupted' ? reason : undefined);
}

/** A fix being applied, as its host sees it while it runs. */
export interface RunningAttempt {
  /** The attempt id its audit records share. */
  readonly id: string;
  readonly fixId: Fix['id'];
  /**
   * Records the attempt as interrupted (`reason`: `SIGHUP`, `quit`), naming the requests already
   * sent and those still in flight, and stops it from sending any more. Returns the outcome's line;
   * undefined when the attempt has ended already (its outcome is recorded).
   */
  interrupt(reason: string): string | undefined;
}

/** Thrown by `send` once the attempt was interrupted: nothing more goes out. */
export class InterruptedError extends Error {
  constructor(reason: string) {
    super(`interrupted (${reason}): not sent`);
    this.name = 'InterruptedError';
  }
}

/**
 * Sends the confirmed plan and follows its effect. The audit gets the intent before the first
 * request (when it cannot be written, nothing is sent), each request as it lands, and the outcome
 * at the end; `onStart` gets the running attempt, to interrupt it.
 */
export async function applyFix(host: FixHost, prepared: Prepared, onStart?: (attempt: RunningAttempt) => void): Promise<FixOutcome> {
  const { fix, plan } = prepared;
  const log = new AttemptLog(host, fix);
  try {
    log.intent(plan, preparedDryRunText(prepared));
  } catch (error) {
    return { ok: false, message: `cannot write the audit log (${messageOf(error)}): nothing was sent` };
  }
  const planned = plan.requests.length + routerRequestsOf(plan).length;
  const sent: string[] = [];
  const rejected: string[] = [];
  const inFlight = new Set<string>();
  let interrupted: string | undefined;
  let ended = false;
  /** A record that cannot be written does not stop the run; the outcome says so. */
  let auditError: string | undefined;
  const record = (write: () => void) => {
    try {
      write();
    } catch (error) {
      auditError ??= messageOf(error);
    }
  };

  /** Sends one request: refused once interrupted; audited and reported as it lands. */
  const tracked = async <T>(request: AuditRequest, send: () => Promise<T>): Promise<T> => {
    if (interrupted) throw new InterruptedError(interrupted);
    const what = requestText(request);
    inFlight.add(what);
    try {
      const result = await send();
      sent.push(what);
      record(() => log.request(request));
      host.progress?.(`sent ${sent.length + rejected.length}/${planned}: ${what}`);
      return result;
    } catch (error) {
      const message = messageOf(error);
      rejected.push(`${what}: ${message}`);
      record(() => log.request(request, message));
      host.progress?.(`rejected ${sent.length + rejected.length}/${planned}: ${what}: ${message}`);
      throw error;
    } finally {
      inFlight.delete(what);
    }
  };

  const context: RunContext = {
    send: (request: PlannedRequest) => tracked(request, () => sendPlanned(host.cluster, request)),
    snapshot: () => host.snapshot(),
    waitFor: (what, timeoutMs, done) => host.waitFor(what, timeoutMs, done),
    progress: (line) => host.progress?.(line),
    now: () => host.cluster.now(),
  };
  const router = host.router;
  if (router) context.sendRouter = (request) => tracked(routerAuditRequest(request), () => sendRouterRequest(router, request));
  if (host.refreshDns) context.refreshDns = () => host.refreshDns?.();

  onStart?.({
    id: log.id,
    fixId: fix.id,
    interrupt(reason) {
      if (ended) return undefined;
      ended = true;
      interrupted = reason;
      const flying = [...inFlight];
      const message = [
        `interrupted (${reason}): ${sent.length} of ${planned} requests sent`,
        rejected.length ? `${rejected.length} rejected` : '',
        flying.length ? `${flying.length} in flight (may have been applied): ${flying.join(', ')}` : '',
        'its effect was not followed to the end',
      ]
        .filter(Boolean)
        .join('; ');
      record(() => log.outcome('interrupted', message, { reason, sent, rejected, inFlight: flying }));
      return message;
    },
  });

  let outcome: FixOutcome;
  try {
    outcome = await fix.run(plan, context, host.config);
  } catch (error) {
    outcome = { ok: false, message: messageOf(error) };
  }
  if (ended) return { ok: false, message: `interrupted (${interrupted}): ${outcome.message}` };
  ended = true;
  record(() => log.outcome(outcome.ok ? 'done' : 'failed', outcome.message, { sent, rejected, details: outcome.details }));
  if (auditError) return { ...outcome, message: `${outcome.message} (the audit log could not be written: ${auditError})` };
  return outcome;
}
