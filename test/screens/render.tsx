/**
 * The one render helper for screen tests: a fresh store, the App in ink-testing-library, resized
 * to the terminal the test asks for (80x24 by default, the operator's bastion window).
 */
import { EventEmitter } from 'node:events';
import { render } from 'ink';
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
  /** Bytes written to stdout so far (every write, as a terminal would receive it). */
  bytes(): number;
  unmount(): void;
}

/** How Ink draws: the default is debug mode (each frame whole, one write per frame, easy to read). */
export interface RenderDeckOptions {
  /** Ink's options as the real CLI passes them (TUI_RENDER_OPTIONS), instead of debug mode. */
  ink?: { incrementalRendering?: boolean; maxFps?: number };
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

/**
 * How long a screen test waits for what it expects. Why this long: the condition is polled every
 * 10 ms and met in milliseconds on an idle machine; the deadline only decides when a test that
 * will never see it gives up, and CI's 2 cores may be busy with another test run.
 */
export const WAIT_MS = 15_000;

/** A terminal for Ink: every frame kept (debug mode writes each render whole), sized from the start. */
class TestStdout extends EventEmitter {
  readonly frames: string[] = [];
  constructor(
    public columns: number,
    public rows: number,
  ) {
    super();
  }
  write = (frame: string) => {
    this.frames.push(frame);
    return true;
  };
}

/** Keys as a terminal sends them: Ink reads them on 'readable'. */
class TestStdin extends EventEmitter {
  readonly isTTY = true;
  private data: string | null = null;
  write(data: string): void {
    this.data = data;
    this.emit('readable');
    this.emit('data', data);
  }
  read(): string | null {
    const data = this.data;
    this.data = null;
    return data;
  }
  setEncoding(): void {}
  setRawMode(): void {}
  resume(): void {}
  pause(): void {}
  ref(): void {}
  unref(): void {}
}

export async function renderDeck(store: DeckStore, columns = 80, rows = 24, options: RenderDeckOptions = {}): Promise<Rendered> {
  // Why not ink-testing-library: its terminal is 100 columns until resized, so the first frames of
  // an 80x24 test were drawn at 100 and a test could read one of them.
  const stdout = new TestStdout(columns, rows);
  const stdin = new TestStdin();
  const app = render(
    <DeckContext.Provider value={store}>
      <App />
    </DeckContext.Provider>,
    {
      stdout: stdout as unknown as NodeJS.WriteStream,
      stderr: new TestStdout(columns, rows) as unknown as NodeJS.WriteStream,
      stdin: stdin as unknown as NodeJS.ReadStream,
      exitOnCtrlC: false,
      patchConsole: false,
      ...(options.ink ?? { debug: true }),
    },
  );
  const resize = (c: number, r: number) => {
    stdout.columns = c;
    stdout.rows = r;
    stdout.emit('resize');
  };
  // Input handlers attach in an effect (Ink listens for 'readable' once useInput turned raw mode on):
  // wait until they are there, not for a fixed time, so a busy machine does not lose the first key.
  for (const deadline = Date.now() + WAIT_MS; stdin.listenerCount('readable') === 0;) {
    if (Date.now() > deadline) throw new Error(`the app did not start listening for keys within ${WAIT_MS} ms`);
    await tick(5);
  }
  const lastFrame = () => stripAnsi(stdout.frames.at(-1));
  return {
    lastFrame,
    frames: stdout.frames,
    store,
    resize,
    bytes: () => stdout.frames.reduce((sum, frame) => sum + Buffer.byteLength(frame), 0),
    unmount: () => app.unmount(),
    async press(input: string) {
      stdin.write(input);
      // Why 60 ms: Ink holds a lone Esc briefly to tell it from the start of an escape sequence.
      await tick(input === KEYS.escape ? 60 : 10);
    },
    async waitFor(text, timeoutMs = WAIT_MS) {
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
