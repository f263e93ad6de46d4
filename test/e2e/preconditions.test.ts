/**
 * Deletes and destructive patches act only on the object the operator saw, on the real API server:
 * drdeck plans kopia-reclaim and shows it (the confirm screen's state), the cluster changes under
 * it the way Flux would change it, the operator confirms, and the server refuses the stale request
 * (409 on its preconditions). The new object is still there and the outcome says why.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import type { KubeObject } from '../../src/cluster.js';
import { parseConfig } from '../../src/config/load.js';
import { KubeCluster } from '../../src/k8s/kube-cluster.js';
import { resolveKubeconfig } from '../../src/k8s/kubeconfig.js';
import { startSession, waitForSync, type Session } from '../../src/session.js';
import { foldAudit, type AuditRecord } from '../../src/state/audit-log.js';
import { adminClient, CAN_RUN, createNamespace, FAST_WATCH, skipWithoutGo, startE2eCluster, waitFor } from './harness.js';

const execFileP = promisify(execFile);

const CLUSTER_ID = '5b3e1f0a-9c7d-4e2b-8a61-2f4c9d7e3b10';
const SAVED = `0001-0024-${CLUSTER_ID}-0000000000000001-c2d9e0f4-7a1b-4c3e-9f58-6d2a0b4e1c73`;
const WRONG = `0001-0024-${CLUSTER_ID}-0000000000000001-8e4f2a6c-1d3b-4f7e-a0c9-5b7d3e1f9a24`;

let env: Awaited<ReturnType<typeof startE2eCluster>> | undefined;
let admin: KubeCluster;
before(async () => {
  if (!CAN_RUN) return;
  env = await startE2eCluster('preconditions');
  admin = adminClient(env.cluster.kubeconfig);
});
after(async () => {
  admin?.close();
  await env?.stop();
});

/** kubectl as the admin, the way Flux's changes reach the server (one line of error when it fails). */
async function kubectl(args: string[], input?: string): Promise<string> {
  const child = execFileP('kubectl', ['--kubeconfig', env!.cluster.kubeconfig, ...args], { timeout: 30_000 });
  if (input !== undefined) child.child.stdin!.end(input);
  return (await child).stdout;
}

function cephPv(name: string, handle: string, policy: string, claim: { namespace: string; name: string }): KubeObject {
  return {
    metadata: { name },
    spec: {
      capacity: { storage: '1Gi' },
      accessModes: ['ReadWriteMany'],
      persistentVolumeReclaimPolicy: policy,
      storageClassName: '',
      claimRef: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', ...claim },
      csi: { driver: 'cephfs.csi.ceph.com', volumeHandle: handle, volumeAttributes: { clusterID: CLUSTER_ID, fsName: 'cephfs' } },
    },
  };
}

/** The Kopia PVC as Flux applies it from Git (kopia-repository-pvc.yaml), bound by name to `volumeName`. */
function kopiaPvcManifest(namespace: string, volumeName: string): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: 'kopia', namespace, labels: { 'kustomize.toolkit.fluxcd.io/name': 'kopia', 'kustomize.toolkit.fluxcd.io/namespace': 'flux-system' } },
    spec: { accessModes: ['ReadWriteMany'], resources: { requests: { storage: '1Gi' } }, storageClassName: '', volumeName },
  });
}

/** drdeck as the TUI runs it: a live session whose store plans, confirms and applies fixes, auditing each attempt. */
async function deck(namespace: string): Promise<{ session: Session; audit: AuditRecord[] }> {
  const audit: AuditRecord[] = [];
  const kube = new KubeCluster({ kubeconfig: resolveKubeconfig({ kubeconfig: env!.cluster.kubeconfig }), watch: FAST_WATCH });
  const config = parseConfig({ kopia: { pvc: `${namespace}/kopia`, savedVolumeHandle: SAVED } }, 'e2e');
  const session = startSession({ cluster: kube, resolver: undefined, config, flushMs: 20, fixes: { readOnly: false, audit: (e) => audit.push(e) } });
  await waitForSync(session, 30_000);
  return { session, audit };
}

/** Presses the fix's key and waits for its confirm screen (the plan and its dry run). */
async function openConfirm(session: Session) {
  await session.store.getState().requestFix('kopia-reclaim');
  const activity = session.store.getState().fixes['kopia-reclaim'];
  assert.equal(activity?.phase, 'confirm', activity?.message);
  return activity!.prepared!;
}

/** Confirms (typing the name when asked) and waits for the outcome. */
async function confirm(session: Session, typed?: string) {
  if (typed) session.store.getState().typeConfirm(typed);
  await session.store.getState().confirmFix();
  return waitFor(
    'the outcome',
    () => {
      const a = session.store.getState().fixes['kopia-reclaim'];
      return a && (a.phase === 'done' || a.phase === 'failed') ? a : undefined;
    },
    60_000,
  );
}

