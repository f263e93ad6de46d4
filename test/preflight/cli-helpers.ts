/** The built CLI as the preflight tests run it, in a scratch folder, and the seed fixture repository. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DRDECK_BIN } from '../built-cli.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
export const SEED = join(root, 'test', 'preflight', 'repos', 'seed');
export const scratch = mkdtempSync(join(tmpdir(), 'drdeck-preflight-cli-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** Runs the built CLI with no user config and no flux on PATH unless `env` says so. */
export function drdeck(args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [DRDECK_BIN, ...args], {
    cwd: scratch,
    encoding: 'utf8',
    timeout: 120_000,
    env: { PATH: '/usr/bin:/bin', HOME: scratch, NO_COLOR: '1', XDG_CONFIG_HOME: join(scratch, '.no-config'), ...env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
