import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ALL_CHECKS, evaluateAll, evaluateDirty, runCheck } from '../../src/checks/index.js';
import { FIX_IDS, PANELS, type Check, type InputKey } from '../../src/checks/types.js';
import { KIND_KEYS } from '../../src/kinds.js';
import { ago, evaluate, flux, makeConfig, makeSnapshot, notReady, pvc, service, type SnapshotOptions } from './fixtures.js';

const CONTRACT_IDS = [
  'flux.ready',
  'flux.essential',
  'flux.stuck',
  'flux.immutable-conflict',
  'flux.suspended',
  'foundation.storage',
  'foundation.operators',
  'kopia.pvc-bound',
  'kopia.volume-handle',
  'kopia.reclaim-policy',
  'kopia.not-flux-managed',
  'restores.copy-method',
  'restores.ssa-if-not-present',
  'restores.secrets',
  'restores.progress',
  'restores.app-pvcs',
  'restores.other-pvcs',
  'restores.apps-running',
  'restores.count',
  'gateways.programmed',
  'gateways.operator',
  'gateways.health-checks',
  'loadbalancers.dual-stack-annotation',
  'loadbalancers.external-ip',
  'loadbalancers.status-families',
  'loadbalancers.address-conflict',
  'dns.records',
];

test('ALL_CHECKS: exactly the contract ids, in panel order, with valid inputs', () => {
  assert.deepEqual(
    ALL_CHECKS.map((c) => c.id),
    CONTRACT_IDS,
  );
  const panelIndex = ALL_CHECKS.map((c) => PANELS.indexOf(c.panel));
  assert.deepEqual(
    panelIndex,
    [...panelIndex].sort((a, b) => a - b),
  );
  const inputs = new Set<string>([...KIND_KEYS, 'dns']);
  for (const check of ALL_CHECKS) {
    for (const input of [...check.inputs, ...(check.optional ?? [])]) assert.ok(inputs.has(input), `${check.id} reads unknown input ${input}`);
    assert.ok(check.title.length > 0);
  }
});

const pvcBound = (sync: SnapshotOptions['sync'], objects = [pvc('default/kopia', 'Bound', { volumeName: 'pv-1' })]) =>
  evaluate('kopia.pvc-bound', makeSnapshot({ persistentvolumeclaims: objects }, { sync }));

