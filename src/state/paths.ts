/** Where drdeck keeps state: `--state-dir`, else `$XDG_STATE_HOME/drdeck`, else `~/.local/state/drdeck`. */
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';

export function stateDir(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (explicit) return resolve(explicit);
  // The XDG spec: a relative value is invalid and is ignored.
  const xdg = env.XDG_STATE_HOME;
  const base = xdg && isAbsolute(xdg) ? xdg : join(homedir(), '.local', 'state');
  return join(base, 'drdeck');
}

/**
 * The demo's own state folder, `<state dir>/demo`: its audit entries and scenario timestamps (the
 * scenario's clock, out of time order with the real one) never mix with a real cluster's.
 */
export function demoStateDir(base: string): string {
  return join(base, 'demo');
}
