/**
 * Fake kubeconfig exec plugins for the tests: small Node scripts written into a temp folder, each
 * logging every spawn (its pid, the pid of the child it may start, its KUBERNETES_EXEC_INFO, args
 * and env) to a file, so a test counts spawns and checks by pid that nothing is left running.
 */
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface PluginBehaviour {
  /** The tokens of successive spawns; the last one repeats. */
  tokens?: string[];
  /** Wait this long before answering. */
  delayMs?: number;
  /** Never answer; with `ignoreTerm` also survive SIGTERM; with `child` keep a `sleep` child in the group. */
  hang?: boolean;
  ignoreTerm?: boolean;
  child?: boolean;
  /** `status.expirationTimestamp` this far ahead of the spawn. */
  expiresInMs?: number;
  /** Fail: write this to stderr (and a fake secret to stdout) and exit with this code. */
  fail?: { code: number; stderr: string };
  /** Write this instead of an ExecCredential. */
  stdout?: string;
  /** The apiVersion it answers in (default: v1). */
  apiVersion?: string;
  /** Client certificate and key (PEM) instead of a token. */
  certificate?: { cert: string; key: string };
}

export interface Spawn {
  pid: number;
  /** The `sleep` it started, with `child`. */
  childPid?: number;
  at: number;
  info?: string;
  args: string[];
  env: Record<string, string | undefined>;
  stdin: string;
}

export interface FakePlugin {
  /** The absolute path of the script. */
  readonly path: string;
  /** Every spawn so far. */
  spawns(): Spawn[];
}

/** What a failing plugin writes on stdout: it must never show up in a message. */
export const FAKE_SECRET = 'sekret-on-stdout-9f8e7d';

/** Writes the plugin `name` into `dir`. */
export function fakePlugin(dir: string, name: string, behaviour: PluginBehaviour): FakePlugin {
  const path = join(dir, name);
  const log = join(dir, `${name}.spawns`);
  const script = `#!${process.execPath}
const fs = require('node:fs');
const b = ${JSON.stringify(behaviour)};
const log = ${JSON.stringify(log)};
let stdin = '';
try { stdin = fs.readFileSync(0, 'utf8'); } catch (e) { stdin = 'unreadable: ' + e.code; }
let childPid;
if (b.child) childPid = require('node:child_process').spawn('sleep', ['1000'], { stdio: 'ignore' }).pid;
const env = { PLUGIN_ENV: process.env.PLUGIN_ENV, HOME: process.env.HOME };
fs.appendFileSync(log, JSON.stringify({ pid: process.pid, childPid, at: Date.now(), info: process.env.KUBERNETES_EXEC_INFO, args: process.argv.slice(2), env, stdin }) + '\\n');
const n = fs.readFileSync(log, 'utf8').trim().split('\\n').length;
if (b.ignoreTerm) process.on('SIGTERM', () => {});
if (b.hang) setInterval(() => {}, 60000);
else setTimeout(() => {
  if (b.fail) {
    process.stdout.write(${JSON.stringify(FAKE_SECRET)} + '\\n');
    process.stderr.write(b.fail.stderr);
    process.exit(b.fail.code);
  }
  if (b.stdout !== undefined) return process.stdout.write(b.stdout);
  const tokens = b.tokens || ['token'];
  const status = b.certificate
    ? { clientCertificateData: b.certificate.cert, clientKeyData: b.certificate.key }
    : { token: tokens[Math.min(n, tokens.length) - 1] };
  if (b.expiresInMs !== undefined) status.expirationTimestamp = new Date(Date.now() + b.expiresInMs).toISOString();
  process.stdout.write(JSON.stringify({ apiVersion: b.apiVersion || 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status }));
}, b.delayMs || 0);
`;
  writeFileSync(path, script);
  chmodSync(path, 0o755);
  return {
    path,
    spawns: () =>
      existsSync(log)
        ? readFileSync(log, 'utf8')
            .trim()
            .split('\n')
            .filter(Boolean)
            .map((line) => JSON.parse(line) as Spawn)
        : [],
  };
}

/** Whether a process is alive: a zombie (exited, not yet reaped) counts as gone. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** Every pid a plugin's spawns left: the plugin and its child. */
export function pidsOf(plugin: FakePlugin): number[] {
  return plugin.spawns().flatMap((s) => (s.childPid ? [s.pid, s.childPid] : [s.pid]));
}

/** Kills what a test's plugins left behind (only their own pids), so a failed test leaves nothing running. */
export function killLeftovers(plugins: FakePlugin[]): void {
  for (const pid of plugins.flatMap(pidsOf)) {
    if (alive(pid)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
  }
}
