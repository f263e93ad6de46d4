/**
 * Who may do what, against a real kube-apiserver with drdeck's RBAC: the viewer sees everything and
 * can change nothing; a user who may not list a kind sees it as forbidden until RBAC is fixed; the
 * writes drdeck's fixes will send (dry run, field manager, patch types, status) and the errors they
 * get back, in the API server's own words.
 */
import { ALL_CHECKS } from '../../src/checks/index.js';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { apiClient } from '../cluster/client.js';
import { ClusterError, type KubeObject } from '../../src/cluster.js';
import { KIND_KEYS, KINDS } from '../../src/kinds.js';
import { adminClient, CAN_RUN, createNamespace, kubeconfigVariant, liveSession, service, skipWithoutGo, startE2eCluster, waitFor } from './harness.js';

let env: Awaited<ReturnType<typeof startE2eCluster>> | undefined;
before(async () => {
  if (CAN_RUN) env = await startE2eCluster('access');
});
after(async () => {
  await env?.stop();
});

const rejectsWith = (code: number, message: RegExp) => (error: unknown) => {
  assert.ok(error instanceof ClusterError, `a ClusterError, not ${String(error)}`);
  assert.equal(error.code, code, error.message);
  assert.match(error.message, message);
  return true;
};

test('the viewer: every kind synced, every check evaluated, Secrets read as metadata only, no write allowed', async (t) => {
  if (skipWithoutGo(t)) return;
  const { cluster } = env!;
  const admin = adminClient(cluster.kubeconfig);
  await createNamespace(cluster.kubeconfig, 'viewer');
  await admin.create('secrets', { metadata: { name: 'kopia-repo', namespace: 'viewer' }, stringData: { password: 'e2e-not-a-real-password' } } as KubeObject);
  const session = liveSession(cluster.viewerKubeconfig);
  try {
    await waitFor('every kind synced', () => KIND_KEYS.every((kind) => session.store.getState().sync[kind].phase === 'synced'));
    session.buffer.flush();
    const results = Object.values(session.store.getState().results);
    assert.equal(results.length, ALL_CHECKS.length);
    for (const r of results) {
      assert.notEqual(r.status, 'pending', `${r.id}: ${r.summary}`);
      assert.doesNotMatch(r.summary, /check failed|forbidden/, r.id);
    }

    const secret = session.store.getState().objects.secrets.get('viewer/kopia-repo');
    assert.equal(secret?.kind, 'Secret');
    const listed = await session.kube.list('secrets', 'viewer');
    assert.equal(JSON.stringify(listed).includes('e2e-not-a-real-password'), false);
    assert.equal(JSON.stringify(listed).includes(Buffer.from('e2e-not-a-real-password').toString('base64')), false, 'not even base64');
    assert.equal(listed.items[0]?.kind, 'Secret');

    await assert.rejects(
      session.kube.patch('services', 'default', 'kubernetes', { metadata: { labels: { x: 'y' } } }, 'merge', { dryRun: true }),
      rejectsWith(403, /^services "kubernetes" is forbidden: User "viewer" cannot patch resource "services" in API group "" in the namespace "default"$/),
    );
    const may = await session.kube.canI('patch', 'replicationdestinations', 'volsync.backube', 'default');
    assert.deepEqual({ allowed: may.allowed, need: may.need }, { allowed: false, need: 'patch on replicationdestinations.volsync.backube in default' });
    assert.equal((await session.kube.canIKind('list', 'kustomizations')).allowed, true);
  } finally {
    session.close();
    admin.close();
  }
});

