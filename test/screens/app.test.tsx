import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_EVENTS_PER_COMMIT } from '../../src/store/feed-buffer.js';
import { demoSession } from '../demo-session.js';
import { KEYS, renderDeck, WAIT_MS } from './render.js';

const TITLES = ['Flux', 'Kopia', 'Restores', 'Gateways', 'LoadBalancers', 'DNS'];

test('the dashboard shows the six panels in 80x24, nothing wider or taller than the terminal', async () => {
  const session = await demoSession();
  const ui = await renderDeck(session.store, 80, 24);
  try {
    const frame = await ui.waitFor('LoadBalancers');
    // One row a panel, in the table's order: its title, its counts and its worst finding.
    const rows = frame.split('\n').filter((l) => TITLES.some((t) => l.startsWith(`  ${t} `) || l.startsWith(`▶ ${t} `)));
    assert.deepEqual(
      rows.map((l) => l.slice(2).split(' ')[0]),
      TITLES,
      frame,
    );
    for (const row of rows) assert.match(row, /[✗!?…✓]\d+.*[✗!?…✓] \S/, `counts and a finding: ${row}`);
    // The focused panel below, at full width, its findings wrapped and never cut.
    assert.match(frame, /^── Flux · 7 checks/m);
    assert.match(frame, /^✗ 4 objects stuck: HelmRelease ceph-csi\/ceph-csi-cephfs/m);
    assert.doesNotMatch(frame, /…$/m);
    const lines = frame.split('\n');
    assert.ok(lines.length <= 24, `${lines.length} lines`);
    for (const line of lines) assert.ok([...line].length <= 80, `too wide: ${line}`);
    // The timeline strip: time since Flux was deployed, the current phase and the ETA.
    assert.match(frame, /Flux (deployed \d+s ago|\+\d+s) · ▶ Infrastructure ready.* · ETA ~\d+m/);
    assert.match(frame, /^Next: Wait for the infrastructure/m);
    assert.match(frame, /wrong subvolume/);
    assert.match(frame, /hjkl move · enter detail · \/ filter · t timeline · g git · \? help · q quit/);
  } finally {
    ui.unmount();
    session.close();
  }
});

test('keys move the focus between panels', async () => {
  const session = await demoSession();
  const ui = await renderDeck(session.store, 80, 24);
  try {
    await ui.waitFor('▶ Flux');
    await ui.press('l');
    await ui.waitFor('▶ Kopia');
    await ui.press('j');
    await ui.waitFor('▶ Restores');
    await ui.press(KEYS.left);
    await ui.waitFor('▶ Kopia');
    await ui.press(KEYS.down);
    await ui.press(KEYS.down);
    await ui.waitFor('▶ Gateways');
    await ui.waitFor('── Gateways · 3 checks');
    await ui.press('k');
    await ui.waitFor('▶ Restores');
    for (let i = 0; i < 8; i++) await ui.press('j');
    await ui.waitFor('▶ DNS');
    assert.equal(session.store.getState().focus, 'dns');
  } finally {
    ui.unmount();
    session.close();
  }
});

test('Enter opens the detail with every check and its evidence, / filters it, Esc goes back', async () => {
  const session = await demoSession();
  const ui = await renderDeck(session.store, 80, 24);
  try {
    await ui.press('l');
    await ui.press(KEYS.enter);
    let frame = await ui.waitFor('Kopia — 4 checks');
    for (const id of ['kopia.pvc-bound', 'kopia.volume-handle', 'kopia.reclaim-policy', 'kopia.not-flux-managed']) {
      assert.match(frame, new RegExp(id.replace('.', '\\.')));
    }
    assert.match(frame, /fix: kopia-reclaim/);

    await ui.press('/');
    for (const ch of 'reclaim') await ui.press(ch);
    frame = await ui.waitFor('/reclaim');
    assert.match(frame, /kopia\.reclaim-policy/);
    assert.doesNotMatch(frame, /kopia\.pvc-bound/);

    await ui.press(KEYS.enter);
    await ui.waitFor('filter: reclaim');
    await ui.press(KEYS.escape);
    frame = await ui.waitFor('kopia.pvc-bound');
    await ui.press(KEYS.escape);
    frame = await ui.waitFor('▶ Kopia');
    assert.match(frame, /Restores/);
  } finally {
    ui.unmount();
    session.close();
  }
});

