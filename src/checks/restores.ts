/**
 * Panel Restores: the VolSync ReplicationDestinations (RDs) the rebuild restores app data from:
 * copyMethod, the IfNotPresent label, repository Secrets, restore progress per app, the app PVCs
 * they populate, the apps that mount them running, and how many there are.
 */
import type { KubeObject } from '../cluster.js';
import { VOLSYNC_MOVERS, type Config, type VolsyncMover } from '../config/schema.js';
import type { Check, CheckStatus, Evidence, Snapshot, Verdict } from './types.js';
import {
  arr,
  at,
  condition,
  conditions,
  deploymentAvailable,
  describeCondition,
  durationSince,
  getObject,
  labelOf,
  listIn,
  listObjects,
  nameList,
  namespaceOf,
  nameOf,
  num,
  parseTime,
  memoParts,
  perObject,
  perItem,
  perItemTimed,
  perRef,
  plural,
  refCache,
  refOf,
  pushTo,
  row,
  shorterThan,
  str,
  verdict,
  worst,
  worstOf,
  type Clock,
  type ItemsMemo,
  type PartsMemo,
  type TimedItemsMemo,
} from './util.js';

export const SSA_LABEL = 'kustomize.toolkit.fluxcd.io/ssa';

/** The RDs in the configured namespaces, sorted. */
export function replicationDestinations(snapshot: Snapshot, config: Config): readonly KubeObject[] {
  return listIn(snapshot, 'replicationdestinations', config.restores.namespaces);
}

/** The RD's mover name and spec section (kopia first). */
export function moverOf(rd: KubeObject): { mover: VolsyncMover; spec: unknown } | undefined {
  const mover = VOLSYNC_MOVERS.find((m) => {
    const section = at(rd, 'spec', m);
    return section !== null && typeof section === 'object';
  });
  return mover ? { mover, spec: at(rd, 'spec', mover) } : undefined;
}

export const COPY_METHOD_HINT = [
  'Seed issue 3: add copyMethod: Snapshot to the RD template,',
  'kubernetes/components/volsync/replicationdestination.yaml:',
  '  spec:',
  '    kopia:',
  '      copyMethod: Snapshot',
  '      volumeSnapshotClassName: "${VOLSYNC_SNAPSHOTCLASS:=csi-cephfs-config-snapclass}"',
].join('\n');

/** One RD's part of restores.copy-method. */
interface CopyMethodFinding {
  evidence: Evidence;
  bad: boolean;
  otherMover?: string;
}

const copyMethodFindings = new WeakMap<object, { key: unknown; value: CopyMethodFinding }>();

function judgeCopyMethod(rd: KubeObject, movers: readonly string[]): CopyMethodFinding {
  const mover = moverOf(rd);
  const method = str(at(mover?.spec, 'copyMethod'));
  const ok = method === 'Snapshot';
  const field = `spec.${mover?.mover ?? movers[0]}.copyMethod`;
  const sync = condition(rd, 'Synchronizing');
  const value = method ?? (sync?.message ? `unset (${sync.message})` : 'unset');
  // Why: a restic (or rclone, rsync) RD restores from that mover's repository, not from the one the
  // backups were written to; its copyMethod and Secret look just as fine.
  if (mover && !movers.includes(mover.mover)) {
    const also = `${mover.mover} mover, not ${movers.join(' or ')}: it restores from a ${mover.mover} repository`;
    return {
      bad: !ok,
      otherMover: `${refOf(rd)} (${mover.mover})`,
      evidence: row('replicationdestinations', rd, field, `${value}; ${also}`, ok ? 'warn' : 'fail'),
    };
  }
  return { bad: !ok, evidence: row('replicationdestinations', rd, field, value, ok ? 'pass' : 'fail') };
}

