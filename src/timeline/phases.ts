/**
 * The runbook's phases (../shared/seed/cluster-rebuild-issues.md, "Complete Disaster Recovery
 * Runbook" and "Timeline Expectations"), each with its expected duration, the check results that
 * complete it, the runbook step it stands for and the fixes that move it on. Data first: the
 * timeline arithmetic, the help screen and the report all read these tables.
 */
import { z } from 'zod';
import type { CheckResult, CheckStatus, FixId } from '../checks/types.js';

/** Phase ids in runbook order. Each names the state that completes the phase. */
export const PHASE_IDS = [
  'flux-deployed',
  'infrastructure-ready',
  'readiness-checked',
  'kopia-reclaimed',
  'gateways-programmed',
  'restores-triggered',
  'restores-complete',
  'restores-verified',
  'apps-running',
] as const;
export type PhaseId = (typeof PHASE_IDS)[number];

/** An expected duration, as a range. */
export interface Expected {
  minMs: number;
  maxMs: number;
}

/**
 * One condition of a phase: a check result that must be satisfied. A result is satisfied when
 * its status is in `accept` (default `pass`) or, when `test` is given, when `test` says so.
 */
export interface PhaseCondition {
  check: string;
  /** Statuses that satisfy the condition; default `['pass']`. */
  accept?: readonly CheckStatus[];
  /** A finer reading of the result (its evidence), for when the status alone does not say it. */
  test?: (result: CheckResult) => boolean;
  /** The condition in words, for the help screen. */
  text: string;
}

export interface PhaseDef {
  id: PhaseId;
  /** As the seed's table names it. */
  title: string;
  expected: Expected;
  /** All must be satisfied for the phase to be complete. */
  conditions: readonly PhaseCondition[];
  /**
   * Checks that do not complete the phase but stop it from completing (a missing copyMethod stops
   * any restore): read only to choose the fix that applies now.
   */
  blockers: readonly string[];
  /** The runbook step this phase is, as a next-step line. */
  step: string;
  /** Fixes that move this phase on, in the order to prefer them when several are offered. */
  fixes: readonly FixId[];
}

const MINUTE = 60_000;
const minutes = (min: number, max = min): Expected => ({ minMs: min * MINUTE, maxMs: max * MINUTE });

const pass = (check: string, text: string): PhaseCondition => ({ check, text });

const INFRASTRUCTURE: readonly PhaseCondition[] = [
  pass('flux.essential', 'essential Kustomizations Ready (cert-manager, external-secrets, ceph-csi, volsync)'),
  pass('foundation.storage', 'storage classes and snapshot class exist'),
  pass('foundation.operators', 'Ceph-CSI pods and VolSync operator running'),
];

/**
 * Why evidence and not status: restores.progress is `warn` both while restores run and while some
 * were never triggered; the state of each RD is its evidence row's `field` ("done", "running",
 * "failed", "triggered", "not triggered"). Triggered means: at least one RD, none "not triggered".
 */
function everyRestoreTriggered(result: CheckResult): boolean {
  if (result.status === 'pass') return true;
  return result.evidence.length > 0 && !result.evidence.some((e) => e.field === 'not triggered');
}

