/**
 * The object views in the demo at 80x24, as an operator uses them after triggering the restores
 * too early (the Kopia repository still on the wrong subvolume, seed issue 2): in the Restores
 * detail on thelounge's ReplicationDestination, `y` shows its YAML, `e` its Events (the failure
 * arriving live), `l` why the mover failed; and the `:` command line. Every frame fits the terminal.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { REBUILD_FACTS } from '../../src/sim/index.js';
import { fixDeck, type FixDeck } from './fix-deck.js';
import { frameProblems } from './frame-checks.js';
import { KEYS, stripAnsi, WAIT_MS } from './render.js';

const MINUTE = 60_000;

async function type(deck: FixDeck, text: string): Promise<void> {
  for (const ch of text) await deck.ui.press(ch);
}

/** Presses j until the detail's cursor is on thelounge's RD (bounded: the list is finite). */
async function selectThelounge(deck: FixDeck): Promise<void> {
  const store = deck.session.store;
  for (let i = 0; i < 300 && !/^ReplicationDestination\/.*\/thelounge-dst$/.test(store.getState().selection ?? ''); i++) await deck.ui.press('j');
  assert.match(store.getState().selection ?? '', /^ReplicationDestination\/default\/thelounge-dst$/);
}

function assertFits(deck: FixDeck): void {
  for (const frame of deck.ui.frames.slice(-50)) assert.deepEqual(frameProblems(stripAnsi(frame), 80, 24), []);
}

