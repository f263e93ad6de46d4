import { test } from 'node:test';
import { demoSession } from '../demo-session.js';
import { renderDeck } from './render.js';

test('explore', async () => {
  const session = await demoSession();
  const ui = await renderDeck(session.store, 80, 24);
  try {
    await ui.press('t');
    console.log((await ui.waitFor('Elapsed')));
    for (const m of [20, 30, 60]) {
      session.demo.clock.advance(m * 60_000);
      await new Promise((r) => setTimeout(r, 20));
      session.buffer.flush();
      session.store.getState().tick(session.cluster.now());
      await new Promise((r) => setTimeout(r, 100));
      console.log(ui.lastFrame());
      console.log(JSON.stringify(session.store.getState().timeline));
    }
  } finally { ui.unmount(); session.close(); }
});
