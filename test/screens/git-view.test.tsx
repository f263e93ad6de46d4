/**
 * The Git view (`g`): the Prevention Checklist of a repository read by the dashboard, at 80x24 and
 * 200x60, with file:line evidence wrapped rather than cut; without a repository and with a broken one
 * the live findings cured in Git; `g` from the dashboard and Esc back; `g` in the help bar; Ctrl-R
 * reads the repository again. And the file:line of a Git-cured finding in a panel's detail.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { watchRepo } from '../../src/commands/watch-repo.js';
import { demoSession } from '../demo-session.js';
import { KEYS, renderDeck, WAIT_MS, type Rendered } from './render.js';

const SEED_BEFORE = new URL('../fixtures/repos/seed-before', import.meta.url).pathname;
const DEMO_REPO = new URL('../../demo/repo', import.meta.url).pathname;

function assertFits(frame: string, columns: number, rows: number): void {
  const lines = frame.split('\n');
  assert.ok(lines.length <= rows, `${lines.length} lines:\n${frame}`);
  for (const line of lines) assert.ok([...line].length <= columns, `wider than ${columns}: ${line}`);
}

const tick = (ms = 10) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, ok: () => boolean): Promise<void> {
  for (const deadline = Date.now() + WAIT_MS; !ok(); await tick()) if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
}

async function openGit(ui: Rendered): Promise<string> {
  await ui.waitFor('LoadBalancers');
  await ui.press('g');
  return ui.waitFor(/^Git — /m);
}

/** Presses j until the frame's selected item (the inverse row cannot be seen without ANSI: its detail can) shows `text`. */
async function selectItem(ui: Rendered, n: number): Promise<void> {
  for (let i = ui.store.getState().scroll; i < n - 1; i++) await ui.press('j');
  await until(`item ${n} selected`, () => ui.store.getState().scroll === n - 1);
}

test('Git view at 80x24 on seed-before: nine items, the selected one with file:line; g from the dashboard, Esc back, g in the help bar', async () => {
  const session = await demoSession();
  const stop = watchRepo(session.store, SEED_BEFORE);
  const ui = await renderDeck(session.store, 80, 24);
  try {
    await ui.waitFor('LoadBalancers');
    assert.match(ui.lastFrame(), /g git/, 'the dashboard help bar offers g');
    await ui.press('g');
    const frame = await ui.waitFor(/5 changes left/);
    assertFits(frame, 80, 24);
    for (const title of ['1 Kopia repository volumeHandle saved in Git', '4 Every ReplicationDestination has copyMethod: Snapshot', '9 Validation exists']) {
      assert.ok(frame.includes(title), `${title} in:\n${frame}`);
    }
    assert.match(frame, /^[✗!✓?] 8 The Gateways Kustomization health-checks them/m);
    await selectItem(ui, 4);
    const rd = await ui.waitFor('kubernetes/components/volsync/replicationdestination.yaml:2');
    assertFits(rd, 80, 24);
    // The object's name is whole, on its own row under its file:line.
    assert.match(rd, /ReplicationDestination media\/jellyfin-dst: spec\.kopia\.copyMethod: Direct/);
    assert.match(rd, /esc back/);
    await ui.press(KEYS.escape);
    await ui.waitFor('LoadBalancers');
    assert.equal(session.store.getState().screen, 'dashboard');
  } finally {
    ui.unmount();
    stop();
    session.close();
  }
});

test('Git view at 80x24: a long item scrolls its evidence with space, every row whole', async () => {
  const session = await demoSession();
  const stop = watchRepo(session.store, SEED_BEFORE);
  const ui = await renderDeck(session.store, 80, 24);
  try {
    await openGit(ui);
    await ui.waitFor('changes left');
    await selectItem(ui, 6);
    const first = await ui.waitFor(/more rows/);
    assertFits(first, 80, 24);
    assert.match(first, /kubernetes\/infrastructure\/2-foundation\/cilium\/app\/gateway\.yaml:16/);
    // Space pages through the evidence until the last object shows, whole, under its file:line.
    const wanted = /kubernetes\/apps\/media\/jellyfin\/app\/helmrelease\.yaml:17\n\s+Service media\/jellyfin: metadata\.annotations\[lbipam\.cilium\.io\/ips\]/;
    for (let i = 0; i < 5 && !wanted.test(ui.lastFrame()); i++) await ui.press(' ');
    const next = await ui.waitFor(wanted);
    assertFits(next, 80, 24);
    assert.ok(session.store.getState().gitScroll > 0);
    assert.doesNotMatch(next, /more rows/, 'the last page shows the end');
  } finally {
    ui.unmount();
    stop();
    session.close();
  }
});

test('Git view at 200x60 on seed-before: every item with its evidence room', async () => {
  const session = await demoSession();
  const stop = watchRepo(session.store, SEED_BEFORE);
  const ui = await renderDeck(session.store, 200, 60);
  try {
    await openGit(ui);
    await selectItem(ui, 7);
    const frame = await ui.waitFor('scripts/dr-2-reclaim-kopia-repository.sh:4');
    assertFits(frame, 200, 60);
    assert.match(frame, /unbounded: kubectl get pvc kopia -n volsync-system/);
    assert.match(frame, /^[✗!✓?] 9 Validation exists/m);
  } finally {
    ui.unmount();
    stop();
    session.close();
  }
});

