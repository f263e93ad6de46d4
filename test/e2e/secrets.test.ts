/**
 * No Secret value anywhere: a Secret created with `kubectl apply -f` carries its whole manifest,
 * data included, in the `kubectl.kubernetes.io/last-applied-configuration` annotation, which even a
 * metadata-only read returns. Here such a Secret holds a random canary, and it is one drdeck reads
 * (the repository Secret of a ReplicationDestination of the seed's rebuild, on the real API
 * server). drdeck is then run as a user runs it, and the canary, plain or base64, must be in none
 * of what it prints, writes or keeps: `check` (JSON and table), `fix --dry-run --json`, a `fix
 * --yes` run, `report`, the audit log, every file of the state dir, the dashboard's screens in
 * tmux, and the heap of the running dashboard (a heap snapshot: V8 collects garbage first, so what
 * is found there is retained). The Secret's own uid, which drdeck does keep, is found in that same
 * heap: the search can fail.
 */
import assert from 'node:assert/strict';
import { execFile, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { writeScenario } from '../cluster/scenario.js';
import { simulate } from '../cluster/simulate.js';
import { REBUILD_FACTS } from '../../src/sim/index.js';
import { AuditLog } from '../../src/state/audit-log.js';
import { CAN_RUN, skipWithoutGo, startE2eCluster, waitFor } from './harness.js';
import { DRDECK_BIN } from '../built-cli.js';

const execFileP = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const HAS_TMUX = spawnSync('tmux', ['-V'], { stdio: 'ignore' }).status === 0;

const APP = REBUILD_FACTS.missingSecret;
const SECRET = `${APP}-volsync-secret`;
/** Random per run; never printed (a failure shows where it was found, with the canary masked). */
const CANARY = ['drdeck', 'canary', randomBytes(16).toString('hex')].join('-');
const CANARY_B64 = Buffer.from(CANARY).toString('base64');
const FORMS: ReadonlyArray<[string, string]> = [
  ['the canary', CANARY],
  ['the canary in base64', CANARY_B64],
];

let env: Awaited<ReturnType<typeof startE2eCluster>> | undefined;
let dir = '';
let state = '';
/** Where `--log FILE` writes, when this drdeck has the option (another branch adds it). */
let logFile: string | undefined;
const stopSimulation = new AbortController();
let simulation: Promise<void> | undefined;

before(async () => {
  if (!CAN_RUN) return;
  env = await startE2eCluster('secrets');
  dir = env.cluster.dir;
  state = join(dir, 'state');
  mkdirSync(state);
  await writeScenario(dir, 'rebuild');
  // The repository Secret the scenario lacks, as an operator or a bootstrap script applies it: with
  // kubectl apply, so its data is copied into the last-applied annotation; once in the clear
  // (stringData) and once in base64 (data), as manifests have it either way.
  const manifest = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: SECRET, namespace: 'default' },
    type: 'Opaque',
    stringData: { KOPIA_PASSWORD: CANARY },
    data: { KOPIA_REPOSITORY: CANARY_B64 },
  };
  await kubectl(['apply', '-f', '-'], JSON.stringify(manifest));
  // drdeck's simulated controllers (VolSync among them) answer the fix that the test runs.
  simulation = simulate(dir, { speed: 60, signal: stopSimulation.signal, log: () => {} });
  const help = await drdeck(['--help']);
  if (/--log <file>/.test(help.stdout)) logFile = join(state, 'drdeck.log');
});

after(async () => {
  stopSimulation.abort();
  await simulation;
  await env?.stop();
});

async function kubectl(args: string[], input?: string): Promise<string> {
  const run = execFileP('kubectl', ['--kubeconfig', env!.cluster.kubeconfig, ...args], { timeout: 30_000, maxBuffer: 16 << 20 });
  if (input !== undefined) run.child.stdin!.end(input);
  return (await run).stdout;
}

