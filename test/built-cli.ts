/**
 * The CLI as the tests run it: the built bundle (`bin/drdeck.js` → `dist/`), which is what an operator
 * installs. Why not the sources through tsx: each spawn transpiled the whole program again, seconds on
 * a busy machine, and eight `drdeck fix` side by side ran past their deadlines. The bundle is rebuilt
 * first whenever a source is newer than it, under a lock, so test files running in parallel (or a second
 * `npm test` beside this one) build it once and never start a half-written one.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** The installed entry point: run it as `spawn(process.execPath, [DRDECK_BIN, ...args])`. */
export const DRDECK_BIN = join(root, 'bin', 'drdeck.js');

const BUILT = join(root, 'dist', 'cli.js');
const LOCK = join(root, 'dist.build-lock');
/** A lock older than this was left by a build that died: take it over. */
const STALE_LOCK_MS = 120_000;

function newestSource(): number {
  let newest = 0;
  const visit = (path: string) => {
    const stat = statSync(path);
    if (stat.isDirectory()) for (const entry of readdirSync(path)) visit(join(path, entry));
    else newest = Math.max(newest, stat.mtimeMs);
  };
  for (const path of ['src', 'scripts', 'bin', 'package.json']) visit(join(root, path));
  return newest;
}

function fresh(): boolean {
  return existsSync(BUILT) && statSync(BUILT).mtimeMs >= newestSource();
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Builds dist/ when a source is newer than it (synchronously: test files call it at load). */
export function ensureBuilt(): void {
  for (const deadline = Date.now() + 10 * 60_000; !fresh();) {
    if (Date.now() > deadline) throw new Error('dist/ was not built within 10 minutes (is another build stuck? remove dist.build-lock)');
    try {
      mkdirSync(LOCK);
    } catch {
      if (Date.now() - statSync(LOCK, { throwIfNoEntry: false })!.mtimeMs > STALE_LOCK_MS) rmSync(LOCK, { recursive: true, force: true });
      sleep(200);
      continue;
    }
    try {
      if (fresh()) return;
      const run = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { cwd: root, encoding: 'utf8', timeout: 5 * 60_000 });
      if (run.status !== 0) throw new Error(`npm run build failed:\n${run.stderr || run.stdout}`);
    } finally {
      rmSync(LOCK, { recursive: true, force: true });
    }
  }
}

ensureBuilt();