const copyMethod: Check = {
  id: 'restores.copy-method',
  panel: 'restores',
  title: 'Every RD has copyMethod Snapshot, with the configured mover',
  scope: 'spec',
  inputs: ['replicationdestinations'],
  evaluate(snapshot, config) {
    const rds = replicationDestinations(snapshot, config);
    const movers = config.restores.movers;
    const bad: string[] = [];
    const otherMover: string[] = [];
    const evidence = rds.map((rd) => {
      const finding = perObject(copyMethodFindings, rd, config.restores, () => judgeCopyMethod(rd, movers));
      if (finding.bad) bad.push(refOf(rd));
      if (finding.otherMover) otherMover.push(finding.otherMover);
      return finding.evidence;
    });
    if (!bad.length && !otherMover.length) return verdict('pass', `${rds.length}/${rds.length} RDs have copyMethod Snapshot`, evidence);
    const parts = [
      bad.length && `${bad.length}/${rds.length} RDs lack copyMethod: Snapshot (restores cannot populate PVCs): ${nameList(bad)}`,
      otherMover.length && `${otherMover.length}/${rds.length} RDs use another mover than ${movers.join(' or ')} (restores.movers): ${nameList(otherMover)}`,
    ].filter(Boolean);
    return verdict(bad.length ? 'fail' : 'warn', parts.join('; '), evidence, {
      fixes: bad.length ? ['restores-set-copy-method', 'restores-recreate'] : [],
      gitHint: bad.length ? COPY_METHOD_HINT : MOVER_HINT,
    });
  },
};

export const MOVER_HINT = [
  'The RD names another VolSync mover than the one the backups use (restores.movers). Its template,',
  'kubernetes/components/volsync/replicationdestination.yaml, should use that mover, e.g. for Kopia:',
  '  spec:',
  '    kopia:',
  '      repository: "${APP}-volsync-secret"',
  '      copyMethod: Snapshot',
  'or, when this app really uses another mover, add it to restores.movers in the drdeck config.',
].join('\n');

export const SSA_HINT = [
  'Seed issue 9: remove the label from kubernetes/components/volsync/replicationdestination.yaml:',
  '  metadata:',
  '    labels:',
  '      # REMOVED: kustomize.toolkit.fluxcd.io/ssa: IfNotPresent',
  'so that Flux keeps the RDs in line with Git.',
].join('\n');

const ssaRows = new WeakMap<object, { key: unknown; value: Evidence }>();

const ssaIfNotPresent: Check = {
  id: 'restores.ssa-if-not-present',
  panel: 'restores',
  title: 'No RD labelled ssa: IfNotPresent',
  scope: 'spec',
  inputs: ['replicationdestinations'],
  evaluate(snapshot, config) {
    const rds = replicationDestinations(snapshot, config);
    const labelled = rds.filter((rd) => labelOf(rd, SSA_LABEL) === 'IfNotPresent');
    const evidence = rds.map((rd) =>
      perObject(ssaRows, rd, SSA_LABEL, () => {
        const value = labelOf(rd, SSA_LABEL);
        return row('replicationdestinations', rd, `metadata.labels[${SSA_LABEL}]`, value ?? 'unset', value === 'IfNotPresent' ? 'warn' : 'pass');
      }),
    );
    if (!labelled.length) return verdict('pass', `no RD carries ${SSA_LABEL}: IfNotPresent`, evidence);
    return verdict('warn', `${plural(labelled.length, 'RD')} with ssa: IfNotPresent (Flux never updates them): ${nameList(labelled.map(refOf))}`, evidence, {
      fixes: ['restores-recreate'],
      gitHint: SSA_HINT,
    });
  },
};

const secretFindings = new WeakMap<object, { key: unknown; value: { evidence: Evidence; problem?: string } }>();

/** One RD's row of restores.secrets, given whether its repository Secret exists (undefined: it names none). */
function judgeSecret(rd: KubeObject, exists: boolean | undefined): { evidence: Evidence; problem?: string } {
  const mover = moverOf(rd);
  const field = `spec.${mover?.mover ?? 'kopia'}.repository`;
  const secret = str(at(mover?.spec, 'repository'));
  if (!secret) return { problem: `${refOf(rd)} names no repository Secret`, evidence: row('replicationdestinations', rd, field, 'unset', 'fail') };
  const ns = namespaceOf(rd);
  if (exists) return { evidence: row('replicationdestinations', rd, field, `Secret ${secret} exists`, 'pass') };
  return { problem: `${ns ? `${ns}/` : ''}${secret}`, evidence: row('replicationdestinations', rd, field, `Secret ${secret} missing`, 'fail') };
}

