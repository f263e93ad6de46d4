/**
 * Every check in panel order, and the runner that turns a check into a result: `pending` while a
 * required input has not synced, `unknown` when it cannot be read, and never an exception.
 */
import type { Config } from '../config/schema.js';
import { KINDS } from '../kinds.js';
import { DNS_CHECKS } from './dns.js';
import { FLUX_CHECKS } from './flux.js';
import { GATEWAYS_CHECKS } from './gateways.js';
import { KOPIA_CHECKS } from './kopia.js';
import { LOADBALANCERS_CHECKS } from './loadbalancers.js';
import { RESTORES_CHECKS } from './restores.js';
import type { Check, CheckResult, InputKey, Snapshot, Verdict } from './types.js';
import { apiUnreachable, UNREACHABLE_PREFIX, unreachableLine } from './unreachable.js';
import { sameData, verdict } from './util.js';

export { expectedRecords, type ExpectedRecord } from './dns.js';
export { sameData } from './util.js';

/** Every check, in panel order (PANELS) and display order within a panel. */
export const ALL_CHECKS: readonly Check[] = [...FLUX_CHECKS, ...KOPIA_CHECKS, ...RESTORES_CHECKS, ...GATEWAYS_CHECKS, ...LOADBALANCERS_CHECKS, ...DNS_CHECKS];

/** Results by check id, in ALL_CHECKS order. */
export type CheckResults = Readonly<Record<string, CheckResult>>;

/** The check with this id, if any. */
export function checkById(id: string): Check | undefined {
  return ALL_CHECKS.find((c) => c.id === id);
}

/** Plural resource name of an input, as kubectl says it ("kustomizations", "DNS answers"). */
function inputLabel(input: InputKey): string {
  return input === 'dns' ? 'DNS answers' : KINDS[input].plural;
}

function hasData(snapshot: Snapshot, input: InputKey): boolean {
  const size = input === 'dns' ? snapshot.dns?.size : snapshot.objects?.[input]?.size;
  return (size ?? 0) > 0 || snapshot.sync?.[input]?.since !== undefined;
}

/**
 * Why the check cannot be evaluated yet, if it cannot: an input not installed or forbidden gives
 * `unknown`; an input still connecting (or retrying before any data came) gives `pending`. An
 * optional input only makes the check pending while it connects; absent, it is simply not read.
 */
function blockedVerdict(check: Check, snapshot: Snapshot): Verdict | undefined {
  const waiting: InputKey[] = [];
  for (const input of check.inputs) {
    const sync = snapshot.sync?.[input];
    const phase = sync?.phase ?? 'connecting';
    const detail = sync?.detail ? ` (${sync.detail})` : '';
    if (phase === 'not-installed') {
      const summary = input === 'dns' ? 'no resolver configured (dns.servers)' : `${KINDS[input].kind} not installed (CRD missing)`;
      return verdict('unknown', summary, []);
    }
    if (phase === 'forbidden') return verdict('unknown', `cannot list ${inputLabel(input)}: forbidden${detail}`, []);
    if (phase === 'connecting' || (phase === 'retrying' && !hasData(snapshot, input))) waiting.push(input);
  }
  for (const input of check.optional ?? []) {
    if (snapshot.sync?.[input]?.phase === 'connecting') waiting.push(input);
  }
  if (waiting.length) return verdict('pending', `waiting for ${waiting.map(inputLabel).join(', ')} to sync`, []);
  return undefined;
}

/**
 * The verdict while the API server cannot be reached: unknown, saying so, rather than a verdict on
 * data that never came ("missing") or stopped coming.
 */
function unreachableVerdict(check: Check, snapshot: Snapshot): Verdict | undefined {
  const readsCluster = [...check.inputs, ...(check.optional ?? [])].some((input) => input !== 'dns');
  const unreachable = readsCluster ? apiUnreachable(snapshot.sync) : undefined;
  return unreachable && verdict('unknown', unreachableLine(unreachable), []);
}

/** True for a result that says the API server cannot be reached. */
function saysUnreachable(result: CheckResult): boolean {
  return result.status === 'unknown' && result.summary.startsWith(UNREACHABLE_PREFIX);
}

/** Evaluates one check; whatever happens inside, the result is a CheckResult. */
export function runCheck(check: Check, snapshot: Snapshot, config: Config): CheckResult {
  return runTimed(check, snapshot, config).result;
}

/** runCheck, and for a clock check the time at which its verdict may change (Infinity: never by itself). */
function runTimed(check: Check, snapshot: Snapshot, config: Config): { result: CheckResult; until: number } {
  const deadline = { at: Infinity };
  const result = runNoted(check, check.clock ? { ...snapshot, deadline } : snapshot, config);
  return { result, until: deadline.at };
}

