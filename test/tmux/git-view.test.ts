/**
 * The Git view the way an operator sees it: `drdeck demo` (no flag: it reads its own repository,
 * demo/repo) in a real terminal (tmux, 80x24), `g` pressed, the checklist read back as text, an
 * item's evidence with file:line, Esc back. The tmux server is our own (a private socket): only its
 * one session is killed.
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { DRDECK_BIN } from '../built-cli.js';

const execFileP = promisify(execFile);
const HAS_TMUX = spawnSync('tmux', ['-V'], { stdio: 'ignore' }).status === 0;

const SESSION = `drdeck-git-view-${process.pid}-${Date.now()}`;
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

async function send(keys: string): Promise<void> {
  await tmux('send-keys', '-t', SESSION, keys);
}

function assertFits(text: string): void {
  for (const line of text.split('\n')) assert.ok([...line].length <= 80, `wider than the terminal: ${line}`);
}

test('tmux 80x24: drdeck demo, g opens the Git view on the demo repository; an item with file:line; Esc back', async (t) => {
  if (!HAS_TMUX) {
    if (process.env.CI) assert.fail('tmux is required in CI for the terminal tests (apt-get install tmux)');
    t.skip('SKIPPED: tmux not found (the terminal end-to-end tests need it; CI must have it)');
    return;
  }
  const state = mkdtempSync(join(tmpdir(), 'drdeck-tmux-git-'));
  socket = join(state, 'tmux.sock');
  const config = join(state, 'drdeck.yaml');
  writeFileSync(config, '# empty: the demo defaults\n');
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
    '1',
    '--state-dir',
    state,
    '--config',
    config,
  ];
  try {
    await tmux('new-session', '-d', '-s', SESSION, '-x', '80', '-y', '24', '-c', state, ...command, ';', 'set-option', '-t', SESSION, 'remain-on-exit', 'on');
    let text = await waitForScreen(/ · g git\b/);
    assertFits(text);

    await send('g');
    text = await waitForScreen(/^Git — demo\/repo \(shipped with drdeck\) · \d+ changes? left/m);
    assertFits(text);
    assert.match(text, /^✗ 4 Every ReplicationDestination has copyMethod: Snapshot/m);
    assert.match(text, /^[✗!] 8 The Gateways Kustomization health-checks them/m);
    assert.match(text, /esc back/);

    // Item 4: the first RD without copyMethod, at its file:line, its name whole on the row below.
    for (let i = 0; i < 3; i++) await send('j');
    text = await waitForScreen('kubernetes/apps/3-home/atuin/app/replicationdestination.yaml:2');
    assertFits(text);
    assert.match(text, /ReplicationDestination default\/atuin-dst: spec\.kopia\.copyMethod: unset/);

    await send('Escape');
    await waitForScreen(/^[▶ ] Restores /m);
    await send('q');
    await waitForScreen('[drdeck exited with 0]', 10_000);
  } finally {
    await tmux('kill-session', '-t', SESSION).catch(() => {});
    rmSync(state, { recursive: true, force: true });
  }
});
