/**
 * The dashboard's layout as the operator sees it at 80x24, 120x40 and below the minimum, and across
 * a resize: one row a panel in one order, the focused panel whole below, `Next:` and the help bar
 * whole on every screen and every panel; Next's key from any panel; `/` on the dashboard; `t` then
 * Esc back to the detail it left, on the same line.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import stringWidth from 'string-width';
import { PANEL_TITLES, PANELS } from '../../src/checks/types.js';
import { demoSession } from '../demo-session.js';
import { fixDeck } from './fix-deck.js';
import { KEYS, renderDeck, type Rendered } from './render.js';

const TITLES = PANELS.map((p) => PANEL_TITLES[p]);
const rowsOf = (frame: string) => frame.split('\n');
const helpBar = (frame: string) =>
  rowsOf(frame)
    .filter((l) => l.trim())
    .at(-1) ?? '';

/**
 * Nothing wider or taller than the terminal, no line cut with "…" at its end, the bar whole. A
 * detail's list is a table cut to the width (k9s-like): there, its footer must hold the selected line whole.
 */
function assertWhole(frame: string, columns: number, rows: number, where: string, list = false): void {
  const lines = rowsOf(frame);
  assert.ok(lines.length <= rows, `${where}: ${lines.length} rows`);
  for (const line of lines) assert.ok(stringWidth(line) <= columns, `${where}: wider than ${columns}: ${line}`);
  const read = list ? lines.filter((l) => !/^[✗!?…✓-] |^ {4}/.test(l)) : lines;
  for (const line of read) assert.doesNotMatch(line, /…$/, `${where}: a line cut:\n${frame}`);
  assert.match(helpBar(frame), /\? help · q quit$/, `${where}: the help bar: ${helpBar(frame)}`);
}

/** The panels' rows, in the order drawn: their titles. */
const panelOrder = (frame: string) =>
  rowsOf(frame)
    .map((l) => /^[▶ ] (\S+) /.exec(l)?.[1])
    .filter((t): t is string => !!t && TITLES.includes(t));

const focusOn = async (ui: Rendered, title: string) => {
  for (let i = 0; i < 6 && !new RegExp(`^▶ ${title} `, 'm').test(ui.lastFrame()); i++) await ui.press('j');
  return ui.waitFor(new RegExp(`^── ${title} `, 'm'));
};

test('80x24: every panel focused in turn, the dashboard and its detail fit whole; Next: and the help bar whole', async () => {
  const deck = await fixDeck();
  const { ui } = deck;
  try {
    let frame = await ui.waitFor(/^Next: \[R\] reconcile stuck on Flux/m);
    assert.deepEqual(panelOrder(frame), TITLES);
    for (const [i, title] of TITLES.entries()) {
      if (i > 0) await ui.press('j');
      frame = await ui.waitFor(new RegExp(`^── ${title} `, 'm'));
      assertWhole(frame, 80, 24, `dashboard, ${title}`);
      // Next: wrapped, whole: the step's text ends the block (not cut mid-word).
      assert.match(frame, /^Next: \[R\] reconcile stuck on Flux · Wait for the infrastructure: cert-manager,\n {2}external-secrets, ceph-csi, volsync\n/m);
      await ui.press(KEYS.enter);
      frame = await ui.waitFor(new RegExp(`^${title} — \\d+ checks?`, 'm'));
      assertWhole(frame, 80, 24, `detail, ${title}`, true);
      await ui.press(KEYS.escape);
      await ui.waitFor(new RegExp(`^── ${title} `, 'm'));
    }
    await ui.press('g');
    assertWhole(await ui.waitFor(/^Git — /m), 80, 24, 'Git view', true);
    await ui.press('g');
    await ui.press('t');
    assertWhole(await ui.waitFor(/^Timeline — /m), 80, 24, 'timeline');
  } finally {
    deck.close();
  }
});

test("Next's bracketed key from another panel focuses its panel and opens its fix; other panels' keys stay on their panel", async () => {
  const deck = await fixDeck();
  const { ui } = deck;
  try {
    await ui.waitFor(/^Next: \[R\] reconcile stuck on Flux/m);
    await focusOn(ui, 'DNS');
    // Kopia's own key does nothing from DNS: only Next's works from anywhere.
    await ui.press('c');
    await ui.press('R');
    const frame = await ui.waitFor(/Fix: Reconcile \d+ stuck Flux objects/);
    assert.equal(deck.session.store.getState().focus, 'flux');
    assert.equal(deck.session.store.getState().fixes['kopia-reclaim'], undefined, 'c from DNS did nothing');
    assert.match(frame, /y apply/);
    await ui.press(KEYS.escape);
    await ui.waitFor(/^▶ Flux /m);
  } finally {
    deck.close();
  }
});

