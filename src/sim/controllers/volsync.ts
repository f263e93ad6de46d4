/**
 * VolSync with the Kopia mover (the perfectra1n fork), restoring: a new `spec.trigger.manual` on a
 * ReplicationDestination starts a sync that ends a few scenario minutes later, successful only when
 * copyMethod is Snapshot, the repository Secret exists and the Kopia repository PVC is bound to the
 * subvolume saved in Git; otherwise it fails the way the seed saw it (issues 2 and 3). Changing the
 * token mid-sync does not interrupt the sync; the new token starts another one after it. Then, as
 * the volume populator, it provisions the app PVCs whose `dataSourceRef` names an RD with a
 * restored VolumeSnapshot (the PV controller binds them).
 */
import type { KubeObject } from '../../cluster.js';
import { ClusterError } from '../../cluster.js';
import type { ConditionSpec } from '../flux-status.js';
import { timestamp } from '../object-store.js';
import type { Controller, ControllerContext } from './types.js';
import {
  compactStamp,
  conditionOf,
  conditionsOf,
  fakeUuid,
  goDuration,
  MINUTE,
  parseRef,
  patchObject,
  patchStatus,
  refOf,
  SECOND,
  setConditions,
  spread,
} from './util.js';

export const VOLSYNC_TIMINGS = {
  /** From a new trigger to the mover job running (or to the error that stops it). */
  startMs: 3 * SECOND,
  /** A restore takes 2 to 6 scenario minutes, varied per RD (deterministic). */
  restoreMinMs: 2 * MINUTE,
  restoreMaxMs: 6 * MINUTE,
  /** From the sync's start to the mover connecting to the repository (again every this long while its PVC is not bound). */
  connectMs: 10 * SECOND,
  /** The mover against an empty repository: after connecting it lists, and finds nothing. */
  emptyRepositoryMs: 30 * SECOND,
  /** From a restored snapshot to the app PVC's volume being provisioned from it. */
  populateMs: 10 * SECOND,
} as const;

const MOVERS = ['kopia', 'restic', 'rclone', 'rsync', 'rsyncTLS'] as const;
const VALID_COPY_METHODS = new Set(['Direct', 'None', 'Snapshot']);
const COPY_METHOD_ERROR = /^unsupported copyMethod/;

const synchronizing = (status: 'True' | 'False', reason: string, message: string): ConditionSpec[] => [{ type: 'Synchronizing', status, reason, message }];
const WAITING = synchronizing('False', 'WaitingForManual', 'Waiting for manual trigger');

function moverOf(rd: KubeObject): { mover: string; spec: any } | undefined {
  const mover = MOVERS.find((m) => rd.spec?.[m] && typeof rd.spec[m] === 'object');
  return mover ? { mover, spec: rd.spec[mover] } : undefined;
}

interface Running {
  token: string;
  startedAt: number;
  /** Why the mover failed, or undefined when the repository holds the app's snapshots. */
  failure?: string;
}