const runnerCases: Array<{ name: string; run: () => ReturnType<typeof evaluate>; status: string; summary: RegExp }> = [
  {
    name: 'connecting is pending',
    run: () => pvcBound({ persistentvolumeclaims: { phase: 'connecting' } }),
    status: 'pending',
    summary: /^waiting for persistentvolumeclaims to sync$/,
  },
  {
    name: 'retrying with no data yet is pending',
    run: () => pvcBound({ persistentvolumeclaims: { phase: 'retrying' } }, []),
    status: 'pending',
    summary: /waiting for persistentvolumeclaims/,
  },
  {
    name: 'retrying with data is evaluated',
    run: () => pvcBound({ persistentvolumeclaims: { phase: 'retrying', since: 1 } }),
    status: 'pass',
    summary: /Bound/,
  },
  {
    name: 'retrying with objects but no since is evaluated',
    run: () => pvcBound({ persistentvolumeclaims: { phase: 'retrying' } }),
    status: 'pass',
    summary: /Bound/,
  },
  {
    name: 'a sync state never reported is pending',
    run: () => pvcBound({ persistentvolumeclaims: undefined as never }),
    status: 'pending',
    summary: /waiting/,
  },
  {
    name: 'not installed is unknown',
    run: () => pvcBound({ persistentvolumeclaims: { phase: 'not-installed' } }),
    status: 'unknown',
    summary: /^PersistentVolumeClaim not installed \(CRD missing\)$/,
  },
  {
    name: 'forbidden is unknown with its detail',
    run: () => pvcBound({ persistentvolumeclaims: { phase: 'forbidden', detail: 'no list verb' } }),
    status: 'unknown',
    summary: /^cannot list persistentvolumeclaims: forbidden \(no list verb\)$/,
  },
  {
    name: 'unknown wins over pending',
    run: () =>
      evaluate(
        'kopia.volume-handle',
        makeSnapshot({}, { sync: { persistentvolumeclaims: { phase: 'connecting' }, persistentvolumes: { phase: 'forbidden' } } }),
        makeConfig({ kopia: { savedVolumeHandle: 'x' } }),
      ),
    status: 'unknown',
    summary: /cannot list persistentvolumes/,
  },
  {
    name: 'several inputs connecting are all named',
    run: () => evaluate('restores.secrets', makeSnapshot({}, { sync: { replicationdestinations: { phase: 'connecting' }, secrets: { phase: 'connecting' } } })),
    status: 'pending',
    summary: /^waiting for replicationdestinations, secrets to sync$/,
  },
  {
    name: 'an optional input connecting is pending',
    run: () => evaluate('flux.ready', makeSnapshot({ kustomizations: [flux('flux-system/a')] }, { sync: { helmreleases: { phase: 'connecting' } } })),
    status: 'pending',
    summary: /waiting for helmreleases/,
  },
  {
    name: 'an optional input forbidden is simply not read',
    run: () => evaluate('flux.ready', makeSnapshot({ kustomizations: [flux('flux-system/a')] }, { sync: { helmreleases: { phase: 'forbidden' } } })),
    status: 'pass',
    summary: /1\/1 Ready/,
  },
  {
    name: 'DNS with no resolver configured',
    run: () => evaluate('dns.records', makeSnapshot({}, { sync: { dns: { phase: 'not-installed' } } })),
    status: 'unknown',
    summary: /^no resolver configured \(dns\.servers\)$/,
  },
];

for (const c of runnerCases) {
  test(`runCheck: ${c.name}`, () => {
    const result = c.run();
    assert.equal(result.status, c.status, result.summary);
    assert.match(result.summary, c.summary);
  });
}

const fake = (evaluate: Check['evaluate']): Check => ({ id: 'test.fake', panel: 'flux', title: 'fake', scope: 'status', inputs: ['pods'], evaluate });

test('runCheck: an exception becomes unknown "check failed"', () => {
  const result = runCheck(
    fake(() => {
      throw new Error('boom');
    }),
    makeSnapshot(),
    makeConfig(),
  );
  assert.deepEqual(result, { id: 'test.fake', panel: 'flux', status: 'unknown', summary: 'check failed: boom', evidence: [], fixes: [], source: 'cluster' });
});

test('runCheck: a passing verdict names no fixes', () => {
  const result = runCheck(
    fake(() => ({ status: 'pass', summary: 'ok', evidence: [], fixes: ['flux-reconcile'] })),
    makeSnapshot(),
    makeConfig(),
  );
  assert.deepEqual(result.fixes, []);
});

test('evaluateAll: every check, fixes from FIX_IDS only', () => {
  const results = evaluateAll(makeSnapshot(), makeConfig());
  assert.deepEqual(Object.keys(results), CONTRACT_IDS);
  for (const r of Object.values(results)) for (const f of r.fixes) assert.ok(FIX_IDS.includes(f));
});

const lbSnapshot = (ips: string, now?: number, extra = service('default/api', { type: 'ClusterIP' })) =>
  makeSnapshot(
    {
      services: [service('network/x', { ips, ingress: ['10.101.27.122', 'fd00:101::1b:122'] }), extra],
      kustomizations: [flux('flux-system/apps', { ready: notReady('HealthCheckFailed', '', ago(5)) })],
    },
    { now },
  );

test('evaluateDirty: nothing changed keeps the very same record', () => {
  const config = makeConfig();
  const before = evaluateAll(lbSnapshot('fd00:101::1b:122,10.101.27.122'), config);
  assert.equal(evaluateDirty(before, lbSnapshot('fd00:101::1b:122,10.101.27.122'), config, new Set(), false), before);
});

