/**
 * A user who may not patch what a fix patches, on the demo: the fix keys are not in the help bar nor
 * in the next step; pressed anyway, the key says why on the panel, wrapped; the detail names every
 * missing permission whole, at 80 columns and at 200.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { connect } from '../../src/commands/connect.js';
import { waitForSync } from '../../src/session.js';
import { KEYS, renderDeck } from './render.js';

const NEEDS = ['needs patch on helmcharts.source.toolkit.fluxcd.io in ceph-csi', 'needs patch on helmreleases.helm.toolkit.fluxcd.io in ceph-csi'];

/** The demo at its start, with patch refused on every Flux kind, reviewed before the first frame. */
async function refusedDeck() {
  const stateDir = mkdtempSync(join(tmpdir(), 'drdeck-refused-'));
  const config = join(stateDir, 'drdeck.yaml');
  writeFileSync(config, '# empty\n');
  const connected = await connect({ demo: true, manual: true, stateDir, config, flushMs: 5 });
  for (const kind of ['kustomizations', 'helmreleases', 'helmcharts', 'gitrepositories', 'ocirepositories', 'helmrepositories'])
    connected.demo!.cluster.denied.add(`patch ${kind}`);
  await waitForSync(connected.session, 5_000);
  connected.session.buffer.flush();
  await connected.session.store.getState().reviewAccess();
  return {
    store: connected.session.store,
    close() {
      connected.session.close();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

const lines = (frame: string) => frame.split('\n');

/** The rows of the Flux panel, expanded under its rule (it has the focus), joined. */
function fluxPanelText(frame: string): string {
  const rows = lines(frame);
  const top = rows.findIndex((l) => l.startsWith('── Flux · '));
  assert.ok(top >= 0, `Flux is not expanded in:\n${frame}`);
  return rows.slice(top + 1, -1).join(' ');
}
const helpBar = (frame: string) =>
  lines(frame)
    .filter((l) => l.trim())
    .at(-1) ?? '';

for (const [columns, rows] of [
  [80, 24],
  [200, 50],
] as const) {
  test(`${columns}x${rows}: no refused fix key offered; pressed, the panel says why wrapped; the detail says it whole`, async () => {
    const deck = await refusedDeck();
    const ui = await renderDeck(deck.store, columns, rows);
    try {
      let frame = await ui.waitFor('▶ Flux');
      assert.match(helpBar(frame), /^hjkl move · /, `no fix key first in the bar: ${helpBar(frame)}`);
      assert.doesNotMatch(helpBar(frame), /reconcile/);
      const next = lines(frame).find((l) => l.startsWith('Next:')) ?? '';
      assert.doesNotMatch(next, /\[R\]|\[r\]/, next);

      await ui.press('R');
      frame = await ui.waitFor('! reconcile stuck: not allowed:');
      // Wrapped, never "not allowed: ne…": the Flux panel's rows read on into the permission.
      assert.doesNotMatch(frame, /not allowed: ne…/);
      const flux = fluxPanelText(frame).replace(/\s+/g, '');
      assert.ok(flux.startsWith('!reconcilestuck:notallowed:needspatchonhelmcharts.source'), flux);

      await ui.press(KEYS.enter);
      frame = await ui.waitFor('Flux — 7 checks');
      assert.match(frame, /^! R reconcile stuck: not allowed:\s*$/m);
      assert.match(frame, /^! r reconcile: not allowed:\s*$/m);
      for (const need of NEEDS) assert.match(frame, new RegExp(`^ {4}${need.replace(/\./g, '\\.')}\\s*$`, 'm'), `"${need}" whole on its own row`);
      assert.ok(
        lines(frame).every((l) => [...l].length <= columns),
        'nothing wider than the terminal',
      );
      assert.ok(lines(frame).length <= rows, 'nothing taller');
    } finally {
      ui.unmount();
      deck.close();
    }
  });
}
