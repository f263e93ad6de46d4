import assert from 'node:assert/strict';
import { pv, pvc, runTable } from './fixtures.js';

const SAVED = '0001-0024-4a6f-0000000000000001-5e0a1b2c-9f1e-11ee-8c90-0242ac129a1b';
const NEW = '0001-0024-4a6f-0000000000000001-77aa01cd-c0de-11ef-a1b2-0242ac125f0c';
const saved = { kopia: { savedVolumeHandle: SAVED } };
const bound = pvc('default/kopia', 'Bound', { volumeName: 'pv-kopia' });

runTable('kopia.pvc-bound', [
  { name: 'Bound', objects: { persistentvolumeclaims: [bound] }, status: 'pass', summary: /^Bound: default\/kopia on pv-kopia$/ },
  { name: 'missing', status: 'fail', summary: /^PVC default\/kopia missing/, fixes: ['kopia-reclaim'] },
  {
    name: 'Pending',
    objects: { persistentvolumeclaims: [pvc('default/kopia', 'Pending', { volumeName: 'pv-kopia' })] },
    status: 'fail',
    summary: /Pending, not Bound: default\/kopia \(volumeName pv-kopia\)/,
    fixes: ['kopia-reclaim'],
  },
  {
    name: 'the PVC comes from the config',
    objects: { persistentvolumeclaims: [pvc('volsync-system/kopia', 'Bound')] },
    config: { kopia: { pvc: 'volsync-system/kopia' } },
    status: 'pass',
  },
]);

runTable('kopia.volume-handle', [
  {
    name: 'the PV holds the saved handle',
    objects: { persistentvolumeclaims: [bound], persistentvolumes: [pv('pv-kopia', SAVED)] },
    config: saved,
    status: 'pass',
  },
  {
    name: 'seed issue 2: a new subvolume',
    objects: { persistentvolumeclaims: [bound], persistentvolumes: [pv('pv-kopia', NEW)] },
    config: saved,
    status: 'fail',
    summary: /^wrong subvolume: handle …5f0c, Git says …9a1b \(PV pv-kopia is new and empty\)$/,
    fixes: ['kopia-reclaim'],
    then: (r) => assert.equal(r.evidence[0].value, NEW),
  },
  {
    name: 'handles with the same last characters are still told apart',
    objects: { persistentvolumeclaims: [bound], persistentvolumes: [pv('pv-kopia', 'aaaaa-12345')] },
    config: { kopia: { savedVolumeHandle: 'bbbbb-12345' } },
    status: 'fail',
    summary: /handle …a-12345, Git says …b-12345/,
  },
  {
    name: 'not a CSI volume',
    objects: { persistentvolumeclaims: [bound], persistentvolumes: [pv('pv-kopia', undefined)] },
    config: saved,
    status: 'fail',
    summary: /no CSI volumeHandle on PV pv-kopia/,
  },
  {
    name: 'no saved handle configured',
    objects: { persistentvolumeclaims: [bound] },
    status: 'unknown',
    summary: /^no saved handle configured \(kopia\.savedVolumeHandle or kopia\.handleSecretFile\)$/,
  },
  {
    // The loader found the manifest SOPS-encrypted (test/config/saved-handle.test.ts): no handle to compare, so not a fail.
    name: 'the saved handle is encrypted',
    objects: { persistentvolumeclaims: [bound], persistentvolumes: [pv('pv-kopia', NEW)] },
    config: {
      kopia: { handleSecretFile: 'kopia.sops.yaml', handleUnknown: 'encrypted: cannot verify the saved handle (kopia.sops.yaml is SOPS-encrypted); …' },
    },
    status: 'unknown',
    summary: /^encrypted: cannot verify the saved handle \(kopia\.sops\.yaml is SOPS-encrypted\)/,
    then: (r) => assert.deepEqual(r.evidence[0], { kind: 'Git', name: 'kopia.sops.yaml', field: 'volumeHandle', value: 'SOPS-encrypted', status: 'unknown' }),
  },
  { name: 'PVC missing', config: saved, status: 'unknown', summary: /no PV to inspect: PVC default\/kopia missing/, fixes: ['kopia-reclaim'] },
  {
    name: 'PVC not bound to a PV',
    objects: { persistentvolumeclaims: [pvc('default/kopia', 'Pending')] },
    config: saved,
    status: 'unknown',
    summary: /not bound to a PV \(Pending\)/,
  },
  { name: 'PV missing', objects: { persistentvolumeclaims: [bound] }, config: saved, status: 'unknown', summary: /PV pv-kopia of PVC default\/kopia missing/ },
]);

runTable('kopia.reclaim-policy', [
  { name: 'Retain', objects: { persistentvolumeclaims: [bound], persistentvolumes: [pv('pv-kopia', SAVED)] }, status: 'pass' },
  {
    name: 'Delete',
    objects: { persistentvolumeclaims: [bound], persistentvolumes: [pv('pv-kopia', SAVED, 'Delete')] },
    status: 'fail',
    summary: /reclaim policy Delete, not Retain: deleting PVC deletes the backups/,
    fixes: ['kopia-reclaim'],
  },
  { name: 'no PV', status: 'unknown' },
]);

runTable('kopia.not-flux-managed', [
  {
    name: 'not managed',
    objects: { persistentvolumeclaims: [pvc('default/kopia', 'Bound', {}, { managedFields: [{ manager: 'kubectl-client-side-apply' }] })] },
    status: 'pass',
  },
  {
    name: 'seed issue 2: Flux labels',
    objects: {
      persistentvolumeclaims: [
        pvc('default/kopia', 'Bound', {}, { labels: { 'kustomize.toolkit.fluxcd.io/name': 'kopia', 'kustomize.toolkit.fluxcd.io/namespace': 'flux-system' } }),
      ],
    },
    status: 'fail',
    summary: /managed by Flux \(Kustomization flux-system\/kopia\)/,
    fixes: ['kopia-reclaim'],
    gitHint: /kopia-repository-pvc\.yaml.*\n.*kubernetes\/apps\/6-data\/kopia\/app\/kustomization\.yaml/,
  },
  {
    name: 'Flux field manager only',
    objects: { persistentvolumeclaims: [pvc('default/kopia', 'Bound', {}, { managedFields: [{ manager: 'kustomize-controller' }] })] },
    status: 'fail',
    summary: /managed by Flux \(kustomize-controller\)/,
  },
  {
    name: 'Helm label',
    objects: { persistentvolumeclaims: [pvc('default/kopia', 'Bound', {}, { labels: { 'helm.toolkit.fluxcd.io/name': 'kopia' } })] },
    status: 'fail',
  },
  { name: 'PVC missing', status: 'unknown' },
]);