test('evaluateDirty: a change that yields the same results keeps every object', () => {
  const config = makeConfig();
  const before = evaluateAll(lbSnapshot('fd00:101::1b:122,10.101.27.122'), config);
  const changed = lbSnapshot('fd00:101::1b:122,10.101.27.122', undefined, service('default/other', { type: 'NodePort' }));
  const after = evaluateDirty(before, changed, config, new Set<InputKey>(['services']), false);
  assert.equal(after, before);
});

test('evaluateDirty: only checks reading a changed input get new objects', () => {
  const config = makeConfig();
  const before = evaluateAll(lbSnapshot('fd00:101::1b:122,10.101.27.122'), config);
  const after = evaluateDirty(before, lbSnapshot('fd00:101::1b:122'), config, new Set<InputKey>(['services']), false);
  assert.notEqual(after, before);
  assert.notEqual(after['loadbalancers.dual-stack-annotation'], before['loadbalancers.dual-stack-annotation']);
  assert.equal(after['loadbalancers.dual-stack-annotation'].status, 'fail');
  assert.equal(after['loadbalancers.external-ip'], before['loadbalancers.external-ip'], 'unchanged verdict, same object');
  assert.equal(after['flux.ready'], before['flux.ready']);
  assert.deepEqual(Object.keys(after), CONTRACT_IDS);
});

test('evaluateDirty: a clock tick re-evaluates clock checks only', () => {
  const config = makeConfig();
  const before = evaluateAll(lbSnapshot('fd00:101::1b:122,10.101.27.122'), config);
  assert.equal(before['flux.stuck'].status, 'pass');
  const later = lbSnapshot('fd00:101::1b:122,10.101.27.122', Date.parse(ago(-10)));
  const after = evaluateDirty(before, later, config, new Set(), true);
  assert.equal(after['flux.stuck'].status, 'fail');
  assert.match(after['flux.stuck'].summary, /not Ready for 15m/);
  assert.equal(after['flux.ready'], before['flux.ready']);
  assert.equal(evaluateDirty(before, later, config, new Set(), false), before, 'no tick, no change');
});

test('evaluateDirty: a missing previous result is computed', () => {
  const config = makeConfig();
  const full = evaluateAll(makeSnapshot(), config);
  const { ['dns.records']: _dropped, ...partial } = full;
  const after = evaluateDirty(partial, makeSnapshot(), config, new Set(), false);
  assert.deepEqual(Object.keys(after), CONTRACT_IDS);
  assert.equal(after['flux.ready'], full['flux.ready']);
});

/** Every watched kind retrying (as the watchers report a server that refuses), DNS as it is. */
function retryingAll(reason: string, detail: string, since?: number): SnapshotOptions['sync'] {
  return Object.fromEntries(KIND_KEYS.map((k) => [k, { phase: 'retrying', reason, detail, ...(since !== undefined ? { since } : {}) }]));
}
const REFUSED = 'connection refused by 127.0.0.1:6443: GET /api/v1/services; retrying in 4 s';

test('an API server that cannot be reached: every check reading the cluster says so, never "missing" or "not deployed"', () => {
  const results = evaluateAll(makeSnapshot({}, { sync: retryingAll('ConnectionRefused', REFUSED) }), makeConfig());
  for (const r of Object.values(results)) {
    assert.equal(r.status, 'unknown', `${r.id}: ${r.summary}`);
    assert.equal(r.summary, 'cannot reach the API server: connection refused', r.id);
    assert.deepEqual(r.fixes, []);
  }
});