/** Fails naming where a form of the canary was found, with the canary masked in what is shown. */
function assertNoSecret(where: string, text: string): void {
  for (const [form, value] of FORMS) {
    const at = text.indexOf(value);
    if (at < 0) continue;
    const around = text.slice(Math.max(0, at - 120), at + value.length + 60);
    assert.fail(`${form} was found in ${where} at offset ${at}: …${around.split(CANARY).join('<CANARY>').split(CANARY_B64).join('<CANARY-BASE64>')}…`);
  }
}

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The built CLI, as a user runs it (no config or state of the user's own). */
function drdeck(args: string[], timeoutMs = 120_000): Promise<CliResult> {
  const child = spawn(process.execPath, [DRDECK_BIN, ...args], {
    cwd: dir || root,
    env: {
      ...process.env,
      NO_COLOR: '1',
      XDG_CONFIG_HOME: join(dir || root, 'xdg-config'),
      XDG_STATE_HOME: join(dir || root, 'xdg-state'),
      KUBECONFIG: '',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: timeoutMs,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

/** The options of a run on the test cluster (`check` keeps no state: no --state-dir). */
const onCluster = (withState = true) => [
  '--kubeconfig',
  env!.cluster.kubeconfig,
  '--config',
  join(dir, 'drdeck.yaml'),
  ...(withState ? ['--state-dir', state] : []),
  ...(logFile ? ['--log', logFile] : []),
];

test('the canary is where drdeck would read it: in the Secret, and in its last-applied annotation', async (t) => {
  if (skipWithoutGo(t)) return;
  const annotation = await kubectl([
    'get',
    'secret',
    SECRET,
    '-n',
    'default',
    '-o',
    'jsonpath={.metadata.annotations.kubectl\\.kubernetes\\.io/last-applied-configuration}',
  ]);
  assert.ok(annotation.includes(CANARY) && annotation.includes(CANARY_B64), 'kubectl apply copied both forms into the annotation');
  // An RD of the scenario names it as its repository: drdeck watches it (restores.secrets).
  const rd = JSON.parse(await kubectl(['get', 'replicationdestination', `${APP}-dst`, '-n', 'default', '-o', 'json'])) as {
    spec: { kopia: { repository: string } };
  };
  assert.equal(rd.spec.kopia.repository, SECRET);
});

test('check (JSON and table), fix --dry-run, fix --yes: the Secret is read, its value in no output', async (t) => {
  if (skipWithoutGo(t)) return;
  const json = await drdeck(['check', '--json', ...onCluster(false)]);
  assert.equal(json.code, 1, json.stderr);
  assert.ok(json.stdout, json.stderr);
  const report = JSON.parse(json.stdout) as { checks: Array<{ id: string; status: string; summary: string }> };
  const secrets = report.checks.find((c) => c.id === 'restores.secrets');
  assert.deepEqual([secrets?.status, secrets?.summary], ['pass', '22/22 repository Secrets present'], 'drdeck has read the canary Secret');
  assertNoSecret('check --json (stdout)', json.stdout);
  assertNoSecret('check --json (stderr)', json.stderr);

  const table = await drdeck(['check', ...onCluster(false)]);
  assert.match(table.stdout, /restores\.secrets/);
  assertNoSecret('check (stdout)', table.stdout);
  assertNoSecret('check (stderr)', table.stderr);

  const target = ['--target', `default/${APP}-dst`];
  const dryRun = await drdeck(['fix', 'restores-trigger', '--dry-run', '--json', ...target, ...onCluster()]);
  assert.equal(dryRun.code, 0, dryRun.stderr);
  assert.equal((JSON.parse(dryRun.stdout) as { outcome: string }).outcome, 'dry-run');
  assertNoSecret('fix --dry-run --json (stdout)', dryRun.stdout);
  assertNoSecret('fix --dry-run --json (stderr)', dryRun.stderr);

  const applied = await drdeck(['fix', 'restores-trigger', '--yes', '--json', ...target, ...onCluster()]);
  const outcome = JSON.parse(applied.stdout) as { outcome: string; message?: string };
  // Done or failed (the Kopia repository is not reclaimed yet): either way it ran and was audited.
  assert.ok(['done', 'failed'].includes(outcome.outcome), `${outcome.outcome}: ${outcome.message ?? ''} ${applied.stderr}`);
  assertNoSecret('fix --yes --json (stdout)', applied.stdout);
  assertNoSecret('fix --yes --json (stderr)', applied.stderr);
});

/** Searches a file for every needle without reading it into memory at once; the offsets found (or -1). */
function findInFile(file: string, needles: readonly string[]): number[] {
  const patterns = needles.map((n) => Buffer.from(n));
  const overlap = Math.max(...patterns.map((p) => p.length)) - 1;
  const found = patterns.map(() => -1);
  const fd = openSync(file, 'r');
  try {
    const chunk = Buffer.alloc(8 << 20);
    let carry = Buffer.alloc(0);
    let base = 0;
    for (;;) {
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      const window = Buffer.concat([carry, chunk.subarray(0, n)]);
      patterns.forEach((p, i) => {
        if (found[i] >= 0) return;
        const at = window.indexOf(p);
        if (at >= 0) found[i] = base - carry.length + at;
      });
      carry = Buffer.from(window.subarray(Math.max(0, window.length - overlap)));
      base += n;
    }
  } finally {
    closeSync(fd);
  }
  return found;
}

/** True while process `pid` holds `file` open (writing it). */
function holdsOpen(pid: number, file: string): boolean {
  try {
    return readdirSync(`/proc/${pid}/fd`).some((fd) => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`) === file;
      } catch {
        return false;
      }
    });
  } catch {
    return false;
  }
}

test('the dashboard in tmux: the screens, and the heap of the running drdeck, hold no Secret value', async (t) => {
  if (skipWithoutGo(t)) return;
  if (!HAS_TMUX) {
    if (process.env.CI) assert.fail('tmux is required in CI for the terminal tests (apt-get install tmux)');
    t.skip('SKIPPED: tmux not found');
    return;
  }
  const cwd = join(dir, 'tui');
  mkdirSync(cwd);
  const socket = join(dir, 'tmux.sock');
  const session = `drdeck-secrets-${process.pid}-${Date.now()}`;
  const tmux = async (...args: string[]) => (await execFileP('tmux', ['-S', socket, ...args], { timeout: 10_000 })).stdout;
  const screen = () => tmux('capture-pane', '-p', '-t', session);
  const screens: string[] = [];
  const waitForScreen = async (expected: RegExp, timeoutMs = 60_000) => {
    let last = '';
    await waitFor(
      String(expected),
      async () => expected.test((last = await screen())),
      timeoutMs,
      () => `the screen:\n${last}`,
    );
    screens.push(last);
    return last;
  };
  // The dashboard as an operator starts it, in a folder of its own (where the heap snapshot goes).
  // Run without a shell, so the pane's process is drdeck itself. Why the string limit: a heap
  // snapshot keeps only the first 1024 characters of each string by default; this keeps them whole.
  const command = [
    'env',
    `PATH=${process.env.PATH ?? ''}`,
    `HOME=${dir}`,
    `XDG_CONFIG_HOME=${join(dir, 'xdg-config')}`,
    'TERM=xterm-256color',
    'NODE_OPTIONS=--heapsnapshot-signal=SIGUSR2',
    process.execPath,
    '--heap-snapshot-string-limit=1000000000',
    DRDECK_BIN,
    ...onCluster(),
  ];
  try {
    await tmux('new-session', '-d', '-s', session, '-x', '80', '-y', '24', '-c', cwd, ...command, ';', 'set-option', '-t', session, 'remain-on-exit', 'on');
    const pid = Number((await tmux('display-message', '-p', '-t', session, '#{pane_pid}')).trim());
    assert.match(readFileSync(`/proc/${pid}/cmdline`, 'utf8'), /bin\/drdeck\.js/, 'the pane runs drdeck itself');

    await waitForScreen(/^[▶ ] Restores /m);
    // The Restores detail, filtered to the Secrets check: synced, the canary Secret counted.
    await tmux('send-keys', '-t', session, 'j');
    await waitForScreen(/▶ Kopia/);
    await tmux('send-keys', '-t', session, 'j');
    await waitForScreen(/▶ Restores/);
    await tmux('send-keys', '-t', session, 'Enter');
    await waitForScreen(/Restores — /);
    await tmux('send-keys', '-t', session, '/');
    await tmux('send-keys', '-t', session, '-l', 'secrets');
    await tmux('send-keys', '-t', session, 'Enter');
    await waitForScreen(/PASS +restores\.secrets +22\/22 repository Secrets/);
    // One Esc at a time: the first clears the filter, the next leaves the detail.
    await tmux('send-keys', '-t', session, 'Escape');
    // The filter cleared: every line listed again (a three-digit count). Why wait for it: two Esc sent
    // at once reach drdeck as one meta-Esc.
    await waitForScreen(/Restores — \d+ checks\s+\d+\/\d{3,}/);
    await tmux('send-keys', '-t', session, 'Escape');
    await waitForScreen(/^[▶ ] Restores /m);
    screens.forEach((text, i) => assertNoSecret(`screen ${i + 1} of the dashboard`, text));

    // The heap, with garbage collected: what is found is what drdeck keeps.
    const started = Date.now();
    process.kill(pid, 'SIGUSR2');
    const snapshot = await waitFor(
      'a complete heap snapshot',
      () => {
        const file = readdirSync(cwd).find((f) => f.endsWith('.heapsnapshot'));
        if (!file) return undefined;
        const path = join(cwd, file);
        const size = statSync(path).size;
        if (size < 2 || holdsOpen(pid, path)) return undefined;
        const tail = Buffer.alloc(2);
        const fd = openSync(path, 'r');
        readSync(fd, tail, 0, 2, size - 2);
        closeSync(fd);
        return tail.toString() === ']}' ? path : undefined;
      },
      180_000,
    );
    t.diagnostic(`heap snapshot: ${Math.round(statSync(snapshot).size / 1e6)} MB in ${Date.now() - started} ms`);
    const uid = (await kubectl(['get', 'secret', SECRET, '-n', 'default', '-o', 'jsonpath={.metadata.uid}'])).trim();
    const [canaryAt, base64At, uidAt] = findInFile(snapshot, [CANARY, CANARY_B64, uid]);
    assert.ok(uidAt >= 0, "control: the canary Secret's uid, which drdeck keeps, is found in the same heap");
    assert.equal(canaryAt, -1, `the canary is in drdeck's heap (offset ${canaryAt} of ${snapshot})`);
    assert.equal(base64At, -1, `the canary in base64 is in drdeck's heap (offset ${base64At} of ${snapshot})`);

    await tmux('send-keys', '-t', session, 'q');
    await waitFor('drdeck to exit', async () => (await tmux('display-message', '-p', '-t', session, '#{pane_dead}')).trim() === '1', 15_000);
  } finally {
    await tmux('kill-session', '-t', session).catch(() => {});
  }
});

test('report, the audit log, the --log file and every file in the state dir: no Secret value', async (t) => {
  if (skipWithoutGo(t)) return;
  const report = await drdeck([
    'report',
    '--format',
    'json',
    '--kubeconfig',
    env!.cluster.kubeconfig,
    '--config',
    join(dir, 'drdeck.yaml'),
    '--state-dir',
    state,
  ]);
  assert.equal(report.code, 0, report.stderr);
  assertNoSecret('report --format json (stdout)', report.stdout);
  assertNoSecret('report --format json (stderr)', report.stderr);

  const audit = join(state, 'audit.jsonl');
  const entries = new AuditLog(state).read();
  assert.equal(entries.length, 2, 'the dry run and the applied run are audited');
  assert.deepEqual(entries[0], { ...entries[0], fixId: 'restores-trigger', outcome: 'dry-run' });
  assert.match(`${entries[1].fixId} ${entries[1].outcome}`, /^restores-trigger (done|failed)$/);

  // --log FILE: added on another branch. Where it exists, every run above wrote its diagnostics there.
  if (logFile) assert.ok(existsSync(logFile), `--log ${logFile} was written`);
  else t.diagnostic('LOG-ASSERTION: this drdeck has no --log option yet; the sweep below checks its file once it does');

  const files: string[] = [];
  const walk = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) walk(path);
      else files.push(path);
    }
  };
  for (const folder of [state, join(dir, 'xdg-state')]) if (existsSync(folder)) walk(folder);
  assert.ok(files.includes(audit), files.join(', '));
  assert.ok(files.length >= 2, `the audit log and the timeline at least: ${files.join(', ')}`);
  for (const file of files) assertNoSecret(file, readFileSync(file, 'utf8'));
});