const secrets: Check = {
  id: 'restores.secrets',
  panel: 'restores',
  title: 'Every RD repository Secret exists',
  scope: 'status',
  inputs: ['replicationdestinations', 'secrets'],
  evaluate(snapshot, config) {
    const rds = replicationDestinations(snapshot, config);
    const problems: string[] = [];
    const evidence = rds.map((rd) => {
      const secret = str(at(moverOf(rd)?.spec, 'repository'));
      // The row depends on the RD and on whether its Secret exists: that answer is the cache's key.
      const exists = secret ? getObject(snapshot, 'secrets', namespaceOf(rd), secret) !== undefined : undefined;
      const finding = perObject(secretFindings, rd, exists, () => judgeSecret(rd, exists));
      if (finding.problem) problems.push(finding.problem);
      return finding.evidence;
    });
    if (!problems.length) return verdict('pass', `${rds.length}/${rds.length} repository Secrets present`, evidence);
    return verdict('fail', `${plural(problems.length, 'repository Secret')} missing (external-secrets not synced?): ${nameList(problems)}`, evidence);
  },
};

export type RestoreState = 'done' | 'running' | 'failed' | 'triggered' | 'not triggered';

const RESTORE_STATUS: Record<RestoreState, CheckStatus> = {
  done: 'pass',
  running: 'warn',
  failed: 'fail',
  triggered: 'warn',
  'not triggered': 'warn',
};

/** Where one RD's restore stands, and the message worth showing. */
export function restoreState(rd: KubeObject): { state: RestoreState; detail: string } {
  const sync = condition(rd, 'Synchronizing');
  const trigger = str(at(rd, 'spec', 'trigger', 'manual'));
  const lastManual = str(at(rd, 'status', 'lastManualSync'));
  const result = str(at(rd, 'status', 'latestMoverStatus', 'result'));
  const image = at(rd, 'status', 'latestImage');
  if (sync?.status === 'True') return { state: 'running', detail: describeCondition(sync) };
  if (result === 'Failed' || (sync?.status === 'False' && sync.reason === 'Error')) {
    const logs = str(at(rd, 'status', 'latestMoverStatus', 'logs'))
      ?.trim()
      .split('\n')
      .pop();
    return { state: 'failed', detail: (sync?.reason === 'Error' && sync.message) || logs || `mover result ${result}` };
  }
  if (trigger && trigger === lastManual && result === 'Successful' && image && typeof image === 'object') {
    return { state: 'done', detail: `restored (${trigger}) to ${str(at(image, 'name')) ?? 'a snapshot'}` };
  }
  // Why: a template's `restore-once` trigger is handled as soon as the RD is created, often against
  // an empty repository (seed issue 2); without a restored image it still needs a trigger of its own.
  if (trigger && trigger === lastManual) {
    return { state: 'not triggered', detail: `last trigger ${trigger} handled without a restored image (result ${result ?? 'none'})` };
  }
  if (trigger) return { state: 'triggered', detail: `trigger ${trigger} not started` };
  return { state: 'not triggered', detail: 'spec.trigger.manual unset' };
}

const progressStates = new WeakMap<object, { key: unknown; value: ReturnType<typeof progressState> }>();

/** One RD's restore state and its row. */
function progressState(rd: KubeObject) {
  const { state, detail } = restoreState(rd);
  return { rd, state, detail, evidence: row('replicationdestinations', rd, state, detail, RESTORE_STATUS[state]) };
}

