import assert from 'node:assert/strict';
import { test } from 'node:test';

// Why first and dynamic: chalk decides on colour when it loads, and under the test runner stdout is
// not a terminal. Forcing colour makes the control case colourful, so NO_COLOR is really tested.
process.env.FORCE_COLOR = '1';
const { demoSession } = await import('../demo-session.js');
const { renderDeck } = await import('./render.js');

// eslint-disable-next-line no-control-regex
const COLOUR = /\u001b\[(3[0-9]|9[0-7]|38;)/;

async function framesWith(noColor: string | undefined): Promise<string[]> {
  if (noColor === undefined) delete process.env.NO_COLOR;
  else process.env.NO_COLOR = noColor;
  const session = await demoSession();
  const ui = await renderDeck(session.store, 80, 24);
  try {
    await ui.waitFor('LoadBalancers');
    await ui.press('l');
    await ui.waitFor('▶ Kopia');
    assert.match(ui.lastFrame(), /✗ wrong subvolume/);
    return [...ui.frames];
  } finally {
    ui.unmount();
    session.close();
    delete process.env.NO_COLOR;
  }
}

test('colour by default', async () => {
  assert.equal(
    (await framesWith(undefined)).some((f) => COLOUR.test(f)),
    true,
  );
});

test('NO_COLOR: no colour in any frame, the status symbols still say it all', async () => {
  assert.equal(
    (await framesWith('1')).some((f) => COLOUR.test(f)),
    false,
  );
});
