/**
 * Flux's controllers, as far as drdeck's fixes reach them: a new `reconcile.fluxcd.io/requestedAt`
 * (or a resume) is handled after a short delay and acknowledged in `status.lastHandledReconcileAt`
 * (HelmRelease: also `lastHandledForceAt` / `lastHandledResetAt` when their annotation carries the
 * same token). A reconcile cures only what the seed says it cures: the ceph-csi HelmReleases stuck
 * on "latest generation of object has not been reconciled" (seed issue 1) release; an app
 * Kustomization failing on an immutable field (seed issue 4) fails again, its cure is in Git; an
 * infrastructure Kustomization still coming up stays as the scenario has it. Suspended objects
 * ignore requests.
 */
import type { KubeObject } from '../../cluster.js';
import { KINDS, type KindKey } from '../../kinds.js';
import { fakeDigest } from '../builders.js';
import { helmRelease, transition, type Condition } from '../flux-status.js';
import { timestamp } from '../object-store.js';
import type { Controller, ControllerContext } from './types.js';
import { conditionOf, conditionsOf, parseRef, patchStatus, refOf, SECOND, spread } from './util.js';

const REQUESTED_AT = 'reconcile.fluxcd.io/requestedAt';
const FORCE_AT = 'reconcile.fluxcd.io/forceAt';
const RESET_AT = 'reconcile.fluxcd.io/resetAt';
const NOT_RECONCILED = 'latest generation of object has not been reconciled';
const KS_NAME_LABEL = 'kustomize.toolkit.fluxcd.io/name';

const FLUX_KINDS = [
  'kustomizations',
  'helmreleases',
  'helmcharts',
  'gitrepositories',
  'ocirepositories',
  'helmrepositories',
] as const satisfies readonly KindKey[];
type FluxKind = (typeof FLUX_KINDS)[number];
const SOURCE_KINDS: ReadonlySet<KindKey> = new Set(['helmcharts', 'gitrepositories', 'ocirepositories', 'helmrepositories']);

/** Scenario time from a request to its handling: source-controller is quick, the others queue a little. */
export const FLUX_TIMINGS = {
  sourceMs: 2 * SECOND,
  kustomizationMs: 4 * SECOND,
  helmReleaseMs: 3 * SECOND,
  /** A stuck release, once its chart caught up: the Helm install itself (varied per release). */
  releaseMinMs: 15 * SECOND,
  releaseMaxMs: 25 * SECOND,
} as const;

const annotation = (object: KubeObject, key: string): string | undefined => object.metadata.annotations?.[key];
const isSuspended = (object: KubeObject): boolean => object.spec?.suspend === true;

/** A HelmRelease stuck waiting for its HelmChart's generation (seed issue 1). */
function chartStuck(release: KubeObject): boolean {
  const ready = conditionOf(release, 'Ready');
  return ready?.status === 'False' && (ready.reason === 'HelmChartNotReady' || ready.message.includes(NOT_RECONCILED));
}

