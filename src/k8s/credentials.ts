/**
 * How drdeck authenticates to the API server, built from the resolved kubeconfig the way client-go
 * does it: the cluster's CA (`certificate-authority` or `-data`), `insecure-skip-tls-verify`,
 * `tls-server-name`; the user's client certificate and key (file or data), `token`, `tokenFile`,
 * `username`/`password`, impersonation (`as`, `as-groups`, `as-uid`, `as-user-extra`), and `exec`
 * plugins (exec-plugin.ts).
 *
 * One credential is cached and shared by every request: files are read once per refresh, not per
 * request, and an exec plugin is run once for all the requests that need it at the same time. It
 * is refreshed a little before its expiry (a plugin's `expirationTimestamp`; a `tokenFile` every
 * minute, as client-go re-reads rotated tokens), after a 401, and after a failure once a short
 * back-off has passed.
 *
 * `auth-provider` (oidc, gcp, azure) and `proxy-url` are left to @kubernetes/client-node, loaded only
 * for the kubeconfigs that use them (it costs about 0.6 s to load).
 */
import { readFileSync } from 'node:fs';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent, type RequestOptions } from 'node:https';
import { createSecureContext, type SecureContext } from 'node:tls';
import type { KubeConfig } from '@kubernetes/client-node';
import { ClusterError } from '../cluster.js';
import { parseExecConfig, runExecPlugin, type ExecClusterInfo, type ExecConfig } from './exec-plugin.js';
import { abortable } from './http.js';
import { KubeconfigError, loadKubeConfig, type ResolvedKubeconfig } from './kubeconfig.js';

/**
 * Connections kept open between requests, as kubectl's (client-go's) are. Why: a new https.Agent
 * closes each connection after its request, so every request paid a TCP and TLS handshake (three
 * round trips over a bastion); now the requests of one access review, one fix or one relist share
 * their connections. Why 60 s: an idle connection is closed by us before the API server closes it
 * (its IdleTimeout is 90 s), so a request is not sent on a connection the server is closing. Not
 * longer: the access review asks again about every two minutes (answers cached a minute, a review
 * each minute), so no idle timeout under 90 s keeps its connections from one asking to the next.
 */
const KEEP_ALIVE = { keepAlive: true, timeout: 60_000 } as const;

/** What one request needs to authenticate: its headers and the agent that holds the TLS settings. */
export interface Auth {
  readonly headers: Readonly<Record<string, string | string[]>>;
  readonly agent: HttpAgent | HttpsAgent;
}

/** Credentials for the requests to one API server. */
export interface Authenticator {
  /**
   * The current credentials (the same object until they change), fetched first if needed. Rejects
   * with a one-line ClusterError (reason `Unauthorized`, or `Timeout` for a plugin that did not
   * answer), or when `signal` aborts: the fetch itself goes on for the other requests.
   */
  get(signal: AbortSignal): Promise<Auth>;
  /**
   * The server answered 401 to a request sent with `auth`: forget it (unless it was replaced
   * meanwhile). Returns whether asking again can bring other credentials, so a retry makes sense.
   */
  rejected(auth: Auth): boolean;
  /** Stops any plugin still running and closes the connections; nothing is left to keep the process alive. */
  close(): void;
}

export interface AuthenticatorOptions {
  /** How long an exec plugin may take. */
  timeoutMs: number;
  /** The environment exec plugins start from (default: drdeck's). */
  env?: NodeJS.ProcessEnv;
  now?: () => number;
}

type Fields = Record<string, unknown>;

/** How often a `tokenFile` is read again: client-go re-reads it every minute too. */
export const TOKEN_FILE_REFRESH_MS = 60_000;
/** After a failure, credentials are fetched again after this back-off, doubling up to the cap. */
export const FAILURE_BACKOFF_MS: readonly [number, number] = [2_000, 30_000];
/**
 * An expiring credential is refreshed this long before it expires (at most a tenth of its life),
 * so a request does not leave with a token that expires on the way.
 */
const EXPIRY_MARGIN_MS = 10_000;
/** A plugin that returns an already expired credential is not asked again before this. */
const MIN_LIFETIME_MS = 1_000;

const EXEC_EXTENSION = 'client.authentication.k8s.io/exec';

/** The cluster and user entries of the kubeconfig's context. */
function entriesOf(kubeconfig: ResolvedKubeconfig): { cluster: Fields; user: Fields } {
  const find = (list: Array<{ name?: unknown; [field: string]: unknown }>, name: string, field: string) =>
    (list.find((entry) => entry.name === name)?.[field] ?? {}) as Fields;
  return {
    cluster: find(kubeconfig.merged.clusters, kubeconfig.clusterName, 'cluster'),
    user: find(kubeconfig.merged.users, kubeconfig.userName, 'user'),
  };
}

