/**
 * The Prevention Checklist on hand-built desired states: the seed's repository as it was before the
 * rebuild (every item the seed names fails, each with file:line), the same repository fixed, and the
 * cases that must never give a false verdict (an encrypted handle, a handle only in an unreferenced
 * file).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubeObject } from '../../src/cluster.js';
import { buildChecklist, type Checklist, type ChecklistItem } from '../../src/preflight/checklist.js';
import type { DesiredObject, FluxKustomization } from '../../src/preflight/types.js';
import { makeConfig } from '../checks/fixtures.js';
import { desiredState, ks, memoryFiles, placed, snapshotOfState } from './checklist-helpers.js';

const HANDLE = '0001-0024-fsid-0000000000000001-5f0c9a1b-1111-2222-3333-444455556666';
const VOLSYNC = 'kubernetes/components/volsync (component)';

function manifest(apiVersion: string, kind: string, ref: string, rest: Record<string, unknown> = {}, meta: Record<string, unknown> = {}): KubeObject {
  const [namespace, name] = ref.includes('/') ? ref.split('/') : [undefined, ref];
  return { apiVersion, kind, metadata: { name, ...(namespace ? { namespace } : {}), ...meta }, ...rest };
}

const rdObject = (app: string, copyMethod: string | undefined, labels: Record<string, string> = {}) =>
  manifest(
    'volsync.backube/v1alpha1',
    'ReplicationDestination',
    `${app}/${app}-dst`,
    { spec: { trigger: { manual: 'restore-once' }, kopia: { repository: `${app}-volsync-secret`, ...(copyMethod ? { copyMethod } : {}) } } },
    { labels },
  );

const lbService = (ref: string, ips: string | undefined, policy: string | undefined) =>
  manifest(
    'v1',
    'Service',
    ref,
    { spec: { type: 'LoadBalancer', ...(policy ? { ipFamilyPolicy: policy, ipFamilies: ['IPv6', 'IPv4'] } : {}) } },
    ips ? { annotations: { 'lbipam.cilium.io/ips': ips } } : {},
  );

const pool = manifest('cilium.io/v2alpha1', 'CiliumLoadBalancerIPPool', 'lb-pool', {
  spec: { blocks: [{ cidr: '10.101.27.0/24' }, { start: 'fd00:101::1b:100', stop: 'fd00:101::1b:255' }] },
});

const gatewayObject = (ref: string, address: string) =>
  manifest('gateway.networking.k8s.io/v1', 'Gateway', ref, { spec: { gatewayClassName: 'cilium', addresses: [{ type: 'IPAddress', value: address }] } });

const handleSecret = (value: string) => manifest('v1', 'Secret', 'default/kopia-repository-subvolume', { stringData: { volumeHandle: value } });
const kopiaPvc = manifest('v1', 'PersistentVolumeClaim', 'default/kopia', { spec: { accessModes: ['ReadWriteMany'] } });

const GATEWAYS_HEALTH = [
  { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', name: 'gateway-external', namespace: 'network' },
  { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', name: 'gateway-internal', namespace: 'network' },
];

interface RepoShape {
  handle?: DesiredObject;
  pvcs?: DesiredObject[];
  rds: DesiredObject[];
  ciliumKs: FluxKustomization;
  services: DesiredObject[];
  scripts: Record<string, string>;
  unreferenced?: string[];
}

function repo(shape: RepoShape): { objects: DesiredObject[]; kustomizations: FluxKustomization[]; files: Record<string, string> } {
  const objects = [
    ...(shape.handle ? [shape.handle] : []),
    ...(shape.pvcs ?? []),
    ...shape.rds,
    ...shape.services,
    placed({ object: pool, file: 'kubernetes/infrastructure/cilium/config/pool.yaml', line: 1, kustomization: 'flux-system/cilium-config' }),
    placed({
      object: gatewayObject('network/gateway-external', '10.101.27.120'),
      file: 'kubernetes/infrastructure/cilium/gateway/external.yaml',
      kustomization: shape.ciliumKs.ref,
    }),
    placed({
      object: gatewayObject('network/gateway-internal', '10.101.27.121'),
      file: 'kubernetes/infrastructure/cilium/gateway/internal.yaml',
      kustomization: shape.ciliumKs.ref,
    }),
  ];
  const kustomizations = [shape.ciliumKs, ks('flux-system/kopia', { path: 'kubernetes/apps/6-data/kopia/app' }), ks('flux-system/cilium-config')];
  return { objects, kustomizations, files: shape.scripts };
}

function run(shape: RepoShape, configOverrides: Record<string, unknown> = {}): Checklist {
  const { objects, kustomizations, files } = repo(shape);
  const state = desiredState(objects, kustomizations, shape.unreferenced ?? []);
  return buildChecklist(state, snapshotOfState(state), makeConfig(configOverrides), memoryFiles(files));
}

const itemOf = (list: Checklist, id: number): ChecklistItem => list.items.find((i) => i.id === id)!;

/** The seed's repository before the rebuild: every prevention item is missing. */
const BROKEN: RepoShape = {
  handle: placed({
    object: handleSecret(HANDLE),
    file: 'kubernetes/apps/6-data/kopia/app/kopia-repository-subvolume-secret.yaml',
    line: 1,
    kustomization: 'flux-system/kopia',
  }),
  pvcs: [
    placed({ object: kopiaPvc, file: 'kubernetes/apps/6-data/kopia/app/kopia-repository-pvc.yaml', line: 3, kustomization: 'flux-system/kopia' }),
    placed({
      object: kopiaPvc,
      file: 'kubernetes/components/volsync/kopia-repository-pvc.yaml',
      line: 1,
      kustomization: 'flux-system/jellyfin',
      via: [VOLSYNC],
    }),
  ],
  rds: [
    placed({
      object: rdObject('jellyfin', undefined, { 'kustomize.toolkit.fluxcd.io/ssa': 'IfNotPresent' }),
      file: 'kubernetes/components/volsync/replicationdestination.yaml',
      line: 2,
      kustomization: 'flux-system/jellyfin',
      via: [VOLSYNC],
    }),
  ],
  ciliumKs: ks('flux-system/cilium', { path: 'kubernetes/infrastructure/cilium/gateway', wait: true }),
  services: [
    placed({
      object: lbService('media/plex', '10.101.27.130', undefined),
      file: 'kubernetes/apps/media/plex/app/service.yaml',
      line: 4,
      kustomization: 'flux-system/plex',
    }),
    placed({
      object: lbService('media/jellyfin', 'fd00:101::1b:131,10.101.28.131', 'PreferDualStack'),
      file: 'kubernetes/apps/media/jellyfin/app/service.yaml',
      line: 1,
      kustomization: 'flux-system/jellyfin',
    }),
  ],
  scripts: {
    'scripts/dr-3-trigger-restores.sh+x': [
      '#!/bin/bash',
      'set -euo pipefail',
      '# kubectl in a comment is not a call',
      'for rd in $(kubectl get rd -A -o name); do',
      '  timeout 30 kubectl patch "$rd" --type merge -p "{}"',
      'done',
      'kubectl wait --for=condition=Ready pod -l app=x \\',
      '  --timeout=5m',
      'kubectl get pvc -n default --request-timeout=10s',
      'kubectl apply -f kubernetes/apps/6-data/kopia/app/missing-pv.yaml --request-timeout 10s',
    ].join('\n'),
  },
};

