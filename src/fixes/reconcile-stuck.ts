/**
 * `flux-reconcile-stuck`: reconcile every stuck or failed Flux object at once, dependency roots
 * first (sources before what they feed, dependsOn targets before their dependants), leaving alone
 * what a reconcile cannot cure: immutable-field failures (the cure is in Git) and suspended objects.
 */
import { condition, getObject } from '../checks/util.js';
import { fluxObjects, IMMUTABLE_HINT, stuckSignals, type FluxObject } from '../checks/flux.js';
import type { Snapshot } from '../checks/types.js';
import type { Config } from '../config/schema.js';
import {
  BY_HAND,
  dependencyDepth,
  describe,
  failsImmutable,
  fluxCommand,
  fluxKubectlCommand,
  reconcileRequest,
  reconcileState,
  type ReconcileState,
} from './flux-requests.js';
import { stateLine } from './reconcile-flux.js';
import type { Fix, Plan, PlannedRequest, RunContext } from './types.js';
import { count, matchesTarget, noPlan, parseTarget, remaining, targetOf, trySend, waitQuietly } from './util.js';

const TIMEOUT_MS = 10 * 60_000;
/** Longest wait for one dependency level before the next is sent anyway. */
const LEVEL_TIMEOUT_MS = 3 * 60_000;

interface Selection {
  /** In dependency order, with their depth. */
  chosen: Array<{ f: FluxObject; signals: string[]; depth: number }>;
  immutable: FluxObject[];
  suspended: FluxObject[];
}

/** Stuck (any signal of flux.stuck) or failed objects, and the ones left out and why. */
function select(snapshot: Snapshot, config: Config): Selection {
  const thresholdMs = config.flux.stuckAfterMinutes * 60_000;
  const depth = dependencyDepth(snapshot);
  const selection: Selection = { chosen: [], immutable: [], suspended: [] };
  for (const f of fluxObjects(snapshot)) {
    const signals = stuckSignals(f, snapshot.now, thresholdMs);
    if (signals.length === 0 && f.state !== 'failed') continue;
    if (f.suspended) selection.suspended.push(f);
    else if (failsImmutable(f)) selection.immutable.push(f);
    else selection.chosen.push({ f, signals, depth: depth(f) });
  }
  selection.chosen.sort((a, b) => a.depth - b.depth || a.f.kind.localeCompare(b.f.kind) || a.f.ref.localeCompare(b.f.ref));
  return selection;
}

/** A Stalled HelmRelease (RetriesExceeded) does not retry on a plain reconcile: reset its failure counts. */
function stalled(f: FluxObject): boolean {
  return f.kind === 'helmreleases' && condition(f.object, 'Stalled')?.status === 'True';
}

function names(list: readonly FluxObject[], max = 3): string {
  const shown = list.slice(0, max).map(describe).join(', ');
  return list.length > max ? `${shown} and ${list.length - max} more` : shown;
}