/** Whether the kubeconfig needs @kubernetes/client-node: an `auth-provider`, or a `proxy-url`. */
export function needsClientNode(kubeconfig: ResolvedKubeconfig): boolean {
  const { cluster, user } = entriesOf(kubeconfig);
  return Boolean(user['auth-provider'] || cluster['proxy-url']);
}

/**
 * The credentials of a resolved kubeconfig's context. Reads the files it names now, so that a
 * kubeconfig mistake is one KubeconfigError before anything starts; runs no exec plugin yet.
 */
export async function createAuthenticator(kubeconfig: ResolvedKubeconfig, options: AuthenticatorOptions): Promise<Authenticator> {
  if (needsClientNode(kubeconfig)) return new ClientNodeAuthenticator(await loadKubeConfig(kubeconfig), kubeconfig.userName);
  return new KubeconfigAuthenticator(kubeconfig, options);
}

/** What the kubeconfig's files held at one refresh. */
interface FileMaterial {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  token?: string;
}

interface TlsMaterial {
  ca?: Buffer;
  /** From a file or the kubeconfig (bytes), or from an exec plugin (PEM text). */
  cert?: Buffer | string;
  key?: Buffer | string;
}

type Entry =
  | { state: 'pending'; auth: Promise<Auth> }
  | { state: 'ready'; auth: Promise<Auth>; value: Auth; refreshAt?: number }
  | { state: 'failed'; auth: Promise<Auth>; retryAt: number };

const sameBytes = (a: Buffer | string | undefined, b: Buffer | string | undefined): boolean =>
  a === b || (a !== undefined && b !== undefined && Buffer.from(a).equals(Buffer.from(b)));

/** drdeck's own credentials: everything of a kubeconfig user but `auth-provider` and `proxy-url`. */
class KubeconfigAuthenticator implements Authenticator {
  private readonly userName: string;
  private readonly clusterName: string;
  /** The server URL as the kubeconfig writes it. */
  private readonly server: string;
  private readonly cluster: Fields;
  private readonly user: Fields;
  private readonly exec: ExecConfig | undefined;
  /** Whether asking again can change anything: a plugin or a file may give another credential. */
  private readonly refreshable: boolean;
  private readonly closing = new AbortController();
  private readonly now: () => number;
  private entry: Entry | undefined;
  private failures = 0;
  /** The kubeconfig's `*-data` fields, decoded once. */
  private readonly inline: { ca?: Buffer; cert?: Buffer; key?: Buffer };
  /** What was read at creation, used by the first fetch (then files are read at each refresh). */
  private firstFiles: FileMaterial | undefined;
  private tls: TlsMaterial | undefined;
  private agent: HttpAgent | HttpsAgent | undefined;
  /** Every agent made, for close(): one in use per TLS material, older ones may still carry a watch. */
  private readonly agents = new Set<HttpAgent | HttpsAgent>();

  constructor(
    kubeconfig: ResolvedKubeconfig,
    private readonly options: AuthenticatorOptions,
  ) {
    this.userName = kubeconfig.userName;
    this.clusterName = kubeconfig.clusterName;
    this.server = kubeconfig.server;
    ({ cluster: this.cluster, user: this.user } = entriesOf(kubeconfig));
    this.exec = this.user.exec !== undefined && this.user.exec !== null ? parseExecConfig(this.user.exec, this.userName) : undefined;
    this.refreshable = Boolean(this.exec || this.user.tokenFile || this.user['client-certificate'] || this.user['client-key']);
    this.now = options.now ?? Date.now;
    const clientCert = this.user['client-certificate'] || this.user['client-certificate-data'];
    const clientKey = this.user['client-key'] || this.user['client-key-data'];
    if (!clientCert !== !clientKey)
      throw new KubeconfigError(`user "${this.userName}" has a client certificate without its key, or a key without its certificate`);
    try {
      this.inline = {
        ca: dataField(this.cluster, 'certificate-authority-data', `cluster "${this.clusterName}"`),
        cert: dataField(this.user, 'client-certificate-data', `user "${this.userName}"`),
        key: dataField(this.user, 'client-key-data', `user "${this.userName}"`),
      };
      this.firstFiles = this.readFiles();
    } catch (error) {
      throw new KubeconfigError((error as Error).message);
    }
  }

  get(signal: AbortSignal): Promise<Auth> {
    if (this.closing.signal.aborted) return Promise.reject(new ClusterError('the connection to the cluster is closed', 0, 'Closed'));
    const now = this.now();
    let entry = this.entry;
    const stale =
      !entry || (entry.state === 'ready' && entry.refreshAt !== undefined && now >= entry.refreshAt) || (entry.state === 'failed' && now >= entry.retryAt);
    if (stale) entry = this.refresh();
    return abortable(entry!.auth, signal);
  }