test('Git view without a repository: how to give one, and the live findings cured in Git', async () => {
  const session = await demoSession();
  const ui = await renderDeck(session.store, 80, 24);
  try {
    const frame = await openGit(ui);
    assertFits(frame, 80, 24);
    assert.match(frame, /No repository: start drdeck with --repo DIR \(or repo: in the config\) to check\s+the Git side/);
    assert.match(frame, /^✗ restores\.copy-method/m);
    // The selected finding's Git hint, under its evidence: paged to with space.
    await selectItem(ui, 3);
    for (let i = 0; i < 5 && !/in Git: /.test(ui.lastFrame()); i++) await ui.press(' ');
    const hint = await ui.waitFor('in Git: ');
    assertFits(hint, 80, 24);
  } finally {
    ui.unmount();
    session.close();
  }
});

test('Git view with a broken repository: one line, the live findings still there; Ctrl-R reads it again once mended', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'drdeck-broken-repo-'));
  const session = await demoSession();
  const stop = watchRepo(session.store, dir);
  const ui = await renderDeck(session.store, 80, 24);
  try {
    const frame = await openGit(ui);
    const broken = await ui.waitFor('Cannot read the repository');
    assertFits(broken, 80, 24);
    assert.match(broken, /restores\.copy-method/);
    assert.doesNotMatch(frame + broken, /\bat .*\.ts:\d+/, 'no stack trace');
    cpSync(SEED_BEFORE, dir, { recursive: true });
    await ui.press('\u0012');
    await ui.waitFor('5 changes left');
  } finally {
    ui.unmount();
    stop();
    session.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a Git-cured finding in a panel detail links to its file:line once the repository is read', async () => {
  const session = await demoSession();
  const stop = watchRepo(session.store, DEMO_REPO);
  const ui = await renderDeck(session.store, 80, 24);
  try {
    await ui.waitFor('LoadBalancers');
    await until('the demo repository read', () => session.store.getState().git.phase === 'ready');
    // Restores is the third panel of the one column.
    await ui.press('j');
    await ui.press('j');
    await until('Restores focused', () => session.store.getState().focus === 'restores');
    await ui.press(KEYS.enter);
    const frame = await ui.waitFor('→ kubernetes/apps/3-home/atuin/app/replicationdestination.yaml:2');
    assertFits(frame, 80, 24);
  } finally {
    ui.unmount();
    stop();
    session.close();
  }
});

test('the end state on a finished timeline: "apps running in … — N changes left in Git (g)" beside red checks, no "done"', async () => {
  // seed-before fails items 2, 3, 4, 6 and 7 with the default config: five changes left in Git.
  const session = await demoSession();
  const stop = watchRepo(session.store, SEED_BEFORE);
  const ui = await renderDeck(session.store, 80, 24);
  try {
    await ui.waitFor('LoadBalancers');
    await until('the repository read', () => session.store.getState().git.phase === 'ready');
    // Every phase held once: the timeline is finished, 30m 29s after t0; the checks are still red.
    const timeline = session.store.getState().timeline!;
    const t0 = timeline.t0 ?? session.store.getState().now;
    session.store.setState({ timeline: { ...timeline, t0, finishedAt: t0 + 30 * 60_000 + 29_000 } });
    const frame = await ui.waitFor('apps running in 30m 29s');
    assertFits(frame, 80, 24);
    assert.match(frame, /apps running in 30m 29s — 5 (changes left in Git|Git changes) \(g\)/);
    assert.doesNotMatch(frame, /\bdone in\b/);
  } finally {
    ui.unmount();
    stop();
    session.close();
  }
});

test('the end state with nothing left: just "apps running in …"', async () => {
  const { endStateLine, leftText } = await import('../../src/store/selectors.js');
  assert.equal(endStateLine(30 * 60_000 + 29_000, { git: 0, fromRepo: true, fixKeys: [] }), 'apps running in 30m 29s');
  assert.equal(leftText({ git: 1, fromRepo: false, fixKeys: ['a', 'd'] }), ' — 1 change left in Git (g) — 2 live fixes left (a d)');
});

test('? lists g and the Git view keys, fits 80x24 and scrolls to its last line', async () => {
  const session = await demoSession();
  const ui = await renderDeck(session.store, 80, 24);
  try {
    await ui.waitFor('LoadBalancers');
    await ui.press('?');
    let frame = await ui.waitFor('Keys');
    assertFits(frame, 80, 24);
    assert.match(frame, /^ {2}g {2,}the Git view: checklist of the repository, file:line$/m);
    // What does not fit is a j away, whole: nothing pushed off the bottom for good.
    let seen = frame;
    for (let i = 0; i < 40 && !/^ {2}DNS: /m.test(ui.lastFrame()); i++) {
      await ui.press('j');
      seen += `\n${ui.lastFrame()}`;
    }
    frame = await ui.waitFor(/^ {2}DNS: /m);
    assertFits(frame, 80, 24);
    assert.match(seen, /in Git: re-read the repo$/m);
    assert.match(seen, /^ {2}q \/ Ctrl-C {2,}quit$/m);
  } finally {
    ui.unmount();
    session.close();
  }
});
