/**
 * `flux-reconcile`: reconcile one Flux object, as `flux reconcile` does: the requestedAt
 * annotation (with forceAt/resetAt for a forced HelmRelease), its source first when asked, resumed
 * first when suspended, then followed until the controller handled the token.
 */
import { fluxObjects, IMMUTABLE_HINT, stuckSignals, type FluxObject } from '../checks/flux.js';
import type { Snapshot } from '../checks/types.js';
import { describeCondition, formatDuration } from '../checks/util.js';
import type { Config } from '../config/schema.js';
import {
  BY_HAND,
  dependencyDepth,
  describe,
  failsImmutable,
  findFlux,
  fluxCommand,
  fluxKubectlCommand,
  reconcileRequest,
  reconcileState,
  resumeRequest,
  sourceOf,
  REQUESTED_AT,
  type ReconcileState,
} from './flux-requests.js';
import type { Fix, FixOutcome, Plan, PlannedRequest, RunContext } from './types.js';
import { formatTarget, matchesTarget, noPlan, parseTarget, remaining, targetOf, trySend, waitQuietly } from './util.js';

const TIMEOUT_MS = 5 * 60_000;

export interface Candidate {
  f: FluxObject;
  signals: string[];
}

/**
 * The objects worth reconciling, worst first: not Ready with a named stuck signal (the HelmRelease
 * the operator sees stuck), then Ready but stuck (a HelmChart behind its generation: reconciled
 * first by `withSource`), then "not Ready for long", then plain failures, and last the ones failing
 * on an immutable field (a reconcile cannot cure those); within a rank, dependency roots first.
 */
export function reconcileCandidates(snapshot: Snapshot, config: Config): Candidate[] {
  const { candidates, worse } = ranked(snapshot, config);
  return candidates.sort(worse);
}

/** The worst candidate (reconcileCandidates' first) without sorting them all: one pass. */
function worstCandidate(snapshot: Snapshot, config: Config): Candidate | undefined {
  const { candidates, worse } = ranked(snapshot, config);
  let worst: Candidate | undefined;
  for (const c of candidates) if (!worst || worse(c, worst) < 0) worst = c;
  return worst;
}

/** The candidates unsorted, and the order reconcileCandidates sorts them in. */
function ranked(snapshot: Snapshot, config: Config): { candidates: Candidate[]; worse: (a: Candidate, b: Candidate) => number } {
  const thresholdMs = config.flux.stuckAfterMinutes * 60_000;
  const depth = dependencyDepth(snapshot);
  const rank = (c: Candidate) => {
    if (failsImmutable(c.f)) return 4;
    if (c.signals.length === 0) return 3;
    if (c.signals.every((s) => s.startsWith('not Ready for'))) return 2;
    return c.f.state === 'ready' ? 1 : 0;
  };
  const candidates = fluxObjects(snapshot)
    .map((f) => candidate(f, snapshot.now, thresholdMs))
    .filter((c): c is Candidate => c !== undefined);
  return { candidates, worse: (a, b) => rank(a) - rank(b) || depth(a.f) - depth(b.f) || a.f.ref.localeCompare(b.f.ref) };
}

/** The object as a candidate (not suspended; stuck or failed), or undefined. */
function candidate(f: FluxObject, now: number, thresholdMs: number): Candidate | undefined {
  if (f.suspended) return undefined;
  const signals = stuckSignals(f, now, thresholdMs);
  return signals.length > 0 || f.state === 'failed' ? { f, signals } : undefined;
}

/** One line about an object for the confirm screen. */
export function stateLine(f: FluxObject, signals: readonly string[] = []): string {
  const stuck = signals.length ? `; stuck: ${signals.join(', ')}` : '';
  const suspended = f.suspended ? '; suspended' : '';
  return `${describe(f)}: Ready ${describeCondition(f.ready)}${stuck}${suspended}`;
}

function pick(snapshot: Snapshot, config: Config, target: string | undefined): FluxObject | string {
  if (!target) {
    // Why not reconcileCandidates(...)[0]: at 20,000 objects sorting thousands of candidates by
    // depth and name took ~60 ms of every access review, for the first of them.
    return worstCandidate(snapshot, config)?.f ?? 'nothing stuck or failing: pick a Flux object to reconcile';
  }
  const parsed = parseTarget(target);
  const found = fluxObjects(snapshot).filter((f) => matchesTarget(parsed, f.kind, f.object));
  if (found.length === 1) return found[0];
  if (found.length === 0) return `no Flux object ${target}`;
  return `${target} is ambiguous (${found.map(describe).join(', ')}): name the kind, e.g. ${formatTarget(targetOf(found[0].kind, found[0].object))}`;
}

