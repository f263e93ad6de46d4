/**
 * Every check, called directly (without the runner's safety net), on objects the API would never
 * send but a half-written status or a hand-edited manifest can: it must not throw and must still
 * give a well-formed result.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ALL_CHECKS } from '../../src/checks/index.js';
import { STATUS_SEVERITY } from '../../src/checks/types.js';
import { KIND_KEYS } from '../../src/kinds.js';
import { EPOCH, assertWellFormed, makeConfig, makeSnapshot, NOW, type Objects } from './fixtures.js';

/** A body with the wrong type in every field the checks read. */
const wrongTypes = {
  spec: {
    type: 'LoadBalancer',
    dependsOn: 'flux-system',
    healthChecks: { kind: 'Gateway' },
    suspend: 'true',
    kopia: { copyMethod: 5, repository: 9 },
    trigger: 1,
    volumeName: 'numbers',
    csi: 'handle',
    ipFamilies: 'IPv4',
    hostnames: 'plex.sulibot.com',
    dataSourceRef: { apiGroup: 'volsync.backube', kind: 'ReplicationDestination', name: 7 },
  },
  status: {
    phase: 3,
    conditions: [
      null,
      3,
      'Ready',
      { type: 'Ready', status: false, reason: 42, lastTransitionTime: 12 },
      { type: 'Programmed', status: 'Unknown', lastTransitionTime: EPOCH },
    ],
    observedGeneration: 'x',
    availableReplicas: '2',
    loadBalancer: { ingress: [null, { ip: 5 }, { ip: 'garbage' }, { hostname: 'lb.example' }] },
    addresses: [null, { value: 3 }],
    parents: [null, { conditions: 'Accepted', parentRef: null }, { parentRef: { name: 5 }, conditions: [{ type: 'Accepted', status: 'True' }] }],
    inventory: { entries: [null, { id: 5 }, { id: '' }, { id: 'no-underscores' }] },
    latestMoverStatus: 'Failed',
    latestImage: 'snap',
    lastManualSync: 7,
  },
};

function bodies(ref: string): unknown[] {
  const [namespace, name] = ref.includes('/') ? ref.split('/') : [undefined, ref];
  const meta = { name, ...(namespace ? { namespace } : {}) };
  return [
    { metadata: { ...meta } },
    { metadata: { ...meta, name: `${name}-nulls`, annotations: null, labels: null, managedFields: 'kustomize-controller' }, spec: null, status: null },
    { metadata: { ...meta, name: `${name}-strings`, generation: '7', creationTimestamp: 'yesterday' }, spec: 'spec', status: 'status' },
    {
      metadata: {
        ...meta,
        name: `${name}-types`,
        generation: 9,
        labels: { 'kustomize.toolkit.fluxcd.io/ssa': 5 },
        annotations: { 'lbipam.cilium.io/ips': 'fd00::1,,banana', 'external-dns.alpha.kubernetes.io/hostname': 'x.sulibot.com,,' },
        managedFields: [null, { manager: 5 }],
      },
      ...wrongTypes,
    },
    {
      metadata: { ...meta, name: `${name}-numbers`, annotations: { 'lbipam.cilium.io/ips': 42, 'external-dns.alpha.kubernetes.io/hostname': 7 } },
      ...wrongTypes,
    },
    { metadata: null },
    {},
  ];
}

/** Objects named where the config looks, so the malformed bodies reach every code path. */
const REFS = [
  'default/kopia',
  'numbers',
  'flux-system/cilium',
  'flux-system/flux-system',
  'kube-system/cilium-operator',
  'volsync-system/volsync',
  'network/gateway-external',
  'ceph-csi/csi-pod',
  'csi-cephfs-config-sc',
  'csi-cephfs-config-snapclass',
];

const objects: Objects = Object.fromEntries(KIND_KEYS.map((kind) => [kind, REFS.flatMap(bodies)]));
const dns = [{ name: 'x.sulibot.com', a: null, aaaa: 'fd00::1', checkedAt: NOW } as never];
const configs = [makeConfig(), makeConfig({ kopia: { savedVolumeHandle: 'abc' }, gateways: { names: [] }, restores: { expectedCount: 0 } })];

for (const check of ALL_CHECKS) {
  test(`${check.id}: malformed objects do not throw`, () => {
    for (const config of configs) {
      for (const snapshot of [makeSnapshot(objects, { dns }), makeSnapshot()]) {
        const verdict = check.evaluate(snapshot, config);
        assert.ok(verdict.status in STATUS_SEVERITY, `bad status ${verdict.status}`);
        assertWellFormed({ id: check.id, panel: check.panel, ...verdict });
      }
    }
  });
}
