/**
 * `kopia-reclaim`: reconnect the Kopia repository PVC to the CephFS subvolume whose handle is saved
 * in Git, as the seed's dr-2-reclaim-kopia-repository.sh does (seed issue 2): a Retain PV with the
 * saved volumeHandle, pre-bound to the PVC, and the PVC bound to it by `volumeName`. A PVC bound to
 * another subvolume is deleted first, shown in full and confirmed by typing its name. A PV holding
 * the saved handle is never deleted: when one exists it is reused.
 */
import type { KubeObject } from '../cluster.js';
import { FLUX_LABELS, NOT_FLUX_HINT } from '../checks/kopia.js';
import type { Snapshot } from '../checks/types.js';
import { arr, at, getObject, labelOf, listObjects, parseRef, str } from '../checks/util.js';
import type { Config } from '../config/schema.js';
import { isPlan, type Fix, type FixTarget, type Plan, type PlannedRequest } from './types.js';
import { changedSincePlan, count, createRequest, deleteRequest, errorText, guardedPatch, kubectlCommand, noPlan, remaining, waitQuietly } from './util.js';

const TIMEOUT_MS = 2 * 60_000;
const CEPHFS_DRIVER = 'cephfs.csi.ceph.com';
/** When there is no PVC to copy from: the size of a Kopia repository in the seed's cluster. */
const DEFAULT_CAPACITY = '100Gi';
const DEFAULT_ACCESS_MODES = ['ReadWriteMany'];

export interface CephHandle {
  clusterID: string;
  poolId: string;
  /** The subvolume's uuid (`csi-vol-<uuid>`). */
  uuid: string;
}

/**
 * Parses a ceph-csi volume handle, `%04x-%04x-<clusterID>-%016x-<uuid>` (version, clusterID length,
 * clusterID, pool id, object uuid), as ceph-csi's util.CSIIdentifier composes it.
 */
export function parseCephHandle(handle: string): CephHandle | undefined {
  const head = /^([0-9a-f]{4})-([0-9a-f]{4})-/i.exec(handle);
  if (!head) return undefined;
  const length = parseInt(head[2], 16);
  const rest = handle.slice(head[0].length);
  const clusterID = rest.slice(0, length);
  const tail = /^-([0-9a-f]{16})-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i.exec(rest.slice(length));
  if (clusterID.length !== length || !tail) return undefined;
  return { clusterID, poolId: tail[1], uuid: tail[2] };
}

const handleOf = (pv: unknown) => str(at(pv, 'spec', 'csi', 'volumeHandle'));
const policyOf = (pv: unknown) => str(at(pv, 'spec', 'persistentVolumeReclaimPolicy')) ?? 'unset';
const phaseOf = (o: unknown) => str(at(o, 'status', 'phase')) ?? 'no phase';

/** "PVC default/kopia: Bound, volumeName x, storageClassName y, 100Gi ReadWriteMany, uid z". */
function describePvc(pvc: KubeObject): string {
  const parts = [
    phaseOf(pvc),
    `volumeName ${str(at(pvc, 'spec', 'volumeName')) ?? 'unset'}`,
    `storageClassName ${JSON.stringify(str(at(pvc, 'spec', 'storageClassName')) ?? null)}`,
    `${str(at(pvc, 'spec', 'resources', 'requests', 'storage')) ?? '?'} ${arr(at(pvc, 'spec', 'accessModes')).join(',')}`,
    `uid ${pvc.metadata.uid ?? '?'}`,
  ];
  return `PVC ${pvc.metadata.namespace}/${pvc.metadata.name}: ${parts.join(', ')}`;
}

function describePv(pv: KubeObject): string {
  const claim = at(pv, 'spec', 'claimRef');
  const claimText = claim ? `${str(at(claim, 'namespace'))}/${str(at(claim, 'name'))}` : 'none';
  return `PV ${pv.metadata.name}: handle ${handleOf(pv) ?? 'none (not a CSI volume)'}, reclaim policy ${policyOf(pv)}, phase ${phaseOf(pv)}, claimRef ${claimText}`;
}

/** The Kustomizations whose inventory holds the PVC, and whether its labels say Flux applied it. */
function fluxOwners(snapshot: Snapshot, namespace: string, name: string, pvc: KubeObject | undefined): string[] {
  const id = `${namespace}_${name}__PersistentVolumeClaim`;
  const owners = listObjects(snapshot, 'kustomizations')
    .filter((ks) => arr(at(ks, 'status', 'inventory', 'entries')).some((e) => str(at(e, 'id')) === id))
    .map((ks) => `${ks.metadata.namespace}/${ks.metadata.name}`);
  const labelled = labelOf(pvc, 'kustomize.toolkit.fluxcd.io/name');
  if (labelled) {
    const ref = `${labelOf(pvc, 'kustomize.toolkit.fluxcd.io/namespace') ?? ''}/${labelled}`;
    if (!owners.includes(ref)) owners.unshift(ref);
  }
  return owners;
}