  rejected(auth: Auth): boolean {
    if (this.entry?.state === 'ready' && this.entry.value === auth) this.entry = undefined;
    return this.refreshable;
  }

  close(): void {
    this.closing.abort();
    for (const agent of this.agents) agent.destroy();
    this.agents.clear();
  }

  /** Starts one fetch; every request that comes meanwhile waits for this same one. */
  private refresh(): Entry {
    const fetched = this.fetch();
    const auth = fetched.then((f) => f.auth);
    // Handled here: a request whose signal had already aborted never awaits it.
    auth.catch(() => {});
    const entry: Entry = { state: 'pending', auth };
    this.entry = entry;
    fetched.then(
      ({ auth: value, refreshAt }) => {
        this.failures = 0;
        if (this.entry === entry) this.entry = { state: 'ready', auth, value, refreshAt };
      },
      () => {
        // Why a back-off: 17 watchers retry on their own schedules; without it each retry would
        // run a failing plugin again.
        const [first, cap] = FAILURE_BACKOFF_MS;
        const wait = Math.min(cap, first * 2 ** this.failures++);
        if (this.entry === entry) this.entry = { state: 'failed', auth, retryAt: this.now() + wait };
      },
    );
    return entry;
  }

  private async fetch(): Promise<{ auth: Auth; refreshAt?: number }> {
    const files = this.firstFiles ?? this.readFilesOrFail();
    this.firstFiles = undefined;
    const fetchedAt = this.now();
    let refreshAt: number | undefined;
    let token = files.token ?? (typeof this.user.token === 'string' && this.user.token ? this.user.token : undefined);
    let cert: Buffer | string | undefined = files.cert ?? this.inline.cert;
    let key: Buffer | string | undefined = files.key ?? this.inline.key;
    const ca = files.ca ?? this.inline.ca;
    if (this.user.tokenFile) refreshAt = fetchedAt + TOKEN_FILE_REFRESH_MS;

    if (this.exec) {
      const credential = await runExecPlugin(this.exec, {
        user: this.userName,
        cluster: this.exec.provideClusterInfo ? this.clusterInfo(ca) : undefined,
        timeoutMs: this.options.timeoutMs,
        signal: this.closing.signal,
        env: this.options.env,
      });
      // As client-go: a token in the kubeconfig wins over the plugin's.
      token ??= credential.token;
      if (credential.clientCertificateData) [cert, key] = [credential.clientCertificateData, credential.clientKeyData];
      if (credential.expiresAt !== undefined) {
        const now = this.now();
        const margin = Math.min(EXPIRY_MARGIN_MS, Math.max(0, credential.expiresAt - now) / 10);
        refreshAt = Math.min(refreshAt ?? Infinity, Math.max(credential.expiresAt - margin, now + MIN_LIFETIME_MS));
      }
    }

    const headers: Record<string, string | string[]> = {};
    if (token) headers.Authorization = `Bearer ${token}`;
    else if (typeof this.user.username === 'string' && this.user.username) {
      const password = typeof this.user.password === 'string' ? this.user.password : '';
      headers.Authorization = `Basic ${Buffer.from(`${this.user.username}:${password}`).toString('base64')}`;
    }
    Object.assign(headers, impersonation(this.user));
    return { auth: { headers, agent: this.agentFor({ ca, cert, key }) }, refreshAt };
  }

  /** The agent for this TLS material: the current one when nothing changed (token rotation keeps the connections). */
  private agentFor(tls: TlsMaterial): HttpAgent | HttpsAgent {
    const old = this.tls;
    if (this.agent && old && sameBytes(old.ca, tls.ca) && sameBytes(old.cert, tls.cert) && sameBytes(old.key, tls.key)) return this.agent;
    const cluster = this.cluster;
    const agent =
      new URL(this.server).protocol === 'http:'
        ? new HttpAgent(KEEP_ALIVE)
        : new HttpsAgent({
            ...KEEP_ALIVE,
            ...tlsOptions(tls),
            rejectUnauthorized: cluster['insecure-skip-tls-verify'] !== true,
            ...(typeof cluster['tls-server-name'] === 'string' && cluster['tls-server-name'] ? { servername: cluster['tls-server-name'] } : {}),
          });
    this.tls = tls;
    this.agent = agent;
    this.agents.add(agent);
    return agent;
  }

