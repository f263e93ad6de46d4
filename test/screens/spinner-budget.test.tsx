/**
 * A running fix's spinner over SSH: Ink drawing as `drdeck` has it draw (TUI_RENDER_OPTIONS, not
 * the tests' debug mode), every byte written to the terminal counted for 3 s at 80x24. Measured
 * before the change: 36.6 KB/s in 12.3 writes a second (the whole screen each frame, the spinner at
 * 12.5 frames a second); after: 8.9 KB/s in 3 writes a second. Each frame is still the whole screen
 * (Ink's line-by-line mode garbled the screen in tmux), so the bytes follow the frames.
 */
// Why first: before Ink loads (see not-in-ci.ts).
import './not-in-ci.js';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TUI_RENDER_OPTIONS } from '../../src/screens/render-options.js';
import { fixDeck } from './fix-deck.js';
import { KEYS, WAIT_MS } from './render.js';

const tick = (ms = 10) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, done: () => boolean): Promise<void> {
  for (const deadline = Date.now() + WAIT_MS; !done();) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await tick();
  }
}

test('a running fix redraws its spinner within a byte budget: < 12 KB/s and < 4 writes/s at 80x24 (36.6 KB/s, 12 before)', async () => {
  const { incrementalRendering, maxFps } = TUI_RENDER_OPTIONS;
  const deck = await fixDeck({ render: { ink: { incrementalRendering, maxFps } } });
  const { ui } = deck;
  const phase = () => deck.session.store.getState().fixes['kopia-reclaim']?.phase;
  try {
    await ui.press('l');
    await until('the Kopia panel focused', () => deck.session.store.getState().focus === 'kopia');
    await ui.press('c');
    await until('the reclaim confirm screen', () => phase() === 'confirm');
    for (const ch of 'kopia') await ui.press(ch);
    await ui.press(KEYS.enter);
    // The demo's clock stands still: the reclaim waits for its PV controller, spinning, until we stop it.
    await until('the reclaim running', () => phase() === 'running');
    await tick(500);
    const bytes = ui.bytes();
    const writes = ui.frames.length;
    const start = Date.now();
    await tick(3_000);
    const seconds = (Date.now() - start) / 1000;
    assert.equal(phase(), 'running', 'still running: the spinner turned all along');
    const perSecond = { bytes: (ui.bytes() - bytes) / seconds, writes: (ui.frames.length - writes) / seconds };
    // Not nothing: the spinner moves (a screen that stopped drawing would pass any budget).
    assert.ok(perSecond.writes >= 1, `the spinner moved: ${perSecond.writes.toFixed(1)} writes/s`);
    assert.ok(perSecond.bytes < 12 * 1024, `${perSecond.bytes.toFixed(0)} bytes/s`);
    assert.ok(perSecond.writes < 4, `${perSecond.writes.toFixed(1)} writes/s`);
  } finally {
    deck.close();
  }
});
