/**
 * The end of the seed's timeline in the demo, reached through fixes alone: the Kopia repository
 * reclaimed, copyMethod set, the restores triggered once external-secrets has synced the last
 * repository Secret; then every app PVC is Bound and every app starts running.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { REBUILD_FACTS } from '../../src/sim/index.js';
import { demoRun } from '../fixes/run-context.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;

test('through fixes alone: 22 restores, then restores.apps-running passes within a minute of the last restore', async () => {
  const demo = await demoRun();
  const result = (id: string) => demo.store.getState().results[id];
  try {
    assert.equal(result('restores.apps-running').status, 'warn');
    assert.equal((await demo.run('kopia-reclaim')).outcome.ok, true);
    assert.equal((await demo.run('restores-set-copy-method')).outcome.ok, true);
    // Wait for the missing Secret rather than fail thelounge's restore on it.
    await demo.advance(REBUILD_FACTS.missingSecretAt + SECOND - (demo.demo.clock.now() - demo.demo.scenario.t0));
    assert.equal(result('restores.secrets').status, 'pass', result('restores.secrets').summary);
    const { outcome } = await demo.run('restores-trigger');
    assert.equal(outcome.ok, true, outcome.message);
    const last = () => result('restores.apps-running');
    assert.notEqual(last().status, 'fail', last().summary);
    let waited = 0;
    while (last().status !== 'pass' && waited < 2 * MINUTE) {
      assert.notEqual(last().status, 'fail', last().summary);
      await demo.advance(SECOND);
      waited += SECOND;
    }
    assert.equal(last().status, 'pass', last().summary);
    assert.equal(last().summary, '22/22 apps running');
    assert.equal(result('restores.app-pvcs').status, 'pass', result('restores.app-pvcs').summary);
    // The last PVC is populated 10 s after its restore, bound 1 s later, and its app starts within 40 s.
    assert.ok(waited <= 55 * SECOND, `the last app ran ${waited / SECOND} s after the fix ended`);
  } finally {
    demo.close();
  }
});
