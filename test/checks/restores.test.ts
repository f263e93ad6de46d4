import assert from 'node:assert/strict';
import { cond, pvc, rd, runTable, secret } from './fixtures.js';

const DONE = { trigger: 'restore-1', lastManualSync: 'restore-1', result: 'Successful', image: true };
const fromRd = (name: string) => ({ dataSourceRef: { apiGroup: 'volsync.backube', kind: 'ReplicationDestination', name } });

runTable('restores.copy-method', [
  { name: 'all Snapshot', objects: { replicationdestinations: [rd('default/sonarr-dst'), rd('default/radarr-dst')] }, status: 'pass', summary: /^2\/2 RDs/ },
  {
    name: 'seed issue 3: copyMethod missing, with the operator message',
    objects: {
      replicationdestinations: [
        rd('default/sonarr-dst'),
        rd('default/radarr-dst', { copyMethod: null, sync: cond('Synchronizing', 'False', 'Error', 'unsupported copyMethod: -- must be Direct, None, or Snapshot') }),
      ],
    },
    status: 'fail',
    summary: /^1\/2 RDs lack copyMethod: Snapshot \(restores cannot populate PVCs\): default\/radarr-dst/,
    fixes: ['restores-set-copy-method', 'restores-recreate'],
    gitHint: /copyMethod: Snapshot/,
    then: (r) => assert.match(r.evidence[0].value, /^unset \(unsupported copyMethod/),
  },
  { name: 'copyMethod Direct', objects: { replicationdestinations: [rd('default/sonarr-dst', { copyMethod: 'Direct' })] }, status: 'fail' },
  { name: 'no RDs', status: 'pass', summary: /0\/0/ },
  {
    name: 'namespaces filter',
    objects: { replicationdestinations: [rd('default/sonarr-dst'), rd('other/x-dst', { copyMethod: null })] },
    config: { restores: { namespaces: ['default'] } },
    status: 'pass',
  },
]);

runTable('restores.ssa-if-not-present', [
  { name: 'no label', objects: { replicationdestinations: [rd('default/sonarr-dst')] }, status: 'pass' },
  {
    name: 'seed issue 9: IfNotPresent',
    objects: { replicationdestinations: [rd('default/sonarr-dst', { labels: { 'kustomize.toolkit.fluxcd.io/ssa': 'IfNotPresent' } })] },
    status: 'warn',
    summary: /1 RD with ssa: IfNotPresent.*default\/sonarr-dst/,
    fixes: ['restores-recreate'],
    gitHint: /REMOVED: kustomize\.toolkit\.fluxcd\.io\/ssa: IfNotPresent/,
  },
]);

runTable('restores.secrets', [
  {
    name: 'secrets present',
    objects: { replicationdestinations: [rd('default/sonarr-dst')], secrets: [secret('default/sonarr-volsync-secret')] },
    status: 'pass',
  },
  {
    name: 'secret missing',
    objects: { replicationdestinations: [rd('default/sonarr-dst'), rd('default/plex-dst')], secrets: [secret('default/sonarr-volsync-secret')] },
    status: 'fail',
    summary: /^1 repository Secret missing \(external-secrets not synced\?\): default\/plex-volsync-secret/,
  },
  {
    name: 'a secret in another namespace does not count',
    objects: { replicationdestinations: [rd('media/plex-dst')], secrets: [secret('default/plex-volsync-secret')] },
    status: 'fail',
  },
  { name: 'no repository named', objects: { replicationdestinations: [rd('default/plex-dst', { repository: null })] }, status: 'fail', summary: /names no repository Secret/ },
  {
    name: 'secrets forbidden',
    objects: { replicationdestinations: [rd('default/plex-dst')] },
    options: { sync: { secrets: { phase: 'forbidden', detail: 'RBAC: list secrets denied' } } },
    status: 'unknown',
    summary: /^cannot list secrets: forbidden \(RBAC: list secrets denied\)$/,
  },
]);

runTable('restores.progress', [
  { name: 'all done', objects: { replicationdestinations: [rd('default/a-dst', DONE), rd('default/b-dst', DONE)] }, status: 'pass', summary: /^2\/2 restored$/ },
  {
    name: 'none triggered',
    objects: { replicationdestinations: [rd('default/a-dst'), rd('default/b-dst')] },
    status: 'warn',
    summary: /^0\/2 restored: 2 not triggered$/,
    fixes: ['restores-trigger'],
  },
  {
    name: 'running',
    objects: { replicationdestinations: [rd('default/a-dst', { trigger: 'restore-2', sync: cond('Synchronizing', 'True', 'SyncInProgress') }), rd('default/b-dst', DONE)] },
    status: 'warn',
    summary: /^1\/2 restored: 1 running$/,
    fixes: [],
  },
  {
    name: 'failed mover, with its message',
    objects: {
      replicationdestinations: [rd('default/a-dst', { trigger: 'restore-2', sync: cond('Synchronizing', 'False', 'Error', 'kopia: no snapshots found for sonarr-src') }), rd('default/b-dst')],
    },
    status: 'fail',
    summary: /^0\/2 restored: 1 failed, 1 not triggered \(a-dst: kopia: no snapshots found/,
    fixes: ['restores-trigger'],
  },
  { name: 'mover result Failed', objects: { replicationdestinations: [rd('default/a-dst', { trigger: 't', result: 'Failed' })] }, status: 'fail', summary: /a-dst: mover log line/ },
  {
    name: 'triggered, not started yet',
    objects: { replicationdestinations: [rd('default/a-dst', { trigger: 't2', lastManualSync: 't1', result: 'Successful', image: true })] },
    status: 'warn',
    summary: /1 triggered/,
  },
  {
    name: 'synced but no latestImage is not done',
    objects: { replicationdestinations: [rd('default/a-dst', { trigger: 't', lastManualSync: 't', result: 'Successful' })] },
    status: 'warn',
    summary: /0\/1 restored/,
  },
  { name: 'no RDs yet', status: 'warn', summary: /no ReplicationDestinations yet/ },
  { name: 'no RDs expected', config: { restores: { expectedCount: 0 } }, status: 'pass' },
]);

runTable('restores.app-pvcs', [
  {
    name: 'restored PVCs Bound',
    objects: { persistentvolumeclaims: [pvc('default/sonarr-config', 'Bound', fromRd('sonarr-dst')), pvc('default/kopia', 'Bound')] },
    status: 'pass',
    summary: /^1\/1 app PVCs Bound$/,
  },
  {
    name: 'Pending, listed with its RD',
    objects: { persistentvolumeclaims: [pvc('default/sonarr-config', 'Pending', fromRd('sonarr-dst'))], replicationdestinations: [rd('default/sonarr-dst')] },
    status: 'warn',
    summary: /0\/1 app PVCs Bound; waiting: default\/sonarr-config \(waiting for RD sonarr-dst to restore\)/,
  },
  {
    name: 'its RD missing',
    objects: { persistentvolumeclaims: [pvc('default/sonarr-config', 'Pending', fromRd('sonarr-dst'))] },
    status: 'fail',
    summary: /RD sonarr-dst missing/,
  },
  {
    name: 'dataSource (not dataSourceRef) counts too',
    objects: { persistentvolumeclaims: [pvc('default/x', 'Pending', { dataSource: fromRd('x-dst').dataSourceRef })], replicationdestinations: [rd('default/x-dst')] },
    status: 'warn',
  },
  { name: 'no PVC restores from an RD', objects: { persistentvolumeclaims: [pvc('default/kopia', 'Bound')] }, status: 'pass', summary: /no PVC restores/ },
  {
    name: 'RD CRD missing is optional here',
    objects: { persistentvolumeclaims: [pvc('default/sonarr-config', 'Bound', fromRd('sonarr-dst'))] },
    options: { sync: { replicationdestinations: { phase: 'not-installed' } } },
    status: 'pass',
  },
]);

const many = (n: number) => Array.from({ length: n }, (_, i) => rd(`default/app${i}-dst`));

runTable('restores.count', [
  { name: 'as expected', objects: { replicationdestinations: many(22) }, status: 'pass', summary: /^22\/22/ },
  { name: 'fewer', objects: { replicationdestinations: many(18) }, status: 'warn', summary: /^18\/22 ReplicationDestinations \(4 missing/ },
  { name: 'more', objects: { replicationdestinations: many(3) }, config: { restores: { expectedCount: 2 } }, status: 'warn', summary: /1 more than/ },
  {
    name: 'RDs still connecting',
    options: { sync: { replicationdestinations: { phase: 'connecting' } } },
    status: 'pending',
    summary: /^waiting for replicationdestinations to sync$/,
  },
]);
