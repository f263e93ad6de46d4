/**
 * The Deployment controller and kubelet, as far as the restored apps need them: a Deployment whose
 * pod template mounts PVCs becomes available once every one of them is Bound, after the time its
 * pod takes to start (10 to 40 scenario seconds, the same per app every run): the seed's "apps
 * start running" once the restores complete. A Deployment mounting no PVC, or one already
 * available, is left alone (the scenario brings the infrastructure up itself); without a restore
 * nothing binds, so nothing changes.
 */
import type { KubeObject } from '../../cluster.js';
import { deploymentAvailable } from '../builders.js';
import type { Controller, ControllerContext } from './types.js';
import { conditionOf, patchStatus, refOf, SECOND, spread } from './util.js';

export const APPS_TIMINGS = {
  /** From the last mounted PVC Bound to the Deployment available, varied per app (deterministic). */
  startMinMs: 10 * SECOND,
  startMaxMs: 40 * SECOND,
} as const;

/** The PVC names a Deployment's pod template mounts. */
function claimsOf(deployment: KubeObject): string[] {
  const volumes: unknown[] = Array.isArray(deployment.spec?.template?.spec?.volumes) ? deployment.spec.template.spec.volumes : [];
  const names = volumes.map((v: any) => v?.persistentVolumeClaim?.claimName).filter((n): n is string => typeof n === 'string' && n !== '');
  return [...new Set(names)];
}

/** The start delay of this app's pod: the same for the same Deployment in every run. */
export function appStartMs(namespace: string | undefined, name: string): number {
  return spread(`apps/${namespace ?? ''}/${name}`, APPS_TIMINGS.startMinMs / SECOND, APPS_TIMINGS.startMaxMs / SECOND) * SECOND;
}

export function appsController(ctx: ControllerContext): Controller {
  const available = (d: KubeObject) => conditionOf(d, 'Available')?.status === 'True';

  /** Whether the Deployment would start now: it mounts PVCs, all Bound, and is not available yet. */
  function ready(deployment: KubeObject): boolean {
    const claims = claimsOf(deployment);
    if (!claims.length || available(deployment) || deployment.metadata.deletionTimestamp) return false;
    if ((deployment.spec?.replicas ?? 1) < 1 || deployment.spec?.paused === true) return false;
    return claims.every((c) => ctx.cache.get('persistentvolumeclaims', deployment.metadata.namespace, c)?.status?.phase === 'Bound');
  }

  function consider(deployment: KubeObject): void {
    if (!ready(deployment)) return;
    const { namespace, name } = deployment.metadata;
    ctx.once(
      `apps/${refOf(deployment)}`,
      appStartMs(namespace, name),
      () => start(namespace, name),
      () => {
        const latest = ctx.cache.get('deployments', namespace, name);
        if (latest) consider(latest);
      },
    );
  }

  async function start(namespace: string | undefined, name: string): Promise<void> {
    const deployment = ctx.cache.get('deployments', namespace, name);
    if (!deployment || !ready(deployment)) return;
    const replicas: number = deployment.spec?.replicas ?? 1;
    const status = deploymentAvailable(name, replicas, deployment.metadata.generation ?? 1, ctx.now());
    // Progressing stays True through the rollout: it keeps its transition time, as the controller does.
    const before = conditionOf(deployment, 'Progressing');
    const conditions = (status.conditions as Array<Record<string, unknown>>).map((c) =>
      c.type === 'Progressing' && before?.status === 'True' && before.lastTransitionTime ? { ...c, lastTransitionTime: before.lastTransitionTime } : c,
    );
    await patchStatus(ctx, 'deployments', namespace, name, { ...status, conditions, unavailableReplicas: null });
    ctx.log(`apps: Deployment ${refOf(deployment)} available (${replicas}/${replicas} replicas)`);
  }

  return {
    name: 'apps',
    kinds: ['deployments', 'persistentvolumeclaims'],
    changed(kind, object, type) {
      if (type === 'DELETED') return;
      if (kind === 'deployments') {
        consider(object);
        return;
      }
      if (object.status?.phase !== 'Bound') return;
      for (const deployment of ctx.cache.list('deployments', object.metadata.namespace)) {
        if (claimsOf(deployment).includes(object.metadata.name)) consider(deployment);
      }
    },
  };
}
