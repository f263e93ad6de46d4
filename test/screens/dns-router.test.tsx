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
    // Focus the DNS panel (the last of the column): expanded, it says what the router holds.
    await ui.waitFor('LoadBalancers');
    for (let i = 0; i < 5; i++) await ui.press(KEYS.down);
    await ui.waitFor('▶ DNS');
    const focused = await ui.waitFor('router demo: 6 static records');
    for (const line of focused.split('\n')) assert.ok([...line].length <= 80, `too wide: ${line}`);
    assert.ok(focused.split('\n').length <= 24);
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