export function volsyncController(ctx: ControllerContext): Controller {
  const running = new Map<string, Running>();
  /** `token|generation` last acted on per RD: an error is not retried until one of them changes. */
  const attempted = new Map<string, string>();

  const rdKey = (rd: KubeObject) => `volsync/${refOf(rd)}`;

  function changedRd(rd: KubeObject, type: string): void {
    const key = rdKey(rd);
    if (type === 'DELETED') {
      attempted.delete(key);
      return;
    }
    for (const pvc of ctx.cache.list('persistentvolumeclaims', rd.metadata.namespace)) populate(pvc);
    if (running.has(key) || ctx.busy(key) || rd.spec?.paused === true) return;
    const token: string | undefined = rd.spec?.trigger?.manual;
    const attempt = `${token}|${rd.metadata.generation ?? 1}`;
    const { namespace, name } = rd.metadata;
    if (token && token !== rd.status?.lastManualSync && attempted.get(key) !== attempt) {
      attempted.set(key, attempt);
      ctx.once(
        key,
        VOLSYNC_TIMINGS.startMs,
        () => start(namespace, name),
        () => recheck(namespace, name),
      );
      return;
    }
    // The copyMethod error goes once the spec is fixed (seed issue 3's short-term fix).
    const sync = conditionOf(rd, 'Synchronizing');
    const method = moverOf(rd)?.spec?.copyMethod;
    if (sync?.reason === 'Error' && COPY_METHOD_ERROR.test(sync.message) && VALID_COPY_METHODS.has(method)) {
      ctx.once(
        key,
        VOLSYNC_TIMINGS.startMs,
        async () => {
          const current = ctx.cache.get('replicationdestinations', namespace, name);
          if (!current) return;
          await patchStatus(ctx, 'replicationdestinations', namespace, name, { conditions: setConditions(conditionsOf(current), WAITING, ctx.now()) });
          ctx.log(`volsync: RD ${refOf(current)} copyMethod ${method}: waiting for a manual trigger`);
        },
        () => recheck(namespace, name),
      );
    }
  }

  function recheck(namespace: string | undefined, name: string): void {
    const rd = ctx.cache.get('replicationdestinations', namespace, name);
    if (rd) changedRd(rd, 'MODIFIED');
  }

  async function fail(rd: KubeObject, message: string): Promise<void> {
    const conditions = setConditions(conditionsOf(rd), synchronizing('False', 'Error', message), ctx.now());
    await patchStatus(ctx, 'replicationdestinations', rd.metadata.namespace, rd.metadata.name, { conditions });
    ctx.log(`volsync: RD ${refOf(rd)}: ${message}`);
  }

  /**
   * What the Kopia mover finds in the repository: `wait` while the repository PVC is not bound (the
   * mover pod cannot start), `empty` when it is another subvolume than the one saved in Git (seed
   * issue 2), `ok` otherwise. Without a saved handle nothing tells an empty subvolume from the right one.
   */
  function repository(): { state: 'wait' | 'empty' | 'ok'; detail: string } {
    const saved = ctx.config.kopia.savedVolumeHandle;
    const { namespace, name } = parseRef(ctx.config.kopia.pvc);
    const pvc = ctx.cache.get('persistentvolumeclaims', namespace, name);
    const pvName: string | undefined = pvc?.spec?.volumeName;
    const pv = pvName ? ctx.cache.get('persistentvolumes', undefined, pvName) : undefined;
    if (!pvc || pvc.status?.phase !== 'Bound' || !pv) return { state: 'wait', detail: `repository PVC ${ctx.config.kopia.pvc} is not bound` };
    const handle: string | undefined = pv.spec?.csi?.volumeHandle;
    if (saved && handle !== saved) return { state: 'empty', detail: `PV ${pvName} is subvolume ${handle ?? '(not CSI)'}, not the one saved in Git` };
    return { state: 'ok', detail: `PV ${pvName}` };
  }

  async function start(namespace: string | undefined, name: string): Promise<void> {
    const rd = ctx.cache.get('replicationdestinations', namespace, name);
    if (!rd) return;
    const token: string | undefined = rd.spec?.trigger?.manual;
    if (!token || token === rd.status?.lastManualSync) return;
    const mover = moverOf(rd);
    const method: unknown = mover?.spec?.copyMethod;
    if (!mover || typeof method !== 'string' || !VALID_COPY_METHODS.has(method)) {
      await fail(rd, `unsupported copyMethod: ${typeof method === 'string' && method ? `${method} ` : ''}-- must be Direct, None, or Snapshot`);
      return;
    }
    const secret: string | undefined = mover.spec.repository;
    if (!secret || !ctx.cache.get('secrets', namespace, secret)) {
      await fail(rd, `secret ${secret ?? '(none)'} not found`);
      return;
    }
    const run: Running = { token, startedAt: ctx.now() };
    const key = rdKey(rd);
    running.set(key, run);
    try {
      await patchStatus(ctx, 'replicationdestinations', namespace, name, {
        lastSyncStartTime: timestamp(ctx.now()),
        conditions: setConditions(conditionsOf(rd), synchronizing('True', 'SyncInProgress', 'Synchronization in-progress'), ctx.now()),
        ...(mover.mover === 'kopia' ? { kopia: { requestedIdentity: identityOf(rd, mover.spec) } } : {}),
      });
    } catch (error) {
      running.delete(key);
      throw error;
    }
    ctx.log(`volsync: RD ${refOf(rd)} restoring (${token})`);
    const restoreMs = spread(`restore/${refOf(rd)}`, VOLSYNC_TIMINGS.restoreMinMs / SECOND, VOLSYNC_TIMINGS.restoreMaxMs / SECOND) * SECOND;
    const end = (ms: number) =>
      ctx.after(ms, () => {
        finish(namespace, name, run)
          .catch((error) => ctx.log(`volsync: RD ${namespace}/${name}: ${(error as Error).message}`))
          .finally(() => {
            running.delete(key);
            recheck(namespace, name);
          });
      });
    if (mover.mover !== 'kopia') {
      end(restoreMs);
      return;
    }
    // The mover connects to the repository; while its PVC is not bound, the mover pod waits.
    const connect = () =>
      ctx.after(VOLSYNC_TIMINGS.connectMs, () => {
        if (!ctx.cache.get('replicationdestinations', namespace, name)) {
          running.delete(key);
          return;
        }
        const repo = repository();
        if (repo.state === 'wait') return connect();
        if (repo.state === 'empty') run.failure = repo.detail;
        end(repo.state === 'empty' ? VOLSYNC_TIMINGS.emptyRepositoryMs : Math.max(0, restoreMs - VOLSYNC_TIMINGS.connectMs));
      });
    connect();
  }

  async function finish(namespace: string | undefined, name: string, run: Running): Promise<void> {
    const rd = ctx.cache.get('replicationdestinations', namespace, name);
    if (!rd || ctx.stopped) return;
    const mover = moverOf(rd);
    const identity = mover ? identityOf(rd, mover.spec) : name;
    const now = ctx.now();
    if (run.failure) {
      const logs = [`Connected to Kopia repository (${run.failure})`, `Looking for snapshots of ${identity}`, `No snapshots found for ${identity}`].join('\n');
      await patchStatus(ctx, 'replicationdestinations', namespace, name, {
        latestMoverStatus: { result: 'Failed', logs },
        kopia: { requestedIdentity: identity, snapshotsFound: 0, availableIdentities: null },
        conditions: setConditions(conditionsOf(rd), synchronizing('False', 'Error', `mover failed: No snapshots found for ${identity}`), now),
      });
      ctx.log(`volsync: RD ${refOf(rd)} failed: No snapshots found (${run.failure})`);
      return;
    }
    const snapshots = spread(`snapshots/${refOf(rd)}`, 7, 30);
    const method = mover?.spec?.copyMethod;
    const latestImage =
      method === 'Snapshot'
        ? { apiGroup: 'snapshot.storage.k8s.io', kind: 'VolumeSnapshot', name: `${name}-${compactStamp(now)}` }
        : { apiGroup: '', kind: 'PersistentVolumeClaim', name: mover?.spec?.destinationPVC ?? `volsync-${name}-dest` };
    const logs = [
      `Connecting to Kopia repository`,
      `Found ${snapshots} snapshots for ${identity}`,
      `Restoring latest snapshot of ${identity} to /data`,
      'Restore completed successfully',
    ].join('\n');
    await patchStatus(ctx, 'replicationdestinations', namespace, name, {
      lastManualSync: run.token,
      lastSyncTime: timestamp(now),
      lastSyncDuration: goDuration(now - run.startedAt),
      latestMoverStatus: { result: 'Successful', logs },
      latestImage,
      ...(mover?.mover === 'kopia'
        ? {
            kopia: {
              requestedIdentity: identity,
              snapshotsFound: snapshots,
              availableIdentities: [{ identity, snapshotCount: snapshots, latestSnapshot: timestamp(now - 8 * 3600_000) }],
            },
          }
        : {}),
      conditions: setConditions(conditionsOf(rd), WAITING, now),
    });
    ctx.log(`volsync: RD ${refOf(rd)} restored (${run.token}) to ${latestImage.kind} ${latestImage.name}`);
  }

  /** The volume populator: a Pending PVC restoring from an RD that has a restored VolumeSnapshot. */
  function populate(pvc: KubeObject): void {
    const ref = pvc.spec?.dataSourceRef;
    if (!ref || ref.kind !== 'ReplicationDestination' || ref.apiGroup !== 'volsync.backube') return;
    if (pvc.spec?.volumeName || pvc.status?.phase === 'Bound') return;
    const namespace = pvc.metadata.namespace;
    const rd = ctx.cache.get('replicationdestinations', ref.namespace ?? namespace, ref.name);
    if (rd?.status?.latestImage?.kind !== 'VolumeSnapshot') return;
    const key = `populate/${refOf(pvc)}`;
    ctx.once(key, VOLSYNC_TIMINGS.populateMs, () => provision(namespace, pvc.metadata.name));
  }

  async function provision(namespace: string | undefined, name: string): Promise<void> {
    const pvc = ctx.cache.get('persistentvolumeclaims', namespace, name);
    if (!pvc || pvc.spec?.volumeName || pvc.status?.phase === 'Bound') return;
    const ref = pvc.spec.dataSourceRef;
    const rd = ctx.cache.get('replicationdestinations', ref.namespace ?? namespace, ref.name);
    const image = rd?.status?.latestImage;
    if (image?.kind !== 'VolumeSnapshot') return;
    const className: string | undefined = pvc.spec.storageClassName;
    const sc: any = className ? ctx.cache.get('storageclasses', undefined, className) : undefined;
    const driver: string = sc?.provisioner ?? 'cephfs.csi.ceph.com';
    const clusterId: string = sc?.parameters?.clusterID ?? fakeUuid('cluster');
    const subvolume = fakeUuid(`subvolume/${pvc.metadata.uid ?? refOf(pvc)}`);
    const pvName = `pvc-${pvc.metadata.uid ?? fakeUuid(refOf(pvc))}`;
    try {
      if (ctx.stopped) return;
      await ctx.cluster.create('persistentvolumes', {
        metadata: {
          name: pvName,
          annotations: {
            'pv.kubernetes.io/provisioned-by': driver,
            'volume.kubernetes.io/provisioner-deletion-secret-namespace': sc?.parameters?.['csi.storage.k8s.io/provisioner-secret-namespace'] ?? 'ceph-csi',
          },
        },
        spec: {
          accessModes: pvc.spec.accessModes ?? ['ReadWriteOnce'],
          capacity: { storage: pvc.spec.resources?.requests?.storage ?? '1Gi' },
          claimRef: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace, name, ...(pvc.metadata.uid ? { uid: pvc.metadata.uid } : {}) },
          csi: {
            driver,
            volumeHandle: `0001-0024-${clusterId}-0000000000000001-${subvolume}`,
            volumeAttributes: {
              clusterID: clusterId,
              ...(sc?.parameters?.fsName ? { fsName: sc.parameters.fsName } : {}),
              subvolumeName: `csi-vol-${subvolume}`,
              'storage.kubernetes.io/csiProvisionerIdentity': `sim-${driver}`,
            },
          },
          persistentVolumeReclaimPolicy: sc?.reclaimPolicy ?? 'Delete',
          ...(className ? { storageClassName: className } : {}),
          volumeMode: pvc.spec.volumeMode ?? 'Filesystem',
        },
      });
    } catch (error) {
      if (!(error instanceof ClusterError && error.code === 409)) throw error;
    }
    await patchObject(ctx, 'persistentvolumeclaims', namespace, name, { spec: { volumeName: pvName } });
    ctx.log(`volsync: PVC ${refOf(pvc)} provisioned from ${image.name} as PV ${pvName}`);
  }

  return {
    name: 'volsync',
    kinds: ['replicationdestinations', 'secrets', 'persistentvolumeclaims', 'persistentvolumes', 'storageclasses'],
    changed(kind, object, type) {
      if (kind === 'replicationdestinations') changedRd(object, type);
      else if (kind === 'persistentvolumeclaims' && type !== 'DELETED') populate(object);
    },
  };
}

/** The Kopia identity the mover asks for: `sourceName@sourceNamespace` (or the RD's own name). */
function identityOf(rd: KubeObject, mover: any): string {
  const source = mover?.sourceIdentity ?? {};
  return `${source.sourceName ?? rd.metadata.name}@${source.sourceNamespace ?? rd.metadata.namespace ?? 'default'}`;
}
