/**
 * drdeck in a real terminal for the tmux tests: one tmux session of its own on a private server
 * (a socket in the test's temp folder, so nothing here can touch anyone's own sessions), 80x24,
 * the screen read back as text.
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { promisify } from 'node:util';
import { DRDECK_BIN } from '../built-cli.js';

const execFileP = promisify(execFile);
export const HAS_TMUX = spawnSync('tmux', ['-V'], { stdio: 'ignore' }).status === 0;

/** One drdeck in a tmux session of its own, on a private server. */
export class Terminal {
  readonly session = `drdeck-tmux-${process.pid}-${Date.now()}-${Math.floor(Math.random() * 1e6)}`;
  constructor(readonly socket: string) {}

  async tmux(...args: string[]): Promise<string> {
    const { stdout } = await execFileP('tmux', ['-S', this.socket, ...args], { timeout: 10_000 });
    return stdout;
  }

  /** Starts `command` in an 80x24 window; remain-on-exit keeps a crash's last screen to read. */
  async start(command: string[], cwd: string): Promise<void> {
    await this.tmux(
      'new-session',
      '-d',
      '-s',
      this.session,
      '-x',
      '80',
      '-y',
      '24',
      '-c',
      cwd,
      ...command,
      ';',
      'set-option',
      '-t',
      this.session,
      'remain-on-exit',
      'on',
    );
  }

  screen(): Promise<string> {
    return this.tmux('capture-pane', '-p', '-t', this.session);
  }

  /** Polls the screen until it matches; fails with the last screen after `timeoutMs`. */
  async waitFor(expected: string | RegExp | ((screen: string) => boolean), timeoutMs = 30_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const last = await this.screen();
      const ok = typeof expected === 'string' ? last.includes(expected) : expected instanceof RegExp ? expected.test(last) : expected(last);
      if (ok) return last;
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${String(expected)}; the screen:\n${last}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async send(keys: string, literal = false): Promise<void> {
    await this.tmux('send-keys', '-t', this.session, ...(literal ? ['-l'] : []), keys);
  }

  async close(): Promise<void> {
    await this.tmux('kill-session', '-t', this.session).catch(() => {});
  }
}

export function skipWithoutTmux(t: TestContext): boolean {
  if (HAS_TMUX) return false;
  if (process.env.CI) assert.fail('tmux is required in CI for the terminal tests (apt-get install tmux)');
  t.skip('SKIPPED: tmux not found (the terminal end-to-end tests need it; CI must have it)');
  return true;
}

/** drdeck with `args`, through sh so its exit status stays on the screen; HOME and config our own. */
export function drdeckCommand(state: string, args: string[]): string[] {
  return [
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
    ...args,
  ];
}
