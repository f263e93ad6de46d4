/**
 * Every fix's confirm screen at 80x24 on the demo: the changes first (one line per request with its
 * dry-run verdict, the fields it changes), within the first screen; the full plan below, reached
 * with g G Home End; "the same by hand" pastes into a shell as printed.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FixId } from '../../src/checks/types.js';
import { ALL_FIXES } from '../../src/fixes/index.js';
import { KINDS } from '../../src/kinds.js';
import { fixDeck, type FixDeck } from './fix-deck.js';
import { WAIT_MS } from './render.js';

const tick = (ms = 10) => new Promise((r) => setTimeout(r, ms));

/** Opens a fix's confirm screen as its key would, and returns the first frame that shows its plan. */
async function openConfirm(deck: FixDeck, fixId: FixId): Promise<string> {
  const store = deck.session.store;
  void store.getState().requestFix(fixId);
  for (const deadline = Date.now() + WAIT_MS; store.getState().fixes[fixId]?.phase !== 'confirm';) {
    if (Date.now() > deadline) throw new Error(`${fixId}: no confirm screen (${store.getState().fixes[fixId]?.message})`);
    await tick();
  }
  return deck.ui.waitFor(/server-side dry\s+run|Router requests/);
}

async function closeConfirm(deck: FixDeck): Promise<void> {
  deck.session.store.getState().cancelFix();
  await deck.ui.waitFor(/\? help · q quit$/m);
}

test('every fix: its changes and their dry run are on the first 80x24 screen', async () => {
  const deck = await fixDeck();
  try {
    for (const fix of ALL_FIXES) {
      const frame = await openConfirm(deck, fix.id);
      const lines = frame.split('\n');
      assert.ok(lines.length <= 24, `${fix.id}: ${lines.length} lines`);
      const prepared = deck.session.store.getState().fixes[fix.id]!.prepared!;
      const { plan, dryRun } = prepared;
      if (plan.requests.length) {
        const refused = dryRun.filter((r) => r.error).length;
        // Read as a person does: a wrapped row continues the line above it.
        const flat = frame.replace(/\n {2}(?=\S)/g, ' ');
        assert.match(
          flat,
          new RegExp(`^Changes \\(${plan.requests.length}\\).*; server-side dry run: ${refused ? `${refused} refused` : 'all admitted'}$`, 'm'),
          fix.id,
        );
      }
      plan.requests.forEach((r, i) => {
        const where = r.namespace ? `${r.namespace}/${r.name}` : r.name;
        const mark = dryRun[i]?.error ? '✗' : '✓';
        const line = `${mark} ${r.verb.toUpperCase()} ${KINDS[r.kind].kind}${r.subresource ? `/${r.subresource}` : ''} ${where}`;
        assert.ok(
          lines.some((l) => l === line || l.startsWith(`${line} `)),
          `${fix.id}: request ${i + 1} on the first screen: ${line}\n${frame}`,
        );
        if (dryRun[i]?.error) assert.ok(frame.includes(dryRun[i].error!.slice(0, 40)), `${fix.id}: the server's words`);
      });
      for (const r of plan.routerRequests ?? [])
        assert.ok(
          lines.some((l) => l.startsWith(`✓ ${r.method} ${r.path} `)),
          `${fix.id}: ${r.path}`,
        );
      await closeConfirm(deck);
    }
  } finally {
    deck.close();
  }
});

test('Kopia reclaim: the new PV by its handle and policy at a glance, the full body below with G and End, back with g and Home', async () => {
  const deck = await fixDeck();
  const { ui } = deck;
  try {
    let frame = await openConfirm(deck, 'kopia-reclaim');
    assert.match(frame, /^✓ DELETE PersistentVolumeClaim default\/kopia$/m);
    assert.match(frame, /^✓ CREATE PersistentVolume kopia-c2d9e0f4 {2}volumeHandle: …1c73,\n {2}persistentVolumeReclaimPolicy: Retain,/m);
    assert.match(frame, /^✓ CREATE PersistentVolumeClaim default\/kopia {2}volumeName: kopia-c2d9e0f4,/m);
    // The name is being typed here: letters are text, End and Home scroll.
    await ui.press('\u001b[F');
    frame = await ui.waitFor(/^EOF\n(.*\n)*And in Git/m);
    assert.doesNotMatch(frame, /Changes \(3\)/, 'scrolled to the end');
    await ui.press('\u001b[H');
    frame = await ui.waitFor('Changes (3)');
    assert.match(frame, /Esc to cancel: █/, 'nothing typed');

    // The whole plan, page by page: the PV body whole (its handle was cut before), and the same by hand.
    const seen = new Set(frame.split('\n'));
    for (let i = 0; i < 80 && !seen.has('EOF'); i++) {
      await ui.press('\u001b[B');
      for (const line of ui.lastFrame().split('\n')) seen.add(line);
    }
    const text = [...seen].join('\n');
    const pv = deck.session.store.getState().fixes['kopia-reclaim']!.prepared!.plan.requests[1];
    const handle = (pv.body as { spec: { csi: { volumeHandle: string } } }).spec.csi.volumeHandle;
    assert.ok(text.replace(/\n {2}/g, '').includes(`"volumeHandle":"${handle}"`), 'the PV body with its whole handle');
    const byHand = text.slice(text.indexOf('The same by hand'));
    // Too wide for 80 columns, the line goes on after a backslash, as a shell reads it.
    assert.match(byHand, /^kubectl delete --raw \/api\/v1\/namespaces\/default\/persistentvolumeclaims\/kopia \\\n {2}-f - <<'EOF'$/m, 'flush left');
    assert.match(byHand, /^ {2}"kind": "DeleteOptions",$/m, 'the JSON body on lines of its own, not cut inside a string');
    assert.match(byHand, /^EOF$/m, 'the heredoc ends as a shell reads it');
    assert.doesNotMatch(byHand, /^\s*\$ /m, 'no prompt to paste');
  } finally {
    deck.close();
  }
});

test('a y-confirmed fix: G to the bottom, g to the top', async () => {
  const deck = await fixDeck();
  const { ui } = deck;
  try {
    let frame = await openConfirm(deck, 'flux-reconcile-stuck');
    assert.match(frame, /^Changes \(4\)/m);
    const last = deck.session.store.getState().fixes['flux-reconcile-stuck']!.prepared!.plan.commands.at(-1)!.split('\n').at(-1)!;
    assert.doesNotMatch(frame, new RegExp(`^${last.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`, 'm'), 'the last command is below the fold');
    await ui.press('G');
    frame = await ui.waitFor(last.slice(0, 60));
    assert.doesNotMatch(frame, /^Changes \(4\)/m);
    await ui.press('g');
    frame = await ui.waitFor(/^Changes \(4\)/m);
    assert.equal(deck.session.store.getState().fixes['flux-reconcile-stuck']?.phase, 'confirm', 'g and G do not apply or cancel');
  } finally {
    deck.close();
  }
});
