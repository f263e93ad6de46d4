import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CheckResult } from '../../src/checks/types.js';
import { buildDetailLines } from '../../src/screens/detail-lines.js';

const results: CheckResult[] = [
  {
    id: 'flux.stuck',
    panel: 'flux',
    status: 'fail',
    summary: '2 HelmReleases stuck',
    evidence: [
      { kind: 'HelmRelease', namespace: 'ceph-csi', name: 'ceph-csi-cephfs', field: 'Ready', value: 'HelmChart not reconciled', status: 'fail' },
      { kind: 'HelmRelease', namespace: 'ceph-csi', name: 'ceph-csi-rbd', field: 'Ready', value: 'HelmChart not reconciled', status: 'fail' },
    ],
    fixes: ['flux-reconcile-stuck'],
  },
  {
    id: 'flux.suspended',
    panel: 'flux',
    status: 'pass',
    summary: 'nothing suspended',
    evidence: [],
    fixes: [],
    gitHint: 'kubernetes/flux/ks.yaml\nspec:\n  suspend: false',
  },
];

test('every check, its evidence, its fixes and its Git hint are listed', () => {
  const texts = buildDetailLines(results, '').map((l) => l.text);
  assert.deepEqual(texts, [
    'flux.stuck  2 HelmReleases stuck',
    'HelmRelease ceph-csi/ceph-csi-cephfs  Ready: HelmChart not reconciled',
    'HelmRelease ceph-csi/ceph-csi-rbd  Ready: HelmChart not reconciled',
    'fix: flux-reconcile-stuck',
    '',
    'flux.suspended  nothing suspended',
    'in Git: kubernetes/flux/ks.yaml',
    '  spec:',
    '    suspend: false',
  ]);
});

test('the filter keeps matching evidence under its check, case-insensitively', () => {
  const texts = buildDetailLines(results, 'RBD').map((l) => l.text);
  assert.deepEqual(texts, ['flux.stuck  2 HelmReleases stuck', 'HelmRelease ceph-csi/ceph-csi-rbd  Ready: HelmChart not reconciled']);
});

test('a filter matching a check keeps all of its lines', () => {
  const texts = buildDetailLines(results, 'suspended').map((l) => l.text);
  assert.equal(texts[0], 'flux.suspended  nothing suspended');
  assert.equal(texts.length, 4);
});

test('a filter matching nothing gives no lines', () => {
  assert.deepEqual(buildDetailLines(results, 'no-such-thing'), []);
});