test('kopia-reclaim: Flux recreates the PVC while the operator confirms; the new PVC is not deleted, the outcome says why', async (t) => {
  if (skipWithoutGo(t)) return;
  const ns = 'pre-recreated';
  await createNamespace(env!.cluster.kubeconfig, ns);
  await admin.create('persistentvolumes', cephPv('pv-wrong-a', WRONG, 'Retain', { namespace: ns, name: 'kopia' }));
  await kubectl(['apply', '-f', '-'], kopiaPvcManifest(ns, 'pv-wrong-a'));
  const { session, audit } = await deck(ns);
  try {
    await waitFor('the PVC in the store', () => session.store.getState().objects.persistentvolumeclaims.get(`${ns}/kopia`));
    const seen = session.store.getState().objects.persistentvolumeclaims.get(`${ns}/kopia`)!;
    const prepared = await openConfirm(session);
    assert.deepEqual(
      prepared.plan.requests.map((r) => `${r.verb} ${r.kind} ${r.name}`),
      ['delete persistentvolumeclaims kopia', `create persistentvolumes ${prepared.plan.requests[1].name}`, 'create persistentvolumeclaims kopia'],
    );
    // What the confirm screen shows of the delete: the uid of the PVC the operator is looking at.
    assert.deepEqual(prepared.plan.requests[0].body, {
      apiVersion: 'v1',
      kind: 'DeleteOptions',
      preconditions: { uid: seen.metadata.uid, resourceVersion: seen.metadata.resourceVersion },
    });
    assert.ok(
      prepared.plan.details.some((d) => d.startsWith(`will delete PVC ${ns}/kopia: `) && d.endsWith(`uid ${seen.metadata.uid}`)),
      prepared.plan.details.join('\n'),
    );
    assert.equal(prepared.dryRun.map((r) => r.error ?? 'ok').join(', '), 'ok, ok, ok');

    // With preconditions the DeleteOptions go in the body, where the server reads dryRun from too.
    assert.equal((await admin.get('persistentvolumeclaims', ns, 'kopia')).metadata.uid, seen.metadata.uid, 'the dry run deleted nothing');

    // Meanwhile Flux prunes the PVC and applies it again from Git: the same name, a new uid.
    await kubectl(['delete', 'pvc', 'kopia', '-n', ns, '--wait=true']);
    await kubectl(['apply', '-f', '-'], kopiaPvcManifest(ns, 'pv-wrong-a'));
    const recreated = await admin.get('persistentvolumeclaims', ns, 'kopia');
    assert.notEqual(recreated.metadata.uid, seen.metadata.uid);

    const outcome = await confirm(session, 'kopia');
    assert.equal(outcome.phase, 'failed');
    assert.equal(
      outcome.message,
      `the PVC ${ns}/kopia changed since you confirmed (deleted and created again: uid ${seen.metadata.uid} as planned, now ${recreated.metadata.uid}): nothing was deleted; look again`,
    );
    const now = await admin.get('persistentvolumeclaims', ns, 'kopia');
    assert.equal(now.metadata.uid, recreated.metadata.uid, 'the new PVC is still there');
    assert.equal(now.metadata.deletionTimestamp, undefined, 'and not being deleted');
    const pvs = (await admin.list('persistentvolumes')).items.map((pv) => pv.metadata.name);
    assert.equal(pvs.includes(prepared.plan.requests[1].name), false, 'nothing after the refused delete was sent');
    const last = foldAudit(audit).at(-1)!;
    assert.deepEqual([last.fixId, last.outcome, last.message], ['kopia-reclaim', 'failed', outcome.message]);
  } finally {
    session.close();
  }
});

test('kopia-reclaim: a PV changed after the plan is not patched; the Retain patch is refused with 409, the outcome says why', async (t) => {
  if (skipWithoutGo(t)) return;
  const ns = 'pre-modified';
  await createNamespace(env!.cluster.kubeconfig, ns);
  await admin.create('persistentvolumes', cephPv('pv-saved-b', SAVED, 'Delete', { namespace: ns, name: 'kopia' }));
  await kubectl(['apply', '-f', '-'], kopiaPvcManifest(ns, 'pv-saved-b'));
  const { session } = await deck(ns);
  try {
    await waitFor('the PV in the store', () => session.store.getState().objects.persistentvolumes.get('pv-saved-b'));
    const seen = session.store.getState().objects.persistentvolumes.get('pv-saved-b')!;
    const prepared = await openConfirm(session);
    const [pvPatch] = prepared.plan.requests;
    assert.deepEqual([pvPatch.verb, pvPatch.kind, pvPatch.name], ['patch', 'persistentvolumes', 'pv-saved-b']);
    assert.deepEqual(pvPatch.body, {
      spec: { persistentVolumeReclaimPolicy: 'Retain' },
      metadata: { uid: seen.metadata.uid, resourceVersion: seen.metadata.resourceVersion },
    });

    // Someone edits the PV meanwhile: the same object, a new resourceVersion.
    await kubectl(['label', 'pv', 'pv-saved-b', 'edited=by-hand']);
    const outcome = await confirm(session);
    assert.equal(outcome.phase, 'failed');
    assert.equal(
      outcome.message,
      `the PV pv-saved-b changed since you confirmed (modified: uid ${seen.metadata.uid} at resourceVersion ${seen.metadata.resourceVersion} as planned): it was not changed; look again`,
    );
    const pv = await admin.get('persistentvolumes', undefined, 'pv-saved-b');
    assert.equal(pv.spec.persistentVolumeReclaimPolicy, 'Delete', 'not patched');
    assert.equal(pv.metadata.labels?.edited, 'by-hand');
  } finally {
    session.close();
  }
});
