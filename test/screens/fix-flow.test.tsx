/**
 * A fix through the screens, on the demo, as `drdeck demo` wires it (connect: fixes on, audited to
 * a state dir): the fix key on the focused panel, the confirm screen with the plan and its dry run,
 * the name typed out, the effect on the panel; a key pressed twice prepares once; Esc sends nothing;
 * read-only offers no fix keys and ignores them.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { WriteOptions } from '../../src/cluster.js';
import { connect } from '../../src/commands/connect.js';
import { waitForSync } from '../../src/session.js';
import { KEYS, renderDeck, type Rendered } from './render.js';

const tick = (ms = 10) => new Promise((r) => setTimeout(r, ms));

interface FlowDeck extends Awaited<ReturnType<typeof connect>> {
  ui: Rendered;
  /** The dry-run requests drdeck sent, as "verb kind name". */
  dryRuns: string[];
  close(): void;
}

/** The demo at the start of its scenario (time moves only by `demo.clock.advance`), rendered at 80x24. */
async function flowDeck(options: { readOnly?: boolean } = {}): Promise<FlowDeck> {
  const stateDir = mkdtempSync(join(tmpdir(), 'drdeck-fix-flow-'));
  // An empty config file of our own: the user's ./drdeck.yaml or XDG config must not leak in.
  const configFile = join(stateDir, 'drdeck.yaml');
  writeFileSync(configFile, "# empty: the demo's defaults\n");
  const connected = await connect({ demo: true, manual: true, stateDir, config: configFile, flushMs: 5, readOnly: options.readOnly });
  const cluster = connected.demo!.cluster;
  const dryRuns: string[] = [];
  const seen = (verb: string, kind: string, name: string, opts: WriteOptions | undefined) => {
    if (opts?.dryRun) dryRuns.push(`${verb} ${kind} ${name}`);
  };
  const { create, patch, remove } = { create: cluster.create.bind(cluster), patch: cluster.patch.bind(cluster), remove: cluster.delete.bind(cluster) };
  cluster.create = (kind, object, opts) => (seen('create', kind, object.metadata.name, opts), create(kind, object, opts));
  cluster.patch = (kind, namespace, name, body, type, opts) => (seen('patch', kind, name, opts), patch(kind, namespace, name, body, type, opts));
  cluster.delete = (kind, namespace, name, opts) => (seen('delete', kind, name, opts), remove(kind, namespace, name, opts));
  await waitForSync(connected.session, 5_000);
  connected.session.buffer.flush();
  const ui = await renderDeck(connected.session.store, 80, 24);
  return {
    ...connected,
    ui,
    dryRuns,
    close() {
      ui.unmount();
      connected.session.close();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

/** The last line with text: the help bar. */
const helpBar = (frame: string) =>
  frame
    .split('\n')
    .filter((l) => l.trim())
    .at(-1) ?? '';

/** The Kopia panel's row on the dashboard, e.g. `▶ Kopia         ✗3 ✓1     ✗ wrong subvolume: …`. */
const kopiaBorder = (frame: string) => frame.split('\n').find((l) => /^[▶ ] Kopia /.test(l)) ?? '';

test('Kopia: c shows the plan and its dry run, the name typed applies it, the panel turns green; cc prepares once', async () => {
  const deck = await flowDeck();
  const { ui, demo, audit } = deck;
  try {
    await ui.press('l');
    let frame = await ui.waitFor('▶ Kopia');
    assert.match(helpBar(frame), /^c reclaim · /, 'the fix key in the help bar');
    assert.match(kopiaBorder(frame), /✗3 ✓1/);

    // Twice in one read, as keys typed fast over SSH arrive: the second finds the fix preparing.
    await ui.press('cc');
    frame = await ui.waitFor('DESTRUCTIVE Fix: Reclaim the Kopia repository PVC default/kopia');
    assert.match(frame, /^Type "kopia" and Enter to apply, Esc to cancel: █$/m, 'nothing typed yet: the second c was not text');
    assert.match(frame, /! deletes PVC default\/kopia, which is bound to PV/);
    assert.match(helpBar(frame), /^type the name shown, then enter · esc cancel/);
    assert.deepEqual(
      deck.dryRuns,
      ['delete persistentvolumeclaims kopia', 'create persistentvolumes kopia-c2d9e0f4', 'create persistentvolumeclaims kopia'],
      'one dry run of the plan',
    );

    // The changes first, on the first screen: each request with its dry run, the PV by its handle.
    assert.match(frame, /^Changes \(3\); server-side dry run: all admitted$/m);
    assert.match(frame, /^✓ DELETE PersistentVolumeClaim default\/kopia$/m);
    assert.match(frame, /^✓ CREATE PersistentVolume kopia-c2d9e0f4 {2}volumeHandle: …1c73,$/m);
    assert.match(frame, /^✓ CREATE PersistentVolumeClaim default\/kopia {2}volumeName: kopia-c2d9e0f4,/m);
    assert.match(frame, /^ {4}exists until the delete before it runs$/m, "the dry run's expected 409, said");

    // The plan scrolls with the arrows (letters are the name being typed): every line of it, read
    // page by page, holds the bodies as sent and the same by hand.
    const plan = new Set(frame.split('\n'));
    for (let i = 0; i < 80 && !plan.has('EOF'); i++) {
      await ui.press(KEYS.down);
      for (const line of ui.lastFrame().split('\n')) plan.add(line);
    }
    const text = [...plan].join('\n');
    // The delete names the PVC the operator is looking at: its uid and resourceVersion as preconditions.
    const rows = [...plan];
    const at = rows.indexOf('DELETE PersistentVolumeClaim default/kopia');
    const kopia = deck.session.store.getState().objects.persistentvolumeclaims.get('default/kopia')!;
    assert.equal(
      rows
        .slice(at + 1, at + 3)
        .map((l) => l.slice(2))
        .join(''),
      JSON.stringify({ apiVersion: 'v1', kind: 'DeleteOptions', preconditions: { uid: kopia.metadata.uid, resourceVersion: kopia.metadata.resourceVersion } }),
    );
    assert.match(text, /^CREATE PersistentVolume kopia-c2d9e0f4$/m);
    assert.match(text, /^ {2}\{"apiVersion":"v1","kind":"PersistentVolume","metadata":\{"name":"kopia-c2d9e0$/m, 'the body as sent');
    assert.match(text, /^The same by hand, to paste into a shell$/m);
    assert.match(text, /^kubectl delete --raw \/api\/v1\/namespaces\/default\/persistentvolumeclaims\/kopia \\$/m);

    // A wrong name does not apply.
    for (const ch of 'kopi') await ui.press(ch);
    await ui.press(KEYS.enter);
    frame = await ui.waitFor('Esc to cancel: kopi█');
    assert.equal(deck.session.store.getState().fixes['kopia-reclaim']?.phase, 'confirm');
    await ui.press('a');
    await ui.press(KEYS.enter);
    frame = await ui.waitFor(/reclaim: (sending|delete PVC|waiting)/);
    assert.equal(deck.session.store.getState().fixes['kopia-reclaim']?.phase, 'running');

    // Pressed again while it runs: nothing (no second plan, no second dry run).
    await ui.press('c');
    assert.equal(deck.session.store.getState().confirming, null);
    assert.equal(deck.dryRuns.length, 3);

    // Scenario time moves only here: the simulated PV controller deletes, creates and binds.
    for (let i = 0; i < 600 && !/✓ reclaim: PVC default\/kopia Bound/.test(ui.lastFrame()); i++) {
      demo!.clock.advance(1_000);
      await tick(5);
    }
    frame = await ui.waitFor('✓ reclaim: PVC default/kopia Bound');
    assert.equal(deck.session.store.getState().fixes['kopia-reclaim']?.message, 'PVC default/kopia Bound to PV kopia-c2d9e0f4 with the saved handle');
    assert.match(kopiaBorder(frame), /Kopia +✓4 +✓ all 4 pass$/, 'every Kopia check passes');
    assert.doesNotMatch(helpBar(frame), /c reclaim/, 'nothing left to reclaim: the key is no longer offered');

    const entries = audit.read();
    assert.equal(entries.length, 1, 'one audit line for one attempt');
    assert.deepEqual([entries[0].fixId, entries[0].outcome, entries[0].dryRun, entries[0].context], ['kopia-reclaim', 'done', 'ok', 'demo']);
    assert.equal(deck.dryRuns.length, 3);
  } finally {
    deck.close();
  }
});

test('Esc on the confirm screen cancels: nothing is sent, the panel says so, the audit log too', async () => {
  const deck = await flowDeck();
  const { ui, demo, audit } = deck;
  try {
    await ui.press('l');
    await ui.waitFor('▶ Kopia');
    await ui.press('c');
    await ui.waitFor('Type "kopia" and Enter to apply');
    const cluster = demo!.cluster;
    const before = { cluster: cluster.resourceVersion, pvc: (await cluster.get('persistentvolumeclaims', 'default', 'kopia')).metadata.resourceVersion };
    await ui.press('k');
    await ui.waitFor('Esc to cancel: k█');
    await ui.press(KEYS.escape);
    const frame = await ui.waitFor('- reclaim: cancelled: nothing was');
    assert.equal(deck.session.store.getState().fixes['kopia-reclaim']?.message, 'cancelled: nothing was sent');
    assert.match(frame, /▶ Kopia/);
    assert.equal(deck.session.store.getState().confirming, null);
    assert.equal(cluster.resourceVersion, before.cluster, 'no write at all');
    assert.equal((await cluster.get('persistentvolumeclaims', 'default', 'kopia')).metadata.resourceVersion, before.pvc);
    assert.deepEqual(
      audit.read().map((e) => [e.fixId, e.outcome, e.message]),
      [['kopia-reclaim', 'cancelled', 'not confirmed: nothing was sent']],
    );
  } finally {
    deck.close();
  }
});

test('read-only: no fix keys in the help bar, and a fix key does nothing', async () => {
  const deck = await flowDeck({ readOnly: true });
  const { ui, demo, audit } = deck;
  try {
    await ui.press('l');
    let frame = await ui.waitFor('▶ Kopia');
    assert.match(helpBar(frame), /^hjkl move · enter detail/, 'the bar starts with the moves, no fix');
    assert.doesNotMatch(frame, /c reclaim/);
    const rv = demo!.cluster.resourceVersion;
    // `c` then `h`: once the focus has moved, the `c` before it has been handled, and did nothing.
    await ui.press('c');
    await ui.press('h');
    frame = await ui.waitFor('▶ Flux');
    assert.doesNotMatch(frame, /Fix:|reclaim:/);
    assert.deepEqual(deck.session.store.getState().fixes, {});
    assert.deepEqual(deck.dryRuns, []);
    assert.equal(demo!.cluster.resourceVersion, rv);
    assert.deepEqual(audit.read(), []);
    // Every panel: no fix keys anywhere (outside read-only, each offers one at the start of the scenario).
    assert.doesNotMatch(helpBar(frame), /^\S /, 'Flux');
    for (const [key, title] of [
      ['l', 'Kopia'],
      ['j', 'Restores'],
      ['j', 'Gateways'],
      ['j', 'LoadBalancers'],
      ['l', 'DNS'],
    ]) {
      await ui.press(key);
      frame = await ui.waitFor(`▶ ${title}`);
      assert.match(helpBar(frame), /^hjkl move · /, title);
    }
    assert.deepEqual(deck.session.store.getState().fixes, {});
  } finally {
    deck.close();
  }
});
