/** The DNS panel and its detail say what the router holds, where a router is configured; `a` adds records. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfig } from '../../src/config/load.js';
import { startSession, waitForSync } from '../../src/session.js';
import { createDemoCluster } from '../../src/sim/index.js';
import { KEYS, renderDeck } from './render.js';

async function demoWithFixes() {
  const demo = createDemoCluster({ manual: true });
  const session = startSession({
    cluster: demo.cluster,
    resolver: demo.dns,
    router: demo.router,
    config: parseConfig(demo.config, 'demo'),
    flushMs: 5,
    fixes: { readOnly: false, audit: () => {} },
  });
  await waitForSync(session, 5000);
  session.buffer.flush();
  return session;
}

test("the DNS panel shows the router's record count, its detail the Router row, and `a` plans the PUTs", async () => {
  const session = await demoWithFixes();
  const ui = await renderDeck(session.store, 80, 24);
  try {
    const frame = await ui.waitFor('router demo: 6 static records');
    for (const line of frame.split('\n')) assert.ok([...line].length <= 80, `too wide: ${line}`);
    assert.ok(frame.split('\n').length <= 24);
    // Focus the DNS panel (bottom right in 80 columns).
    await ui.press(KEYS.down);
    await ui.press(KEYS.down);
    await ui.press(KEYS.right);
    const focused = await ui.waitFor('▶ DNS');
    assert.match(focused, /a add records/);
    await ui.press(KEYS.enter);
    await ui.waitFor('Router demo  static records: 6');
    // The selected name alone: emby first (worst, but not curable by a record), then mosquitto.
    await ui.press('j');
    await ui.press('j');
    await ui.waitFor(/^DNS mosquitto\.sulibot\.com {2}A\/AAAA: missing AAAA fd00:101::1b:129/m);
    await ui.press('a');
    const confirm = await ui.waitFor('Router requests (1) to demo');
    assert.match(confirm, /PUT \/rest\/ip\/dns\/static \{"name":"mosquitto\.sulibot\.com","type":"AAAA"/);
    assert.equal(session.store.getState().fixes['dns-add-records']?.phase, 'confirm');
  } finally {
    ui.unmount();
    session.close();
  }
});