test('an API server lost after data came: since the last fresh data, the stale verdicts withdrawn', () => {
  const since = Date.parse('2025-12-02T18:02:11Z');
  const objects = { kustomizations: [flux('flux-system/apps')], persistentvolumeclaims: [pvc('default/kopia', 'Bound', { volumeName: 'pv-1' })] };
  const sync = {
    ...retryingAll('Timeout', 'timed out after 10 s: GET /api/v1/pods; retrying in 8 s', since - 5000),
    kustomizations: {
      phase: 'retrying',
      reason: 'Timeout',
      detail: 'timed out after 10 s: GET /apis/kustomize.toolkit.fluxcd.io/v1/kustomizations; retrying in 2 s',
      since,
    },
  } as SnapshotOptions['sync'];
  const r = evaluate('flux.ready', makeSnapshot(objects, { sync }));
  assert.equal(r.status, 'unknown');
  assert.equal(r.summary, 'cannot reach the API server: timed out after 10 s (since 18:02:11)');
});

const REACHABLE_CASES: Array<{ name: string; sync: SnapshotOptions['sync'] }> = [
  { name: 'one kind still synced', sync: { ...retryingAll('ConnectionRefused', REFUSED), services: { phase: 'synced' } } },
  { name: 'one kind still connecting', sync: { ...retryingAll('ConnectionRefused', REFUSED), services: { phase: 'connecting' } } },
  {
    name: 'a kind retrying for another reason (the server answered 500)',
    sync: {
      ...retryingAll('ConnectionRefused', REFUSED),
      pods: { phase: 'retrying', reason: 'InternalError', detail: 'etcdserver: leader changed; retrying in 1 s' },
    },
  },
  { name: 'retrying without a reason', sync: retryingAll('', 'socket hang up; retrying in 1 s') },
];

for (const c of REACHABLE_CASES) {
  test(`not "cannot reach the API server": ${c.name}`, () => {
    const results = evaluateAll(makeSnapshot({}, { sync: c.sync }), makeConfig());
    for (const r of Object.values(results)) assert.doesNotMatch(r.summary, /cannot reach the API server/, r.id);
  });
}

test('a kind last seen forbidden or not installed does not contradict an unreachable server', () => {
  const sync = {
    ...retryingAll('Unreachable', 'cannot resolve api.home.lan: GET /api/v1/pods; retrying in 2 s'),
    secrets: { phase: 'forbidden' },
    ocirepositories: { phase: 'not-installed' },
  } as SnapshotOptions['sync'];
  const r = evaluate('restores.secrets', makeSnapshot({}, { sync }));
  assert.equal(r.summary, 'cannot reach the API server: cannot resolve api.home.lan');
});

test('evaluateDirty: every check says "cannot reach" once the last watcher fails, and stops once the server answers', () => {
  const config = makeConfig();
  const objects = { services: [service('network/x', { ips: 'fd00:101::1b:122,10.101.27.122', ingress: ['10.101.27.122', 'fd00:101::1b:122'] })] };
  const synced = makeSnapshot(objects);
  const before = evaluateAll(synced, config);
  assert.equal(before['loadbalancers.external-ip'].status, 'pass');
  // The services watcher fails last: only `services` changed, yet checks on other kinds follow.
  const down = makeSnapshot(objects, { sync: retryingAll('ConnectionRefused', REFUSED, 1) });
  const after = evaluateDirty(before, down, config, new Set<InputKey>(['services']), false);
  for (const r of Object.values(after)) assert.equal(r.status, 'unknown', r.id);
  assert.match(after['flux.ready'].summary, /^cannot reach the API server: connection refused/);
  // One kind answers again: every check is evaluated on its data again.
  const up = makeSnapshot(objects, { sync: { ...retryingAll('ConnectionRefused', REFUSED, 1), services: { phase: 'synced', since: 2 } } });
  const back = evaluateDirty(after, up, config, new Set<InputKey>(['services']), false);
  assert.equal(back['loadbalancers.external-ip'].status, 'pass');
  assert.doesNotMatch(back['flux.ready'].summary, /cannot reach/);
});
