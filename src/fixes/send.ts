/**
 * Planned requests sent through the Cluster interface: what a runner's `RunContext.send` does, and
 * the server-side dry run of a whole plan before the operator confirms it. Router requests go to
 * the Router instead; the router has no dry run, so its check lists the table for the records.
 */
import { canonicalIp } from '../checks/util.js';
import { ClusterError, type Cluster, type KubeObject } from '../cluster.js';
import type { Router } from '../dns/router.js';
import type { RouterDnsRecord } from '../dns/routeros.js';
import { routerRequestsOf, type Plan, type PlannedRequest, type PlannedRouterRequest } from './types.js';
import { errorText, preconditionsOf } from './util.js';

export async function sendPlanned(cluster: Cluster, request: PlannedRequest, options: { dryRun?: boolean } = {}): Promise<KubeObject | void> {
  const write = { dryRun: options.dryRun, ...(request.subresource ? { subresource: request.subresource } : {}) };
  switch (request.verb) {
    case 'create':
      return cluster.create(request.kind, request.body as KubeObject, write);
    case 'patch':
      return cluster.patch(request.kind, request.namespace, request.name, request.body, request.patchType ?? 'merge', write);
    case 'delete': {
      const preconditions = preconditionsOf(request);
      return cluster.delete(request.kind, request.namespace, request.name, preconditions ? { ...write, preconditions } : write);
    }
  }
}

export interface DryRunResult {
  request: PlannedRequest;
  /** The server's refusal, one line; undefined when admitted. */
  error?: string;
  /** Why an error was expected and ignored. */
  note?: string;
}

const sameObject = (a: PlannedRequest, b: PlannedRequest) => a.kind === b.kind && a.namespace === b.namespace && a.name === b.name;

/**
 * Dry-runs every request of a plan, in order. Why some errors are expected: a dry run persists
 * nothing, so the create that follows a delete of the same object (the Kopia reclaim) meets the
 * object still there (409), and a write to an object the plan creates first meets nothing (404).
 */
export async function dryRunPlan(cluster: Cluster, plan: Plan): Promise<DryRunResult[]> {
  const results: DryRunResult[] = [];
  for (const [i, request] of plan.requests.entries()) {
    try {
      await sendPlanned(cluster, request, { dryRun: true });
      results.push({ request });
    } catch (error) {
      const code = error instanceof ClusterError ? error.code : 0;
      const earlier = plan.requests.slice(0, i).filter((r) => sameObject(r, request));
      if (code === 409 && request.verb === 'create' && earlier.some((r) => r.verb === 'delete')) {
        results.push({ request, note: 'exists until the delete before it runs' });
      } else if (code === 404 && request.verb !== 'create' && earlier.some((r) => r.verb === 'create')) {
        results.push({ request, note: 'created by a request before it' });
      } else {
        results.push({ request, error: errorText(error) });
      }
    }
  }
  return results;
}

/** Why a fix with router requests cannot run without a router. */
export const NO_ROUTER = 'no router configured (dns.routeros)';

/** Sends one planned router request: a PUT of one static entry. */
export function sendRouterRequest(router: Router, request: PlannedRouterRequest): Promise<RouterDnsRecord> {
  return router.add({ ...request.body });
}

/** Said of every router check: there is no server-side dry run to ask. */
export const ROUTER_NO_DRY_RUN = 'the router has no dry run: checked that the records do not exist yet';

export interface RouterCheckResult {
  request: PlannedRouterRequest;
  /** Why the request would fail: the entry exists already, or the router's error on listing. */
  error?: string;
}

/** `name type address` of a router request, as the results and messages name it. */
export function routerRecordText(request: PlannedRouterRequest): string {
  return `${request.body.type} ${request.body.name} ${request.body.address}`;
}

/**
 * The router's stand-in for a dry run: lists the entries of each name and type the plan adds (one
 * listing per name and type, in order) and says which planned records exist already. The router's
 * error, when listing fails, is given as it is.
 */
export async function checkRouterPlan(router: Router, plan: Plan): Promise<RouterCheckResult[]> {
  const listings = new Map<string, Promise<RouterDnsRecord[]>>();
  const results: RouterCheckResult[] = [];
  for (const request of routerRequestsOf(plan)) {
    const { name, type, address } = request.body;
    const key = `${name} ${type}`;
    if (!listings.has(key)) listings.set(key, router.list({ name, type }));
    try {
      const existing = (await listings.get(key)!).find((r) => canonicalIp(r.address ?? '') === canonicalIp(address));
      if (!existing) results.push({ request });
      else {
        const how = [existing.disabled ? 'disabled' : '', existing.comment ? `comment ${JSON.stringify(existing.comment)}` : ''].filter(Boolean).join(', ');
        results.push({ request, error: `exists already on the router as ${existing.id}${how ? ` (${how})` : ''}` });
      }
    } catch (error) {
      results.push({ request, error: errorText(error) });
    }
  }
  return results;
}
