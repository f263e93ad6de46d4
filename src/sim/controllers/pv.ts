/**
 * kube-controller-manager's PersistentVolume controller, the part drdeck's fixes rely on: a new PV
 * becomes Available; a PVC whose `spec.volumeName` names an Available PV (or a PV whose claimRef
 * already points at the PVC) binds, both sides; a Bound PV whose claim is deleted is Released, and
 * deleted (by its CSI provisioner) when its reclaim policy is Delete. A Released PV whose claimRef
 * still carries the old claim's uid does not bind again (reference/facts.md). Like the
 * pvc-protection and pv-protection controllers (and the provisioner), it removes their finalizers
 * from a deleted PVC no pod mounts and from a deleted PV no claim holds, so a deletion finishes on a
 * real API server too (the in-memory one deletes at once).
 */
import type { KubeObject } from '../../cluster.js';
import { ClusterError } from '../../cluster.js';
import type { Controller, ControllerContext } from './types.js';
import { patchObject, patchStatus, refOf, SECOND } from './util.js';

const PVC_PROTECTION = 'kubernetes.io/pvc-protection';
const PV_FINALIZERS = new Set(['kubernetes.io/pv-protection', 'external-provisioner.volume.kubernetes.io/finalizer']);

export const PV_TIMINGS = {
  /** From a PVC or PV change to the binding (the controller's sync period is much longer, but it also reacts to events). */
  bindMs: 1 * SECOND,
  /** From a claim's deletion to its PV being Released. */
  releaseMs: 1 * SECOND,
  /** From Released to the CSI provisioner deleting a PV whose policy is Delete. */
  deleteMs: 5 * SECOND,
} as const;

/** Whether the PV's claimRef allows binding to this PVC: unset, or naming it (and its uid when set). */
function claimRefFits(pv: KubeObject, pvc: KubeObject): boolean {
  const ref = pv.spec?.claimRef;
  if (!ref) return true;
  if (ref.namespace !== pvc.metadata.namespace || ref.name !== pvc.metadata.name) return false;
  return !ref.uid || !pvc.metadata.uid || ref.uid === pvc.metadata.uid;
}

const claimedBy = (pv: KubeObject, namespace: string | undefined, name: string): boolean =>
  pv.spec?.claimRef?.namespace === namespace && pv.spec?.claimRef?.name === name;