const progress: Check = {
  id: 'restores.progress',
  panel: 'restores',
  title: 'Restores done',
  scope: 'status',
  inputs: ['replicationdestinations'],
  evaluate(snapshot, config) {
    const rds = replicationDestinations(snapshot, config);
    if (!rds.length) {
      const status = config.restores.expectedCount === 0 ? 'pass' : 'warn';
      return verdict(status, 'no ReplicationDestinations yet', []);
    }
    const states = rds.map((rd) => perObject(progressStates, rd, null, () => progressState(rd)));
    const counts = new Map<RestoreState, number>();
    for (const s of states) counts.set(s.state, (counts.get(s.state) ?? 0) + 1);
    const done = counts.get('done') ?? 0;
    const order: RestoreState[] = ['failed', 'running', 'triggered', 'not triggered'];
    const parts = order.filter((s) => counts.has(s)).map((s) => `${counts.get(s)} ${s}`);
    const failed = states.filter((s) => s.state === 'failed');
    const firstFailure = failed.length ? ` (${nameOf(failed[0].rd)}: ${failed[0].detail.slice(0, 80)})` : '';
    const summary = `${done}/${rds.length} restored${parts.length ? `: ${parts.join(', ')}` : ''}${firstFailure}`;
    const evidence = states.map((s) => s.evidence);
    const status = worst(states.map((s) => RESTORE_STATUS[s.state]));
    return verdict(status, summary, evidence, { fixes: [(counts.has('not triggered') || failed.length > 0) && 'restores-trigger'] });
  },
};

/** The RD a PVC restores from (dataSourceRef, else dataSource), or undefined. */
export function restoreSource(pvc: KubeObject): string | undefined {
  for (const field of ['dataSourceRef', 'dataSource']) {
    const ref = at(pvc, 'spec', field);
    if (str(at(ref, 'kind')) === 'ReplicationDestination' && str(at(ref, 'apiGroup')) === 'volsync.backube') {
      return str(at(ref, 'name'));
    }
  }
  return undefined;
}

/** The storage class a PVC asks for: `spec.storageClassName`, the old annotation, or the cluster's default. */
function storageClassOf(pvc: KubeObject): string | undefined {
  return str(at(pvc, 'spec', 'storageClassName')) ?? str(at(pvc, 'metadata', 'annotations', 'volume.beta.kubernetes.io/storage-class'));
}

/** The newest condition of a PVC (`Resizing`, `ModifyingVolume`, ...) as "reason: message", if it has one. */
function latestConditionText(pvc: KubeObject): string | undefined {
  const newest = conditions(pvc)
    .filter((c) => c.reason || c.message)
    .sort((a, b) => (parseTime(b.lastTransitionTime) ?? 0) - (parseTime(a.lastTransitionTime) ?? 0))[0];
  if (!newest) return undefined;
  return [newest.reason || newest.type, newest.message].filter(Boolean).join(': ');
}

/**
 * What a PVC that is not Bound is waiting for, from what drdeck watches (PVC events are not watched):
 * its RD, its StorageClass, the PV it names, the newest condition its status gives. `fail` when it
 * cannot bind as things stand (Lost, its RD or StorageClass missing), else `warn`.
 */
function unboundPvc(snapshot: Snapshot, pvc: KubeObject, clock: Clock = snapshot, named: Named = namedBy(snapshot, pvc)): UnboundFinding {
  const facts = pvcFacts(pvc);
  // What else the finding reads: the objects it names, their kinds' sync, and the age (which also
  // notes when the age next reads differently, whether or not the finding is made again).
  const [rd, sc, pv] = named;
  const age = facts.created === undefined ? '' : ` for ${durationSince(clock, facts.created)}`;
  const sync = snapshot.sync;
  const keys = [rd, sc, pv, sync?.replicationdestinations?.phase, sync?.storageclasses?.phase, sync?.persistentvolumes?.phase, age];
  return perRef(unboundFindings, pvc, keys, () => judgeUnbound(snapshot, facts, { rd, sc, pv, age }));
}

/** The RD, StorageClass and PV a PVC names, where they exist (none for a Bound PVC: its finding reads none). */
type Named = readonly [KubeObject | undefined, KubeObject | undefined, KubeObject | undefined];

/** A Bound PVC's: one array for all of them (this is asked of every PVC when an RD, class or PV changes). */
const NAMES_NOTHING: Named = [undefined, undefined, undefined];

