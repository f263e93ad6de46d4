/**
 * A fix followed through the store on a fast demo clock. At `drdeck demo --speed 3000` the reclaim's
 * 2-minute budget is 40 ms of real time, less than the watch and the store's 100 ms flush take to
 * bring the effect back: the fix must still see its effect rather than report a timeout for a PVC
 * that is Bound.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { connect } from '../../src/commands/connect.js';
import { waitForSync } from '../../src/session.js';

test('on a demo at --speed 3000, kopia-reclaim follows its effect to the end instead of timing out', async () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'drdeck-fix-wait-'));
  const config = join(stateDir, 'drdeck.yaml');
  writeFileSync(config, '# empty\n');
  const { session } = await connect({ demo: true, speed: 3000, stateDir, config });
  try {
    await waitForSync(session, 5_000);
    session.buffer.flush();
    const { store } = session;
    await store.getState().requestFix('kopia-reclaim');
    store.getState().typeConfirm('kopia');
    await store.getState().confirmFix();
    const activity = store.getState().fixes['kopia-reclaim'];
    assert.deepEqual([activity?.phase, activity?.message], ['done', 'PVC default/kopia Bound to PV kopia-c2d9e0f4 with the saved handle']);
  } finally {
    session.close();
    rmSync(stateDir, { recursive: true, force: true });
  }
});
