/**
 * Timeline arithmetic: which runbook phases are complete and when, how long each took against
 * what the seed expects, what is late, when the rebuild should be done and what to do next.
 * Pure: the state is plain data (saved as JSON by store-file.ts), time is always an argument.
 *
 * The rules, where time and order matter:
 * - A phase completes the first time its conditions hold (phases.ts). Its completion time is
 *   recorded once and never moved. Phases may complete out of order; each is recorded when it
 *   happens. Flux deployed completes at t0 (the earliest Flux Kustomization's creation time).
 * - Undetermined results (pending, missing, unreadable) change nothing: a watch reconnecting or a
 *   restart never completes or regresses a phase.
 * - A completed phase whose conditions fail again regresses: a regression `{from}` is opened. It
 *   keeps its first completion time; it is complete again (the regression closed with `to`) when
 *   its conditions hold again. While regressed it is not complete for currentPhase, nextStep and
 *   the ETA.
 * - Durations are cumulative, as in the seed's table: a phase ends at `max(its completion, the
 *   previous phase's end)` and its actual duration is its end minus the previous phase's end (t0
 *   for the first). A phase done before an earlier one ran in parallel: its actual is 0. Ends are
 *   known once every earlier phase has completed.
 * - The total runs from t0 to `finishedAt`, the first moment every phase held at once (a
 *   regression during the rebuild delays it; one after it does not).
 * - Every duration is clamped at 0: t0 comes from the API server's clock, `now` from ours.
 */
import type { CheckResult, FixId } from '../checks/types.js';
import { DEFAULT_SPEC, phaseHolds, unmetConditions, type Expected, type PhaseDef, type PhaseId, type TimelineSpec } from './phases.js';

/** A phase that failed again after it completed, from `from` until `to` (open while regressed). */
export interface Regression {
  from: number;
  to?: number;
}

export interface PhaseRecord {
  /** The first time the phase held. Never moved. */
  completedAt?: number;
  regressions?: Regression[];
  /**
   * The phase already held when drdeck first looked (within FIRST_LOOK_MS of the session start):
   * it completed at or before `completedAt`, how long before is not known.
   */
  uncertain?: boolean;
}

/** The timeline of one context. Plain JSON; times are epoch milliseconds. */
export interface TimelineState {
  version: 1;
  context: string;
  /** When Flux was deployed: the clock's origin. Unknown until Flux objects appear. */
  t0?: number;
  /** When drdeck started following this context. */
  startedAt: number;
  /** Every time drdeck (re)started following this context, startedAt first. */
  sessions: number[];
  /** The first moment every phase held at once. */
  finishedAt?: number;
  phases: Partial<Record<PhaseId, PhaseRecord>>;
}

/**
 * How long after a session starts a completion counts as "already so when drdeck looked". Why
 * 30 s: watches list within seconds, but DNS answers come with the first poll (dns.intervalSeconds
 * 30 by default), and until then the DNS conditions are undetermined.
 */
export const FIRST_LOOK_MS = 30_000;

type Results = Readonly<Record<string, CheckResult>>;

/** A new timeline for a context, started now. */
export function createTimeline(context: string, now: number, t0?: number): TimelineState {
  return { version: 1, context, ...(t0 !== undefined ? { t0 } : {}), startedAt: now, sessions: [now], phases: {} };
}

/**
 * Marks a new session on a timeline loaded from disk (drdeck restarted, the SSH session came
 * back): completions seen in its first FIRST_LOOK_MS are marked uncertain.
 */
export function resume(state: TimelineState, now: number): TimelineState {
  return { ...state, sessions: [...state.sessions, now] };
}

function openRegression(record: PhaseRecord | undefined): Regression | undefined {
  const last = record?.regressions?.at(-1);
  return last && last.to === undefined ? last : undefined;
}

/** Complete and not regressed now. */
export function isHolding(record: PhaseRecord | undefined): boolean {
  return record?.completedAt !== undefined && !openRegression(record);
}

/**
 * The timeline after looking at the results at `now`. `t0` (from the cluster) is taken the first
 * time it is given and never moved. Returns `state` itself when nothing changed, so a caller can
 * skip the store update and the write.
 */