test('j selects the next line and shows it in full at the bottom', async () => {
  const session = await demoSession();
  const ui = await renderDeck(session.store, 80, 24);
  try {
    await ui.press('l');
    await ui.press(KEYS.enter);
    await ui.waitFor('1/');
    for (let i = 0; i < 4; i++) await ui.press('j');
    const frame = await ui.waitFor(/ 5\/\d+/);
    // The PV's whole handle, cut in the list, is readable in the bottom lines.
    const bottom = frame.split('\n').slice(-4).join('');
    assert.match(bottom, /spec\.csi\.volumeHandle: 0001-0024-/);
    assert.match(bottom, /5b7d3e1f9a24/);
  } finally {
    ui.unmount();
    session.close();
  }
});

test('? toggles the help screen', async () => {
  const session = await demoSession();
  const ui = await renderDeck(session.store, 80, 24);
  try {
    await ui.press('?');
    let frame = await ui.waitFor('Keys');
    assert.match(frame, /move between panels/);
    // At 80x24 the rest is a j away, never cut: every row fits the width.
    for (const line of frame.split('\n')) assert.ok([...line].length <= 80, `too wide: ${line}`);
    for (let i = 0; i < 30 && !ui.lastFrame().includes('Restores: copy-method'); i++) await ui.press('j');
    frame = await ui.waitFor('Restores: copy-method');
    await ui.press('?');
    await ui.waitFor('▶ Flux');
  } finally {
    ui.unmount();
    session.close();
  }
});

test('a wider terminal shows more of the focused panel in the same order, and the layout follows a resize', async () => {
  const session = await demoSession();
  const ui = await renderDeck(session.store, 80, 24);
  try {
    const small = await ui.waitFor('LoadBalancers');
    ui.resize(132, 40);
    const frame = await ui.waitFor(/(?:[^\n]*\n){30}/);
    assert.ok(frame.split('\n').every((l) => [...l].length <= 132));
    // The first finding right under the rule, more of them than at 80x24.
    const lines = frame.split('\n');
    const rule = lines.findIndex((l) => l.startsWith('── Flux'));
    assert.match(lines[rule + 1], /^✗ \d+\/\d+ Ready/);
    const findings = (f: string) => f.split('\n').filter((l) => /^[✗!?…✓] /.test(l)).length;
    assert.ok(findings(frame) > findings(small), `${findings(frame)} findings at 132x40, ${findings(small)} at 80x24`);
    // The same order at every size: down from Flux is Kopia.
    await ui.press('j');
    await ui.waitFor('▶ Kopia');
  } finally {
    ui.unmount();
    session.close();
  }
});

test('q quits', async () => {
  const session = await demoSession();
  const ui = await renderDeck(session.store, 80, 24);
  try {
    await ui.press('q');
    assert.equal(session.store.getState().quitRequested, true);
  } finally {
    ui.unmount();
    session.close();
  }
});

/** Polls until `probe` holds (15 s at most). */
async function until(probe: () => boolean): Promise<void> {
  for (const deadline = Date.now() + WAIT_MS; !probe();) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Resolves once no frame was drawn for 200 ms (the dashboard redraws on data, keys and its 1 Hz clock). */
async function framesSettled(ui: { frames: string[] }): Promise<void> {
  let count = -1;
  for (const deadline = Date.now() + WAIT_MS; count !== ui.frames.length && Date.now() < deadline;) {
    count = ui.frames.length;
    await new Promise((r) => setTimeout(r, 200));
  }
}

test('render budget: 5,000 watch events in one burst cause only a few frames', async () => {
  const session = await demoSession(50);
  const ui = await renderDeck(session.store, 80, 24);
  try {
    await ui.waitFor('LoadBalancers');
    await framesSettled(ui);
    const framesBefore = ui.frames.length;
    const batchesBefore = session.store.getState().batches;
    for (let i = 0; i < 5000; i++) {
      session.buffer.event('services', {
        type: 'ADDED',
        object: {
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name: `burst-${i}`, namespace: 'default', resourceVersion: `b${i}` },
          spec: { type: 'ClusterIP' },
        },
      });
    }
    // Wait for the burst to reach the store, then for the screen to stop redrawing: what is counted
    // is the frames the burst caused, however long a busy machine takes to draw them.
    await until(() => session.store.getState().objects.services.size >= 5000);
    await framesSettled(ui);
    const frames = ui.frames.length - framesBefore;
    assert.ok(frames <= 4, `${frames} frames for one burst`);
    // In parts of MAX_EVENTS_PER_COMMIT (keys are read between them), one more if a flush fell inside the burst.
    const parts = Math.ceil(5000 / MAX_EVENTS_PER_COMMIT);
    assert.ok(
      session.store.getState().batches - batchesBefore <= parts + 1,
      `the burst reached the store in ${parts} parts (one more if a flush fell inside it)`,
    );
  } finally {
    ui.unmount();
    session.close();
  }
});