function runNoted(check: Check, snapshot: Snapshot, config: Config): CheckResult {
  let result: Verdict;
  try {
    result = unreachableVerdict(check, snapshot) ?? blockedVerdict(check, snapshot) ?? check.evaluate(snapshot, config);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    result = verdict('unknown', `check failed: ${message}`, []);
  }
  return {
    id: check.id,
    panel: check.panel,
    status: result.status,
    summary: result.summary,
    evidence: result.evidence,
    fixes: result.status === 'pass' ? [] : result.fixes,
    ...(result.gitHint ? { gitHint: result.gitHint } : {}),
    source: snapshot.source ?? 'cluster',
  };
}

/** Every check once. */
export function evaluateAll(snapshot: Snapshot, config: Config): CheckResults {
  return Object.fromEntries(ALL_CHECKS.map((c) => [c.id, runCheck(c, snapshot, config)]));
}

function readsAny(check: Check, changed: ReadonlySet<InputKey>): boolean {
  return check.inputs.some((i) => changed.has(i)) || (check.optional ?? []).some((i) => changed.has(i));
}

/**
 * Re-evaluates only the checks that read a changed input (objects or sync state), plus the clock
 * checks when the clock ticked, and checks with no previous result. Unchanged results, and
 * recomputed ones deep-equal to the previous, keep their identity; when nothing changed at all
 * the previous record itself is returned, so store selectors stay quiet.
 */
export function evaluateDirty(
  previous: CheckResults,
  snapshot: Snapshot,
  config: Config,
  changedInputs: ReadonlySet<InputKey>,
  clockTicked: boolean,
): CheckResults {
  const steps = dirtySteps(previous, snapshot, config, changedInputs, clockTicked);
  let step = steps.next();
  while (!step.done) step = steps.next();
  return mergeResults(previous, step.value);
}

/**
 * evaluateDirty one check at a time, for a caller that lets the event loop run between checks: it
 * yields after each check it evaluates and returns the re-evaluated results by id (a result equal
 * to its previous one is that previous object). `now` is read for each check (default: the
 * snapshot's), so a check evaluated after a clock tick sees that tick's time.
 */
export function* dirtySteps(
  previous: CheckResults,
  snapshot: Snapshot,
  config: Config,
  changedInputs: ReadonlySet<InputKey>,
  clockTicked: boolean,
  now: () => number = () => snapshot.now,
): Generator<void, Map<string, CheckResult>> {
  const fresh = new Map<string, CheckResult>();
  // Why every check: the server is unreachable once the last watcher fails, whichever kinds a check
  // reads; and each one must say so, and stop saying it once the server answers again.
  const unreachable = apiUnreachable(snapshot.sync) !== undefined;
  for (const check of ALL_CHECKS) {
    const before = previous[check.id];
    const at = now();
    const flipped = before !== undefined && (unreachable ? changedInputs.size > 0 || !saysUnreachable(before) : saysUnreachable(before));
    const dirty = !before || flipped || readsAny(check, changedInputs) || (clockTicked && check.clock === true && due(before, at));
    if (!dirty) continue;
    const { result, until } = runTimed(check, at === snapshot.now ? snapshot : { ...snapshot, now: at }, config);
    const kept = before && sameData(result, before) ? before : result;
    if (check.clock) validity.set(kept, { from: at, until });
    fresh.set(check.id, kept);
    yield;
  }
  return fresh;
}

/**
 * `current` with the re-evaluated results in their places, in ALL_CHECKS order; `current` itself
 * when none of them differs from it (so store selectors stay quiet).
 */
export function mergeResults(current: CheckResults, fresh: ReadonlyMap<string, CheckResult>): CheckResults {
  let changed = Object.keys(current).length !== ALL_CHECKS.length;
  const next: Record<string, CheckResult> = {};
  for (const check of ALL_CHECKS) {
    const result = fresh.get(check.id) ?? current[check.id];
    if (result === undefined) continue;
    if (result !== current[check.id]) changed = true;
    next[check.id] = result;
  }
  return changed ? next : current;
}

/** For a clock check's result: the clock it was evaluated at, and when its verdict may change. */
const validity = new WeakMap<CheckResult, { from: number; until: number }>();

/** True when a clock check's result may be out of date at `now` (a deadline passed, or the clock went back). */
function due(result: CheckResult, now: number): boolean {
  const valid = validity.get(result);
  return !valid || now >= valid.until || now < valid.from;
}