function namedBy(snapshot: Snapshot, pvc: KubeObject): Named {
  const { phase, rdName, className, volume } = pvcFacts(pvc);
  if (phase === 'Bound') return NAMES_NOTHING;
  return [
    rdName !== undefined ? getObject(snapshot, 'replicationdestinations', namespaceOf(pvc), rdName) : undefined,
    className ? getObject(snapshot, 'storageclasses', undefined, className) : undefined,
    volume ? getObject(snapshot, 'persistentvolumes', undefined, volume) : undefined,
  ];
}

interface UnboundFinding {
  status: CheckStatus;
  value: string;
  why: string;
}

/** What a PVC says of itself that unboundPvc reads, once per PVC object. */
interface PvcFacts {
  phase: string;
  created?: number;
  className?: string;
  volume?: string;
  rdName?: string;
  condition?: string;
}

const pvcFactsOf = new WeakMap<object, { key: unknown; value: PvcFacts }>();

function pvcFacts(pvc: KubeObject): PvcFacts {
  return perObject(pvcFactsOf, pvc, null, () => ({
    phase: str(at(pvc, 'status', 'phase')) ?? 'no phase yet',
    created: parseTime(at(pvc, 'metadata', 'creationTimestamp')),
    className: storageClassOf(pvc),
    volume: str(at(pvc, 'spec', 'volumeName')),
    rdName: restoreSource(pvc),
    condition: latestConditionText(pvc),
  }));
}

/** unboundPvc's findings: the same value for a PVC while it and what it names read the same. */
const unboundFindings = refCache<UnboundFinding>();

function judgeUnbound(
  snapshot: Snapshot,
  { phase, className, volume, rdName, condition }: PvcFacts,
  found: { rd?: KubeObject; sc?: KubeObject; pv?: KubeObject; age: string },
): UnboundFinding {
  const classText = className === undefined ? 'default StorageClass' : className === '' ? 'no StorageClass (static)' : `StorageClass ${className}`;
  const reasons: string[] = [];
  let status: CheckStatus = phase === 'Lost' ? 'fail' : 'warn';
  if (phase === 'Lost') reasons.push(`its PV ${volume ?? '(none named)'} is gone`);
  if (rdName !== undefined) {
    const { rd } = found;
    if (!rd && snapshot.sync?.replicationdestinations?.phase === 'synced') {
      reasons.push(`RD ${rdName} missing`);
      status = 'fail';
    } else if (!rd) reasons.push(`RD ${rdName} not known`);
    else reasons.push(at(rd, 'status', 'latestImage') ? `RD ${rdName} has an image` : `waiting for RD ${rdName} to restore`);
  }
  if (className && snapshot.sync?.storageclasses?.phase === 'synced' && !found.sc) {
    reasons.push(`StorageClass ${className} not found`);
    status = 'fail';
  }
  if (volume && phase !== 'Lost' && snapshot.sync?.persistentvolumes?.phase === 'synced' && !found.pv) {
    reasons.push(`PV ${volume} not found`);
  }
  if (condition) reasons.push(condition);
  const why = reasons.join('; ') || (rdName === undefined ? 'not provisioned yet' : `waiting for RD ${rdName}`);
  return { status, value: `${phase}${found.age}, ${classText}: ${why}`, why };
}

const appPvcs: Check = {
  id: 'restores.app-pvcs',
  panel: 'restores',
  title: 'Restored app PVCs Bound',
  scope: 'status',
  inputs: ['persistentvolumeclaims'],
  optional: ['replicationdestinations', 'storageclasses', 'persistentvolumes'],
  clock: true,
  evaluate(snapshot, config) {
    const pvcs = listIn(snapshot, 'persistentvolumeclaims', config.restores.namespaces).filter((p) => restoreSource(p) !== undefined);
    const pending: string[] = [];
    const evidence: Evidence[] = pvcs.map((pvc) => {
      const rdName = restoreSource(pvc) ?? '?';
      const phase = str(at(pvc, 'status', 'phase'));
      if (phase === 'Bound') return row('persistentvolumeclaims', pvc, 'status.phase', `Bound (from RD ${rdName})`, 'pass');
      const unbound = unboundPvc(snapshot, pvc);
      pending.push(`${refOf(pvc)} (${unbound.why})`);
      return row('persistentvolumeclaims', pvc, 'status.phase', unbound.value, unbound.status);
    });
    if (!pvcs.length) return verdict('pass', 'no PVC restores from an RD', []);
    if (!pending.length) return verdict('pass', `${pvcs.length}/${pvcs.length} app PVCs Bound`, evidence);
    const status = worstOf(evidence);
    return verdict(status, `${pvcs.length - pending.length}/${pvcs.length} app PVCs Bound; waiting: ${nameList(pending, 2)}`, evidence);
  },
};