test('120x40: the same order, more of the focused panel; 60x20 says what it needs, q still quits; a resize redraws', async () => {
  const session = await demoSession();
  const ui = await renderDeck(session.store, 120, 40);
  try {
    let frame = await ui.waitFor(/^── Flux /m);
    assert.deepEqual(panelOrder(frame), TITLES);
    assertWhole(frame, 120, 40, '120x40');
    const wide = rowsOf(frame).filter((l) => /^ *[✗!?…✓] /.test(l)).length;
    await ui.press('j');
    await ui.waitFor(/^▶ Kopia /m);

    ui.resize(60, 20);
    frame = await ui.waitFor('drdeck needs 80x24, have 60x20');
    assert.ok(rowsOf(frame).length <= 20);
    for (const line of rowsOf(frame)) assert.ok(stringWidth(line) <= 60, `too wide: ${line}`);
    assert.doesNotMatch(frame, /[╭┏│┃]|\+\d+ more/, 'nothing drawn over');

    ui.resize(80, 24);
    frame = await ui.waitFor(/^── Kopia /m);
    assertWhole(frame, 80, 24, 'back to 80x24');
    assert.deepEqual(panelOrder(frame), TITLES);
    assert.ok(rowsOf(frame).filter((l) => /^ *[✗!?…✓] /.test(l)).length < wide + 6, 'fewer rows than at 120x40');

    ui.resize(60, 20);
    await ui.waitFor('have 60x20');
    await ui.press('q');
    assert.equal(session.store.getState().quitRequested, true);
  } finally {
    ui.unmount();
    session.close();
  }
});

test('/ on the dashboard filters the findings of every panel; Esc clears it', async () => {
  const session = await demoSession();
  const ui = await renderDeck(session.store, 80, 24);
  try {
    await ui.waitFor(/^── Flux /m);
    await ui.press('/');
    for (const ch of 'emby') await ui.press(ch);
    let frame = await ui.waitFor('/emby█');
    await ui.press(KEYS.enter);
    frame = await ui.waitFor('filter: emby');
    // Panels without a finding about emby say so; the LoadBalancers and DNS ones keep theirs.
    assert.match(frame, /^ {2}Kopia +no match$/m);
    assert.match(frame, /^ {2}LoadBalancers +✗\d.*✗ /m);
    frame = await focusOn(ui, 'LoadBalancers');
    const expanded = rowsOf(frame)
      .slice(rowsOf(frame).findIndex((l) => l.startsWith('── LoadBalancers')) + 1, -1)
      .join('\n');
    assert.match(expanded, /default\/emby/);
    assert.doesNotMatch(expanded, /mosquitto/, 'findings without emby are filtered out');
    await ui.press(KEYS.escape);
    frame = await ui.waitFor(/^ {2}Kopia +✗3/m);
    assert.doesNotMatch(frame, /filter: emby/);
    assert.match(frame, /mosquitto/, 'every finding back');
  } finally {
    ui.unmount();
    session.close();
  }
});

test('t then Esc from a detail returns to it on the same line; a detail reopened keeps its line; PENDING has its space', async () => {
  const session = await demoSession();
  const ui = await renderDeck(session.store, 80, 24);
  try {
    await ui.waitFor(/^── Flux /m);
    await ui.press('l');
    await ui.press(KEYS.enter);
    await ui.waitFor('Kopia — 4 checks');
    for (let i = 0; i < 3; i++) await ui.press('j');
    let frame = await ui.waitFor(/ 4\/\d+$/m);
    await ui.press('t');
    await ui.waitFor(/^Timeline — /m);
    await ui.press(KEYS.escape);
    frame = await ui.waitFor('Kopia — 4 checks');
    assert.match(frame, / 4\/\d+$/m, 'the same line selected');
    // Back to the dashboard and in again: still that line.
    await ui.press(KEYS.escape);
    await ui.waitFor(/^── Kopia /m);
    await ui.press(KEYS.enter);
    frame = await ui.waitFor('Kopia — 4 checks');
    assert.match(frame, / 4\/\d+$/m, 'reopened on the same line');
    // The title never runs into the counter.
    assert.match(rowsOf(frame)[1], /^Kopia — 4 checks.* {1,}\d+\/\d+$/);

    // A pending check reads "PENDING flux.ready", with its space.
    const results = session.store.getState().results;
    session.store.setState({ results: { ...results, 'flux.ready': { ...results['flux.ready'], status: 'pending', summary: 'waiting for the watches' } } });
    await ui.press(KEYS.escape);
    await ui.press('k');
    await ui.press(KEYS.enter);
    frame = await ui.waitFor('Flux — 7 checks');
    assert.match(frame, /PENDING flux\.ready/);
    assert.doesNotMatch(frame, /PENDINGflux/);
  } finally {
    ui.unmount();
    session.close();
  }
});

test('the help bar keeps "? help · q quit" whole however many fix keys a panel offers', async () => {
  const { fitBar } = await import('../../src/screens/HelpBar.js');
  const items = [
    'T trigger restores',
    'm copyMethod',
    'D recreate RD',
    'ctrl-r retry',
    'hjkl move',
    'enter detail',
    '/ filter',
    't timeline',
    'g git',
    '? help',
    'q quit',
  ];
  for (const width of [40, 60, 79, 200]) {
    const bar = fitBar(items, width, 3);
    assert.ok(stringWidth(bar) <= width, `${width}: ${bar}`);
    assert.match(bar, /(^|· )\? help · q quit$/, `${width}: ${bar}`);
    // Whole keys only: every part is one of the items.
    for (const part of bar.split(' · ')) assert.ok(items.includes(part), `${width}: cut "${part}"`);
  }
  assert.equal(fitBar(items, 200, 3), items.join(' · '));
  // At 79 columns the fix keys stay, and the moves give way before the Git view.
  const bar = fitBar(items, 79, 3);
  assert.match(bar, /^T trigger restores · m copyMethod · D recreate RD · /);
  assert.match(bar, / · g git · \? help · q quit$/);
  assert.doesNotMatch(bar, /hjkl move/);
});