test('a kind the user may not list shows forbidden, the rest works, and a fixed RBAC is picked up', async (t) => {
  if (skipWithoutGo(t)) return;
  const { cluster } = env!;
  // The admin impersonating a user with one ClusterRole (client-node sends Impersonate-User for `as`).
  const kubeconfig = kubeconfigVariant(cluster.kubeconfig, join(cluster.dir, 'kubeconfig-limited'), { user: { as: 'limited' } });
  const rbac = apiClient(cluster.kubeconfig, RbacAuthorizationV1Api);
  const role = (resources: Array<[string, string]>) => ({
    metadata: { name: 'e2e-limited' },
    rules: resources.map(([group, plural]) => ({ apiGroups: [group], resources: [plural], verbs: ['list', 'watch'] })),
  });
  const everythingBut = KIND_KEYS.filter((k) => k !== 'kustomizations').map((k) => [KINDS[k].group, k] as [string, string]);
  await rbac.createClusterRole({ body: role(everythingBut) });
  await rbac.createClusterRoleBinding({
    body: {
      metadata: { name: 'e2e-limited' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'e2e-limited' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'limited' }],
    },
  });
  const session = liveSession(kubeconfig);
  try {
    const sync = () => session.store.getState().sync;
    await waitFor(
      'kustomizations forbidden, the rest synced',
      () => sync().kustomizations.phase === 'forbidden' && KIND_KEYS.every((k) => k === 'kustomizations' || sync()[k].phase === 'synced'),
    );
    assert.equal(sync().kustomizations.detail, 'needs list on kustomizations.kustomize.toolkit.fluxcd.io');
    await waitFor('flush', () => session.store.getState().results['flux.essential']?.status === 'unknown');
    assert.match(session.store.getState().results['flux.essential'].summary, /forbidden/);
    assert.equal(session.store.getState().results['loadbalancers.external-ip'].status, 'pass');

    await rbac.replaceClusterRole({ name: 'e2e-limited', body: role(KIND_KEYS.map((k) => [KINDS[k].group, k] as [string, string])) });
    await waitFor('kustomizations synced once RBAC allows it', () => sync().kustomizations.phase === 'synced', 15_000);
  } finally {
    session.close();
  }
});

test("writes: dry run, field manager, the three patch types, status, and the server's error messages", async (t) => {
  if (skipWithoutGo(t)) return;
  const { cluster } = env!;
  const admin = adminClient(cluster.kubeconfig);
  try {
    await createNamespace(cluster.kubeconfig, 'writes');
    await admin.create('services', service('writes', 'dry'), { dryRun: true });
    await assert.rejects(admin.get('services', 'writes', 'dry'), rejectsWith(404, /^services "dry" not found$/));

    const created = await admin.create('services', service('writes', 'web'));
    assert.ok(
      created.metadata.managedFields?.some((m) => m.manager === 'drdeck'),
      'field manager drdeck',
    );
    await admin.patch('services', 'writes', 'web', { metadata: { labels: { a: '1' } } }, 'merge');
    await admin.patch('services', 'writes', 'web', [{ op: 'add', path: '/metadata/labels/b', value: '2' }], 'json');
    await admin.patch('services', 'writes', 'web', { spec: { ports: [{ port: 443, name: 'https' }] } }, 'strategic');
    const web = await admin.get('services', 'writes', 'web');
    assert.deepEqual(web.metadata.labels, { a: '1', b: '2' });
    // Strategic merge merges the ports list by port: 80 stays, 443 is added.
    assert.deepEqual(
      web.spec.ports.map((p: { port: number }) => p.port).sort((a: number, b: number) => a - b),
      [80, 443],
    );
    await admin.patch('services', 'writes', 'web', { metadata: { labels: { c: '3' } } }, 'merge', { dryRun: true });
    assert.equal((await admin.get('services', 'writes', 'web')).metadata.labels?.c, undefined, 'a dry run changes nothing');

    const rd = {
      metadata: { name: 'app-dst', namespace: 'writes' },
      spec: { trigger: { manual: 'once' }, kopia: { repository: 'app-kopia', copyMethod: 'Snapshot', capacity: '1Gi' } },
    };
    await admin.create('replicationdestinations', rd);
    await admin.patch('replicationdestinations', 'writes', 'app-dst', { status: { lastManualSync: 'once' } }, 'merge', { subresource: 'status' });
    assert.equal((await admin.get('replicationdestinations', 'writes', 'app-dst')).status?.lastManualSync, 'once');
    await assert.rejects(
      admin.patch('replicationdestinations', 'writes', 'app-dst', { spec: { kopia: { copyMethod: 'Bogus' } } }, 'merge'),
      rejectsWith(422, /^ReplicationDestination\.volsync\.backube "app-dst" is invalid: spec\.kopia\.copyMethod: Unsupported value: "Bogus"/),
    );
    await assert.rejects(
      admin.patch('replicationdestinations', 'writes', 'app-dst', { spec: {} }, 'strategic'),
      rejectsWith(415, /^the body of the request was in an unknown format - accepted media types include: application\/json-patch\+json/),
    );
    await admin.delete('replicationdestinations', 'writes', 'app-dst', { dryRun: true });
    await admin.get('replicationdestinations', 'writes', 'app-dst');
    await admin.delete('replicationdestinations', 'writes', 'app-dst');
    await assert.rejects(admin.get('replicationdestinations', 'writes', 'app-dst'), rejectsWith(404, /not found/));
  } finally {
    admin.close();
  }
});
