/**
 * Builds k9s, the reference Kubernetes TUI, for the cluster benchmark (bench/cluster), into the tools
 * cache outside the work tree (`${XDG_CACHE_HOME:-~/.cache}/drdeck/tools/k9s-v0.50.16/k9s`).
 *
 *   node --import tsx test/tools/k9s.ts [--force]     build when missing, print the path
 *
 * Built only when the benchmark asks for it (`npm run bench -- --cluster` without `--no-k9s`): a cold
 * build takes ~20 min on a busy 2-core machine, so it runs under `nice -n 10`.
 *
 * How: a helper module in the cache folder requires `github.com/derailed/k9s` at {@link K9S_VERSION}
 * and copies the k9s module's own `require` and `replace` lines and its go.sum, so the build list is
 * exactly the one k9s was released with; `go build github.com/derailed/k9s` builds its main package,
 * stamped with `-X github.com/derailed/k9s/cmd.version=...` as k9s's Makefile does.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { findGo, goEnv } from '../cluster/build.js';
import { toolsCacheRoot, withLock } from './build.js';

const execFileP = promisify(execFile);

/** The k9s Go module and the release the benchmark builds. */
export const K9S_MODULE = 'github.com/derailed/k9s';
export const K9S_VERSION = 'v0.50.16';
/** The module zip's hash as go.sum records it (`go mod download` checks it against the checksum database too). */
export const K9S_MODULE_SUM = 'h1:djzWog8EYth+S6oLE1YjsC4BqMfo2on+mAv1FU/YoZA=';

type Log = (line: string) => void;
const stderrLog: Log = (line) => process.stderr.write(`${line}\n`);

/** The helper module's folder. */
export function k9sModuleDir(): string {
  return join(toolsCacheRoot(), `k9s-${K9S_VERSION}`);
}

/** Where the k9s binary of {@link K9S_VERSION} is cached. */
export function k9sPath(): string {
  return join(k9sModuleDir(), 'k9s');
}

