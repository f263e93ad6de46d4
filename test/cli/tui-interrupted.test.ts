/**
 * A fix cut short in a real terminal (tmux, 80x24): the dashboard or `drdeck fix` loses its
 * terminal while the restores are followed (tmux kills the pane: SIGHUP, as a dropped SSH session
 * does), or the operator quits the dashboard with `q`. Each time the audit log ends the attempt
 * with `interrupted`, naming what was sent. The tmux server is our own (a private socket).
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { DRDECK_BIN } from '../built-cli.js';
import { AuditLog, type AuditEntry } from '../../src/state/audit-log.js';

const execFileP = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const HAS_TMUX = spawnSync('tmux', ['-V'], { stdio: 'ignore' }).status === 0;
const work = mkdtempSync(join(tmpdir(), 'drdeck-tui-interrupted-'));
const socket = join(work, 'tmux.sock');
after(async () => {
  await execFileP('tmux', ['-S', socket, 'kill-server']).catch(() => {});
  rmSync(work, { recursive: true, force: true });
});
let n = 0;

async function tmux(...args: string[]): Promise<string> {
  const { stdout } = await execFileP('tmux', ['-S', socket, ...args], { timeout: 10_000 });
  return stdout;
}

async function poll<T>(what: string, probe: () => T | Promise<T>, timeoutMs = 60_000, explain?: () => Promise<string>): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${explain ? `:\n${await explain()}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

function skipWithoutTmux(t: TestContext): boolean {
  if (HAS_TMUX) return false;
  if (process.env.CI) assert.fail('tmux is required in CI for the terminal tests (apt-get install tmux)');
  t.skip('SKIPPED: tmux not found');
  return true;
}

/**
 * `drdeck ARGS` as the pane's own process (no shell: it is the one the terminal hangs up on), in
 * a session of its own, with its state in a fresh folder; the demo's state is `<state>/demo`.
 */
async function inTmux(args: string[], options: { shell?: boolean } = {}) {
  const session = `drdeck-int-${process.pid}-${n++}`;
  const state = join(work, session);
  const config = join(work, `${session}.yaml`);
  writeFileSync(config, '# empty: the demo defaults\n');
  const drdeck = [process.execPath, DRDECK_BIN, ...args, '--state-dir', state, '--config', config];
  const env = ['env', `PATH=${process.env.PATH ?? ''}`, `HOME=${work}`, `XDG_CONFIG_HOME=${join(work, 'config')}`, 'TERM=xterm-256color'];
  // With `shell`, the exit status is left on the screen (remain-on-exit keeps the pane).
  const command = options.shell ? [...env, 'sh', '-c', '"$@"; echo "[drdeck exited with $?]"', 'sh', ...drdeck] : [...env, ...drdeck];
  await tmux('new-session', '-d', '-s', session, '-x', '80', '-y', '24', '-c', root, ...command, ';', 'set-option', '-t', session, 'remain-on-exit', 'on');
  const screen = () => tmux('capture-pane', '-p', '-t', session).catch(() => '(no pane)');
  const audit = new AuditLog(join(state, 'demo'));
  const pid = Number((await tmux('display-message', '-p', '-t', session, '#{pane_pid}')).trim());
  return {
    session,
    pid,
    screen,
    audit,
    send: (...keys: string[]) => tmux('send-keys', '-t', session, ...keys),
    waitForScreen: (pattern: RegExp, timeoutMs = 60_000) => poll(`${pattern} on the screen`, async () => pattern.test(await screen()), timeoutMs, screen),
    /** Until the attempt has requests recorded as landed. */
    landed: () =>
      poll(
        'a request recorded as landed',
        () => audit.read().find((e) => e.sent?.some((s) => s.ok)),
        60_000,
        async () => JSON.stringify(audit.read()),
      ),
    kill: () => tmux('kill-session', '-t', session).catch(() => {}),
  };
}

/** The attempt's one entry, interrupted by `reason`, its sent list the requests recorded as landed. */
function assertInterrupted(audit: AuditLog, reason: string): AuditEntry {
  const entries = audit.read();
  assert.equal(entries.length, 1, JSON.stringify(entries));
  const [entry] = entries;
  assert.deepEqual([entry.fixId, entry.outcome, entry.reason], ['restores-trigger', 'interrupted', reason], entry.message);
  const landed = entry.sent!.filter((s) => s.ok).length;
  assert.ok(landed >= 1);
  assert.match(entry.message, new RegExp(`^interrupted \\(${reason}\\): ${landed} of ${entry.requests.length} requests sent; `));
  return entry;
}

/** From the dashboard's start: the Restores panel, T, then y. */
async function triggerFromDashboard(deck: Awaited<ReturnType<typeof inTmux>>): Promise<void> {
  await deck.waitForScreen(/▶ Flux/);
  await deck.send('j');
  await deck.waitForScreen(/▶ Kopia/);
  await deck.send('j');
  await deck.waitForScreen(/▶ Restores/);
  await deck.send('T');
  await deck.waitForScreen(/Fix: Trigger 13 restores/);
  await deck.send('y');
  await deck.landed();
}

test('the dashboard loses its terminal (SIGHUP) while a fix runs: interrupted is in the audit log, and drdeck is gone', async (t) => {
  if (skipWithoutTmux(t)) return;
  const deck = await inTmux(['demo', '--speed', '1']);
  try {
    await triggerFromDashboard(deck);
    assert.ok(!deck.audit.read()[0].endedAt, 'still running when the terminal goes');
    await deck.kill();
    await poll('drdeck to exit', () => !alive(deck.pid), 30_000);
    assertInterrupted(deck.audit, 'SIGHUP');
  } finally {
    await deck.kill();
  }
});

test('q while a fix runs: drdeck quits (exit 0) and the audit log says the fix was interrupted by the quit', async (t) => {
  if (skipWithoutTmux(t)) return;
  const deck = await inTmux(['demo', '--speed', '1'], { shell: true });
  try {
    await triggerFromDashboard(deck);
    await deck.send('q');
    await deck.waitForScreen(/\[drdeck exited with 0\]/, 30_000);
    assertInterrupted(deck.audit, 'quit');
  } finally {
    await deck.kill();
  }
});

test('drdeck fix --yes in a terminal that goes away (SIGHUP): interrupted is in the audit log', async (t) => {
  if (skipWithoutTmux(t)) return;
  const run = await inTmux(['fix', 'restores-trigger', '--yes', '--demo', '--speed', '1']);
  try {
    // Its progress is on the terminal as it happens.
    await run.waitForScreen(/^ {2}sent \d+\/14: patch replicationdestinations /m);
    await run.kill();
    await poll('drdeck to exit', () => !alive(run.pid), 30_000);
    assertInterrupted(run.audit, 'SIGHUP');
  } finally {
    await run.kill();
  }
});
