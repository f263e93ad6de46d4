/**
 * `--log FILE` on a real cluster, run as an operator runs it: `drdeck` in tmux at 80x24 against the
 * test API server, started from a folder with a `./drdeck.yaml` (not read; said on the notice line)
 * and a config whose router password file others can read (warned). A watch is forced into 410 Gone
 * (etcd compacted while drdeck could not reach the server): the relist and the retries are in the
 * log, with ISO times, and never on the screen; no Secret value and no password reach the log.
 * The headless `check` says the same notices on stderr, one line each.
 */
import assert from 'node:assert/strict';
import { execFile, spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { compactEtcd, restartApiServer } from '../cluster/cluster.js';
import { RouterOsContractServer } from '../dns/routeros-contract-server.js';
import { adminClient, CAN_RUN, createNamespace, kubeconfigVariant, service, skipWithoutGo, startE2eCluster, startProxy, waitFor } from './harness.js';
import { DRDECK_BIN } from '../built-cli.js';
import { drdeckCommand } from '../tmux/terminal.js';

const execFileP = promisify(execFile);
const HAS_TMUX = spawnSync('tmux', ['-V'], { stdio: 'ignore' }).status === 0;
const SESSION = `drdeck-log-${process.pid}-${Date.now()}`;

/** The router's real password, and the wrong one the config's file holds: neither may reach the log. */
const ROUTER_PASSWORD = 'router-pw-not-in-any-log';
const WRONG_PASSWORD = 'wrong-pw-not-in-any-log';
/** A Secret value in the cluster, which drdeck watches (metadata and all). */
const SECRET_VALUE = 'kopia-repo-password-not-in-any-log';

let env: Awaited<ReturnType<typeof startE2eCluster>> | undefined;
let router: RouterOsContractServer | undefined;
let work = '';
/** Where drdeck is started: a `./drdeck.yaml` it must not read. */
let cwd = '';
let config = '';
let passwordFile = '';

before(async () => {
  if (!CAN_RUN) return;
  env = await startE2eCluster('log');
  work = mkdtempSync(join(tmpdir(), 'drdeck-e2e-log-'));
  router = new RouterOsContractServer({ user: 'drdeck', password: ROUTER_PASSWORD, entries: [] });
  const url = await router.start();
  cwd = join(work, 'project');
  mkdirSync(cwd);
  // Hostile: the router at another address, and a file of its choice sent as the password.
  writeFileSync(
    join(cwd, 'drdeck.yaml'),
    `dns:\n  routeros:\n    url: http://127.0.0.1:1\n    user: x\n    passwordFile: /etc/passwd\n    allowInsecureHttp: true\n`,
  );
  const conf = join(work, 'conf');
  mkdirSync(conf);
  passwordFile = join(conf, 'router-password');
  writeFileSync(passwordFile, `${WRONG_PASSWORD}\n`);
  chmodSync(passwordFile, 0o644);
  config = join(conf, 'drdeck.yaml');
  // passwordFile relative: it is found next to the config, wherever drdeck starts.
  writeFileSync(config, `dns:\n  routeros:\n    url: ${url}\n    user: drdeck\n    passwordFile: router-password\n    allowInsecureHttp: true\n`);
});
after(async () => {
  await router?.close();
  await env?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

const NOT_READ = 'not reading ./drdeck.yaml (pass --config drdeck.yaml to use it)';
const looseWarning = () => `dns.routeros.passwordFile ${passwordFile} is readable by others (mode 0644): chmod 600 ${passwordFile}`;
const ISO_LINE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \S/;
const modeOf = (path: string) => statSync(path).mode & 0o777;
const readLog = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8') : '');

/** What must never reach a log: passwords and Secret values, plain or base64. */
function assertNoSecrets(text: string): void {
  for (const secret of [ROUTER_PASSWORD, WRONG_PASSWORD, SECRET_VALUE]) {
    assert.equal(text.includes(secret), false, secret);
    assert.equal(text.includes(Buffer.from(secret).toString('base64')), false, `${secret} (base64)`);
  }
}

test('drdeck --log in tmux: notices on the notice line, a forced relist and the retries in the log, none of it on the screen', async (t) => {
  if (skipWithoutGo(t)) return;
  if (!HAS_TMUX) {
    if (process.env.CI) assert.fail('tmux is required in CI for the terminal tests (apt-get install tmux)');
    t.skip('SKIPPED: tmux not found');
    return;
  }
  const { cluster } = env!;
  const admin = adminClient(cluster.kubeconfig);
  const proxy = await startProxy(cluster.state.ports.apiserver);
  const kubeconfig = kubeconfigVariant(cluster.kubeconfig, join(work, 'kubeconfig-proxy'), { server: `https://127.0.0.1:${proxy.port}` });
  const socket = join(work, 'tmux.sock');
  const tmux = async (...args: string[]) => (await execFileP('tmux', ['-S', socket, ...args], { timeout: 10_000 })).stdout;
  const screen = () => tmux('capture-pane', '-p', '-t', SESSION);
  const screens: string[] = [];
  /** Polls the screen, keeping every capture for the no-log-on-screen check. */
  const waitForScreen = async (expected: string | RegExp, timeoutMs = 60_000) => {
    let last = '';
    return waitFor(
      `the screen to show ${String(expected)}`,
      async () => {
        last = await screen();
        screens.push(last);
        return (typeof expected === 'string' ? last.includes(expected) : expected.test(last)) && last;
      },
      timeoutMs,
      () => `the screen:\n${last}`,
    );
  };
  const log = join(work, 'drdeck.log');
  const state = join(work, 'state');
  const logHas = (what: RegExp, timeoutMs = 60_000) =>
    waitFor(
      `the log to say ${String(what)}`,
      () => what.test(readLog(log)),
      timeoutMs,
      () => readLog(log),
    );

  await createNamespace(cluster.kubeconfig, 'logged');
  await admin.create('secrets', { metadata: { name: 'kopia-repo', namespace: 'logged' }, stringData: { KOPIA_PASSWORD: SECRET_VALUE } });
  for (const name of ['a', 'b']) await admin.create('services', service('logged', name));

  // HOME is the work folder, which has no `config` folder: drdeck reads no user config.
  const command = drdeckCommand(work, ['--kubeconfig', kubeconfig, '--config', config, '--state-dir', state, '--log', log]);
  try {
    await tmux('new-session', '-d', '-s', SESSION, '-x', '80', '-y', '24', '-c', cwd, ...command, ';', 'set-option', '-t', SESSION, 'remain-on-exit', 'on');
    // The password file's warning first (it is about a secret), and that there is one more notice.
    const first = await waitForScreen(/^! dns\.routeros\.passwordFile \/tmp\/\S*… \(\+1 more\)$/m);
    const [header, notice] = first.split('\n');
    assert.match(header, /^drdeck · drdeck-test · /, 'the header, then the notice line');
    assert.ok([...notice].length <= 79, `the notice line fits: ${notice}`);
    await logHas(/Z sync services: synced$/m);
    await logHas(/Z router 127\.0\.0\.1:\d+: the router refused the credentials of user drdeck \(401 at http:\/\/127\.0\.0\.1:\d+\)$/m);

    // drdeck loses the server; meanwhile the history moves on and etcd forgets it.
    proxy.setMode('reject');
    await logHas(/Z watch services: .*retrying in \d+ s$/m);
    await admin.delete('services', 'logged', 'b');
    await admin.create('services', service('logged', 'c'));
    await compactEtcd(cluster.dir);
    await restartApiServer(cluster.dir);
    proxy.setMode('pass');
    // Why 90 s: drdeck's own back-off (up to 30 s, ±20%) decides when it tries again.
    await logHas(/Z watch services: 410 Gone \(.*\), relisting$/m, 90_000);
    await waitFor(
      'services synced again after their relist (other kinds relist in their own order)',
      async () => {
        const text = await screen();
        screens.push(text);
        return /Z sync services: synced$/m.test(
          readLog(log)
            .split(/Z watch services: 410 Gone/)
            .at(-1) ?? '',
        );
      },
      60_000,
      () => readLog(log),
    );

    await tmux('send-keys', '-t', SESSION, 'q');
    await waitForScreen('[drdeck exited with 0]', 15_000);
  } finally {
    await tmux('kill-session', '-t', SESSION).catch(() => {});
    admin.close();
    await proxy.close();
  }

  const text = readLog(log);
  t.diagnostic(`the log: ${text.split('\n').length - 1} lines`);
  const lines = text.trimEnd().split('\n');
  for (const line of lines) assert.match(line, ISO_LINE);
  assert.match(lines[0], /Z start: the cluster drdeck-test \(https:\/\/127\.0\.0\.1:\d+\); state in .*\/state$/);
  assert.ok(lines.includes(lines.find((l) => l.endsWith(` notice: ${NOT_READ}`)) ?? '-'), 'the unread ./drdeck.yaml is in the log');
  assert.ok(
    lines.some((l) => l.endsWith(` notice: ${looseWarning()}`)),
    'the loose password file is in the log',
  );
  assert.match(lines.at(-1)!, /Z session closed$/);
  assertNoSecrets(text);

  // Nothing of the log ever reached the terminal: no timestamps, no watcher lines, no relist.
  for (const shot of screens) {
    assert.doesNotMatch(shot, /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/);
    assert.doesNotMatch(shot, /relisting|watch services:|sync services:|notice:/);
  }
  assert.equal(modeOf(log), 0o600);
  assert.equal(modeOf(state), 0o700);
  for (const name of readdirSync(state)) assert.equal(modeOf(join(state, name)), 0o600, name);
});

/** Runs the CLI headless from `cwd` (asynchronously: the test cluster's helpers share this event loop). */
function drdeck(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [DRDECK_BIN, ...args], {
    cwd,
    env: {
      ...process.env,
      NO_COLOR: '1',
      XDG_CONFIG_HOME: join(work, 'no-config'),
      KUBECONFIG: '',
      DRDECK_CONFIG: '',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 90_000,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

test('check --log: the notices on stderr, one line each; the run in the log', async (t) => {
  if (skipWithoutGo(t)) return;
  const log = join(work, 'check.log');
  const asked = router!.requests.length;
  const { stdout, stderr } = await drdeck(['check', '--kubeconfig', env!.cluster.kubeconfig, '--config', config, '--log', log, '--json', '--timeout', '60']);
  assert.equal(stderr, `drdeck: ${looseWarning()}\ndrdeck: ${NOT_READ}\n`);
  assert.ok((JSON.parse(stdout) as { checks: unknown[] }).checks.length > 0, 'the report on stdout, alone');
  // The config's router was asked, with its file's password (not ./drdeck.yaml's router at 127.0.0.1:1).
  assert.ok(router!.requests.length > asked, 'the configured router was asked');
  assert.ok(router!.requests.slice(asked).every((r) => !r.authorized));
  const text = readLog(log);
  for (const line of text.trimEnd().split('\n')) assert.match(line, ISO_LINE);
  assert.match(text, /Z start: the cluster drdeck-test /);
  assert.match(text, /Z sync services: synced$/m);
  assert.match(text, /Z router 127\.0\.0\.1:\d+: the router refused the credentials of user drdeck/);
  assert.match(text, /Z session closed\n$/);
  assertNoSecrets(text);
  assert.equal(modeOf(log), 0o600);
});