/** True when the cached k9s exists and `k9s version -s` reports {@link K9S_VERSION}. */
export async function k9sReady(binary = k9sPath()): Promise<boolean> {
  if (!existsSync(binary)) return false;
  const home = mkdtempSync(join(tmpdir(), 'drdeck-k9s-ver-'));
  try {
    const env = { PATH: process.env.PATH ?? '', HOME: home, XDG_CONFIG_HOME: home, XDG_STATE_HOME: home, XDG_DATA_HOME: home, K9S_CONFIG_DIR: home };
    const { stdout } = await execFileP(binary, ['version', '-s'], { timeout: 30_000, env });
    return new RegExp(`^Version\\s+${K9S_VERSION.replace(/\./g, '\\.')}\\s*$`, 'm').test(stdout);
  } catch {
    return false;
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

/** The `require (...)`/`require x v` and `replace` lines of a go.mod, as text. */
export function requireAndReplaceLines(goMod: string): { require: string; replace: string } {
  const blocks = (keyword: string): string => {
    const out: string[] = [];
    const block = new RegExp(`^${keyword} \\(\\n([\\s\\S]*?)^\\)`, 'gm');
    for (const m of goMod.matchAll(block)) out.push(m[1]!.trimEnd());
    for (const m of goMod.matchAll(new RegExp(`^${keyword} ([^(\\n].*)$`, 'gm'))) out.push(`\t${m[1]!}`);
    return out.join('\n');
  };
  return { require: blocks('require'), replace: blocks('replace') };
}

async function moduleInfo(go: string): Promise<{ Dir: string }> {
  const cwd = mkdtempSync(join(tmpdir(), 'drdeck-k9s-mod-'));
  try {
    const { stdout } = await execFileP(go, ['mod', 'download', '-json', `${K9S_MODULE}@${K9S_VERSION}`], { cwd, env: goEnv(), timeout: 600_000 });
    const info = JSON.parse(stdout) as { Dir?: string; GoMod?: string; Sum?: string; Error?: string };
    if (!info.Dir) throw new Error(`go mod download ${K9S_MODULE}@${K9S_VERSION}: ${info.Error ?? 'no folder reported'}`);
    if (info.Sum !== K9S_MODULE_SUM) throw new Error(`${K9S_MODULE}@${K9S_VERSION} has hash ${info.Sum}, expected ${K9S_MODULE_SUM}`);
    return { Dir: info.Dir };
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
}

/** Makes sure the cached k9s exists and reports {@link K9S_VERSION}, building it (niced) when not. */
export async function ensureK9s(options: { log?: Log; force?: boolean } = {}): Promise<string> {
  const log = options.log ?? stderrLog;
  const out = k9sPath();
  if (!options.force && (await k9sReady(out))) return out;
  const go = findGo();
  if (!go) throw new Error('go not found: install Go 1.26+ to build k9s for the benchmark');
  const dir = k9sModuleDir();
  mkdirSync(dir, { recursive: true });
  return withLock(
    `${out}.lock`,
    async () => {
      if (!options.force && (await k9sReady(out))) return out;
      const started = Date.now();
      const info = await moduleInfo(go);
      const k9sGoMod = readFileSync(join(info.Dir, 'go.mod'), 'utf8');
      const { require, replace } = requireAndReplaceLines(k9sGoMod);
      const goLine = /^go (\S+)$/m.exec(k9sGoMod)?.[1] ?? '1.24';
      const helper = [
        'module drdeck.local/k9s-build',
        '',
        `go ${goLine}`,
        '',
        `require ${K9S_MODULE} ${K9S_VERSION}`,
        '',
        `require (\n${require}\n)`,
        ...(replace ? ['', `replace (\n${replace}\n)`] : []),
        '',
      ].join('\n');
      writeFileSync(join(dir, 'go.mod'), helper);
      const { stdout: modHash } = await execFileP(go, ['mod', 'download', '-json', `${K9S_MODULE}@${K9S_VERSION}`], {
        cwd: tmpdir(),
        env: goEnv(),
        timeout: 600_000,
      });
      const parsed = JSON.parse(modHash) as { GoModSum?: string };
      const sums = [
        readFileSync(join(info.Dir, 'go.sum'), 'utf8').trimEnd(),
        `${K9S_MODULE} ${K9S_VERSION} ${K9S_MODULE_SUM}`,
        `${K9S_MODULE} ${K9S_VERSION}/go.mod ${parsed.GoModSum ?? ''}`,
        '',
      ].join('\n');
      writeFileSync(join(dir, 'go.sum'), sums);
      const tmp = `${out}.tmp-${process.pid}`;
      const ldflags = `-s -w -X ${K9S_MODULE}/cmd.version=${K9S_VERSION} -X ${K9S_MODULE}/cmd.commit=module -X ${K9S_MODULE}/cmd.date=n/a`;
      const args = ['-n', '10', go, 'build', '-pgo=off', '-trimpath', '-ldflags', ldflags, '-o', tmp, K9S_MODULE];
      log(`nice ${args.join(' ')}  (in ${dir})`);
      try {
        await new Promise<void>((resolve, reject) => {
          const child = spawn('nice', args, { cwd: dir, env: goEnv(), stdio: ['ignore', 'inherit', 'inherit'] });
          child.on('error', reject);
          child.on('exit', (code, signal) => (code === 0 ? resolve() : reject(new Error(`go build ${K9S_MODULE} failed (${signal ?? `exit ${code}`})`))));
        });
        renameSync(tmp, out);
      } finally {
        rmSync(tmp, { force: true });
      }
      if (!(await k9sReady(out))) throw new Error(`the built ${out} does not report ${K9S_VERSION}`);
      log(`k9s ${K9S_VERSION} ready in ${((Date.now() - started) / 1000).toFixed(0)} s: ${out}`);
      return out;
    },
    log,
  );
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  ensureK9s({ force: process.argv.includes('--force') })
    .then((path) => console.log(`k9s: ${path}`))
    .catch((error: unknown) => {
      console.error(`k9s build failed: ${error instanceof Error ? error.message : String(error)}`);
      process.exitCode = 1;
    });
}
