/**
 * Discovery picks, for every kind, the first version the server serves it at, in the server's order
 * (preferred first), among the versions drdeck understands; a kind served at none of them, or not
 * at all, is "not installed" with a detail that says why. Against a scripted discovery API.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ClusterError } from '../../src/cluster.js';
import { Discovery } from '../../src/k8s/discovery.js';
import type { ApiClient } from '../../src/k8s/http.js';

/** Discovery documents by path; any other path is a 404. Records the paths asked. */
function fakeServer(documents: Record<string, unknown>): { discovery: Discovery; asked: string[] } {
  const asked: string[] = [];
  const api = {
    json: async ({ path }: { path: string }) => {
      asked.push(path);
      if (path in documents) return documents[path];
      throw new ClusterError('the server could not find the requested resource', 404, 'NotFound');
    },
  } as unknown as ApiClient;
  return { discovery: new Discovery(async () => api), asked };
}

const group = (preferred: string, ...versions: string[]) => ({
  kind: 'APIGroup',
  preferredVersion: { version: preferred },
  versions: versions.map((version) => ({ version })),
});
const resources = (...names: string[]) => ({ kind: 'APIResourceList', resources: names.map((name) => ({ name })) });

test('an older Flux: HelmRelease served only at v2beta2 is read at v2beta2', async () => {
  const { discovery } = fakeServer({
    '/apis/helm.toolkit.fluxcd.io': group('v2beta2', 'v2beta2', 'v2beta1'),
    '/apis/helm.toolkit.fluxcd.io/v2beta2': resources('helmreleases', 'helmreleases/status'),
    '/apis/helm.toolkit.fluxcd.io/v2beta1': resources('helmreleases', 'helmreleases/status'),
  });
  assert.deepEqual(await discovery.availability('helmreleases'), { served: true, version: 'v2beta2' });
  assert.equal(await discovery.version('helmreleases'), 'v2beta2');
});

test("the server's preferred version first, even when drdeck lists another first", async () => {
  // A server that still prefers v1beta1 for Gateway API while also serving v1.
  const { discovery } = fakeServer({
    '/apis/gateway.networking.k8s.io': group('v1beta1', 'v1', 'v1beta1'),
    '/apis/gateway.networking.k8s.io/v1': resources('gateways', 'httproutes'),
    '/apis/gateway.networking.k8s.io/v1beta1': resources('gateways', 'httproutes'),
  });
  assert.deepEqual(await discovery.availability('gateways'), { served: true, version: 'v1beta1' });
});

test('one group, two kinds at two versions: Flux 2.3 serves GitRepository at v1 and OCIRepository at v1beta2 only', async () => {
  const { discovery, asked } = fakeServer({
    '/apis/source.toolkit.fluxcd.io': group('v1', 'v1', 'v1beta2'),
    '/apis/source.toolkit.fluxcd.io/v1': resources('gitrepositories', 'helmrepositories', 'helmcharts'),
    '/apis/source.toolkit.fluxcd.io/v1beta2': resources('gitrepositories', 'helmrepositories', 'helmcharts', 'ocirepositories'),
  });
  const found = await Promise.all((['gitrepositories', 'ocirepositories', 'helmcharts'] as const).map((kind) => discovery.availability(kind)));
  assert.deepEqual(found, [
    { served: true, version: 'v1' },
    { served: true, version: 'v1beta2' },
    { served: true, version: 'v1' },
  ]);
  // Shared answers: one request per group and group/version, however many kinds ask.
  assert.deepEqual([...asked].sort(), ['/apis/source.toolkit.fluxcd.io', '/apis/source.toolkit.fluxcd.io/v1', '/apis/source.toolkit.fluxcd.io/v1beta2']);
});

test('not installed, or served only at versions drdeck does not read: said so, with what the server has', async () => {
  const { discovery } = fakeServer({
    '/apis/helm.toolkit.fluxcd.io': group('v3', 'v3'),
    '/apis/helm.toolkit.fluxcd.io/v3': resources('helmreleases'),
    '/apis/gateway.networking.k8s.io': group('v1', 'v1', 'v1beta1'),
    '/apis/gateway.networking.k8s.io/v1': resources('httproutes'),
    '/apis/gateway.networking.k8s.io/v1beta1': resources('httproutes'),
  });
  assert.deepEqual(await discovery.availability('helmreleases'), {
    served: false,
    detail: 'helm.toolkit.fluxcd.io is served at v3; drdeck reads v2, v2beta2, v2beta1',
  });
  assert.deepEqual(await discovery.availability('gateways'), {
    served: false,
    detail: 'gateways.gateway.networking.k8s.io is not served by gateway.networking.k8s.io/v1 (CRD not installed)',
  });
  assert.deepEqual(await discovery.availability('replicationdestinations'), {
    served: false,
    detail: 'replicationdestinations.volsync.backube: CRD not installed',
  });
  // Nothing found: reads and writes use drdeck's own version (and the server says 404).
  assert.equal(await discovery.version('helmreleases'), 'v2');
});

test('core kinds have one version and need no group lookup', async () => {
  const { discovery, asked } = fakeServer({ '/api/v1': resources('services', 'pods') });
  assert.deepEqual(await discovery.availability('services'), { served: true, version: 'v1' });
  assert.equal(await discovery.version('pods'), 'v1');
  assert.deepEqual(asked, ['/api/v1']);
});

test('after forget (a 404 on the kind), the version is looked up again: an upgraded Flux is read at v2', async () => {
  const documents: Record<string, unknown> = {
    '/apis/helm.toolkit.fluxcd.io': group('v2beta2', 'v2beta2'),
    '/apis/helm.toolkit.fluxcd.io/v2beta2': resources('helmreleases'),
  };
  const { discovery } = fakeServer(documents);
  assert.equal(await discovery.version('helmreleases'), 'v2beta2');
  documents['/apis/helm.toolkit.fluxcd.io'] = group('v2', 'v2');
  documents['/apis/helm.toolkit.fluxcd.io/v2'] = resources('helmreleases');
  discovery.forget('helmreleases');
  assert.deepEqual(await discovery.availability('helmreleases'), { served: true, version: 'v2' });
  assert.equal(await discovery.version('helmreleases'), 'v2');
});