/**
 * Every other PVC: one that no RD restores is in no restore, but an app cannot start on it while it
 * is Pending or Lost either. The Kopia repository PVC is the Kopia panel's, so it is left out here.
 */
const otherPvcs: Check = {
  id: 'restores.other-pvcs',
  panel: 'restores',
  title: 'Other PVCs Bound',
  scope: 'status',
  inputs: ['persistentvolumeclaims'],
  optional: ['storageclasses', 'persistentvolumes'],
  clock: true,
  evaluate(snapshot, config) {
    const kopia = config.kopia.pvc;
    const pvcs = otherPvcsIn(listIn(snapshot, 'persistentvolumeclaims', config.restores.namespaces), kopia);
    // Each PVC's part: its finding while not Bound, else its name (interned: the same while Bound).
    // What else a finding reads: its kinds' sync, and the RD, StorageClass and PV it names (looked
    // up again only when one of those kinds changed).
    const { objects, sync } = snapshot;
    const phases = [sync?.replicationdestinations?.phase, sync?.storageclasses?.phase, sync?.persistentvolumes?.phase];
    const named = {
      key: [objects?.replicationdestinations, objects?.storageclasses, objects?.persistentvolumes],
      of: (pvc: KubeObject) => namedBy(snapshot, pvc),
    };
    const findings = perItemTimed(
      otherPvcFindings,
      pvcs,
      phases,
      snapshot,
      (pvc, clock, found) =>
        pvcFacts(pvc).phase === 'Bound' ? perRef(boundPvcs, pvc, null, () => refOf(pvc)) : unboundPvc(snapshot, pvc, clock, found as Named),
      named,
    );
    return memoParts(otherPvcsMemo, [findings], () => judgeOtherPvcs(pvcs, findings));
  },
};

/** The PVCs no RD restores, less Kopia's, by listing (one per snapshot of the PVCs) and Kopia's name. */
const otherPvcLists = new WeakMap<readonly KubeObject[], { kopia: string; list: readonly KubeObject[] }>();

const otherPvcFlags: ItemsMemo<boolean> = {};

function otherPvcsIn(pvcs: readonly KubeObject[], kopia: string): readonly KubeObject[] {
  const known = otherPvcLists.get(pvcs);
  if (known?.kopia === kopia) return known.list;
  const other = perItem(otherPvcFlags, pvcs, kopia, (p) => pvcFacts(p).rdName === undefined && refOf(p) !== kopia);
  const list = pvcs.filter((_, i) => other[i]);
  otherPvcLists.set(pvcs, { kopia, list });
  return list;
}

const boundPvcs = refCache<string>();
const otherPvcFindings: TimedItemsMemo<UnboundFinding | string> = {};
const otherPvcsMemo: PartsMemo<Verdict> = {};

/**
 * Each unbound PVC's row and summary text, by its finding (a finding is made anew whenever its value
 * may have changed). Why: while young PVCs' ages count seconds, some of them change every second, and
 * building all 4,000 rows again for those was most of an idle second at 20k.
 */
const otherPvcRows = new WeakMap<UnboundFinding, { pvc: KubeObject; row: Evidence; text: string }>();