export const reconcileFlux: Fix = {
  id: 'flux-reconcile',
  title: 'Reconcile a Flux object',
  dangerous: false,
  panel: 'flux',
  key: 'r',
  label: 'reconcile',
  timeoutMs: TIMEOUT_MS,

  targets(snapshot, config) {
    return reconcileCandidates(snapshot, config).map((c) => targetOf(c.f.kind, c.f.object));
  },

  // Why: the candidates are ranked by dependency depth over every Flux object (50 ms at 20,000
  // objects); whether there is one stops at the first.
  hasTargets(snapshot, config) {
    const thresholdMs = config.flux.stuckAfterMinutes * 60_000;
    return fluxObjects(snapshot).some((f) => candidate(f, snapshot.now, thresholdMs) !== undefined);
  },

  plan(snapshot, config, options) {
    const picked = pick(snapshot, config, options.target);
    if (typeof picked === 'string') return noPlan(picked);
    const f = picked;
    const token = options.token;
    const signals = stuckSignals(f, snapshot.now, config.flux.stuckAfterMinutes * 60_000);
    const requests: PlannedRequest[] = [];
    const warnings: string[] = [];
    const details = [stateLine(f, signals)];
    const targets = [];

    let sourceFirst: FluxObject | undefined;
    if (options.withSource) {
      const source = sourceOf(snapshot, f);
      if (!source) details.push(`${describe(f)} is a source: it has no source of its own to reconcile first`);
      else if ('missing' in source) warnings.push(`its source ${source.missing} was not found: reconciling ${describe(f)} only`);
      else {
        sourceFirst = source.found;
        details.push(`source first: ${stateLine(source.found)}`);
        if (source.found.suspended) warnings.push(`its source ${describe(source.found)} is suspended and ignores the reconcile until resumed`);
        requests.push(reconcileRequest(source.found, token));
        targets.push(targetOf(source.found.kind, source.found.object));
      }
    }
    if (f.suspended) {
      warnings.push(`${describe(f)} is suspended: it is resumed first (spec.suspend: false). If Git sets suspend: true, Flux suspends it again.`);
      requests.push(resumeRequest(f));
    }
    requests.push(reconcileRequest(f, token, { force: options.force }));
    targets.push(targetOf(f.kind, f.object));
    if (options.force && f.kind !== 'helmreleases') warnings.push('force applies to HelmReleases only: ignored');

    let gitChange: string | undefined;
    if (failsImmutable(f)) {
      warnings.push(`${describe(f)} fails on an immutable field: a reconcile fails the same way until Git changes (seed issue 4)`);
      gitChange = IMMUTABLE_HINT;
    }

    const cli =
      sourceFirst && f.suspended
        ? [fluxCommand(sourceFirst), fluxCommand(f, { force: options.force })]
        : [fluxCommand(f, { force: options.force, withSource: Boolean(sourceFirst) })];
    const plan: Plan = {
      fixId: 'flux-reconcile',
      title: `Reconcile ${describe(f)}`,
      targets,
      requests,
      commands: [...cli, BY_HAND, ...requests.map(fluxKubectlCommand)],
      warnings,
      details,
      confirm: { kind: 'yes' },
      token,
    };
    if (gitChange) plan.gitChange = gitChange;
    return plan;
  },

  async run(plan, context) {
    const start = context.now();
    const token = plan.token ?? '';
    const last = plan.requests.length - 1;
    const notes: string[] = [];
    for (const [i, request] of plan.requests.entries()) {
      context.progress(request.summary);
      const failed = await trySend(context, request);
      if (failed) return { ok: false, message: failed };
      const isSourceReconcile = i < last && isReconcile(request);
      if (!isSourceReconcile) continue;
      // Why: as `flux reconcile --with-source`, the source must have its new artifact before the
      // object reconciles, or the object reconciles against the old one.
      context.progress(`waiting for ${request.kind === 'helmcharts' ? 'the HelmChart' : 'the source'} ${request.namespace}/${request.name} to reconcile`);
      const source = await follow(context, request, token, remaining(context, start, TIMEOUT_MS) / 2);
      if (source.state !== 'ready') notes.push(`source ${request.namespace}/${request.name} ${source.state}: ${source.detail}`);
    }
    const main = plan.requests[last];
    context.progress(`waiting for ${main.namespace}/${main.name} to reconcile`);
    const result = await follow(context, main, token, remaining(context, start, TIMEOUT_MS));
    return outcome(main, result, notes, TIMEOUT_MS);
  },
};

function isReconcile(request: PlannedRequest): boolean {
  return Boolean((request.body as { metadata?: { annotations?: Record<string, string> } })?.metadata?.annotations?.[REQUESTED_AT]);
}

/** Follows one reconcile until it settles or the time is up (then its last state, still pending). */
export async function follow(context: RunContext, request: PlannedRequest, token: string, timeoutMs: number): Promise<ReconcileState> {
  const kind = request.kind as FluxObject['kind'];
  const read = (snapshot: Snapshot) => {
    const f = findFlux(snapshot, kind, request.namespace ?? '', request.name);
    return reconcileState(f?.object, token);
  };
  const settled = await waitQuietly(context, `${request.namespace}/${request.name} reconciled`, timeoutMs, (snapshot) => {
    const state = read(snapshot);
    return state.state === 'pending' ? undefined : state;
  });
  return settled ?? read(context.snapshot());
}

function outcome(request: PlannedRequest, result: ReconcileState, notes: string[], timeoutMs: number): FixOutcome {
  const what = `${request.namespace}/${request.name}`;
  const details = [...notes, `${what}: ${result.state}: ${result.detail}`];
  switch (result.state) {
    case 'ready':
      return { ok: true, message: `${what} Ready: ${result.detail}`, details };
    case 'waiting':
      return { ok: false, message: `${what} reconciled, waiting for a dependency: ${result.detail}`, details };
    case 'failed':
      return { ok: false, message: `${what} failed: ${result.detail}`, details };
    default: {
      const why =
        result.detail === 'reconcile not handled yet'
          ? `the controller did not handle the reconcile within ${formatDuration(timeoutMs)} (is it running? is the object suspended?)`
          : `still reconciling after ${formatDuration(timeoutMs)}: ${result.detail}`;
      return { ok: false, message: `${what}: ${why}`, details };
    }
  }
}