/** The same repository with every long-term fix of the seed in place. */
const FIXED: RepoShape = {
  handle: BROKEN.handle,
  pvcs: [],
  rds: [
    placed({
      object: rdObject('jellyfin', 'Snapshot'),
      file: 'kubernetes/components/volsync/replicationdestination.yaml',
      line: 2,
      kustomization: 'flux-system/jellyfin',
      via: [VOLSYNC],
    }),
  ],
  ciliumKs: ks('flux-system/cilium', { path: 'kubernetes/infrastructure/cilium/gateway', healthChecks: GATEWAYS_HEALTH }),
  services: [
    placed({
      object: lbService('media/plex', 'fd00:101::1b:130,10.101.27.130', 'RequireDualStack'),
      file: 'kubernetes/apps/media/plex/app/service.yaml',
      line: 4,
      kustomization: 'flux-system/plex',
    }),
  ],
  scripts: {
    'scripts/dr-3-trigger-restores.sh+x': '#!/bin/bash\ntimeout 30 kubectl get rd -A\nkubectl get pvc --request-timeout=10s -f kubernetes/pv.yaml\n',
    'kubernetes/pv.yaml': 'kind: PersistentVolume\n',
    'scripts/validate-cluster-dr.sh+x': '#!/bin/bash\n',
  },
};

