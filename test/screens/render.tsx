/**
 * The one render helper for screen tests: a fresh store, the App in ink-testing-library, resized
 * to the terminal the test asks for (80x24 by default, the operator's bastion window).
 */
import { render } from 'ink-testing-library';
import { DeckContext } from '../../src/hooks/use-deck.js';
import { App } from '../../src/screens/App.js';
import type { DeckStore } from '../../src/store/deck-store.js';

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;?]*[ -/]*[@-~]/g;

export function stripAnsi(text: string | undefined): string {
  return (text ?? '').replace(ANSI, '');
}

export interface Rendered {
  lastFrame(): string;
  frames: string[];
  press(input: string): Promise<void>;
  resize(columns: number, rows: number): void;
  waitFor(text: string | RegExp, timeoutMs?: number): Promise<string>;
  store: DeckStore;
  unmount(): void;
}

export const KEYS = {
  up: '\u001b[A',
  down: '\u001b[B',
  right: '\u001b[C',
  left: '\u001b[D',
  enter: '\r',
  escape: '\u001b',
  backspace: '\u007f',
};

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

export async function renderDeck(store: DeckStore, columns = 80, rows = 24): Promise<Rendered> {
  const app = render(
    <DeckContext.Provider value={store}>
      <App />
    </DeckContext.Provider>,
  );
  const resize = (c: number, r: number) => {
    Object.defineProperty(app.stdout, 'columns', { value: c, configurable: true });
    Object.defineProperty(app.stdout, 'rows', { value: r, configurable: true });
    app.stdout.emit('resize');
  };
  resize(columns, rows);
  // Input handlers attach in an effect: wait a tick before the first key.
  await tick(20);
  const lastFrame = () => stripAnsi(app.lastFrame());
  return {
    lastFrame,
    frames: app.frames,
    store,
    resize,
    unmount: () => app.unmount(),
    async press(input: string) {
      app.stdin.write(input);
      // Why 60 ms: Ink holds a lone Esc briefly to tell it from the start of an escape sequence.
      await tick(input === KEYS.escape ? 60 : 10);
    },
    async waitFor(text, timeoutMs = 2000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const frame = lastFrame();
        if (typeof text === 'string' ? frame.includes(text) : text.test(frame)) return frame;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${String(text)}; last frame:\n${frame}`);
        await tick(10);
      }
    },
  };
}