test('the demo at 80x24: y, e and l on the restore that failed say why; Esc goes back to the detail', async () => {
  const deck = await fixDeck();
  const { ui } = deck;
  const clock = deck.demo!.clock;
  try {
    // The repository Secret of thelounge is synced at 10 minutes; the Kopia PVC is still on the new subvolume.
    clock.advance(REBUILD_FACTS.missingSecretAt + MINUTE);
    await ui.press(':');
    await type(deck, 'fix restores-t');
    await ui.press('\t');
    await ui.waitFor(':fix restores-trigger█');
    await ui.press(KEYS.enter);
    await ui.waitFor(/y apply/);
    await ui.press('y');
    await ui.waitFor(/Restores/);

    await ui.press(KEYS.enter);
    await ui.waitFor(/Restores — \d+ checks/);
    await selectThelounge(deck);

    await ui.press('e');
    await ui.waitFor(/^Events ReplicationDestination default\/thelounge-dst/m);
    await ui.waitFor(/TYPE +REASON +AGE +COUNT +MESSAGE/);
    // The mover connects, finds nothing and fails a few minutes later: its event arrives while the view is open.
    // Why a pause between the minutes: each controller step schedules the next once its write is done.
    for (let i = 0; i < 10; i++) {
      clock.advance(MINUTE);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const events = await ui.waitFor(/^Warning +Error .*No snapshots found/m, WAIT_MS);
    assert.match(events, /^Normal +SyncInProgress/m, 'the restore starting, below the failure');
    assert.ok(events.indexOf('No snapshots found') < events.indexOf('SyncInProgress'), 'newest first');
    await ui.press(KEYS.escape);
    await ui.waitFor(/Restores — \d+ checks/);

    await ui.press('l');
    // Long lines wrap onto indented rows: read them joined.
    const logs = (await ui.waitFor(/No snapshots found for thelounge/)).replace(/\n {2}/g, ' ');
    assert.match(logs, /── recorded by ReplicationDestination default\/thelounge-dst/);
    assert.match(logs, /latest mover: Failed/);
    const compact = logs.replace(/\s/g, '');
    assert.ok(compact.includes(`issubvolume${REBUILD_FACTS.wrongVolumeHandle},nottheonesavedinGit`), `why: the repository is on the wrong subvolume:\n${logs}`);
    assert.match(logs, /no pod now for the mover of ReplicationDestination default\/thelounge-dst/);
    assert.match(logs, /── log of pod volsync-system\/volsync-\S+ \(manager\)/);
    assert.match(logs, /s follow on · p previous/);
    await ui.press('/');
    await type(deck, 'thelounge');
    await ui.press(KEYS.enter);
    const searched = await ui.waitFor(/search: thelounge/);
    assert.match(searched, /INFO RD default\/thelounge-dst restoring/, "the VolSync controller's own line about it");
    assert.doesNotMatch(searched, /autobrr-dst restoring/);
    assert.match(
      searched.replace(/\n {2}/g, ' '),
      /ERROR ReplicationDestination default\/thelounge-dst: Synchronizing=False Error: mover failed: No snapshots found/,
    );
    await ui.press(KEYS.escape);
    await ui.press(KEYS.escape);
    await ui.waitFor(/Restores — \d+ checks/);

    await ui.press('y');
    const yaml = await ui.waitFor(/^YAML ReplicationDestination default\/thelounge-dst/m);
    assert.match(yaml, /^kind: ReplicationDestination$/m);
    await ui.press('G');
    await ui.waitFor(/result: Failed/);
    await ui.press('g');
    await ui.waitFor(/^apiVersion: volsync.backube\/v1alpha1$/m);
    await ui.press(KEYS.escape);
    await ui.waitFor(/Restores — \d+ checks/);
    assertFits(deck);
  } finally {
    deck.close();
  }
});

test('the : command line: Tab completes, an unknown command is one line, :ctx is honest, Esc cancels, :q quits', async () => {
  const deck = await fixDeck();
  const { ui } = deck;
  try {
    await ui.press(':');
    await type(deck, 'nope');
    await ui.waitFor(':nope█');
    await ui.press(KEYS.enter);
    await ui.waitFor(/unknown command ":nope": :q quits, :fix ID, :ctx, :help/);
    await ui.press(':');
    await type(deck, 'c');
    await ui.press('\t');
    await ui.waitFor(':ctx█');
    await ui.press(KEYS.enter);
    await ui.waitFor(/ctx: the demo's simulated cluster; `drdeck --context NAME` watches a real one/);
    await ui.press(':');
    await type(deck, 'fix nothing');
    await ui.press(KEYS.enter);
    await ui.waitFor(/fix: no fix "nothing": .*kopia-reclaim/);
    await ui.press(':');
    await type(deck, 'q');
    await ui.press(KEYS.escape);
    await ui.waitFor(/\? help · q quit$/m);
    assert.equal(deck.session.store.getState().quitRequested, false, 'Esc cancelled');
    await ui.press(':');
    await type(deck, 'q');
    await ui.press(KEYS.enter);
    assert.equal(deck.session.store.getState().quitRequested, true);
    assertFits(deck);
  } finally {
    deck.close();
  }
});

test('? in the detail lists y e l, the view keys and :, each page fits 80x24 and j scrolls to the last key', async () => {
  const deck = await fixDeck();
  const { ui } = deck;
  try {
    await ui.press(KEYS.enter);
    await ui.waitFor(/— \d+ checks/);
    await ui.press('?');
    let frame = await ui.waitFor(/^ {2}y e l /m);
    // The help wraps and scrolls: read it page by page down to its last key.
    let seen = frame;
    for (let i = 0; i < 40 && !/^ {2}q \/ Ctrl-C +quit$/m.test(frame); i++) {
      assert.deepEqual(frameProblems(frame, 80, 24), []);
      const start = Number(/lines (\d+)-\d+ of \d+ · j\/k scroll/.exec(frame)?.[1]);
      assert.ok(start > 0, `a help taller than the window says which lines it shows:\n${frame}`);
      await ui.press('j');
      frame = await ui.waitFor(new RegExp(`lines ${start + 1}-\\d+ of`));
      seen += '\n' + frame;
    }
    assert.deepEqual(frameProblems(frame, 80, 24), []);
    assert.match(seen, /^ {2}y e l +on the selected object: its YAML/m);
    assert.match(seen, /^ {2}in y e l +jk PgUp PgDn g G scroll, \/ search, w wrap/m);
    assert.match(seen, /^ {2}: +command line: :q quit, :fix ID/m);
    assert.match(frame, /^ {2}q \/ Ctrl-C +quit$/m, 'the last key: reached by scrolling');
  } finally {
    deck.close();
  }
});