/** The seed's phases with the seed's expected durations. */
export const PHASES: readonly PhaseDef[] = [
  {
    id: 'flux-deployed',
    title: 'Flux deployed',
    expected: minutes(0),
    conditions: [
      {
        check: 'flux.ready',
        accept: [],
        // Any verdict over at least one Flux object: Flux exists; its readiness is a later phase.
        test: (r) => r.evidence.length > 0,
        text: 'at least one Flux object exists (t0: the earliest Kustomization in the Flux namespace)',
      },
    ],
    blockers: [],
    step: 'Bootstrap Flux from Git; the clock starts when the Flux Kustomizations appear',
    fixes: [],
  },
  {
    id: 'infrastructure-ready',
    title: 'Infrastructure ready',
    expected: minutes(15, 20),
    conditions: INFRASTRUCTURE,
    blockers: ['flux.stuck'],
    step: 'Wait for the infrastructure: cert-manager, external-secrets, ceph-csi, volsync',
    fixes: ['flux-reconcile-stuck', 'flux-reconcile'],
  },
  {
    id: 'readiness-checked',
    title: 'Readiness check',
    expected: minutes(1),
    conditions: [...INFRASTRUCTURE, pass('flux.stuck', 'no Flux object stuck')],
    blockers: [],
    step: 'Pre-flight: ./scripts/dr-1-check-readiness.sh (infrastructure ready, nothing stuck)',
    fixes: ['flux-reconcile-stuck', 'flux-reconcile'],
  },
  {
    id: 'kopia-reclaimed',
    title: 'Kopia reclaim',
    expected: minutes(1),
    conditions: [
      pass('kopia.pvc-bound', 'Kopia repository PVC Bound'),
      {
        check: 'kopia.volume-handle',
        // Why unknown counts: with no saved handle configured drdeck cannot compare, and must not
        // hold the whole timeline on a setting.
        accept: ['pass', 'unknown'],
        text: 'PV holds the volumeHandle saved in Git (when one is configured)',
      },
      pass('kopia.reclaim-policy', 'PV reclaim policy Retain'),
      pass('kopia.not-flux-managed', 'Kopia PVC not managed by Flux'),
    ],
    blockers: [],
    step: 'Reclaim the Kopia repository: ./scripts/dr-2-reclaim-kopia-repository.sh (PV/PVC with the saved volumeHandle)',
    fixes: ['kopia-reclaim'],
  },
  {
    id: 'gateways-programmed',
    title: 'Gateways',
    expected: minutes(0, 2),
    conditions: [pass('gateways.programmed', 'Gateways Programmed'), pass('gateways.operator', 'cilium-operator available')],
    blockers: [],
    step: 'Verify Gateways: kubectl get gateway -A; if PROGRAMMED is Unknown, restart cilium-operator',
    fixes: ['gateways-restart-operator'],
  },
  {
    id: 'restores-triggered',
    title: 'Restores triggered',
    expected: minutes(1),
    conditions: [
      {
        check: 'restores.progress',
        accept: [],
        test: everyRestoreTriggered,
        text: 'at least one ReplicationDestination, none "not triggered"',
      },
    ],
    blockers: ['restores.copy-method', 'restores.secrets'],
    step: 'Trigger the restores: ./scripts/dr-3-trigger-restores.sh (a manual trigger on every RD)',
    fixes: ['restores-set-copy-method', 'restores-recreate', 'restores-trigger'],
  },
  {
    id: 'restores-complete',
    title: 'Restores complete',
    expected: minutes(10, 15),
    conditions: [pass('restores.progress', 'every RD restored'), pass('restores.app-pvcs', 'restored app PVCs Bound')],
    blockers: ['restores.copy-method', 'restores.secrets'],
    step: 'Wait for the restores to complete (10-15 min for 22 app PVCs)',
    fixes: ['restores-trigger', 'restores-set-copy-method', 'restores-recreate'],
  },
  {
    id: 'restores-verified',
    title: 'Verification',
    expected: minutes(1),
    conditions: [
      pass('restores.copy-method', 'every RD has copyMethod Snapshot'),
      pass('restores.secrets', 'every RD repository Secret exists'),
      pass('restores.progress', 'every RD restored'),
      pass('restores.app-pvcs', 'restored app PVCs Bound'),
      pass('restores.count', 'the expected number of RDs'),
      // Why only restores: this is the seed's dr-4-verify-restores.sh. DNS and the LoadBalancers
      // stay on the dashboard; some of their cures are in Git and must not hold the timeline.
    ],
    blockers: [],
    step: 'Verify the restores: ./scripts/dr-4-verify-restores.sh (every app PVC restored and Bound)',
    fixes: ['restores-trigger', 'restores-set-copy-method'],
  },
  {
    id: 'apps-running',
    title: 'Apps running',
    expected: minutes(1, 5),
    conditions: [pass('restores.apps-running', 'every app using a restored PVC is available')],
    blockers: ['restores.app-pvcs'],
    step: 'Wait for the apps to start on their restored PVCs (1-5 min)',
    fixes: ['restores-trigger'],
  },
];

/** The totals a run is compared with: best, typical (a range) and worst, from the seed. */
export interface Totals {
  bestMs: number;
  typical: Expected;
  worstMs: number;
}

export const TOTALS: Totals = { bestMs: 30 * MINUTE, typical: minutes(35, 40), worstMs: 45 * MINUTE };