test('the seed repository before the rebuild: each item the seed names fails, with file:line', () => {
  const list = run(BROKEN, { kopia: { savedVolumeHandle: HANDLE } });
  assert.equal(list.exitCode, 1);
  assert.equal(itemOf(list, 1).status, 'pass', itemOf(list, 1).summary);

  const two = itemOf(list, 2);
  assert.equal(two.status, 'fail');
  assert.match(two.summary, /flux-system\/kopia/);
  assert.deepEqual(
    two.evidence.map((e) => `${e.file}:${e.line}`),
    ['kubernetes/apps/6-data/kopia/app/kopia-repository-pvc.yaml:3'],
  );
  const three = itemOf(list, 3);
  assert.equal(three.status, 'fail');
  assert.match(three.summary, /kubernetes\/components\/volsync \(component, in flux-system\/jellyfin\)/);
  assert.deepEqual(
    three.evidence.map((e) => `${e.file}:${e.line}`),
    ['kubernetes/components/volsync/kopia-repository-pvc.yaml:1'],
  );

  const four = itemOf(list, 4);
  assert.equal(four.status, 'fail');
  assert.deepEqual(four.checks, ['restores.copy-method']);
  assert.ok(four.evidence.some((e) => e.file === 'kubernetes/components/volsync/replicationdestination.yaml' && e.line === 2 && e.status === 'fail'));
  const five = itemOf(list, 5);
  assert.equal(five.status, 'warn');
  assert.ok(five.evidence.some((e) => e.file === 'kubernetes/components/volsync/replicationdestination.yaml' && e.status === 'warn'));

  const six = itemOf(list, 6);
  assert.equal(six.status, 'fail');
  assert.match(six.summary, /not one IPv4 \+ one IPv6: media\/plex/);
  assert.match(six.summary, /not dual-stack \(ipFamilyPolicy\): media\/plex/);
  assert.match(six.summary, /10\.101\.28\.131/, 'the address outside every pool is named');
  assert.ok(six.evidence.some((e) => e.file === 'kubernetes/apps/media/plex/app/service.yaml' && e.line === 4));

  const seven = itemOf(list, 7);
  assert.equal(seven.status, 'fail');
  assert.deepEqual(
    seven.evidence.filter((e) => e.value.startsWith('unbounded')).map((e) => `${e.file}:${e.line}`),
    ['scripts/dr-3-trigger-restores.sh:4', 'scripts/dr-3-trigger-restores.sh:7'],
  );
  assert.match(seven.summary, /2 kubectl calls without a timeout/);
  assert.match(seven.summary, /kopia\/app\/missing-pv\.yaml/);

  const eight = itemOf(list, 8);
  assert.equal(eight.status, 'warn');
  assert.match(eight.summary, /no Gateway health checks in flux-system\/cilium/);
  assert.match(eight.summary, /wait: true, so Flux ignores its healthChecks/);

  const nine = itemOf(list, 9);
  assert.equal(nine.status, 'pass');
  assert.match(nine.summary, /drdeck check/);
});

test('the same repository with the long-term fixes: every item passes, exit 0', () => {
  const list = run(FIXED, { kopia: { savedVolumeHandle: HANDLE } });
  for (const i of list.items) assert.equal(i.status, 'pass', `${i.id} ${i.title}: ${i.summary}`);
  assert.equal(list.exitCode, 0);
  assert.deepEqual(list.summary, { pass: 9, warn: 0, fail: 0, unknown: 0, decided: true });
  assert.match(itemOf(list, 9).summary, /scripts\/validate-cluster-dr\.sh/);
});

test('the spec checks run on the Git snapshot: source git, evidence with file:line; status checks do not run', () => {
  const list = run(BROKEN, { kopia: { savedVolumeHandle: HANDLE } });
  assert.ok(list.checks.length > 0);
  for (const c of list.checks) assert.equal(c.source, 'git', c.id);
  const ids = list.checks.map((c) => c.id);
  assert.ok(ids.includes('restores.copy-method') && ids.includes('gateways.health-checks') && ids.includes('kopia.not-flux-managed'));
  assert.ok(!ids.includes('gateways.programmed') && !ids.includes('kopia.pvc-bound'), 'status checks are not run on Git');
  const copy = list.checks.find((c) => c.id === 'restores.copy-method')!;
  assert.deepEqual(copy.evidence[0].source, { file: 'kubernetes/components/volsync/replicationdestination.yaml', line: 2 });
  const health = list.checks.find((c) => c.id === 'gateways.health-checks')!;
  assert.deepEqual(health.evidence[0].source, { file: 'kubernetes/cilium/ks.yaml', line: 1 });
});

test('a SOPS-encrypted handle is unknown "encrypted", never a wrong handle', () => {
  const encrypted = placed({
    object: handleSecret('ENC[AES256_GCM,data:abc=,iv:x,tag:y,type:str]'),
    file: 'kubernetes/apps/6-data/kopia/app/kopia-repository-subvolume-secret.sops.yaml',
    kustomization: 'flux-system/kopia',
  });
  const list = run({ ...FIXED, handle: encrypted }, { kopia: { savedVolumeHandle: HANDLE } });
  const one = itemOf(list, 1);
  assert.equal(one.status, 'unknown');
  assert.match(one.summary, /^encrypted: cannot verify without decrypting/);
  assert.equal(list.exitCode, 3);
  // flux's rendering replaces every value with **SOPS**: the source file decides.
  const rendered = placed({ object: handleSecret('**SOPS**'), file: 'secret.sops.yaml', kustomization: 'flux-system/kopia' });
  assert.equal(itemOf(run({ ...FIXED, handle: rendered }, { kopia: { savedVolumeHandle: HANDLE } }), 1).status, 'unknown');
});