export function advance(state: TimelineState, results: Results, now: number, t0?: number, spec: TimelineSpec = DEFAULT_SPEC): TimelineState {
  let next: TimelineState = state;
  const edit = (): TimelineState => {
    if (next === state) next = { ...state, phases: { ...state.phases } };
    return next;
  };
  if (state.t0 === undefined && t0 !== undefined) edit().t0 = t0;
  const sessionStart = state.sessions.at(-1) ?? state.startedAt;

  for (const phase of spec.phases) {
    const holding = phaseHolds(phase, results);
    if (holding === 'undetermined') continue;
    const record = next.phases[phase.id];
    if (holding === 'holds') {
      if (record?.completedAt === undefined) {
        const s = edit();
        if (phase.id === 'flux-deployed') {
          // Flux deployed is t0 by definition; when the cluster did not say when, it is now.
          s.t0 ??= now;
          s.phases[phase.id] = { completedAt: s.t0 };
        } else {
          const uncertain = now - sessionStart < FIRST_LOOK_MS;
          s.phases[phase.id] = { completedAt: now, ...(uncertain ? { uncertain: true } : {}) };
        }
      } else if (openRegression(record)) {
        const regressions = record.regressions ?? [];
        edit().phases[phase.id] = { ...record, regressions: [...regressions.slice(0, -1), { ...regressions[regressions.length - 1], to: now }] };
      }
    } else if (record?.completedAt !== undefined && !openRegression(record)) {
      edit().phases[phase.id] = { ...record, regressions: [...(record.regressions ?? []), { from: now }] };
    }
  }

  if (next.finishedAt === undefined && spec.phases.every((p) => isHolding(next.phases[p.id]))) {
    // The moment the last of them came to hold: the latest completion or recovery. Now, unless
    // they were all seen at once after a restart, when their recorded times say it.
    const times = spec.phases.flatMap((p) => {
      const r = next.phases[p.id];
      return [r?.completedAt ?? 0, ...(r?.regressions ?? []).map((g) => g.to ?? 0)];
    });
    edit().finishedAt = Math.max(...times);
  }
  return next;
}

/** The first phase, in runbook order, that is not complete now (never completed, or regressed). */
export function currentPhase(state: TimelineState, spec: TimelineSpec = DEFAULT_SPEC): PhaseId | undefined {
  return spec.phases.find((p) => !isHolding(state.phases[p.id]))?.id;
}

export type PhaseStatus = 'done' | 'current' | 'regressed' | 'waiting';

/** One phase on the screen: elapsed against expected. */
export interface PhaseProgress {
  id: PhaseId;
  title: string;
  expected: Expected;
  /** done: holds; current: the first not done; regressed: done once, failing now; waiting: later. */
  status: PhaseStatus;
  /** Recorded completion (first time it held). */
  completedAt?: number;
  /** Where the phase starts and ends on the cumulative timeline, once every earlier phase is done. */
  startsAt?: number;
  endsAt?: number;
  /**
   * Done (or regressed): its duration on the cumulative timeline. Current and never completed:
   * the time so far. Undefined while an earlier phase is not done yet.
   */
  actualMs?: number;
  /** Regressed: how long since it regressed. */
  regressedForMs?: number;
  regressions: number;
  /** actualMs above the expected maximum (never for an uncertain completion: it may be earlier). */
  late: boolean;
  uncertain: boolean;
}

/** Per phase: status, actual against expected, late flags. */
export function phaseProgress(state: TimelineState, now: number, spec: TimelineSpec = DEFAULT_SPEC): PhaseProgress[] {
  const current = currentPhase(state, spec);
  // The cumulative end of the previous phase; undefined once a phase has never completed.
  let previousEnd: number | undefined = state.t0;
  return spec.phases.map((phase) => {
    const record = state.phases[phase.id];
    const regression = openRegression(record);
    const status: PhaseStatus =
      phase.id === current && !regression ? 'current' : regression ? 'regressed' : record?.completedAt !== undefined ? 'done' : 'waiting';
    const startsAt = previousEnd;
    let endsAt: number | undefined;
    let actualMs: number | undefined;
    if (record?.completedAt !== undefined && startsAt !== undefined) {
      endsAt = Math.max(record.completedAt, startsAt);
      actualMs = endsAt - startsAt;
    } else if (status === 'current' && startsAt !== undefined) {
      actualMs = Math.max(0, now - startsAt);
    }
    previousEnd = endsAt;
    const uncertain = record?.uncertain === true && record.completedAt !== undefined;
    return {
      id: phase.id,
      title: phase.title,
      expected: phase.expected,
      status,
      ...(record?.completedAt !== undefined ? { completedAt: record.completedAt } : {}),
      ...(startsAt !== undefined ? { startsAt } : {}),
      ...(endsAt !== undefined ? { endsAt } : {}),
      ...(actualMs !== undefined ? { actualMs } : {}),
      ...(regression ? { regressedForMs: Math.max(0, now - regression.from) } : {}),
      regressions: record?.regressions?.length ?? 0,
      late: actualMs !== undefined && actualMs > phase.expected.maxMs && !uncertain,
      uncertain,
    };
  });
}