/** Pods in the namespace that mount the PVC: they keep a deleted PVC Terminating (pvc-protection). */
function mountingPods(snapshot: Snapshot, namespace: string, name: string): string[] {
  return listObjects(snapshot, 'pods')
    .filter((p) => p.metadata.namespace === namespace)
    .filter((p) => arr(at(p, 'spec', 'volumes')).some((v) => str(at(v, 'persistentVolumeClaim', 'claimName')) === name))
    .map((p) => `${namespace}/${p.metadata.name}`);
}

/** The CephFS settings to copy: from a PV of the same driver, else the storage class, else ceph-csi's defaults. */
function cephSettings(snapshot: Snapshot, config: Config, reference: KubeObject | undefined, pvc: KubeObject | undefined) {
  const refPv =
    reference && str(at(reference, 'spec', 'csi', 'driver')) === CEPHFS_DRIVER
      ? reference
      : listObjects(snapshot, 'persistentvolumes').find((p) => str(at(p, 'spec', 'csi', 'driver')) === CEPHFS_DRIVER);
  const className = str(at(pvc, 'spec', 'storageClassName')) || config.foundation.storageClasses[0];
  const sc = className ? getObject(snapshot, 'storageclasses', undefined, className) : undefined;
  const params = (key: string) => str(at(sc, 'parameters', key));
  const attrs = (key: string) => str(at(refPv, 'spec', 'csi', 'volumeAttributes', key));
  const secretName = str(at(refPv, 'spec', 'csi', 'nodeStageSecretRef', 'name')) ?? params('csi.storage.k8s.io/node-stage-secret-name') ?? 'csi-cephfs-secret';
  const secretNamespace =
    str(at(refPv, 'spec', 'csi', 'nodeStageSecretRef', 'namespace')) ??
    params('csi.storage.k8s.io/node-stage-secret-namespace') ??
    config.foundation.cephCsiNamespace;
  return {
    fsName: attrs('fsName') ?? params('fsName') ?? 'cephfs',
    provisionerIdentity: attrs('storage.kubernetes.io/csiProvisionerIdentity'),
    referenceClusterID: attrs('clusterID') ?? params('clusterID'),
    nodeStageSecretRef: { name: secretName, namespace: secretNamespace },
  };
}

/** The labels to keep on the new PVC: the old one's, less those that make Flux claim it. */
function keptLabels(pvc: KubeObject | undefined): Record<string, string> | undefined {
  const labels = { ...(pvc?.metadata.labels ?? {}) };
  for (const key of FLUX_LABELS) delete labels[key];
  return Object.keys(labels).length ? labels : undefined;
}

function fluxWarning(owners: string[]): string {
  const list = owners.length > 3 ? `${owners.slice(0, 3).join(', ')} and ${owners.length - 3} more` : owners.join(', ');
  return `Flux applies this PVC (${count(owners.length, 'Kustomization')}: ${list}): until kopia-repository-pvc.yaml leaves Git, Flux may recreate or fight the reclaimed PVC (seed issues 2 and 4)`;
}

