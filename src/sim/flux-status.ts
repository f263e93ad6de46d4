/**
 * Status shapes written the way Flux's controllers write them (kustomize-controller v1,
 * helm-controller v2), shared by the scenarios and the simulated controllers.
 */
import type { KubeObject } from '../cluster.js';
import { timestamp } from './object-store.js';

export type ConditionStatus = 'True' | 'False' | 'Unknown';

/** A condition before its times are known. */
export interface ConditionSpec {
  type: string;
  status: ConditionStatus;
  reason: string;
  message: string;
}

/** A metav1.Condition as stored. */
export interface Condition extends ConditionSpec {
  lastTransitionTime: string;
  observedGeneration?: number;
}

/** The epoch time a condition carries when no controller ever wrote it (seed issues 1 and 7). */
export const EPOCH = '1970-01-01T00:00:00Z';

/**
 * Conditions as a controller writes them at `now`: a condition whose status did not change keeps
 * its lastTransitionTime, as metav1 SetStatusCondition does.
 */
export function transition(previous: readonly Condition[] | undefined, next: readonly ConditionSpec[], now: number, observedGeneration?: number): Condition[] {
  return next.map((spec) => {
    const before = previous?.find((c) => c.type === spec.type);
    const lastTransitionTime = before && before.status === spec.status ? before.lastTransitionTime : timestamp(now);
    return { ...spec, lastTransitionTime, ...(observedGeneration === undefined ? {} : { observedGeneration }) };
  });
}

export const conditionsOf = (object: KubeObject | undefined): Condition[] | undefined => object?.status?.conditions;

/** Kustomization conditions (kustomize.toolkit.fluxcd.io/v1). */
export const kustomization = {
  progressing: (): ConditionSpec[] => [
    { type: 'Ready', status: 'Unknown', reason: 'Progressing', message: 'Reconciliation in progress' },
    { type: 'Reconciling', status: 'True', reason: 'Progressing', message: 'Reconciliation in progress' },
  ],
  waiting: (dependency: string): ConditionSpec[] => [
    { type: 'Ready', status: 'False', reason: 'DependencyNotReady', message: `dependency '${dependency}' is not ready` },
  ],
  /** `healthy` when the Kustomization waits or has healthChecks: kustomize-controller adds Healthy then. */
  ready: (revision: string, healthy: boolean): ConditionSpec[] => [
    { type: 'Ready', status: 'True', reason: 'ReconciliationSucceeded', message: `Applied revision: ${revision}` },
    ...(healthy ? [{ type: 'Healthy', status: 'True' as const, reason: 'Succeeded', message: 'Health check passed' }] : []),
  ],
  failed: (message: string): ConditionSpec[] => [{ type: 'Ready', status: 'False', reason: 'ReconciliationFailed', message }],
};

/** HelmRelease conditions (helm.toolkit.fluxcd.io/v2). */
export const helmRelease = {
  progressing: (message: string): ConditionSpec[] => [
    { type: 'Ready', status: 'Unknown', reason: 'Progressing', message },
    { type: 'Reconciling', status: 'True', reason: 'Progressing', message },
  ],
  waiting: (dependency: string): ConditionSpec[] => [
    { type: 'Ready', status: 'False', reason: 'DependencyNotReady', message: `dependency '${dependency}' is not ready` },
  ],
  ready: (action: 'install' | 'upgrade', release: string, chart: string, version: string, revision: number): ConditionSpec[] => {
    const Action = action === 'install' ? 'Install' : 'Upgrade';
    const message = `Helm ${action} succeeded for release ${release}.v${revision} with chart ${chart}@${version}`;
    return [
      { type: 'Ready', status: 'True', reason: `${Action}Succeeded`, message },
      { type: 'Released', status: 'True', reason: `${Action}Succeeded`, message },
    ];
  },
  /** The helm-controller message when the HelmChart's generation is ahead of its observedGeneration. */
  chartNotReady: (chart: string): ConditionSpec[] => [
    {
      type: 'Ready',
      status: 'False',
      reason: 'HelmChartNotReady',
      message: `HelmChart '${chart}' is not ready: latest generation of object has not been reconciled`,
    },
  ],
};
