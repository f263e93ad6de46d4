/**
 * Kubeconfig `exec` credential plugins (kubelogin, `aws eks get-token`, gke-gcloud-auth-plugin), run
 * the way client-go runs them (k8s.io/client-go/plugin/pkg/client/auth/exec): the command looked up
 * on PATH with the kubeconfig's args and env, an ExecCredential of the plugin's apiVersion in
 * `KUBERNETES_EXEC_INFO`, the credential read from its stdout.
 *
 * Unlike client-go, drdeck never gives a plugin the terminal (the TUI owns it, and `check` runs in
 * scripts): stdin is closed, stderr is captured for the error message, `spec.interactive` is false.
 * And every call has a deadline: a plugin waiting for a browser login on a headless bastion is
 * stopped (its whole process group: SIGTERM, then SIGKILL) instead of keeping drdeck alive.
 */
import { spawn } from 'node:child_process';
import { basename } from 'node:path';
import { ClusterError } from '../cluster.js';
import { seconds } from './http.js';
import { KubeconfigError } from './kubeconfig.js';

/** The API versions of ExecCredential that client-go still speaks (v1alpha1 was removed in 1.24). */
export const EXEC_API_VERSIONS = ['client.authentication.k8s.io/v1', 'client.authentication.k8s.io/v1beta1'] as const;

/** The `exec` section of a kubeconfig user, checked. */
export interface ExecConfig {
  /** As written: a name looked up on PATH, or an absolute path (kubeconfig.ts made relative ones absolute). */
  command: string;
  args: string[];
  env: Array<{ name: string; value: string }>;
  apiVersion: (typeof EXEC_API_VERSIONS)[number];
  installHint?: string;
  provideClusterInfo: boolean;
  interactiveMode: 'Never' | 'IfAvailable' | 'Always';
}

/** What `provideClusterInfo` hands the plugin (ExecCredential `spec.cluster`). */
export interface ExecClusterInfo {
  server: string;
  'tls-server-name'?: string;
  'insecure-skip-tls-verify'?: boolean;
  /** Base64 of the CA bundle, whether the kubeconfig has it inline or in a file. */
  'certificate-authority-data'?: string;
  'proxy-url'?: string;
  'disable-compression'?: boolean;
  /** The cluster's `client.authentication.k8s.io/exec` extension. */
  config?: unknown;
}

/** The credential a plugin returned. */
export interface ExecCredential {
  token?: string;
  /** PEM, as the plugin wrote it. */
  clientCertificateData?: string;
  clientKeyData?: string;
  /** `status.expirationTimestamp` in ms since epoch; absent: valid until the server says 401. */
  expiresAt?: number;
}

export interface ExecRunOptions {
  /** The kubeconfig user, for messages. */
  user: string;
  /** Given to the plugin when the kubeconfig asks for it (`provideClusterInfo: true`). */
  cluster?: ExecClusterInfo;
  /** The plugin is stopped after this long. */
  timeoutMs: number;
  /** Stops the plugin at once (drdeck is closing). */
  signal: AbortSignal;
  /** The environment the plugin starts from (default: drdeck's). */
  env?: NodeJS.ProcessEnv;
}

/** How long a plugin gets between SIGTERM and SIGKILL. */
export const KILL_GRACE_MS = 1_000;
/** More than any credential: a plugin that writes this much is not writing one. */
const MAX_STDOUT = 1 << 20;
const MAX_STDERR = 8 << 10;

/** `exec plugin "kubelogin" of user "alice"`: how every message starts. */
export function pluginName(exec: Pick<ExecConfig, 'command'>, user: string): string {
  return `exec plugin "${basename(exec.command)}" of user "${user}"`;
}

const oneLine = (text: string): string => text.replace(/\s+/g, ' ').trim();

/**
 * Checks a kubeconfig user's `exec` section as client-go does; throws a KubeconfigError naming the
 * user and the field.
 */
