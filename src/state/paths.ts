/** Where drdeck keeps state: `--state-dir`, else `$XDG_STATE_HOME/drdeck`, else `~/.local/state/drdeck`. */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export function stateDir(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (explicit) return resolve(explicit);
  const base = env.XDG_STATE_HOME || join(homedir(), '.local', 'state');
  return join(base, 'drdeck');
}
