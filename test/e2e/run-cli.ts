/** Runs the drdeck CLI from its sources, as a user runs it, and says when it exited. */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DRDECK_BIN } from '../built-cli.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** From the start to the process's exit. */
  exitMs: number;
  /** From the start to its output closing (later than the exit if anything kept its pipes open). */
  closeMs: number;
}

/**
 * Runs `drdeck ARGS` (asynchronously: the test cluster's helpers share this event loop), with no
 * user config, no KUBECONFIG unless given, and a hard stop after `killAfterMs` so a hung drdeck
 * fails the test instead of hanging it.
 */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}, killAfterMs = 90_000): Promise<CliRun> {
  const started = Date.now();
  const child = spawn(process.execPath, [DRDECK_BIN, ...args], {
    cwd: root,
    env: { ...process.env, NO_COLOR: '1', XDG_CONFIG_HOME: join(root, '.no-config'), KUBECONFIG: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: killAfterMs,
  });
  let stdout = '';
  let stderr = '';
  let exitMs = 0;
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  child.on('exit', () => (exitMs = Date.now() - started));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr, exitMs, closeMs: Date.now() - started })));
}
