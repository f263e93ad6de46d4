/**
 * A user's mistake on the command line, spawned from the sources as a user runs drdeck: exit 2 (1 is
 * "a check failed"), one line naming the unknown command or option and the nearest one, then a
 * pointer to --help; never the whole help, never a stack trace. And the dashboard without a
 * terminal (`ssh bastion drdeck` without -t, a pipe): one line that says what to do, exit 2.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DRDECK_BIN } from '../built-cli.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const home = mkdtempSync(join(tmpdir(), 'drdeck-usage-'));
const env = {
  ...process.env,
  NO_COLOR: '1',
  HOME: home,
  XDG_CONFIG_HOME: join(home, 'config'),
  XDG_STATE_HOME: join(home, 'state'),
  KUBECONFIG: join(home, 'none'),
};
const cli = [process.execPath, DRDECK_BIN];

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI with stdin from /dev/null (asynchronously, so cases can overlap). */
function drdeck(args: string[]): Promise<Run> {
  const child = spawn(cli[0], [...cli.slice(1), ...args], { cwd: home, env, stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

const NO_STACK = /\n\s+at /;

test('usage errors: exit 2, the error and where to look, nothing else', async () => {
  const cases: Array<[string[], string]> = [
    [['bogus'], "drdeck: unknown command 'bogus'; commands: demo, check, preflight, report, fix, help"],
    [['chek'], "drdeck: unknown command 'chek' (did you mean check?)"],
    [['help', 'fixx'], "drdeck: unknown command 'fixx' (did you mean fix?)"],
    [['--bogus'], "drdeck: unknown option '--bogus'"],
    [['check', '--bogus'], "drdeck check: unknown option '--bogus'"],
    [['check', '--jsn'], "drdeck check: unknown option '--jsn' (did you mean --json?)"],
    [['check', 'now'], "drdeck check: too many arguments for 'check'. Expected 0 arguments but got 1."],
    [['check', '--timeout', '0'], "drdeck check: option '--timeout <seconds>' argument '0' is invalid: must be a positive number"],
    [['fix', 'restores-trigger', '--yess'], "drdeck fix: unknown option '--yess' (did you mean --yes?)"],
    [['fix'], "drdeck fix: missing required argument 'id'"],
    [['demo', '--speed', 'fast'], "drdeck demo: option '--speed <n>' argument 'fast' is invalid: must be a positive number"],
  ];
  const runs = await Promise.all(cases.map(([args]) => drdeck(args)));
  cases.forEach(([args, line], i) => {
    const { code, stdout, stderr } = runs[i];
    const what = `drdeck ${args.join(' ')}`;
    assert.equal(code, 2, `${what}: ${stderr}`);
    assert.equal(stdout, '', what);
    const command = /^drdeck( \w+)?/.exec(line)![0];
    assert.equal(stderr, `${line}\nrun "${command} --help" for usage\n`, what);
  });
});

test('an unknown fix: exit 2, the nearest fix, no stack trace', async () => {
  const near = await drdeck(['fix', 'restore-trigger', '--demo']);
  assert.equal(near.code, 2);
  assert.equal(near.stderr, 'drdeck: unknown fix "restore-trigger" (did you mean restores-trigger?)\nrun "drdeck fix --help" for what each fix does\n');
  const far = await drdeck(['fix', 'make-it-green', '--demo']);
  assert.equal(far.code, 2);
  assert.match(far.stderr, /^drdeck: unknown fix "make-it-green"; fixes: flux-reconcile, .*dns-add-records\n/);
  assert.doesNotMatch(far.stderr, NO_STACK);
});

test('--help, help CMD and --version exit 0 on stdout; the help states the exit codes', async () => {
  const [help, helpFix, fixHelp, version] = await Promise.all([drdeck(['--help']), drdeck(['help', 'fix']), drdeck(['fix', '--help']), drdeck(['-V'])]);
  for (const run of [help, helpFix, fixHelp, version]) {
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, '');
  }
  assert.match(help.stdout, /^Usage: drdeck \[options\] \[command\]/);
  assert.match(help.stdout, /^ {2}check \[options\]/m);
  assert.match(help.stdout, /^ {2}3 {2}undecided: nothing failed, but a check could not be decided/m);
  assert.equal(helpFix.stdout, fixHelp.stdout);
  assert.match(fixHelp.stdout, /^Fixes: flux-reconcile, /m);
  const { version: expected } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  assert.equal(version.stdout, `${expected}\n`);
});

const NO_TERMINAL = 'drdeck: the dashboard needs a terminal (stdin is not a TTY): use "ssh -t", or "drdeck check" for a one-shot report\n';

test('the dashboard without a terminal on stdin: one line, exit 2, before anything starts', async () => {
  // `drdeck` would next read the kubeconfig (there is none here): the terminal comes first.
  const [live, demo] = await Promise.all([drdeck([]), drdeck(['demo', '--speed', '60'])]);
  for (const run of [live, demo]) {
    assert.equal(run.code, 2, run.stderr);
    assert.equal(run.stderr, NO_TERMINAL);
    assert.equal(run.stdout, '');
  }
});

test('the dashboard with stdout piped: one line, exit 2', { skip: spawnSync('script', ['--version']).status !== 0 && 'script(1) not found' }, () => {
  // script(1) gives drdeck a terminal on stdin (and stderr); its stdout goes into a pipe.
  const run = join(home, 'piped.sh');
  writeFileSync(run, '{ "$@"; echo "exit=$?" >&2; } | cat\n');
  const command = ['sh', run, ...cli, 'demo'].map((a) => `'${a}'`).join(' ');
  const r = spawnSync('script', ['-qec', command, '/dev/null'], { cwd: home, env, encoding: 'utf8', timeout: 60_000 });
  const text = r.stdout.replace(/\r/g, '');
  assert.equal(
    text,
    'drdeck: the dashboard needs a terminal (stdout is not a TTY): run it without a pipe or redirection, or "drdeck check" for a one-shot report\nexit=2\n',
  );
});
