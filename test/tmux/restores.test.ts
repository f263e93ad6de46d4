/**
 * The restores of the runbook, the way an operator does them: `drdeck demo` in a real terminal
 * (tmux, 80x24), keys sent one by one, the screen read back as text. The restores need the Kopia
 * repository reclaimed and copyMethod set first, so those two fixes come first, each from its
 * panel's key. The tmux server is our own (a private socket): only its one session is killed.
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { DRDECK_BIN } from '../built-cli.js';

const execFileP = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const HAS_TMUX = spawnSync('tmux', ['-V'], { stdio: 'ignore' }).status === 0;

const SESSION = `drdeck-restores-${process.pid}-${Date.now()}`;
/** A private tmux server (its socket in the test's temp folder): nothing here can touch anyone's own sessions. */
let socket = '';

async function tmux(...args: string[]): Promise<string> {
  const { stdout } = await execFileP('tmux', ['-S', socket, ...args], { timeout: 10_000 });
  return stdout;
}

const screen = () => tmux('capture-pane', '-p', '-t', SESSION);

/** Polls the screen until it matches; fails with the last screen after `timeoutMs`. */
async function waitForScreen(expected: string | RegExp, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const last = await screen();
    if (typeof expected === 'string' ? last.includes(expected) : expected.test(last)) return last;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${String(expected)}; the screen:\n${last}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** One key (tmux key names: Enter, Escape) or, with `literal`, text typed as it is. */
async function send(keys: string, literal = false): Promise<void> {
  await tmux('send-keys', '-t', SESSION, ...(literal ? ['-l'] : []), keys);
}

/** The last line with text: the help bar. */
const helpBar = (text: string) =>
  text
    .split('\n')
    .filter((l) => l.trim())
    .at(-1) ?? '';

test('tmux 80x24: reclaim Kopia (c, name typed), set copyMethod (m, y), trigger the restores (T, y): 22/22 restored', async (t) => {
  if (!HAS_TMUX) {
    if (process.env.CI) assert.fail('tmux is required in CI for the terminal tests (apt-get install tmux)');
    t.skip('SKIPPED: tmux not found (the terminal end-to-end tests need it; CI must have it)');
    return;
  }
  const state = mkdtempSync(join(tmpdir(), 'drdeck-tmux-'));
  socket = join(state, 'tmux.sock');
  // An empty config of our own: the demo's defaults, whatever the user's ./drdeck.yaml says.
  const config = join(state, 'drdeck.yaml');
  writeFileSync(config, '# empty: the demo defaults\n');
  // Through sh, so the exit status is printed on the screen when drdeck exits (remain-on-exit keeps it).
  const command = [
    'env',
    `PATH=${process.env.PATH ?? ''}`,
    `HOME=${state}`,
    `XDG_CONFIG_HOME=${join(state, 'config')}`,
    'TERM=xterm-256color',
    'sh',
    '-c',
    '"$@"; echo "[drdeck exited with $?]"',
    'sh',
    process.execPath,
    DRDECK_BIN,
    'demo',
    '--speed',
    '600',
    '--state-dir',
    state,
    '--config',
    config,
  ];
  const started = Date.now();
  try {
    // remain-on-exit: a drdeck that exits or crashes leaves its last screen to read.
    await tmux('new-session', '-d', '-s', SESSION, '-x', '80', '-y', '24', '-c', root, ...command, ';', 'set-option', '-t', SESSION, 'remain-on-exit', 'on');

    let text = await waitForScreen(/^[▶ ] Restores /m);
    t.diagnostic(`first dashboard after ${Date.now() - started} ms`);
    for (const line of text.split('\n')) assert.ok([...line].length <= 80, `wider than the terminal: ${line}`);

    // Kopia: the reclaim deletes a PVC, so its name is typed out.
    await send('l');
    text = await waitForScreen('▶ Kopia');
    assert.match(helpBar(text), /^c reclaim · /);
    await send('c');
    await waitForScreen('Type "kopia" and Enter to apply, Esc to cancel:');
    await send('kopia', true);
    await waitForScreen('Esc to cancel: kopia█');
    await send('Enter');
    text = await waitForScreen('✓ reclaim: PVC default/kopia Bound');
    assert.match(text, /^▶ Kopia +✓4 +✓ all 4 pass$/m, 'every Kopia check passes');

    // Restores: copyMethod first (y), then the restores (y).
    await send('j');
    text = await waitForScreen('▶ Restores');
    assert.match(helpBar(text), /^T trigger restores · m copyMethod · /);
    await send('m');
    text = await waitForScreen('Fix: Set copyMethod: Snapshot on 8 ReplicationDestinations');
    assert.match(text, /y apply · n or Esc cancel/);
    await send('y');
    await waitForScreen(/✓ copyMethod: /);
    await send('T');
    text = await waitForScreen('Fix: Trigger 22 restores');
    assert.match(text, /^Changes \(22\), each manual: /m);
    assert.match(text, /^✓ PATCH ReplicationDestination ×\d+: default\/atuin-dst, /m);
    await send('y');
    await waitForScreen(/✓ trigger restores: 22 restored/, 60_000);

    // The detail says it too: the progress check, found with the filter.
    await send('Enter');
    await waitForScreen('Restores — ');
    await send('/');
    await send('progress', true);
    await send('Enter');
    text = await waitForScreen(/PASS +restores\.progress +22\/22 restored/);
    t.diagnostic(`22/22 restored after ${Date.now() - started} ms`);

    // q quits cleanly.
    await send('q');
    await waitForScreen('[drdeck exited with 0]', 10_000);
  } finally {
    // Only our session, on our own server, which exits with its last session.
    await tmux('kill-session', '-t', SESSION).catch(() => {});
    rmSync(state, { recursive: true, force: true });
  }
});