export function pvController(ctx: ControllerContext): Controller {
  /**
   * Whether the claim a Bound PV was bound to is gone: no PVC of that name, or one recreated under
   * the same name (another uid) that is not bound to this PV. Why not the uid alone: a scenario
   * written into a real API server has PVCs with new uids, still bound to their PVs by volumeName.
   */
  function claimGone(pv: KubeObject): boolean {
    const ref = pv.spec?.claimRef;
    if (!ref) return false;
    const pvc = ctx.cache.get('persistentvolumeclaims', ref.namespace, ref.name);
    if (!pvc) return true;
    return Boolean(ref.uid && pvc.metadata.uid && ref.uid !== pvc.metadata.uid && pvc.spec?.volumeName !== pv.metadata.name);
  }

  /** The PV this PVC should bind to, if it can bind now. */
  function candidate(pvc: KubeObject): KubeObject | undefined {
    const volumeName: string | undefined = pvc.spec?.volumeName;
    if (volumeName) {
      const pv = ctx.cache.get('persistentvolumes', undefined, volumeName);
      return pv && claimRefFits(pv, pvc) ? pv : undefined;
    }
    return ctx.cache
      .list('persistentvolumes')
      .find((pv) => claimedBy(pv, pvc.metadata.namespace, pvc.metadata.name) && claimRefFits(pv, pvc) && pv.status?.phase !== 'Released');
  }

  function needsBinding(pvc: KubeObject): boolean {
    const pv = candidate(pvc);
    if (!pv) return false;
    return pvc.status?.phase !== 'Bound' || pv.status?.phase !== 'Bound' || (!pv.spec?.claimRef?.uid && !!pvc.metadata.uid);
  }

  /** Finalizers a protection controller (or the provisioner) would remove now from a deleted object. */
  function releasable(kind: 'persistentvolumeclaims' | 'persistentvolumes', object: KubeObject): string[] {
    const finalizers: string[] = Array.isArray(object.metadata.finalizers) ? (object.metadata.finalizers as string[]) : [];
    if (!object.metadata.deletionTimestamp) return [];
    if (kind === 'persistentvolumeclaims') {
      const mounted = ctx.cache
        .list('pods', object.metadata.namespace)
        .some(
          (pod) =>
            pod.status?.phase !== 'Succeeded' &&
            pod.status?.phase !== 'Failed' &&
            (pod.spec?.volumes ?? []).some((v: any) => v?.persistentVolumeClaim?.claimName === object.metadata.name),
        );
      return mounted ? [] : finalizers.filter((f) => f === PVC_PROTECTION);
    }
    const ref = object.spec?.claimRef;
    const held = ref && object.status?.phase === 'Bound' && !claimGone(object);
    return held ? [] : finalizers.filter((f) => PV_FINALIZERS.has(f));
  }

  function considerDeletion(kind: 'persistentvolumeclaims' | 'persistentvolumes', object: KubeObject): void {
    if (!releasable(kind, object).length) return;
    const { namespace, name } = object.metadata;
    ctx.once(`finalize/${kind}/${refOf(object)}`, PV_TIMINGS.releaseMs, async () => {
      const current = ctx.cache.get(kind, namespace, name);
      const remove = current ? releasable(kind, current) : [];
      if (!current || !remove.length) return;
      const kept = (current.metadata.finalizers as string[]).filter((f) => !remove.includes(f));
      await patchObject(ctx, kind, namespace, name, { metadata: { finalizers: kept.length ? kept : null } });
      ctx.log(`pv: ${kind === 'persistentvolumes' ? 'PV' : 'PVC'} ${refOf(current)} finalizers ${remove.join(', ')} removed`);
    });
  }

  function considerClaim(pvc: KubeObject): void {
    considerDeletion('persistentvolumeclaims', pvc);
    if (pvc.metadata.deletionTimestamp || !needsBinding(pvc)) return;
    const { namespace, name } = pvc.metadata;
    ctx.once(
      `bind/${refOf(pvc)}`,
      PV_TIMINGS.bindMs,
      () => bind(namespace, name),
      () => {
        const latest = ctx.cache.get('persistentvolumeclaims', namespace, name);
        if (latest) considerClaim(latest);
      },
    );
  }

  async function bind(namespace: string | undefined, name: string): Promise<void> {
    const pvc = ctx.cache.get('persistentvolumeclaims', namespace, name);
    if (!pvc || !needsBinding(pvc)) return;
    const pv = candidate(pvc)!;
    const pvName = pv.metadata.name;
    const claimRef = {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      namespace,
      name,
      ...(pvc.metadata.uid ? { uid: pvc.metadata.uid } : {}),
      ...(pvc.metadata.resourceVersion ? { resourceVersion: pvc.metadata.resourceVersion } : {}),
    };
    if (!pv.spec?.claimRef?.uid) await patchObject(ctx, 'persistentvolumes', undefined, pvName, { spec: { claimRef } });
    if (pv.status?.phase !== 'Bound') await patchStatus(ctx, 'persistentvolumes', undefined, pvName, { phase: 'Bound' });
    if (!pvc.spec?.volumeName || pvc.metadata.annotations?.['pv.kubernetes.io/bind-completed'] !== 'yes') {
      await patchObject(ctx, 'persistentvolumeclaims', namespace, name, {
        metadata: {
          annotations: { 'pv.kubernetes.io/bind-completed': 'yes', ...(pvc.spec?.volumeName ? {} : { 'pv.kubernetes.io/bound-by-controller': 'yes' }) },
        },
        ...(pvc.spec?.volumeName ? {} : { spec: { volumeName: pvName } }),
      });
    }
    if (pvc.status?.phase !== 'Bound') {
      await patchStatus(ctx, 'persistentvolumeclaims', namespace, name, {
        phase: 'Bound',
        accessModes: pv.spec?.accessModes ?? pvc.spec?.accessModes,
        capacity: pv.spec?.capacity ?? pvc.spec?.resources?.requests,
      });
    }
    ctx.log(`pv: PVC ${refOf(pvc)} Bound to PV ${pvName}`);
  }

  function considerVolume(pv: KubeObject): void {
    const name = pv.metadata.name;
    considerDeletion('persistentvolumes', pv);
    // Why Pending too: a real API server gives a new PV phase Pending; the controller makes it Available.
    const fresh = (o: KubeObject) => !o.status?.phase || o.status.phase === 'Pending';
    if (fresh(pv) && !pv.metadata.deletionTimestamp) {
      ctx.once(`pv/${name}`, PV_TIMINGS.bindMs, async () => {
        const current = ctx.cache.get('persistentvolumes', undefined, name);
        if (!current || !fresh(current)) return;
        await patchStatus(ctx, 'persistentvolumes', undefined, name, { phase: 'Available' });
      });
    }
    const ref = pv.spec?.claimRef;
    if (pv.status?.phase === 'Bound' && claimGone(pv)) ctx.once(`release/${name}`, PV_TIMINGS.releaseMs, () => release(name));
    // A PVC waiting for this PV (by volumeName or by the PV's claimRef).
    for (const pvc of ctx.cache.list('persistentvolumeclaims')) {
      if (pvc.status?.phase !== 'Bound' && (pvc.spec?.volumeName === name || (ref && claimedBy(pv, pvc.metadata.namespace, pvc.metadata.name))))
        considerClaim(pvc);
    }
  }

  async function release(name: string): Promise<void> {
    const pv = ctx.cache.get('persistentvolumes', undefined, name);
    const ref = pv?.spec?.claimRef;
    if (!pv || !ref || pv.status?.phase !== 'Bound' || !claimGone(pv)) return;
    await patchStatus(ctx, 'persistentvolumes', undefined, name, { phase: 'Released' });
    ctx.log(`pv: PV ${name} Released (claim ${ref.namespace}/${ref.name} deleted)`);
    if (pv.spec?.persistentVolumeReclaimPolicy !== 'Delete') return;
    ctx.after(PV_TIMINGS.deleteMs, () => {
      const current = ctx.cache.get('persistentvolumes', undefined, name);
      if (!current || current.status?.phase !== 'Released' || current.spec?.persistentVolumeReclaimPolicy !== 'Delete' || ctx.stopped) return;
      ctx.cluster.delete('persistentvolumes', undefined, name).then(
        () => ctx.log(`pv: PV ${name} deleted (reclaim policy Delete)`),
        (error) => {
          if (!(error instanceof ClusterError && error.code === 404)) ctx.log(`pv: deleting PV ${name}: ${(error as Error).message}`);
        },
      );
    });
  }

  return {
    name: 'pv',
    kinds: ['persistentvolumeclaims', 'persistentvolumes', 'pods'],
    changed(kind, object, type) {
      if (kind === 'pods') {
        // A pod that stopped mounting a deleted PVC lets it go.
        if (type === 'DELETED')
          for (const pvc of ctx.cache.list('persistentvolumeclaims', object.metadata.namespace)) considerDeletion('persistentvolumeclaims', pvc);
        return;
      }
      if (kind === 'persistentvolumes') {
        if (type !== 'DELETED') considerVolume(object);
        return;
      }
      if (type !== 'DELETED') {
        considerClaim(object);
        return;
      }
      for (const pv of ctx.cache.list('persistentvolumes')) {
        if (claimedBy(pv, object.metadata.namespace, object.metadata.name) && pv.status?.phase === 'Bound' && claimGone(pv)) {
          ctx.once(`release/${pv.metadata.name}`, PV_TIMINGS.releaseMs, () => release(pv.metadata.name));
        }
      }
    },
  };
}