export function fluxController(ctx: ControllerContext): Controller {
  /** Whether each object was suspended when last seen: a resume is a reconcile too. */
  const suspendedBefore = new Map<string, boolean>();
  const resumed = new Set<string>();

  const keyOf = (kind: KindKey, object: KubeObject) => `flux/${kind}/${refOf(object)}`;

  function pending(object: KubeObject): boolean {
    const token = annotation(object, REQUESTED_AT);
    return token !== undefined && token !== object.status?.lastHandledReconcileAt;
  }

  function changed(kind: KindKey, object: KubeObject, type: string): void {
    const key = keyOf(kind, object);
    if (type === 'DELETED') {
      suspendedBefore.delete(key);
      resumed.delete(key);
      return;
    }
    const suspended = isSuspended(object);
    if (suspendedBefore.get(key) === true && !suspended) resumed.add(key);
    suspendedBefore.set(key, suspended);
    if (suspended || ctx.busy(key) || !(pending(object) || resumed.has(key))) return;
    const delay = SOURCE_KINDS.has(kind) ? FLUX_TIMINGS.sourceMs : kind === 'helmreleases' ? FLUX_TIMINGS.helmReleaseMs : FLUX_TIMINGS.kustomizationMs;
    const { namespace, name } = object.metadata;
    ctx.once(
      key,
      delay,
      () => handle(kind as FluxKind, namespace, name, key),
      () => {
        // A request that arrived while this one was handled is handled next.
        const latest = ctx.cache.get(kind, namespace, name);
        if (latest) changed(kind, latest, 'MODIFIED');
      },
    );
  }

  async function handle(kind: FluxKind, namespace: string | undefined, name: string, key: string): Promise<void> {
    const object = ctx.cache.get(kind, namespace, name);
    if (!object || isSuspended(object)) return;
    const wasResumed = resumed.delete(key);
    const token = annotation(object, REQUESTED_AT);
    const handled: Record<string, unknown> = {};
    if (token !== undefined && token !== object.status?.lastHandledReconcileAt) handled.lastHandledReconcileAt = token;
    if (kind === 'helmreleases' && token !== undefined) {
      if (annotation(object, FORCE_AT) === token) handled.lastHandledForceAt = token;
      if (annotation(object, RESET_AT) === token) {
        handled.lastHandledResetAt = token;
        Object.assign(handled, { failures: null, installFailures: null, upgradeFailures: null });
      }
    }
    if (!Object.keys(handled).length && !wasResumed) return;
    const generation = object.metadata.generation ?? 1;
    const ref = `${KINDS[kind].kind} ${refOf(object)}`;

    if (kind === 'helmreleases' && chartStuck(object)) {
      await release(object, handled);
      return;
    }
    const status: Record<string, unknown> = { ...handled };
    const ready = conditionOf(object, 'Ready');
    // Sources reconcile in a moment and catch up with their spec; the others only record what a
    // finished reconcile of an unchanged spec records, and otherwise keep the state they are in.
    if (SOURCE_KINDS.has(kind) || (ready?.status === 'True' && object.status?.observedGeneration !== undefined)) {
      if ((object.status?.observedGeneration ?? 0) < generation) {
        status.observedGeneration = generation;
        status.conditions = conditionsOf(object).map((c) => (c.observedGeneration === undefined ? c : { ...c, observedGeneration: generation }));
      }
    }
    if (kind === 'kustomizations') await applyMissing(object);
    await patchStatus(ctx, kind, namespace, name, status);
    ctx.log(`flux: reconciled ${ref}${token ? ` (${token})` : ''}${wasResumed ? ' after resume' : ''}`);
  }

  /** kustomize-controller applies what Git holds: objects of this Kustomization that are gone come back. */
  async function applyMissing(ks: KubeObject): Promise<void> {
    for (const { kind, object } of ctx.git) {
      if (object.metadata.labels?.[KS_NAME_LABEL] !== ks.metadata.name) continue;
      const { namespace, name } = object.metadata;
      if (ctx.cache.get(kind, namespace, name) || ctx.stopped) continue;
      const { resourceVersion: _rv, uid: _uid, creationTimestamp: _ct, generation: _g, managedFields: _mf, ...metadata } = object.metadata;
      const { status: _status, ...body } = object;
      await ctx.cluster.create(kind, { ...body, metadata });
      ctx.log(`flux: Kustomization ${refOf(ks)} applied ${KINDS[kind].kind} ${refOf(object)} from Git`);
    }
  }

  /**
   * Seed issue 1 cured: helm-controller looks at the HelmChart again, source-controller has caught
   * up with its generation, and the install runs; the request is acknowledged when it finishes, as
   * the real controller acknowledges at the end of a reconcile.
   */
  async function release(object: KubeObject, handled: Record<string, unknown>): Promise<void> {
    const { namespace, name } = object.metadata;
    const chartRef = typeof object.status?.helmChart === 'string' ? parseRef(object.status.helmChart) : { namespace, name: `${namespace}-${name}` };
    const chart = ctx.cache.get('helmcharts', chartRef.namespace ?? namespace, chartRef.name);
    if (chart) {
      const generation = chart.metadata.generation ?? 1;
      if ((chart.status?.observedGeneration ?? 0) < generation) {
        const conditions = conditionsOf(chart).map((c) => (c.observedGeneration === undefined ? c : { ...c, observedGeneration: generation }));
        await patchStatus(ctx, 'helmcharts', chart.metadata.namespace, chart.metadata.name, { observedGeneration: generation, conditions });
        ctx.log(`flux: HelmChart ${refOf(chart)} caught up with generation ${generation}`);
      }
    }
    const chartName: string = object.spec?.chart?.spec?.chart ?? chart?.spec?.chart ?? name;
    const version: string = object.spec?.chart?.spec?.version ?? chart?.spec?.version ?? '*';
    const history: any[] = Array.isArray(object.status?.history) ? object.status.history : [];
    const action = history.length ? 'upgrade' : 'install';
    const message = `Running '${action}' action with timeout of 5m0s`;
    await patchStatus(ctx, 'helmreleases', namespace, name, {
      conditions: transition(conditionsOf(object), helmRelease.progressing(message), ctx.now(), object.metadata.generation),
    });
    ctx.log(`flux: HelmRelease ${refOf(object)} ${action}ing`);

    const done = new Promise<void>((resolve) => {
      ctx.after(spread(`release/${refOf(object)}`, FLUX_TIMINGS.releaseMinMs, FLUX_TIMINGS.releaseMaxMs), () => {
        finishRelease(namespace, name, chartName, version, action, handled).then(resolve, (error) => {
          ctx.log(`flux: HelmRelease ${namespace}/${name}: ${(error as Error).message}`);
          resolve();
        });
      });
    });
    await done;
  }

  async function finishRelease(
    namespace: string | undefined,
    name: string,
    chart: string,
    version: string,
    action: 'install' | 'upgrade',
    handled: Record<string, unknown>,
  ): Promise<void> {
    const current = ctx.cache.get('helmreleases', namespace, name);
    if (!current || ctx.stopped) return;
    const generation = current.metadata.generation ?? 1;
    const previous: any[] = Array.isArray(current.status?.history) ? current.status.history : [];
    const revision = (previous[0]?.version ?? 0) + 1;
    const deployed = timestamp(ctx.now());
    const digest = (what: string) => `sha256:${fakeDigest(`${what}/${namespace}/${name}/${revision}`)}`;
    const conditions: Condition[] = transition(
      conditionsOf(current),
      helmRelease.ready(action, `${namespace}/${name}`, chart, version, revision),
      ctx.now(),
      generation,
    );
    await patchStatus(ctx, 'helmreleases', namespace, name, {
      ...handled,
      observedGeneration: generation,
      lastAttemptedGeneration: generation,
      lastAttemptedRevision: version,
      lastAttemptedReleaseAction: action,
      lastReleaseRevision: revision,
      storageNamespace: namespace,
      history: [
        {
          name,
          namespace: namespace ?? '',
          version: revision,
          status: 'deployed',
          chartName: chart,
          chartVersion: version,
          appVersion: version,
          configDigest: digest('config'),
          digest: digest('release'),
          firstDeployed: deployed,
          lastDeployed: deployed,
        },
        ...previous.map((h) => ({ ...h, status: 'superseded' })),
      ].slice(0, 5),
      conditions,
    });
    ctx.log(`flux: HelmRelease ${namespace}/${name} Ready (${action} of ${chart}@${version}, revision ${revision})`);
  }

  return { name: 'flux', kinds: FLUX_KINDS, changed };
}