export function parseExecConfig(raw: unknown, user: string): ExecConfig {
  const fail = (problem: string) => new KubeconfigError(`exec of user "${user}": ${problem}`);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw fail('must be a mapping');
  const exec = raw as Record<string, unknown>;
  if (typeof exec.command !== 'string' || !exec.command) throw fail('command is missing');
  const apiVersion = exec.apiVersion;
  if (!EXEC_API_VERSIONS.includes(apiVersion as ExecConfig['apiVersion'])) {
    throw fail(`apiVersion "${String(apiVersion ?? '')}" is not supported (use ${EXEC_API_VERSIONS.join(' or ')})`);
  }
  const args = exec.args ?? [];
  if (!Array.isArray(args) || args.some((a) => typeof a !== 'string')) throw fail('args must be a list of strings');
  const env = exec.env ?? [];
  if (!Array.isArray(env)) throw fail('env must be a list of {name, value}');
  const vars = env.map((entry: unknown, i) => {
    const { name, value } = (entry ?? {}) as { name?: unknown; value?: unknown };
    if (typeof name !== 'string' || !name || typeof value !== 'string') throw fail(`env[${i}] needs a name and a string value`);
    return { name, value };
  });
  // client-go requires interactiveMode in v1 and defaults it to IfAvailable in v1beta1; kubectl
  // users rarely set it, so drdeck takes the v1beta1 default for both.
  const mode = exec.interactiveMode ?? 'IfAvailable';
  if (mode !== 'Never' && mode !== 'IfAvailable' && mode !== 'Always') throw fail(`interactiveMode "${String(mode)}" is not Never, IfAvailable or Always`);
  return {
    command: exec.command,
    args: args as string[],
    env: vars,
    apiVersion: apiVersion as ExecConfig['apiVersion'],
    installHint: typeof exec.installHint === 'string' && exec.installHint.trim() ? oneLine(exec.installHint) : undefined,
    provideClusterInfo: exec.provideClusterInfo === true,
    interactiveMode: mode,
  };
}

/** The ExecCredential a plugin reads from `KUBERNETES_EXEC_INFO`. */
export function execInfo(exec: ExecConfig, cluster: ExecClusterInfo | undefined): string {
  return JSON.stringify({
    apiVersion: exec.apiVersion,
    kind: 'ExecCredential',
    spec: { interactive: false, ...(exec.provideClusterInfo && cluster ? { cluster } : {}) },
  });
}

/** Reads the plugin's stdout as client-go does; never puts any of it in a message (it may hold a token). */
function parseCredential(stdout: string, exec: ExecConfig, name: string): ExecCredential {
  const fail = (problem: string) => new ClusterError(`${name} ${problem}`, 0, 'Unauthorized');
  let value: unknown;
  try {
    value = JSON.parse(stdout);
  } catch {
    throw fail(stdout.trim() ? 'wrote something other than an ExecCredential (not JSON)' : 'wrote nothing');
  }
  const cred = (value ?? {}) as { apiVersion?: unknown; kind?: unknown; status?: Record<string, unknown> };
  if (cred.kind !== 'ExecCredential') throw fail(`wrote a ${typeof cred.kind === 'string' ? `"${cred.kind}"` : 'document'} instead of an ExecCredential`);
  if (cred.apiVersion !== exec.apiVersion) throw fail(`answered in apiVersion "${String(cred.apiVersion ?? '')}", but the kubeconfig says ${exec.apiVersion}`);
  const status = cred.status;
  if (typeof status !== 'object' || status === null) throw fail('returned no status');
  const text = (key: string) => (typeof status[key] === 'string' && status[key] ? (status[key] as string) : undefined);
  const [token, clientCertificateData, clientKeyData] = [text('token'), text('clientCertificateData'), text('clientKeyData')];
  if (!token && !clientCertificateData && !clientKeyData) throw fail('returned neither a token nor a client certificate');
  if (!clientCertificateData !== !clientKeyData) throw fail('returned a client certificate without its key, or a key without its certificate');
  let expiresAt: number | undefined;
  if (status.expirationTimestamp !== undefined && status.expirationTimestamp !== null) {
    expiresAt = typeof status.expirationTimestamp === 'string' ? Date.parse(status.expirationTimestamp) : NaN;
    if (Number.isNaN(expiresAt)) throw fail('returned an expirationTimestamp that is not a time');
  }
  return { token, clientCertificateData, clientKeyData, expiresAt };
}

/**
 * Runs the plugin once and resolves with its credential, or rejects with a one-line ClusterError:
 * reason `Timeout` when it did not answer in time, `Cancelled` when `signal` stopped it, and
 * `Unauthorized` for everything else (missing, failed, wrote no credential).
 *
 * Why its own process group (`detached`): a plugin is often a script that runs another program
 * (gcloud runs python); killing only the script would leave the program running, holding the pipes.
 * The SIGKILL timer is deliberately not unref'd: it is what guarantees that a plugin ignoring SIGTERM
 * does not outlive drdeck (it delays drdeck's exit by at most KILL_GRACE_MS).
 */