/** The phases and totals a timeline is measured against. */
export interface TimelineSpec {
  phases: readonly PhaseDef[];
  totals: Totals;
}

export const DEFAULT_SPEC: TimelineSpec = { phases: PHASES, totals: TOTALS };

const minutesSchema = z.number().nonnegative();
const rangeSchema = z
  .object({ min: minutesSchema, max: minutesSchema })
  .strict()
  .refine((r) => r.min <= r.max, { message: 'min must not be greater than max' });

/**
 * The `timeline:` section of the config: expected minutes per phase (any subset; the rest keep
 * the seed's) and the totals to compare with.
 *
 *     timeline:
 *       phases:
 *         infrastructure-ready: { min: 10, max: 25 }
 *       typicalMinutes: { min: 35, max: 40 }
 */
export const timelineConfigSchema = z
  .object({
    phases: z.partialRecord(z.enum(PHASE_IDS), rangeSchema).default({}),
    bestMinutes: minutesSchema.default(TOTALS.bestMs / MINUTE),
    typicalMinutes: rangeSchema.default({ min: TOTALS.typical.minMs / MINUTE, max: TOTALS.typical.maxMs / MINUTE }),
    worstMinutes: minutesSchema.default(TOTALS.worstMs / MINUTE),
  })
  .strict()
  .prefault({});

export type TimelineConfig = z.infer<typeof timelineConfigSchema>;

/** The spec a config asks for: the seed's phases with the configured durations. */
export function timelineSpec(config?: TimelineConfig): TimelineSpec {
  if (!config) return DEFAULT_SPEC;
  const phases = PHASES.map((p) => {
    const override = config.phases[p.id];
    return override ? { ...p, expected: minutes(override.min, override.max) } : p;
  });
  return {
    phases,
    totals: {
      bestMs: config.bestMinutes * MINUTE,
      typical: minutes(config.typicalMinutes.min, config.typicalMinutes.max),
      worstMs: config.worstMinutes * MINUTE,
    },
  };
}

/** A phase as plain data, for the help screen and `--json`. */
export interface PhaseSummary {
  id: PhaseId;
  title: string;
  expected: Expected;
  /** `check id: what must hold`. */
  conditions: string[];
  blockers: string[];
  step: string;
  fixes: FixId[];
}

/** The phase -> checks mapping in words. */
export function describePhases(spec: TimelineSpec = DEFAULT_SPEC): PhaseSummary[] {
  return spec.phases.map((p) => ({
    id: p.id,
    title: p.title,
    expected: { ...p.expected },
    conditions: p.conditions.map((c) => `${c.check}: ${c.text}`),
    blockers: [...p.blockers],
    step: p.step,
    fixes: [...p.fixes],
  }));
}

/** Whether a condition holds: satisfied, not satisfied, or undetermined (no data yet). */
export type Holding = 'holds' | 'fails' | 'undetermined';

/**
 * One condition against the results. No result, or a `pending` one, is undetermined: the data is
 * not there yet (start-up, a watch reconnecting). So is `unknown` (cannot be read) unless the
 * condition accepts it.
 */
export function conditionHolds(condition: PhaseCondition, results: Readonly<Record<string, CheckResult>>): Holding {
  const result = results[condition.check];
  if (!result || result.status === 'pending') return 'undetermined';
  if ((condition.accept ?? ['pass']).includes(result.status)) return 'holds';
  if (condition.test?.(result)) return 'holds';
  if (result.status === 'unknown') return 'undetermined';
  return 'fails';
}

/**
 * A phase against the results: `fails` when any condition fails (a definite "no" wins), else
 * `undetermined` when any is undetermined, else `holds`.
 */
export function phaseHolds(phase: PhaseDef, results: Readonly<Record<string, CheckResult>>): Holding {
  let undetermined = false;
  for (const c of phase.conditions) {
    const h = conditionHolds(c, results);
    if (h === 'fails') return 'fails';
    if (h === 'undetermined') undetermined = true;
  }
  return undetermined ? 'undetermined' : 'holds';
}

/** The conditions of a phase that do not hold now (failing or undetermined), by check id. */
export function unmetConditions(phase: PhaseDef, results: Readonly<Record<string, CheckResult>>): string[] {
  return phase.conditions.filter((c) => conditionHolds(c, results) !== 'holds').map((c) => c.check);
}
