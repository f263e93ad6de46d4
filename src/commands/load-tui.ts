/** Loads the dashboard (Ink and React) for a terminal. */
import { UsageError } from './errors.js';

interface Stream {
  isTTY?: boolean;
}

/**
 * The dashboard reads keys from stdin and draws on stdout, so both must be a terminal. Why checked
 * before Ink is loaded: without one, Ink fails deep in React with a 20-line stack trace (`ssh bastion
 * drdeck` without `-t`, a cron job, a pipe); this says in one line what to do instead.
 */
export function requireTerminal(stdin: Stream = process.stdin, stdout: Stream = process.stdout): void {
  if (!stdin.isTTY) throw new UsageError('the dashboard needs a terminal (stdin is not a TTY): use "ssh -t", or "drdeck check" for a one-shot report');
  if (!stdout.isTTY)
    throw new UsageError('the dashboard needs a terminal (stdout is not a TTY): run it without a pipe or redirection, or "drdeck check" for a one-shot report');
}

/**
 * Why the CI variables: Ink decides when it is imported whether it runs "in CI" (CI or
 * CONTINUOUS_INTEGRATION), and then draws nothing until exit — meant for logs, not for an
 * operator's terminal. A bastion's shell may well carry such a variable; on a terminal, drdeck is
 * interactive whatever it says.
 */
export async function loadTui(): Promise<typeof import('./tui.js')> {
  requireTerminal();
  for (const key of ['CI', 'CONTINUOUS_INTEGRATION']) if (key in process.env) process.env[key] = 'false';
  return import('./tui.js');
}