export const reclaimKopia: Fix = {
  id: 'kopia-reclaim',
  title: 'Reclaim the Kopia repository from the saved handle',
  dangerous: true,
  panel: 'kopia',
  key: 'c',
  label: 'reclaim',
  timeoutMs: TIMEOUT_MS,

  targets(snapshot, config) {
    const plan = reclaimKopia.plan(snapshot, config, { token: '' });
    return isPlan(plan) ? plan.targets : [];
  },

  plan(snapshot, config) {
    const saved = config.kopia.savedVolumeHandle;
    if (!saved && config.kopia.handleUnknown) return noPlan(config.kopia.handleUnknown);
    if (!saved) {
      return noPlan('no saved volume handle configured: set kopia.savedVolumeHandle, or kopia.handleSecretFile to the Secret manifest saved in Git');
    }
    const { namespace, name } = parseRef(config.kopia.pvc);
    const pvcRef = `${namespace}/${name}`;
    const pvc = getObject(snapshot, 'persistentvolumeclaims', namespace, name);
    const volumeName = str(at(pvc, 'spec', 'volumeName'));
    const pvcPv = volumeName ? getObject(snapshot, 'persistentvolumes', undefined, volumeName) : undefined;
    const savedPvs = listObjects(snapshot, 'persistentvolumes').filter((p) => handleOf(p) === saved);
    const savedPv = savedPvs.find((p) => p.metadata.name === volumeName) ?? savedPvs[0];
    const owners = fluxOwners(snapshot, namespace, name, pvc);

    const requests: PlannedRequest[] = [];
    const warnings: string[] = [];
    const details: string[] = [];
    const targets: FixTarget[] = [];
    const pvcTarget: FixTarget = { kind: 'persistentvolumeclaims', namespace, name };
    const claimRef = { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace, name };

    // The PVC is already on the saved subvolume: only what keeps it safe is left to do. Each
    // object gets one patch: each patch is conditioned on the resourceVersion the plan saw, so a
    // second one to the same object would meet the first one's change and be refused.
    if (pvc && pvcPv && handleOf(pvcPv) === saved) {
      const pvName = pvcPv.metadata.name;
      const spec: Record<string, unknown> = {};
      const what: string[] = [];
      if (policyOf(pvcPv) !== 'Retain') {
        spec.persistentVolumeReclaimPolicy = 'Retain';
        what.push('set reclaim policy Retain (it holds the backups)');
      }
      const claimUid = str(at(pvcPv, 'spec', 'claimRef', 'uid'));
      if (phaseOf(pvc) !== 'Bound' && claimUid && claimUid !== pvc.metadata.uid) {
        spec.claimRef = { ...claimRef, uid: null, resourceVersion: null };
        what.push(`point its claimRef at PVC ${pvcRef}`);
      }
      if (what.length) {
        requests.push(guardedPatch('persistentvolumes', pvcPv, { spec }, `PV ${pvName}: ${what.join(', ')}`));
        targets.push({ kind: 'persistentvolumes', name: pvName });
      }
      const fluxLabels = FLUX_LABELS.filter((key) => labelOf(pvc, key) !== undefined);
      if (fluxLabels.length) {
        requests.push(
          guardedPatch(
            'persistentvolumeclaims',
            pvc,
            { metadata: { labels: Object.fromEntries(fluxLabels.map((k) => [k, null])) } },
            `remove the Flux labels from PVC ${pvcRef}`,
          ),
        );
        targets.push(pvcTarget);
      }
      if (!requests.length) return noPlan(`nothing to do: PVC ${pvcRef} is on the saved handle (PV ${pvName}, ${phaseOf(pvc)}, ${policyOf(pvcPv)})`);
      details.push(describePvc(pvc), describePv(pvcPv));
      if (owners.length) warnings.push(fluxWarning(owners));
      return finish();
    }

    // Never take a PV with the saved handle away from another claim that is using it.
    const savedClaim = savedPv ? at(savedPv, 'spec', 'claimRef') : undefined;
    const claimNs = str(at(savedClaim, 'namespace'));
    const claimName = str(at(savedClaim, 'name'));
    if (savedPv && claimName && (claimNs !== namespace || claimName !== name)) {
      const other = getObject(snapshot, 'persistentvolumeclaims', claimNs, claimName);
      if (other && str(at(other, 'spec', 'volumeName')) === savedPv.metadata.name) {
        return noPlan(
          `PV ${savedPv.metadata.name} holds the saved handle and is bound to PVC ${claimNs}/${claimName}: drdeck never deletes or takes over a PV with the saved handle; resolve it by hand`,
        );
      }
    }

    // A PVC on another subvolume (or on none): shown in full, then deleted.
    if (pvc) {
      const why = !volumeName
        ? `is ${phaseOf(pvc)} and bound to no PV (it would be provisioned a new, empty subvolume)`
        : !pvcPv
          ? `is bound to PV ${volumeName}, which does not exist`
          : `is bound to PV ${volumeName} with another handle (${handleOf(pvcPv) ?? 'not a CSI volume'})`;
      warnings.push(`deletes PVC ${pvcRef}, which ${why}: type its name to confirm`);
      details.push(`will delete ${describePvc(pvc)}`);
      if (volumeName) details.push(pvcPv ? `  its ${describePv(pvcPv)}` : `  its PV ${volumeName}: missing`);
      details.push(`  the handle saved in Git: ${saved}`);
      if (pvcPv) {
        const policy = policyOf(pvcPv);
        details.push(
          policy === 'Retain'
            ? `PV ${volumeName} is left alone: with reclaim policy Retain it becomes Released and keeps its subvolume`
            : `PV ${volumeName} is left alone: with reclaim policy ${policy}, Kubernetes deletes it and its subvolume once the PVC is gone (the new subvolume, not the one with the backups)`,
        );
      }
      const pods = mountingPods(snapshot, namespace, name);
      if (pods.length)
        warnings.push(`${count(pods.length, 'pod')} mount the PVC and keep it Terminating until they stop (kubernetes.io/pvc-protection): ${pods.join(', ')}`);
      requests.push(deleteRequest('persistentvolumeclaims', pvc, `delete PVC ${pvcRef} (wrong subvolume)`));
    }

    const capacityOf = (o: unknown, ...path: string[]) => str(at(o, ...path));
    let pvName: string;
    let capacity: string;
    let accessModes: string[];
    if (savedPv) {
      // Reuse: a Released PV with the saved handle binds again once its claimRef no longer names the old claim's uid.
      pvName = savedPv.metadata.name;
      capacity = capacityOf(savedPv, 'spec', 'capacity', 'storage') ?? DEFAULT_CAPACITY;
      accessModes = arr(at(savedPv, 'spec', 'accessModes')).map(String);
      if (!accessModes.length) accessModes = DEFAULT_ACCESS_MODES;
      const spec: Record<string, unknown> = {};
      const current = at(savedPv, 'spec', 'claimRef');
      const exact = str(at(current, 'namespace')) === namespace && str(at(current, 'name')) === name && !str(at(current, 'uid'));
      if (!exact) spec.claimRef = { ...claimRef, uid: null, resourceVersion: null };
      if (policyOf(savedPv) !== 'Retain') spec.persistentVolumeReclaimPolicy = 'Retain';
      details.push(`will reuse ${describePv(savedPv)}`);
      if (Object.keys(spec).length) {
        const what = [spec.claimRef && `point its claimRef at PVC ${pvcRef}`, spec.persistentVolumeReclaimPolicy && 'set reclaim policy Retain']
          .filter(Boolean)
          .join(', ');
        requests.push(guardedPatch('persistentvolumes', savedPv, { spec }, `reuse PV ${pvName} with the saved handle: ${what}`));
      }
      targets.push({ kind: 'persistentvolumes', name: pvName });
    } else {
      const handle = parseCephHandle(saved);
      if (!handle) {
        return noPlan(
          `the saved handle ${saved} is not a ceph-csi volume handle (0001-0024-<clusterID>-<pool>-<uuid>): drdeck cannot derive its clusterID; create the PV by hand`,
        );
      }
      capacity = capacityOf(pvc, 'spec', 'resources', 'requests', 'storage') ?? DEFAULT_CAPACITY;
      accessModes = pvc ? arr(at(pvc, 'spec', 'accessModes')).map(String) : [];
      if (!accessModes.length) accessModes = DEFAULT_ACCESS_MODES;
      if (!pvc) details.push(`capacity ${capacity} and access modes ${accessModes.join(',')} are defaults: there is no PVC to copy them from`);
      const ceph = cephSettings(snapshot, config, pvcPv, pvc);
      pvName = `${name}-${handle.uuid.slice(0, 8)}`;
      if (getObject(snapshot, 'persistentvolumes', undefined, pvName)) pvName = `${name}-${handle.uuid}`;
      if (ceph.referenceClusterID && ceph.referenceClusterID !== handle.clusterID) {
        warnings.push(
          `the saved handle names Ceph cluster ${handle.clusterID}, the storage in use names ${ceph.referenceClusterID}: is the handle from this Ceph cluster?`,
        );
      }
      const pv: KubeObject = {
        apiVersion: 'v1',
        kind: 'PersistentVolume',
        metadata: { name: pvName, labels: { 'app.kubernetes.io/name': name } },
        spec: {
          capacity: { storage: capacity },
          accessModes,
          persistentVolumeReclaimPolicy: 'Retain',
          // Why "": the PVC asks for no class, and a PV binds only to a claim of the same class.
          storageClassName: '',
          volumeMode: 'Filesystem',
          claimRef,
          csi: {
            driver: CEPHFS_DRIVER,
            volumeHandle: saved,
            // A provisioner-style handle: ceph-csi decodes the subvolume from it (not a static volume, whose rootPath is unknown here).
            volumeAttributes: {
              clusterID: handle.clusterID,
              fsName: ceph.fsName,
              ...(ceph.provisionerIdentity ? { 'storage.kubernetes.io/csiProvisionerIdentity': ceph.provisionerIdentity } : {}),
            },
            nodeStageSecretRef: ceph.nodeStageSecretRef,
          },
        },
      };
      details.push(
        `will create PV ${pvName}: handle ${saved}, clusterID ${handle.clusterID}, fsName ${ceph.fsName}, ${capacity} ${accessModes.join(',')}, Retain, claimRef ${pvcRef}`,
      );
      requests.push(createRequest('persistentvolumes', pv, `create PV ${pvName} with the saved handle (Retain)`));
      targets.push({ kind: 'persistentvolumes', name: pvName });
    }

    const labels = keptLabels(pvc);
    const newPvc: KubeObject = {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name, namespace, ...(labels ? { labels } : {}) },
      spec: {
        accessModes,
        resources: { requests: { storage: capacity } },
        // Static binding: no class, so no provisioner makes a new subvolume; volumeName picks the PV.
        storageClassName: '',
        volumeMode: 'Filesystem',
        volumeName: pvName,
      },
    };
    details.push(`will create PVC ${pvcRef}: volumeName ${pvName}, storageClassName "" (static binding), ${capacity}, no Flux labels`);
    requests.push(createRequest('persistentvolumeclaims', newPvc, `create PVC ${pvcRef} bound to PV ${pvName}`));
    targets.unshift(pvcTarget);
    if (owners.length) warnings.push(fluxWarning(owners));
    return finish();

    function finish(): Plan {
      const deletes = requests.some((r) => r.verb === 'delete');
      const plan: Plan = {
        fixId: 'kopia-reclaim',
        title: `Reclaim the Kopia repository PVC ${pvcRef} from the saved handle`,
        targets,
        requests,
        commands: requests.map(kubectlCommand),
        warnings,
        details,
        confirm: deletes ? { kind: 'type', text: name } : { kind: 'yes' },
      };
      if (owners.length) plan.gitChange = NOT_FLUX_HINT;
      return plan;
    }
  },

  async run(plan, context, config) {
    const start = context.now();
    const saved = config.kopia.savedVolumeHandle;
    const { namespace, name } = parseRef(config.kopia.pvc);
    for (const [index, request] of plan.requests.entries()) {
      context.progress(request.summary);
      const before = getObject(context.snapshot(), request.kind, request.namespace, request.name);
      try {
        await context.send(request);
      } catch (error) {
        const exists = request.verb === 'create' && request.kind === 'persistentvolumeclaims' && /already exists/i.test(errorText(error));
        const changed = changedSincePlan(request, error);
        const earlier = plan.requests.slice(0, index).map((r) => r.summary);
        const message = exists
          ? `PVC ${namespace}/${name} was recreated by someone else (Flux?) before drdeck could create it: remove it from Git and run the reclaim again`
          : changed
            ? `${changed}${earlier.length ? ` (sent before it: ${earlier.join('; ')})` : ''}`
            : `${request.summary}: ${errorText(error)}`;
        return { ok: false, message };
      }
      if (request.verb !== 'delete') continue;
      // Why: the create that follows would fail with AlreadyExists while the old PVC is still Terminating.
      context.progress(`waiting for ${request.namespace}/${request.name} to be gone`);
      const uid = before?.metadata.uid;
      const gone = await waitQuietly(context, `PVC ${request.namespace}/${request.name} deleted`, remaining(context, start, TIMEOUT_MS), (snapshot) => {
        const now = getObject(snapshot, request.kind, request.namespace, request.name);
        return !now || now.metadata.uid !== uid ? true : undefined;
      });
      if (!gone) {
        return {
          ok: false,
          message: `PVC ${request.namespace}/${request.name} is still Terminating: a pod that mounts it keeps it (scale it down), then run the reclaim again`,
        };
      }
    }
    context.progress(`waiting for PVC ${namespace}/${name} to bind to the saved handle`);
    const bound = await waitQuietly(context, `PVC ${namespace}/${name} Bound`, remaining(context, start, TIMEOUT_MS), (snapshot) => {
      const pvc = getObject(snapshot, 'persistentvolumeclaims', namespace, name);
      const pvName = str(at(pvc, 'spec', 'volumeName'));
      const pv = pvName ? getObject(snapshot, 'persistentvolumes', undefined, pvName) : undefined;
      return phaseOf(pvc) === 'Bound' && handleOf(pv) === saved ? pvName : undefined;
    });
    if (bound) return { ok: true, message: `PVC ${namespace}/${name} Bound to PV ${bound} with the saved handle` };
    const pvc = getObject(context.snapshot(), 'persistentvolumeclaims', namespace, name);
    const state = pvc ? `${phaseOf(pvc)}, volumeName ${str(at(pvc, 'spec', 'volumeName')) ?? 'unset'}` : 'missing';
    return { ok: false, message: `PVC ${namespace}/${name} not Bound to the saved handle after ${Math.round(TIMEOUT_MS / 1000)} s (${state})` };
  },
};
