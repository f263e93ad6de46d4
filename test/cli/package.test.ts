/**
 * drdeck as a user installs it: `npm pack`, then `npm install -g` of the tarball into a temporary
 * prefix, offline (every dependency is bundled into dist/), then the installed `drdeck` run from a
 * folder outside the repository. The tarball holds what runs and nothing else; `--help` loads
 * neither Ink and React nor the Kubernetes client; an old Node.js gets one line; the dashboard
 * paints in a real terminal (tmux) from the bundle.
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { CONTRACT_IDS } from '../contract-ids.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
const work = mkdtempSync(join(tmpdir(), 'drdeck-package-'));
const prefix = join(work, 'prefix');
/** Where the user stands: no package.json, no node_modules, no drdeck.yaml. */
const elsewhere = join(work, 'elsewhere');
const installed = join(prefix, 'lib', 'node_modules', 'drdeck');
const bin = join(prefix, 'bin', 'drdeck');

/** The environment of a user's shell: none of the npm_* variables `npm test` sets, node on PATH. */
const env: NodeJS.ProcessEnv = {
  ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key) && key !== 'NODE_OPTIONS' && key !== 'INIT_CWD')),
  PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`,
  HOME: work,
  XDG_CONFIG_HOME: join(work, 'config'),
  XDG_STATE_HOME: join(work, 'state'),
  NO_COLOR: '1',
};

function run(command: string, args: string[], options: { cwd?: string; stdin?: 'ignore' | number; timeout?: number } = {}): SpawnSyncReturns<string> {
  return spawnSync(command, args, {
    cwd: options.cwd ?? elsewhere,
    env,
    encoding: 'utf8',
    stdio: [options.stdin ?? 'ignore', 'pipe', 'pipe'],
    timeout: options.timeout ?? 60_000,
  });
}

let tarballFiles: string[] = [];

before(() => {
  mkdirSync(elsewhere, { recursive: true });
  // `npm pack` builds dist/ (prepack) and lists the files it packed.
  const pack = run('npm', ['pack', '--json', '--pack-destination', work], { cwd: root, timeout: 180_000 });
  assert.equal(pack.status, 0, `npm pack failed:\n${pack.stderr}`);
  const [packed] = JSON.parse(pack.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
  tarballFiles = packed.files.map((f) => f.path);
  // Offline: a package that needed anything from the registry would fail here.
  const install = run('npm', ['install', '--global', '--prefix', prefix, '--offline', '--no-audit', '--no-fund', join(work, packed.filename)], {
    timeout: 180_000,
  });
  assert.equal(install.status, 0, `npm install -g of the tarball failed:\n${install.stderr}`);
});

after(() => rmSync(work, { recursive: true, force: true }));

test('the tarball holds what runs: dist, bin, the RBAC manifests, the demo repository, the README; no sources, tests or build scripts', () => {
  for (const file of [
    'package.json',
    'README.md',
    'bin/drdeck.js',
    'dist/cli.js',
    'deploy/rbac/drdeck-viewer.yaml',
    'deploy/rbac/drdeck-operator.yaml',
    'demo/repo/clusters/home/flux-system/gotk-sync.yaml',
  ]) {
    assert.ok(tarballFiles.includes(file), `${file} in the tarball`);
  }
  assert.ok(tarballFiles.some((f) => f.startsWith('dist/chunks/')));
  assert.deepEqual(
    tarballFiles.filter((f) => /^(src|test|scripts|bench|\.ci|node_modules)\//.test(f) || /^tsconfig/.test(f)),
    [],
  );
  const pkg = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as { dependencies?: object; engines: { node: string } };
  assert.deepEqual(pkg.dependencies ?? {}, {}, 'everything is bundled: nothing to fetch at install');
  assert.equal(pkg.engines.node, '>=20.3');
  assert.equal(existsSync(join(installed, 'node_modules')), false, 'the install brought no node_modules');
});

test('installed: --version, --help and check --demo --json, from a folder outside the repository', () => {
  for (const flag of ['--version', '-V']) {
    const r = run(bin, [flag]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, `${version}\n`);
  }

  const help = run(bin, ['--help']);
  assert.equal(help.status, 0, help.stderr);
  assert.match(help.stdout, /^Usage: drdeck \[options\] \[command\]/);
  for (const command of ['demo', 'check', 'report', 'fix']) assert.match(help.stdout, new RegExp(`^ {2}${command} `, 'm'));
  assert.match(help.stdout, /^Exit codes \(check, fix, preflight\):/m);

  const check = run(bin, ['check', '--demo', '--json']);
  assert.equal(check.status, 1, `the demo starts with failing checks: exit 1\n${check.stderr}`);
  assert.equal(check.stderr, '');
  const report = JSON.parse(check.stdout) as { checks: Array<{ id: string }>; summary: { decided: boolean }; exitCode: number };
  assert.deepEqual(
    report.checks.map((c) => c.id),
    CONTRACT_IDS,
  );
  assert.equal(report.summary.decided, true);
  assert.equal(report.exitCode, 1);
});

test('installed: a usage error and the dashboard without a terminal are one line and exit 2', () => {
  const bogus = run(bin, ['check', '--bogus']);
  assert.equal(bogus.status, 2);
  assert.equal(bogus.stderr, `drdeck check: unknown option '--bogus'\nrun "drdeck check --help" for usage\n`);
  const demo = run(bin, ['demo'], { stdin: openSync('/dev/null', 'r') });
  assert.equal(demo.status, 2);
  assert.equal(demo.stderr, 'drdeck: the dashboard needs a terminal (stdin is not a TTY): use "ssh -t", or "drdeck check" for a one-shot report\n');
});

/** Strings that survive minification, one per package that --help must not load. */
const MARKERS: Record<string, string> = {
  React: 'react.transitional.element',
  Ink: 'Ink tried to import',
  'the Kubernetes client': 'CoreV1Api',
};

/** The files Node loads for one run of the installed drdeck, through a module hook that logs each. */
function loadedFiles(args: string[]): string[] {
  const log = join(work, `loaded-${args.join('-')}.txt`);
  writeFileSync(log, '');
  const hooks = join(work, 'hooks.mjs');
  writeFileSync(
    hooks,
    `import { appendFileSync } from 'node:fs';\nexport async function load(url, context, next) {\n  if (url.startsWith('file:')) appendFileSync(${JSON.stringify(log)}, url + '\\n');\n  return next(url, context);\n}\n`,
  );
  const register = join(work, `register-${args.join('-')}.mjs`);
  writeFileSync(register, `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`);
  const r = run(process.execPath, ['--import', pathToFileURL(register).href, join(installed, 'bin', 'drdeck.js'), ...args]);
  assert.ok(r.status === 0 || r.status === 1, `drdeck ${args.join(' ')}: ${r.stderr}`);
  return readFileSync(log, 'utf8')
    .split('\n')
    .filter((url) => url.startsWith(pathToFileURL(installed).href))
    .map((url) => fileURLToPath(url));
}

test('--help loads neither Ink and React nor the Kubernetes client; check --demo no Kubernetes client', () => {
  const dist = tarballFiles.filter((f) => f.startsWith('dist/') && f.endsWith('.js')).map((f) => join(installed, f));
  const holding = (marker: string, files: string[]) => files.filter((file) => readFileSync(file, 'utf8').includes(marker));
  for (const [what, marker] of Object.entries(MARKERS)) assert.equal(holding(marker, dist).length, 1, `${what} is in exactly one chunk of dist/`);

  const help = loadedFiles(['--help']);
  assert.ok(help.includes(join(installed, 'dist', 'cli.js')), `the hook saw the CLI load: ${help.join(', ')}`);
  for (const [what, marker] of Object.entries(MARKERS)) assert.deepEqual(holding(marker, help), [], `--help loads no ${what}`);

  const check = loadedFiles(['check', '--demo', '--json']);
  assert.ok(check.length > help.length, 'check loads its own chunks');
  assert.deepEqual(holding(MARKERS['the Kubernetes client'], check), [], 'the demo needs no Kubernetes client');
});

test('an older Node.js gets one line naming the version drdeck needs, exit 2', () => {
  for (const old of ['18.19.0', '20.2.9']) {
    const fake = join(work, `node-${old}.cjs`);
    writeFileSync(fake, `Object.defineProperty(process.versions, 'node', { value: ${JSON.stringify(old)} });\n`);
    const r = run(process.execPath, ['--require', fake, join(installed, 'bin', 'drdeck.js'), '--version']);
    assert.equal(r.status, 2);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, `drdeck needs Node.js 20.3 or later; this is v${old}\n`);
  }
});

const HAS_TMUX = spawnSync('tmux', ['-V'], { stdio: 'ignore' }).status === 0;

test('installed: the dashboard paints in a terminal (tmux, 80x24) and q quits with 0', async (t) => {
  if (!HAS_TMUX) {
    if (process.env.CI) assert.fail('tmux is required in CI for the terminal tests (apt-get install tmux)');
    t.skip('SKIPPED: tmux not found');
    return;
  }
  // A private tmux server: its socket in our temp folder, one session, nobody else's touched.
  const socket = join(work, 'tmux.sock');
  const session = `drdeck-package-${process.pid}`;
  const tmux = async (...args: string[]) => (await promisify(execFile)('tmux', ['-S', socket, ...args], { timeout: 10_000, env })).stdout;
  const screen = () => tmux('capture-pane', '-p', '-t', session);
  const waitForScreen = async (expected: RegExp, timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const text = await screen();
      if (expected.test(text)) return text;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${String(expected)}; the screen:\n${text}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const command = ['env', `PATH=${env.PATH}`, `HOME=${work}`, `XDG_CONFIG_HOME=${env.XDG_CONFIG_HOME}`, 'TERM=xterm-256color'];
  const shell = [...command, 'sh', '-c', '"$@"; echo "[drdeck exited with $?]"', 'sh', bin, 'demo', '--speed', '60', '--state-dir', join(work, 'state')];
  try {
    await tmux('new-session', '-d', '-s', session, '-x', '80', '-y', '24', '-c', elsewhere, ...shell, ';', 'set-option', '-t', session, 'remain-on-exit', 'on');
    const text = await waitForScreen(/^[▶ ] Restores /m);
    assert.match(text, /^drdeck · demo · /m);
    // The demo's own repository ships in the package: the Git view reads it with no flag.
    await tmux('send-keys', '-t', session, 'g');
    await waitForScreen(/^Git — demo\/repo \(shipped with drdeck\) · \d+ changes? left/m);
    await tmux('send-keys', '-t', session, 'q');
    await waitForScreen(/\[drdeck exited with 0\]/);
  } finally {
    await tmux('kill-server').catch(() => {});
  }
});
