/**
 * Check results and the store's one clock. Results are recomputed only for the checks whose
 * inputs changed (or that depend on the clock, once a second); unchanged results keep their
 * identity so that panels selecting them do not re-render.
 */
import type { StateCreator } from 'zustand/vanilla';
import { ALL_CHECKS, dirtySteps, evaluateDirty, mergeResults } from '../checks/index.js';
import type { CheckResult, InputKey, Snapshot } from '../checks/types.js';
import type { Config } from '../config/schema.js';
import type { DeckState } from './deck-store.js';

export interface ChecksSlice {
  config: Config;
  /** Results by check id, in the order of ALL_CHECKS. */
  results: Readonly<Record<string, CheckResult>>;
  /** The cluster's clock (scenario time in the demo), advanced by `tick`. */
  now: number;
  /** Re-evaluates the checks that read a changed input, at once (the store's first evaluation). */
  recompute(
    parts: Pick<Snapshot, 'objects' | 'sync' | 'dns' | 'routerRecords'>,
    changed: Set<InputKey>,
    clockTicked: boolean,
  ): Readonly<Record<string, CheckResult>>;
  /**
   * Re-evaluates the checks that read a changed input, one check per step (applyBatch's steps), and
   * returns the store's results as they are at the end with those in place: a tick in between keeps
   * what it changed in the other checks. Each check is evaluated at the store's `now` of its step;
   * a clock check evaluated just before a tick keeps that earlier `now` (its result wins, for its
   * newer objects) until the next tick, which re-evaluates it if a deadline passed in between.
   */
  recomputeSteps(
    parts: Pick<Snapshot, 'objects' | 'sync' | 'dns' | 'routerRecords'>,
    changed: ReadonlySet<InputKey>,
    ticked?: number,
  ): Generator<void, Readonly<Record<string, CheckResult>>>;
  tick(now: number): void;
}

export function snapshotOf(state: Pick<DeckState, 'objects' | 'sync' | 'dns' | 'now' | 'routerRecords'>): Snapshot {
  const snapshot: Snapshot = { now: state.now, objects: state.objects, sync: state.sync, dns: state.dns };
  if (state.routerRecords) snapshot.routerRecords = state.routerRecords;
  return snapshot;
}

export function createChecksSlice(config: Config, now: number): StateCreator<DeckState, [], [], ChecksSlice> {
  return (set, get) => ({
    config,
    results: {},
    now,
    recompute(parts, changed, clockTicked) {
      const state = get();
      return evaluateDirty(state.results, { ...parts, now: state.now }, state.config, changed, clockTicked);
    },
    *recomputeSteps(parts, changed, ticked) {
      const state = get();
      // A batch that carries a clock tick evaluates at that time, and the clock checks it made due too.
      const now = ticked === undefined ? () => get().now : () => Math.max(ticked, get().now);
      const fresh = yield* dirtySteps(state.results, { ...parts, now: now() }, state.config, changed, ticked !== undefined, now);
      return mergeResults(get().results, fresh);
    },
    tick(next) {
      const state = get();
      if (next === state.now) return;
      const results = evaluateDirty(state.results, snapshotOf({ ...state, now: next }), state.config, new Set(), true);
      set({ now: next, results });
    },
  });
}

/** Every check's result in ALL_CHECKS order (the JSON output and the detail screen use this). */
export function orderedResults(results: Readonly<Record<string, CheckResult>>): CheckResult[] {
  return ALL_CHECKS.map((c) => results[c.id]).filter((r): r is CheckResult => r !== undefined);
}
