/** Loads the dashboard (Ink and React) for a terminal. */
import { setFlagsFromString } from 'node:v8';
import { UsageError } from './errors.js';

/**
 * How far V8 lets the heap grow past what survived the last full collection, in percent. Why set:
 * under a steady stream of watch events the store replaces objects and the checks replace results,
 * and with V8's own factor (up to 4x on a fast machine) the heap grew to ~2.5x what is live: RSS rose
 * 139 -> 236 MB in two minutes at 5,000 objects and 50 events/s while the live heap stayed ~50 MB.
 * At 20 % it stayed 149-167 MB, for a full collection every few seconds (concurrent marking: a few
 * ms on the main thread). Read by V8 at every full collection, so it holds when set at run time.
 */
export const HEAP_GROWING_PERCENT = 20;

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
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  for (const key of ['CI', 'CONTINUOUS_INTEGRATION']) if (key in process.env) process.env[key] = 'false';
  return import('./tui.js');
}
