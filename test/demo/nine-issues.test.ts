import assert from 'node:assert/strict';
import { test } from 'node:test';
import { demoSession } from '../demo-session.js';

/** Each of the seed's nine issues, and the checks that must show it at the scenario's start. */
const SEED_ISSUES: Array<[string, string[]]> = [
  ['1 ceph-csi HelmReleases not reconciling', ['flux.stuck']],
  ['2 Kopia PVC on the wrong subvolume', ['kopia.volume-handle']],
  ['3 ReplicationDestinations without copyMethod', ['restores.copy-method']],
  ['4 every app Kustomization applies the shared Kopia PVC', ['flux.immutable-conflict']],
  ['5 restores not triggered (the script that hung)', ['restores.progress']],
  ['6 LoadBalancers with an IPv6-only annotation, EXTERNAL-IP pending', ['loadbalancers.dual-stack-annotation', 'loadbalancers.external-ip']],
  ['7 Gateways never programmed', ['gateways.programmed', 'gateways.health-checks']],
  ['8 no AAAA records: one family in the LoadBalancer status', ['loadbalancers.status-families', 'dns.records']],
  ['9 RDs with the IfNotPresent SSA label', ['restores.ssa-if-not-present']],
];

test('the rebuild scenario starts with all nine seed issues failing or warning', async () => {
  const session = await demoSession();
  try {
    const { results } = session.store.getState();
    for (const [issue, ids] of SEED_ISSUES) {
      for (const id of ids) {
        const r = results[id];
        assert.ok(r, `${id} exists`);
        assert.ok(r.status === 'fail' || r.status === 'warn', `seed issue ${issue}: ${id} is ${r.status} (${r.summary})`);
      }
    }
  } finally {
    session.close();
  }
});

test('the scenario plays: after 20 scenario minutes the essential Kustomizations are Ready, ceph-csi still stuck', async () => {
  const session = await demoSession();
  try {
    const before = session.store.getState().results['flux.essential'];
    assert.notEqual(before.status, 'pass');
    session.demo.clock.advance(20 * 60_000);
    await new Promise((r) => setTimeout(r, 20));
    session.buffer.flush();
    session.store.getState().tick(session.cluster.now());
    const { results } = session.store.getState();
    assert.equal(results['flux.essential'].status, 'pass', results['flux.essential'].summary);
    assert.equal(results['foundation.storage'].status, 'pass', results['foundation.storage'].summary);
    assert.equal(results['flux.stuck'].status, 'fail');
    assert.match(results['flux.stuck'].summary, /ceph-csi\/ceph-csi-cephfs/);
  } finally {
    session.close();
  }
});