/** Remaining time to the end of the runbook, as the seed's ranges predict it. */
export interface Eta {
  /** Remaining: best case, typical (midpoints) and worst case. */
  remaining: { minMs: number; typicalMs: number; maxMs: number };
  /** Projected totals from t0 (elapsed so far plus remaining). */
  total: { minMs: number; typicalMs: number; maxMs: number };
  done: boolean;
}

const midpoint = (e: Expected) => (e.minMs + e.maxMs) / 2;

/**
 * The expected durations still ahead: every phase not done contributes its expected range, less
 * the time it has been running (the current phase since the previous one ended; a regressed one
 * since it regressed), never below 0. Phases done ahead of order contribute nothing.
 */
export function eta(state: TimelineState, now: number, spec: TimelineSpec = DEFAULT_SPEC): Eta {
  const remaining = { minMs: 0, typicalMs: 0, maxMs: 0 };
  for (const p of phaseProgress(state, now, spec)) {
    if (p.status === 'done') continue;
    const running = p.status === 'current' ? (p.actualMs ?? 0) : p.status === 'regressed' ? (p.regressedForMs ?? 0) : 0;
    remaining.minMs += Math.max(0, p.expected.minMs - running);
    remaining.typicalMs += Math.max(0, midpoint(p.expected) - running);
    remaining.maxMs += Math.max(0, p.expected.maxMs - running);
  }
  const elapsed = totalMs(state, now);
  return {
    remaining,
    total: { minMs: elapsed + remaining.minMs, typicalMs: elapsed + remaining.typicalMs, maxMs: elapsed + remaining.maxMs },
    done: state.finishedAt !== undefined,
  };
}

/** From t0 to finishedAt, or to now while the rebuild runs; 0 before Flux is deployed. */
export function totalMs(state: TimelineState, now: number): number {
  if (state.t0 === undefined) return 0;
  return Math.max(0, (state.finishedAt ?? now) - state.t0);
}

/** A total against the seed's cases: positive is slower, negative faster. */
export interface Versus {
  /** total − best. */
  best: number;
  /** 0 inside the typical range, else the distance to it (negative below, positive above). */
  typical: number;
  /** total − worst. */
  worst: number;
  rating: 'best' | 'faster than typical' | 'typical' | 'slower than typical' | 'over worst';
}

export function versus(total: number, totals = DEFAULT_SPEC.totals): Versus {
  const typical = rangeDelta(total, totals.typical);
  const rating: Versus['rating'] =
    total <= totals.bestMs
      ? 'best'
      : typical < 0
        ? 'faster than typical'
        : typical === 0
          ? 'typical'
          : total <= totals.worstMs
            ? 'slower than typical'
            : 'over worst';
  return { best: total - totals.bestMs, typical, worst: total - totals.worstMs, rating };
}

/** 0 inside [min, max], else the signed distance to the nearest end. */
export function rangeDelta(value: number, range: Expected): number {
  if (value < range.minMs) return value - range.minMs;
  if (value > range.maxMs) return value - range.maxMs;
  return 0;
}

/** What to do now. */
export interface NextStep {
  /** The current phase; undefined when every phase holds. */
  phase?: PhaseId;
  /** The runbook step. */
  text: string;
  /** The fix that applies now: the first of the phase's fixes that a failing result offers. */
  fixId?: FixId;
  /** The phase's conditions that do not hold yet, by check id. */
  waitingOn: string[];
}

/**
 * The current phase's runbook step, the fix one of its failing checks (or blockers) offers, and
 * the checks it waits on.
 */
export function nextStep(state: TimelineState, results: Results, spec: TimelineSpec = DEFAULT_SPEC): NextStep {
  const id = currentPhase(state, spec);
  const phase = spec.phases.find((p) => p.id === id);
  if (!phase) return { text: 'Every phase complete: apps running', waitingOn: [] };
  const offered = new Set<FixId>();
  for (const check of [...phase.conditions.map((c) => c.check), ...phase.blockers]) {
    const r = results[check];
    if (r && r.status !== 'pass') for (const f of r.fixes) offered.add(f);
  }
  const fixId = phase.fixes.find((f) => offered.has(f));
  return { phase: phase.id, text: phase.step, ...(fixId ? { fixId } : {}), waitingOn: unmetConditions(phase, results) };
}

/** The phase definition for an id. */
export function phaseDef(id: PhaseId, spec: TimelineSpec = DEFAULT_SPEC): PhaseDef | undefined {
  return spec.phases.find((p) => p.id === id);
}