export const reconcileStuck: Fix = {
  id: 'flux-reconcile-stuck',
  title: 'Reconcile every stuck Flux object',
  dangerous: false,
  panel: 'flux',
  key: 'R',
  label: 'reconcile stuck',
  timeoutMs: TIMEOUT_MS,

  targets(snapshot, config) {
    return select(snapshot, config).chosen.map((c) => targetOf(c.f.kind, c.f.object));
  },

  // Why: select ranks every chosen object by dependency depth and sorts them (at 20,000 objects,
  // thousands); whether there is one stops at the first.
  hasTargets(snapshot, config) {
    const thresholdMs = config.flux.stuckAfterMinutes * 60_000;
    return fluxObjects(snapshot).some(
      (f) => !f.suspended && !failsImmutable(f) && (f.state === 'failed' || stuckSignals(f, snapshot.now, thresholdMs).length > 0),
    );
  },

  plan(snapshot, config, options) {
    const selection = select(snapshot, config);
    if (options.target) {
      const parsed = parseTarget(options.target);
      selection.chosen = selection.chosen.filter((c) => matchesTarget(parsed, c.f.kind, c.f.object));
    }
    const { chosen, immutable, suspended } = selection;
    const skipped: string[] = [];
    if (immutable.length) skipped.push(`${count(immutable.length, 'object')} failing on an immutable field (the cure is in Git)`);
    if (suspended.length) skipped.push(`${count(suspended.length, 'object')} suspended`);
    if (chosen.length === 0) {
      return noPlan(`nothing stuck to reconcile${skipped.length ? `; left alone: ${skipped.join(', ')}` : ''}`);
    }

    const token = options.token;
    const requests: PlannedRequest[] = chosen.map(({ f }) => reconcileRequest(f, token, { force: options.force, reset: stalled(f) }));
    const warnings: string[] = [];
    if (immutable.length) {
      warnings.push(
        `skipping ${count(immutable.length, 'object')} failing on an immutable field: a reconcile fails the same way until Git changes (seed issue 4): ${names(immutable)}`,
      );
    }
    if (suspended.length) {
      warnings.push(
        `skipping ${count(suspended.length, 'suspended object')} (reconciles are ignored until resumed; flux-reconcile resumes one): ${names(suspended)}`,
      );
    }
    const details = chosen.map(({ f, signals, depth }, i) => {
      const reset = stalled(f) && !options.force ? ' (Stalled: its failure counts are reset too)' : '';
      return `${i + 1}. [level ${depth}] ${stateLine(f, signals)}${reset}`;
    });
    const plan: Plan = {
      fixId: 'flux-reconcile-stuck',
      title: `Reconcile ${count(chosen.length, 'stuck Flux object')}, dependencies first`,
      targets: chosen.map(({ f }) => targetOf(f.kind, f.object)),
      requests,
      commands: [...chosen.map(({ f }) => fluxCommand(f, { force: options.force, reset: stalled(f) })), BY_HAND, ...requests.map(fluxKubectlCommand)],
      warnings,
      details,
      confirm: { kind: 'yes' },
      token,
    };
    if (immutable.length) plan.gitChange = IMMUTABLE_HINT;
    return plan;
  },

  async run(plan, context) {
    const start = context.now();
    const token = plan.token ?? '';
    const results = new Map<PlannedRequest, ReconcileState>();
    const sendErrors: string[] = [];
    const all = levels(plan, context.snapshot());
    for (const [i, level] of all.entries()) {
      const sent: PlannedRequest[] = [];
      for (const request of level) {
        context.progress(request.summary);
        const failed = await trySend(context, request);
        if (failed) sendErrors.push(failed);
        else sent.push(request);
      }
      // Why: the next level depends on this one; give it time to settle, but never block the rest
      // for good on one object that stays stuck.
      const budget = Math.min(LEVEL_TIMEOUT_MS, remaining(context, start, TIMEOUT_MS));
      context.progress(`level ${i + 1} of ${all.length}: waiting for ${count(sent.length, 'object')} to reconcile`);
      await followAll(context, sent, token, budget, results);
    }
    const pending = [...results].filter(([, s]) => s.state === 'pending').map(([r]) => r);
    if (pending.length) await followAll(context, pending, token, remaining(context, start, TIMEOUT_MS), results);
    return summarise(results, sendErrors);
  },
};

/** The plan's requests grouped by dependency depth, as the snapshot at run time has it. */
function levels(plan: Plan, snapshot: Snapshot): PlannedRequest[][] {
  const depth = dependencyDepth(snapshot);
  const byDepth = new Map<number, PlannedRequest[]>();
  for (const request of plan.requests) {
    const f = fluxObjects(snapshot).find((o) => o.kind === request.kind && o.ref === `${request.namespace}/${request.name}`);
    const d = f ? depth(f) : 0;
    byDepth.set(d, [...(byDepth.get(d) ?? []), request]);
  }
  return [...byDepth].sort(([a], [b]) => a - b).map(([, list]) => list);
}

/** Follows several reconciles in one wait (one poll of the store for all of them). */
async function followAll(
  context: RunContext,
  requests: readonly PlannedRequest[],
  token: string,
  timeoutMs: number,
  results: Map<PlannedRequest, ReconcileState>,
): Promise<void> {
  if (!requests.length) return;
  const read = (snapshot: Snapshot) => requests.map((r) => reconcileState(getObject(snapshot, r.kind, r.namespace, r.name), token));
  const done = await waitQuietly(context, `${count(requests.length, 'object')} reconciled`, timeoutMs, (snapshot) => {
    const states = read(snapshot);
    return states.every((s) => s.state !== 'pending') ? states : undefined;
  });
  const states = done ?? read(context.snapshot());
  requests.forEach((r, i) => results.set(r, states[i]));
}

function summarise(results: Map<PlannedRequest, ReconcileState>, sendErrors: string[]) {
  const by = (state: ReconcileState['state']) => [...results].filter(([, s]) => s.state === state);
  const ref = (r: PlannedRequest) => `${r.namespace}/${r.name}`;
  const ready = by('ready');
  const failed = by('failed');
  const waiting = by('waiting');
  const pending = by('pending');
  const parts = [`${ready.length} Ready`];
  if (failed.length) parts.push(`${failed.length} failed: ${failed.map(([r, s]) => `${ref(r)}: ${s.detail}`).join('; ')}`);
  if (waiting.length) parts.push(`${waiting.length} waiting for a dependency`);
  if (pending.length) parts.push(`${pending.length} not settled: ${pending.map(([r]) => ref(r)).join(', ')}`);
  if (sendErrors.length) parts.push(`${sendErrors.length} not sent: ${sendErrors.join('; ')}`);
  const details = [...[...results].map(([r, s]) => `${ref(r)}: ${s.state}: ${s.detail}`), ...sendErrors];
  const ok = ready.length === results.size && sendErrors.length === 0;
  return { ok, message: `${count(results.size + sendErrors.length, 'object')} reconciled: ${parts.join(', ')}`, details };
}