export function runExecPlugin(exec: ExecConfig, options: ExecRunOptions): Promise<ExecCredential> {
  const name = pluginName(exec, options.user);
  if (exec.interactiveMode === 'Always') {
    // client-go: "exec plugin cannot support interactive mode: standard input is not a terminal".
    return Promise.reject(
      new ClusterError(`${name} needs a terminal (interactiveMode: Always): run \`kubectl get ns\` once to log in, then start drdeck again`, 0, 'Unauthorized'),
    );
  }
  if (options.signal.aborted) return Promise.reject(new ClusterError(`${name} was not run: drdeck is closing`, 0, 'Cancelled'));
  const env: NodeJS.ProcessEnv = { ...(options.env ?? process.env) };
  for (const { name: key, value } of exec.env) env[key] = value;
  env.KUBERNETES_EXEC_INFO = execInfo(exec, options.cluster);

  return new Promise<ExecCredential>((resolve, reject) => {
    const child = spawn(exec.command, exec.args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env });
    let stdout = '';
    let stderr = '';
    let settled = false;
    let killTimer: ReturnType<typeof setTimeout> | undefined;

    const signalGroup = (signal: NodeJS.Signals | 0): boolean => {
      if (child.pid === undefined) return false;
      try {
        process.kill(-child.pid, signal);
        return true;
      } catch {
        return false; // ESRCH: the whole group is gone
      }
    };
    const groupAlive = () => signalGroup(0);
    /** SIGTERM now, SIGKILL after the grace unless the whole group is gone by then. */
    const stop = () => {
      if (killTimer || !signalGroup('SIGTERM')) return;
      killTimer = setTimeout(() => signalGroup('SIGKILL'), KILL_GRACE_MS);
    };
    const finish = (error: ClusterError | undefined, credential?: ExecCredential) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      options.signal.removeEventListener('abort', onAbort);
      if (error) reject(error);
      else resolve(credential!);
    };
    /** Gives up on the plugin: stops its group and closes the pipes, so nothing waits on them. */
    const abandon = (error: ClusterError) => {
      if (settled) return;
      if (groupAlive()) stop();
      child.stdout?.destroy();
      child.stderr?.destroy();
      finish(error);
    };
    const onAbort = () => abandon(new ClusterError(`${name} was stopped: drdeck is closing`, 0, 'Cancelled'));
    const deadline = setTimeout(
      () => abandon(new ClusterError(`${name} did not answer within ${seconds(options.timeoutMs)}`, 0, 'Timeout')),
      options.timeoutMs,
    );
    options.signal.addEventListener('abort', onAbort, { once: true });

    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      stdout += chunk;
      if (stdout.length > MAX_STDOUT) abandon(new ClusterError(`${name} wrote more than ${MAX_STDOUT >> 20} MiB`, 0, 'Unauthorized'));
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      if (stderr.length < MAX_STDERR) stderr += chunk;
    });
    child.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') {
        const where = exec.command.includes('/') ? 'does not exist' : 'is not on PATH';
        finish(new ClusterError(`${name} ${where}${exec.installHint ? `: ${exec.installHint}` : ''}`, 0, 'Unauthorized'));
      } else if (error.code === 'EACCES') finish(new ClusterError(`${name} cannot be run: ${exec.command} is not executable`, 0, 'Unauthorized'));
      else finish(new ClusterError(`${name} cannot be run: ${error.message}`, 0, 'Unauthorized'));
    });
    // Once the whole group is gone there is nothing left to SIGKILL (and its pid may be reused).
    // While any of it lives (the leader ignored SIGTERM, or it left a child behind), the timer stays.
    const forgetKill = () => {
      if (killTimer && !groupAlive()) clearTimeout(killTimer);
    };
    child.on('exit', forgetKill);
    child.on('close', (code, signal) => {
      forgetKill();
      if (settled) return;
      if (code !== 0) {
        const why = signal ? `was killed by ${signal}` : `failed (exit ${code})`;
        const first = stderr
          .split('\n')
          .map((line) => line.trim())
          .find(Boolean);
        return finish(new ClusterError(`${name} ${why}${first ? `: ${first.slice(0, 300)}` : ''}`, 0, 'Unauthorized'));
      }
      try {
        finish(undefined, parseCredential(stdout, exec, name));
      } catch (error) {
        finish(error as ClusterError);
      }
    });
  });
}