test('the handle: a file that nothing applies does not count; a different handle in the config fails; no config warns', () => {
  const file = 'kubernetes/apps/6-data/kopia/app/kopia-repository-subvolume-secret.yaml';
  const scripts = { ...FIXED.scripts, [file]: `kind: Secret\nstringData:\n  volumeHandle: ${HANDLE}\n` };
  const loose = run({ ...FIXED, handle: undefined, scripts, unreferenced: [file] }, { kopia: { savedVolumeHandle: HANDLE } });
  const one = itemOf(loose, 1);
  assert.equal(one.status, 'fail');
  assert.match(one.summary, /no applied Secret .*kopia-repository-subvolume-secret\.yaml has one but is not applied/);
  assert.deepEqual(
    one.evidence.map((e) => e.file),
    [file],
  );

  const other = itemOf(run(FIXED, { kopia: { savedVolumeHandle: 'another-handle-9999' } }), 1);
  assert.equal(other.status, 'fail');
  assert.match(other.summary, /…6666, drdeck's config reads …9999/);

  const unread = itemOf(run(FIXED, {}), 1);
  assert.equal(unread.status, 'warn');
  assert.match(unread.summary, /drdeck's config does not read it/);
  assert.equal(unread.evidence[0].file, 'kubernetes/apps/6-data/kopia/app/kopia-repository-subvolume-secret.yaml');

  const empty = placed({ object: handleSecret('  '), file: 'secret.yaml', kustomization: 'flux-system/kopia' });
  assert.equal(itemOf(run({ ...FIXED, handle: empty }, { kopia: { savedVolumeHandle: HANDLE } }), 1).status, 'fail');
});

test('a static PV bound to the Kopia PVC holds the handle as well as a Secret does', () => {
  const staticPv = placed({
    object: manifest('v1', 'PersistentVolume', 'kopia-repository', {
      spec: { claimRef: { namespace: 'default', name: 'kopia' }, csi: { driver: 'cephfs.csi.ceph.com', volumeHandle: HANDLE } },
    }),
    file: 'kubernetes/apps/6-data/kopia/app/pv.yaml',
    line: 5,
    kustomization: 'flux-system/kopia',
  });
  const one = itemOf(run({ ...FIXED, handle: staticPv }, { kopia: { savedVolumeHandle: HANDLE } }), 1);
  assert.equal(one.status, 'pass', one.summary);
  assert.match(one.summary, /kubernetes\/apps\/6-data\/kopia\/app\/pv\.yaml:5/);
});

test('Gateways applied by another Kustomization than the configured one, and a Gateway address outside the pools', () => {
  const other = ks('flux-system/gateways', { path: 'kubernetes/infrastructure/gateways', healthChecks: GATEWAYS_HEALTH });
  const shape = { ...FIXED, ciliumKs: other };
  const eight = itemOf(run(shape, { kopia: { savedVolumeHandle: HANDLE } }), 8);
  assert.notEqual(eight.status, 'pass');
  assert.match(eight.summary, /applied by flux-system\/gateways, not flux-system\/cilium/);

  const { objects, kustomizations, files } = repo(FIXED);
  const far = objects.map((o) =>
    o.object.kind === 'Gateway' && (o.object.metadata as { name: string }).name === 'gateway-external'
      ? { ...o, object: gatewayObject('network/gateway-external', '192.168.1.10') }
      : o,
  );
  const state = desiredState(far, kustomizations);
  const six = itemOf(buildChecklist(state, snapshotOfState(state), makeConfig({ kopia: { savedVolumeHandle: HANDLE } }), memoryFiles(files)), 6);
  assert.equal(six.status, 'fail');
  assert.match(six.summary, /192\.168\.1\.10/);
  assert.ok(six.evidence.some((e) => e.file === 'kubernetes/infrastructure/cilium/gateway/external.yaml' && /spec\.addresses/.test(e.value)));
});

test('validation scripts present but not executable: a warning naming them', () => {
  const nine = itemOf(run({ ...FIXED, scripts: { ...FIXED.scripts, 'scripts/validate-loadbalancer-ips.sh': '#!/bin/bash\n' } }), 9);
  assert.equal(nine.status, 'warn');
  assert.match(nine.summary, /not executable: scripts\/validate-loadbalancer-ips\.sh/);
});