  private clusterInfo(ca: Buffer | undefined): ExecClusterInfo {
    const cluster = this.cluster;
    const extensions = Array.isArray(cluster.extensions) ? (cluster.extensions as Array<{ name?: unknown; extension?: unknown }>) : [];
    const config = extensions.find((e) => e?.name === EXEC_EXTENSION)?.extension;
    return {
      server: this.server,
      ...(typeof cluster['tls-server-name'] === 'string' ? { 'tls-server-name': cluster['tls-server-name'] } : {}),
      ...(cluster['insecure-skip-tls-verify'] === true ? { 'insecure-skip-tls-verify': true } : {}),
      ...(ca ? { 'certificate-authority-data': ca.toString('base64') } : {}),
      ...(cluster['disable-compression'] === true ? { 'disable-compression': true } : {}),
      ...(config !== undefined ? { config } : {}),
    };
  }

  /** Reads the CA, client certificate and key, and token files; throws one line naming the user and the file. */
  private readFiles(): FileMaterial {
    const read = (path: unknown, what: string): Buffer | undefined => {
      if (typeof path !== 'string' || !path) return undefined;
      try {
        return readFileSync(path);
      } catch (error) {
        throw new Error(`cannot read ${what}: ${(error as Error).message}`, { cause: error });
      }
    };
    const token = read(this.user.tokenFile, `tokenFile of user "${this.userName}"`)?.toString('utf8').trim();
    return {
      ca: read(this.cluster['certificate-authority'], `certificate-authority of cluster "${this.clusterName}"`),
      cert: read(this.user['client-certificate'], `client-certificate of user "${this.userName}"`),
      key: read(this.user['client-key'], `client-key of user "${this.userName}"`),
      token: token || undefined,
    };
  }

  private readFilesOrFail(): FileMaterial {
    try {
      return this.readFiles();
    } catch (error) {
      throw new ClusterError((error as Error).message, 0, 'Unauthorized');
    }
  }
}

/** A `*-data` field: base64 in the kubeconfig. */
function dataField(section: Fields, field: string, owner: string): Buffer | undefined {
  const value = section[field];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string' || !/^[A-Za-z0-9+/=\s]+$/.test(value)) throw new Error(`${field} of ${owner} is not base64`);
  return Buffer.from(value, 'base64');
}

/** The Impersonate-* headers of `as`, `as-uid`, `as-groups` and `as-user-extra` (kubectl's --as flags). */
function impersonation(user: Fields): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  if (typeof user.as === 'string' && user.as) headers['Impersonate-User'] = user.as;
  if (typeof user['as-uid'] === 'string' && user['as-uid']) headers['Impersonate-Uid'] = user['as-uid'];
  const groups = user['as-groups'];
  if (Array.isArray(groups) && groups.length) headers['Impersonate-Group'] = groups.map(String);
  const extra = user['as-user-extra'];
  if (extra && typeof extra === 'object' && !Array.isArray(extra)) {
    for (const [key, values] of Object.entries(extra as Record<string, unknown>)) {
      // The key is part of a header name: client-go percent-encodes what a header name cannot hold.
      headers[`Impersonate-Extra-${encodeURIComponent(key)}`] = (Array.isArray(values) ? values : [values]).map(String);
    }
  }
  return headers;
}

/**
 * The fallback for what drdeck does not implement itself (`auth-provider`, `proxy-url`):
 * client-node's KubeConfig, asked on every request as before.
 */
class ClientNodeAuthenticator implements Authenticator {
  constructor(
    private readonly kc: KubeConfig,
    private readonly userName: string,
  ) {}

  async get(signal: AbortSignal): Promise<Auth> {
    const options: RequestOptions = {};
    try {
      await abortable(this.kc.applyToHTTPSOptions(options), signal);
    } catch (error) {
      if (signal.aborted) throw error;
      const message = ((error as Error)?.message ?? String(error)).replace(/\s+/g, ' ').trim();
      throw new ClusterError(`cannot get credentials for user "${this.userName}": ${message}`, 0, 'Unauthorized');
    }
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(options.headers ?? {})) if (value !== undefined) headers[name] = Array.isArray(value) ? value : String(value);
    if (typeof options.auth === 'string') headers.Authorization = `Basic ${Buffer.from(options.auth).toString('base64')}`;
    return { headers, agent: options.agent as HttpsAgent };
  }

  rejected(): boolean {
    // client-node refreshes its auth providers by itself; a retry would send the same credentials.
    return false;
  }

  close(): void {}
}

/**
 * The agent's TLS options: one SecureContext made here for all its connections. Why: given the CA,
 * certificate and key, every new connection parsed them again into a context of its own (140 ms of
 * a start that opens 20 watches). Material the context cannot be made of is passed as it was, so
 * the connection fails with the TLS error it always gave.
 */
function tlsOptions(tls: TlsMaterial): { secureContext: SecureContext } | TlsMaterial {
  try {
    return { secureContext: createSecureContext({ ca: tls.ca, cert: tls.cert, key: tls.key }) };
  } catch {
    return { ca: tls.ca, cert: tls.cert, key: tls.key };
  }
}
