/**
 * Planned requests sent through the Cluster interface: what a runner's `RunContext.send` does, and
 * the server-side dry run of a whole plan before the operator confirms it.
 */
import { ClusterError, type Cluster, type KubeObject } from '../cluster.js';
import type { Plan, PlannedRequest } from './types.js';
import { errorText } from './util.js';

export async function sendPlanned(cluster: Cluster, request: PlannedRequest, options: { dryRun?: boolean } = {}): Promise<KubeObject | void> {
  const write = { dryRun: options.dryRun, ...(request.subresource ? { subresource: request.subresource } : {}) };
  switch (request.verb) {
    case 'create':
      return cluster.create(request.kind, request.body as KubeObject, write);
    case 'patch':
      return cluster.patch(request.kind, request.namespace, request.name, request.body, request.patchType ?? 'merge', write);
    case 'delete':
      return cluster.delete(request.kind, request.namespace, request.name, write);
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
