/**
 * Smoke test of the real test API server: it starts, serves every CRD kind drdeck watches, enforces
 * drdeck's RBAC and the CRDs' validation, restarts, compacts, and stops without leaving a process.
 * Builds kube-apiserver and etcd first when they are not cached (minutes; see README.md).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ApiextensionsV1Api, CoreV1Api, CustomObjectsApi, KubernetesObjectApi, PatchStrategy, VersionApi, setHeaderOptions } from '@kubernetes/client-node';
import { KINDS, KIND_KEYS, apiVersionOf } from '../../src/kinds.js';
import { binaryPaths, findGo } from './build.js';
import { apiClient, statusOf } from './client.js';
import { compactEtcd, isOurProcess, readPids, restartApiServer, startCluster, type Cluster } from './cluster.js';

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/** Runs FN and returns the HTTP status of the error it throws (fails when it does not throw). */
async function statusOfFailure(fn: () => Promise<unknown>): Promise<number | undefined> {
  try {
    await fn();
  } catch (error) {
    return statusOf(error);
  }
  assert.fail('expected the request to fail');
}

test('test cluster: a real kube-apiserver with the CRDs and RBAC drdeck needs', { timeout: 45 * 60_000 }, async (t) => {
  if (!findGo() && !process.env.CI) {
    t.skip('SKIPPED: go not found');
    return;
  }
  const dir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'drdeck-cluster-'));
  let cluster: Cluster | undefined;
  try {
    cluster = await startCluster(dir, { stopOnExit: true, log: (line) => t.diagnostic(line) });
    const c = cluster;
    const admin = apiClient(c.kubeconfig, CustomObjectsApi);
    const adminCore = apiClient(c.kubeconfig, CoreV1Api);

    await t.test('the server reports the pinned Kubernetes version', async () => {
      const version = await apiClient(c.kubeconfig, VersionApi).getCode();
      assert.equal(version.gitVersion, binaryPaths().k8sVersion);
    });

    await t.test('every CRD kind drdeck watches is served and empty', async () => {
      const list = await admin.listClusterCustomObject({ group: 'kustomize.toolkit.fluxcd.io', version: 'v1', plural: 'kustomizations' });
      assert.deepEqual((list as { items: unknown[] }).items, []);
      for (const key of KIND_KEYS.filter((k) => KINDS[k].crd)) {
        const { group, version, plural } = KINDS[key];
        const result = (await admin.listClusterCustomObject({ group, version, plural })) as { items: unknown[] };
        assert.deepEqual(result.items, [], `${plural}.${group}/${version}`);
      }
    });

    await t.test('the viewer can list every kind drdeck watches, and cannot patch', async () => {
      const viewer = apiClient(c.viewerKubeconfig, KubernetesObjectApi);
      for (const key of KIND_KEYS) {
        await viewer.list(apiVersionOf(KINDS[key]), KINDS[key].kind);
      }
      const services = await apiClient(c.viewerKubeconfig, CoreV1Api).listServiceForAllNamespaces();
      assert.ok(services.items.some((s) => s.metadata?.name === 'kubernetes'));
      const patch = () =>
        apiClient(c.viewerKubeconfig, CoreV1Api).patchNamespacedService(
          { name: 'kubernetes', namespace: 'default', body: { metadata: { labels: { drdeck: 'x' } } } },
          mergePatch,
        );
      assert.equal(await statusOfFailure(patch), 403);
      // Secrets: list/watch only (drdeck needs their existence, never a single Secret's data).
      await apiClient(c.viewerKubeconfig, CoreV1Api).listSecretForAllNamespaces();
      const readSecret = () => apiClient(c.viewerKubeconfig, CoreV1Api).readNamespacedSecret({ name: 'any', namespace: 'default' });
      assert.equal(await statusOfFailure(readSecret), 403);
    });

    await t.test('the operator may patch a Service (server-side dry run)', async () => {
      await apiClient(c.operatorKubeconfig, CoreV1Api).patchNamespacedService(
        { name: 'kubernetes', namespace: 'default', dryRun: 'All', body: { metadata: { labels: { drdeck: 'x' } } } },
        mergePatch,
      );
    });

    await t.test('Services get an IPv4 and an IPv6 ClusterIP with RequireDualStack', async () => {
      const svc = await adminCore.createNamespacedService({
        namespace: 'default',
        body: {
          metadata: { name: 'dual' },
          spec: { type: 'LoadBalancer', ipFamilyPolicy: 'RequireDualStack', ports: [{ port: 443 }] },
        },
      });
      assert.equal(svc.spec?.clusterIPs?.length, 2);
      assert.deepEqual(svc.spec?.ipFamilies, ['IPv4', 'IPv6']);
    });

    await t.test('the VolSync CRD has the Kopia mover and rejects an unknown copyMethod', async () => {
      const crd = await apiClient(c.kubeconfig, ApiextensionsV1Api).readCustomResourceDefinition({
        name: 'replicationdestinations.volsync.backube',
      });
      const spec = crd.spec.versions[0].schema?.openAPIV3Schema?.properties?.spec;
      assert.ok(spec?.properties?.kopia, 'spec.kopia is in the schema');
      const rd = (name: string, copyMethod: string) => ({
        group: 'volsync.backube',
        version: 'v1alpha1',
        namespace: 'default',
        plural: 'replicationdestinations',
        body: {
          apiVersion: 'volsync.backube/v1alpha1',
          kind: 'ReplicationDestination',
          metadata: { name },
          spec: { trigger: { manual: 'restore-once' }, kopia: { repository: 'app-kopia', copyMethod, capacity: '1Gi' } },
        },
      });
      assert.equal(await statusOfFailure(() => admin.createNamespacedCustomObject(rd('bogus', 'Bogus'))), 422);
      await admin.createNamespacedCustomObject(rd('app-dst', 'Snapshot'));
      const read = (await admin.getNamespacedCustomObject({ ...rd('app-dst', ''), name: 'app-dst' })) as {
        spec: { kopia?: { copyMethod?: string; repository?: string } };
      };
      assert.deepEqual(read.spec.kopia, { repository: 'app-kopia', copyMethod: 'Snapshot', capacity: '1Gi' });
    });

    await t.test('after etcd compaction and an API server restart, an old resourceVersion is 410 Gone', async () => {
      const cm = await adminCore.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'old' } } });
      const old = cm.metadata?.resourceVersion ?? '';
      await adminCore.patchNamespacedConfigMap({ name: 'old', namespace: 'default', body: { data: { a: 'b' } } }, mergePatch);
      assert.ok((await compactEtcd(c.dir)) > Number(old));
      // The watch cache still holds the old revision until the restart; etcd no longer does.
      const before = c.pids['kube-apiserver'];
      const restarted = await restartApiServer(c.dir);
      assert.notEqual(restarted.pids['kube-apiserver'], before);
      assert.equal(isOurProcess(before, c.dir), false);
      assert.equal(restarted.server, c.server);
      const core = apiClient(restarted.kubeconfig, CoreV1Api);
      const listAtOld = () => core.listNamespacedConfigMap({ namespace: 'default', resourceVersion: old, resourceVersionMatch: 'Exact' });
      assert.equal(await statusOfFailure(listAtOld), 410);
      const kept = await core.readNamespacedConfigMap({ name: 'old', namespace: 'default' });
      assert.deepEqual(kept.data, { a: 'b' });
    });
  } finally {
    const pids = Object.values(readPids(dir));
    await cluster?.stop();
    for (const pid of pids) assert.equal(isOurProcess(pid, dir), false, `process ${pid} is gone`);
    // Gone, or a zombie: a process that has exited but whose parent (this sandbox's PID 1 does not reap
    // orphans) has not collected it yet is not running anything.
    for (const pid of pids) assert.ok(!runs(pid), `no process ${pid}`);
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Whether a process with this pid is alive and not a zombie. */
function runs(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}