function judgeOtherPvcs(pvcs: readonly KubeObject[], findings: ReadonlyArray<UnboundFinding | string>): Verdict {
  const unbound: string[] = [];
  const evidence: Evidence[] = [];
  pvcs.forEach((pvc, i) => {
    const finding = findings[i];
    if (typeof finding === 'string') return;
    let known = otherPvcRows.get(finding);
    if (known?.pvc !== pvc) {
      known = { pvc, row: row('persistentvolumeclaims', pvc, 'status.phase', finding.value, finding.status), text: `${refOf(pvc)} ${finding.value}` };
      otherPvcRows.set(finding, known);
    }
    unbound.push(known.text);
    evidence.push(known.row);
  });
  const bound = pvcs.length - unbound.length;
  if (!unbound.length) return verdict('pass', pvcs.length ? `${bound}/${pvcs.length} other PVCs Bound` : "no PVCs besides the restored ones and Kopia's", []);
  return verdict(worstOf(evidence), `${bound}/${pvcs.length} other PVCs Bound; not Bound: ${nameList(unbound, 2)}`, evidence);
}

/** The PVC names a Deployment's pod template mounts. */
export function mountedClaims(deployment: unknown): string[] {
  const names = arr(at(deployment, 'spec', 'template', 'spec', 'volumes')).map((v) => str(at(v, 'persistentVolumeClaim', 'claimName')));
  return [...new Set(names.filter((n): n is string => Boolean(n)))];
}

/** Default `spec.progressDeadlineSeconds` of a Deployment. */
const PROGRESS_DEADLINE_S = 600;

/**
 * When the PVC's volume turned Bound (its PV's `status.lastPhaseTransitionTime`, Kubernetes 1.29+),
 * or undefined when that cannot be told.
 */
function boundAt(snapshot: Snapshot, pvc: KubeObject): number | undefined {
  const pvName = str(at(pvc, 'spec', 'volumeName'));
  const pv = pvName ? getObject(snapshot, 'persistentvolumes', undefined, pvName) : undefined;
  return str(at(pv, 'status', 'phase')) === 'Bound' ? parseTime(at(pv, 'status', 'lastPhaseTransitionTime')) : undefined;
}

/** One app's Deployment: running, waiting (for its PVCs, or starting), or failed (with why). */
function appState(snapshot: Snapshot, deployment: KubeObject): { status: CheckStatus; value: string; why?: string } {
  const replicas = `${num(at(deployment, 'status', 'availableReplicas')) ?? 0}/${num(at(deployment, 'spec', 'replicas')) ?? 1} replicas available`;
  if (deploymentAvailable(deployment)) return { status: 'pass', value: `running (${replicas})` };
  const ns = namespaceOf(deployment);
  const claims = mountedClaims(deployment).map((name) => ({ name, pvc: getObject(snapshot, 'persistentvolumeclaims', ns, name) }));
  const unbound = claims.filter((c) => str(at(c.pvc, 'status', 'phase')) !== 'Bound');
  if (unbound.length) {
    const first = unbound[0];
    const why = `PVC ${first.name} ${first.pvc ? (str(at(first.pvc, 'status', 'phase')) ?? 'not Bound') : 'missing'}${unbound.length > 1 ? ` +${unbound.length - 1} more` : ''}`;
    return { status: 'warn', value: `waiting: ${why} (${replicas})`, why };
  }
  const failure = condition(deployment, 'ReplicaFailure');
  if (failure?.status === 'True') {
    const why = `${failure.reason || 'ReplicaFailure'}: ${failure.message || 'replica failure'}`;
    return { status: 'fail', value: `${replicas}; ReplicaFailure ${describeCondition(failure)}`, why };
  }
  const progressing = condition(deployment, 'Progressing');
  if (progressing?.status === 'False') {
    // Why a grace: pods wait on an unbound PVC far longer than the progress deadline, so a restored
    // app's Deployment has usually timed out before its PVC binds; the controller clears that once
    // the pod is up. Only a deadline exceeded after the binding, or a whole deadline since, fails.
    const bound = claims.map((c) => (c.pvc ? boundAt(snapshot, c.pvc) : undefined));
    const lastBound = bound.every((t) => t !== undefined) ? Math.max(...(bound as number[])) : undefined;
    const since = parseTime(progressing.lastTransitionTime);
    const deadlineMs = (num(at(deployment, 'spec', 'progressDeadlineSeconds')) ?? PROGRESS_DEADLINE_S) * 1000;
    if (lastBound !== undefined && since !== undefined && since < lastBound && shorterThan(snapshot, lastBound, deadlineMs)) {
      const why = `starting: its PVCs bound ${durationSince(snapshot, lastBound)} ago`;
      return { status: 'warn', value: `${replicas}; ${why} (${progressing.reason || 'Progressing False'} while waiting)`, why };
    }
    const why = `${progressing.reason || 'Progressing False'}: ${progressing.message || 'no progress'}`;
    return { status: 'fail', value: `${replicas}; Progressing ${describeCondition(progressing)}`, why };
  }
  return { status: 'warn', value: `starting (${replicas})`, why: `starting: ${replicas}` };
}

