/**
 * A kind served at another version than drdeck's newest, on the real API server: an older Flux
 * whose HelmRelease CRD serves v2beta2 only. drdeck must find it there (not "HelmRelease: not
 * installed"), list and watch it, keep the version it was served at, judge it like any other, and
 * write to it at that version: a status patch, and a fix's server-side dry run.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ApiextensionsV1Api, CustomObjectsApi, type V1CustomResourceDefinition } from '@kubernetes/client-node';
import { apiClient } from '../cluster/client.js';
import { crdFiles, readCrds } from '../cluster/crds.js';
import { KIND_KEYS } from '../../src/kinds.js';
import { panelSyncNote } from '../../src/store/selectors.js';
import { adminClient, CAN_RUN, createNamespace, liveSession, skipWithoutGo, startE2eCluster, syncExcept, waitFor } from './harness.js';
import { runCli } from './run-cli.js';

const CRD = 'helmreleases.helm.toolkit.fluxcd.io';
const GROUP = 'helm.toolkit.fluxcd.io';
const OLD = 'v2beta2';
const NS = 'media';

let env: Awaited<ReturnType<typeof startE2eCluster>> | undefined;

const statusOf = (error: unknown) => (error as { code?: number }).code;

/**
 * Replaces the upstream HelmRelease CRD (v2 only) with a copy that serves the same schema as
 * `version` only, as a Flux of before 2.3 had it. Why delete and create: a CRD cannot drop a
 * version it has stored objects at, and a fresh cluster's CRD has v2 in its storedVersions.
 */
async function serveHelmReleasesOnlyAt(kubeconfig: string, version: string): Promise<void> {
  const upstream = readCrds(await crdFiles()).find((crd) => crd.metadata?.name === CRD);
  assert.ok(upstream, `no ${CRD} among the CRDs`);
  const v2 = upstream.spec.versions.find((v) => v.name === 'v2');
  assert.ok(v2, 'the upstream CRD serves v2');
  const copy: V1CustomResourceDefinition = {
    ...upstream,
    metadata: { name: CRD },
    spec: { ...upstream.spec, versions: [{ ...v2, name: version, served: true, storage: true, deprecated: false }] },
  };
  const crds = apiClient(kubeconfig, ApiextensionsV1Api);
  await crds.deleteCustomResourceDefinition({ name: CRD });
  await waitFor(`${CRD} deleted`, async () => {
    try {
      await crds.readCustomResourceDefinition({ name: CRD });
      return false;
    } catch (error) {
      return statusOf(error) === 404;
    }
  });
  await crds.createCustomResourceDefinition({ body: copy });
  const objects = apiClient(kubeconfig, CustomObjectsApi);
  // Established is not enough: until its storage is ready the new resource answers 429 or 404.
  await waitFor(`${CRD} served at ${version}`, async () => {
    try {
      await objects.listClusterCustomObject({ group: GROUP, version, plural: 'helmreleases', limit: 1 });
      return true;
    } catch {
      return false;
    }
  });
}

before(async () => {
  if (!CAN_RUN) return;
  env = await startE2eCluster('versions');
  const { kubeconfig } = env.cluster;
  await serveHelmReleasesOnlyAt(kubeconfig, OLD);
  await createNamespace(kubeconfig, NS);
  // Written at v2beta2 by a plain client, as the older Flux's users would apply it.
  await apiClient(kubeconfig, CustomObjectsApi).createNamespacedCustomObject({
    group: GROUP,
    version: OLD,
    namespace: NS,
    plural: 'helmreleases',
    body: {
      apiVersion: `${GROUP}/${OLD}`,
      kind: 'HelmRelease',
      metadata: { name: 'plex', namespace: NS },
      spec: { interval: '10m', chart: { spec: { chart: 'plex', sourceRef: { kind: 'HelmRepository', name: 'charts', namespace: 'flux-system' } } } },
    },
  });
});

after(async () => {
  await env?.stop();
});

test('HelmReleases served only at v2beta2 are watched, kept at v2beta2, checked, and written at v2beta2', async (t) => {
  if (skipWithoutGo(t)) return;
  const { kubeconfig } = env!.cluster;
  const session = liveSession(kubeconfig);
  const admin = adminClient(kubeconfig);
  try {
    const state = () => session.store.getState();
    await waitFor(
      'every kind synced',
      () => KIND_KEYS.every((k) => state().sync[k].phase === 'synced'),
      20_000,
      () => syncExcept(session, 'synced'),
    );
    const plex = await waitFor('the HelmRelease in the store', () => state().objects.helmreleases.get(`${NS}/plex`));
    assert.equal(plex.apiVersion, `${GROUP}/${OLD}`, 'kept at the version it was served at');
    assert.equal(panelSyncNote(state(), 'flux'), '', 'the Flux panel says nothing is missing (it said "HelmRelease: not installed")');

    // Judged like a v2 one: not Ready yet, then failed once its controller says so.
    await waitFor(
      'flux.ready counts it',
      () => /^0\/1 Ready/.test(state().results['flux.ready']?.summary ?? ''),
      10_000,
      () => state().results['flux.ready']?.summary,
    );
    const failed = {
      type: 'Ready',
      status: 'False',
      reason: 'InstallFailed',
      message: 'install retries exhausted',
      lastTransitionTime: new Date().toISOString(),
    };
    // drdeck's own write (the one every fix uses) goes to the served version, or the server says 404.
    await admin.patch('helmreleases', NS, 'plex', { status: { conditions: [failed], observedGeneration: 1 } }, 'merge', { subresource: 'status' });
    await waitFor(
      'the watch brings the status, and flux.ready names the failure',
      () => /failed: media\/plex \(InstallFailed\)/.test(state().results['flux.ready']?.summary ?? ''),
      10_000,
      () => state().results['flux.ready']?.summary,
    );
    assert.equal(state().results['flux.ready'].status, 'fail');
    assert.equal(state().objects.helmreleases.get(`${NS}/plex`)?.apiVersion, `${GROUP}/${OLD}`);
  } finally {
    admin.close();
    session.close();
  }

  // The same through the CLI: `check` lists it, and a fix's server-side dry run is admitted there.
  const check = await runCli(['check', '--kubeconfig', kubeconfig, '--json', '--timeout', '60']);
  const checks = (JSON.parse(check.stdout) as { checks: Array<{ id: string; summary: string }> }).checks;
  assert.match(checks.find((c) => c.id === 'flux.ready')?.summary ?? '', /failed: media\/plex \(InstallFailed\)/, check.stderr);
  const dryRun = await runCli(
    ['fix', 'flux-reconcile', '--target', `HelmRelease/${NS}/plex`, '--dry-run', '--json', '--kubeconfig', kubeconfig, '--timeout', '60'],
    {
      XDG_STATE_HOME: `${env!.cluster.dir}/state`,
    },
  );
  const json = JSON.parse(dryRun.stdout) as { outcome: string; dryRun?: string; message?: string };
  assert.equal(dryRun.code, 0, `${json.message}\n${dryRun.stderr}`);
  assert.deepEqual([json.outcome, json.dryRun], ['dry-run', 'ok']);
});
