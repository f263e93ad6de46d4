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
    for (const title of TITLES) assert.match(frame, new RegExp(`[╭┏][─━] (▶ )?${title} `), `${title} panel`);
    const lines = frame.split('\n');
    assert.ok(lines.length <= 24, `${lines.length} lines`);
    for (const line of lines) assert.ok([...line].length <= 80, `too wide: ${line}`);
    // The timeline strip: time since Flux was deployed, the current phase and the ETA.
    assert.match(frame, /Flux (deployed \d+s ago|\+\d+s) · ▶ Infrastructure ready.* · ETA ~\d+m/);
    assert.match(frame, /^Next: Wait for the infrastructure/m);
    assert.match(frame, /wrong subvolume/);
    assert.match(frame, /hjkl move · enter detail · t timeline · g git · \? help · q quit/);
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
    await ui.waitFor('▶ Gateways');
    await ui.press(KEYS.left);
    await ui.waitFor('▶ Restores');
    await ui.press(KEYS.down);
    await ui.waitFor('▶ LoadBalancers');
    assert.equal(session.store.getState().focus, 'loadbalancers');
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
    const frame = await ui.waitFor('Keys');
    assert.match(frame, /move between panels/);
    assert.match(frame, /Restores: copy-method/);
    await ui.press('?');
    await ui.waitFor('▶ Flux');
  } finally {
    ui.unmount();
    session.close();
  }
});

test('a wider terminal gets three panels a row, and the layout follows a resize', async () => {
  const session = await demoSession();
  const ui = await renderDeck(session.store, 80, 24);
  try {
    await ui.waitFor('LoadBalancers');
    ui.resize(132, 40);
    const frame = await ui.waitFor(/Flux .*Kopia .*Restores /);
    assert.ok(frame.split('\n').some((l) => /Gateways .*LoadBalancers .*DNS /.test(l)));
    // No blank line at the top of a panel after the resize: the worst finding is first.
    assert.match(frame.split('\n')[3], /^┃ ✗ \d+\/\d+ Ready/);
    // Focus now moves on the three-column grid: down from Flux is Gateways.
    for (let i = 0; i < 100 && session.store.getState().gridColumns !== 3; i++) await new Promise((r) => setTimeout(r, 10));
    await ui.press('j');
    await ui.waitFor('▶ Gateways');
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