const appsRunning: Check = {
  id: 'restores.apps-running',
  panel: 'restores',
  title: 'Apps on restored PVCs running',
  scope: 'status',
  inputs: ['persistentvolumeclaims', 'deployments'],
  optional: ['replicationdestinations', 'persistentvolumes'],
  clock: true,
  evaluate(snapshot, config) {
    const pvcs = listIn(snapshot, 'persistentvolumeclaims', config.restores.namespaces).filter((p) => restoreSource(p) !== undefined);
    if (!pvcs.length) return verdict('pass', 'no PVC restores from an RD', []);
    const restored = new Set(pvcs.map(refOf));
    // The Deployments mounting a restored PVC of their namespace, each once.
    const mounting = new Map<string, KubeObject[]>();
    const apps = listObjects(snapshot, 'deployments').filter((d) => {
      const ns = namespaceOf(d);
      const claims = mountedClaims(d).filter((c) => restored.has(ns ? `${ns}/${c}` : c));
      for (const c of claims) pushTo(mounting, ns ? `${ns}/${c}` : c, d);
      return claims.length > 0;
    });
    const evidence: Evidence[] = [];
    const failed: string[] = [];
    const waiting: string[] = [];
    let running = 0;
    for (const app of apps) {
      const state = appState(snapshot, app);
      evidence.push(row('deployments', app, 'status.availableReplicas', state.value, state.status));
      if (state.status === 'pass') running++;
      else (state.status === 'fail' ? failed : waiting).push(`${refOf(app)} (${state.why})`);
    }
    for (const pvc of pvcs) {
      if (mounting.has(refOf(pvc))) continue;
      evidence.push(row('persistentvolumeclaims', pvc, 'mounted by', 'no Deployment mounts it', 'warn'));
      waiting.push(`${refOf(pvc)} (no Deployment mounts it)`);
    }
    const total = apps.length + pvcs.filter((p) => !mounting.has(refOf(p))).length;
    const parts = [`${running}/${total} apps running`];
    if (failed.length) parts.push(`failed: ${nameList(failed, 2)}`);
    if (waiting.length) parts.push(`waiting: ${nameList(waiting, failed.length ? 1 : 2)}`);
    return verdict(worstOf(evidence), parts.join('; '), evidence);
  },
};

const count: Check = {
  id: 'restores.count',
  panel: 'restores',
  title: 'Expected number of RDs',
  scope: 'spec',
  inputs: ['replicationdestinations'],
  evaluate(snapshot, config) {
    const rds = replicationDestinations(snapshot, config);
    const expected = config.restores.expectedCount;
    const evidence = [
      {
        kind: 'ReplicationDestination',
        name: 'count',
        field: 'items',
        value: `${rds.length} of ${expected} expected`,
        status: (rds.length === expected ? 'pass' : 'warn') as CheckStatus,
      },
    ];
    if (rds.length === expected) return verdict('pass', `${rds.length}/${expected} ReplicationDestinations`, evidence);
    const delta =
      rds.length < expected
        ? `${expected - rds.length} missing: app Kustomizations not applied yet?`
        : `${rds.length - expected} more than restores.expectedCount`;
    return verdict('warn', `${rds.length}/${expected} ReplicationDestinations (${delta})`, evidence);
  },
};

/** The Restores panel's checks, in display order. */
export const RESTORES_CHECKS: readonly Check[] = [copyMethod, ssaIfNotPresent, secrets, progress, appPvcs, otherPvcs, appsRunning, count];
