/**
 * A real Kubernetes API server for drdeck's tests: etcd and kube-apiserver built from the upstream
 * Go modules (see build.ts), started on free loopback ports with their state in one folder, then
 * the upstream CRDs and drdeck's RBAC installed. No controllers run (see README.md).
 *
 * Folder layout (DIR):
 *   kubeconfig, kubeconfig-viewer, kubeconfig-operator   real kubeconfig files, one per user
 *   cluster.json   ports, server URL, tokens, versions: what restarts and `status` need
 *   pids.json      the PIDs this module started; stop() signals exactly these, never by name
 *   etcd/          etcd's data     pki/   the apiserver's generated serving cert (the kubeconfig CA)
 *   etcd.log, kube-apiserver.log   process output      tokens.csv, sa.key   auth material
 */
import { spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ApiextensionsV1Api,
  CustomObjectsApi,
  RbacAuthorizationV1Api,
  type V1ClusterRole,
  type V1ClusterRoleBinding,
  type V1CustomResourceDefinition,
} from '@kubernetes/client-node';
import { parseAllDocuments, stringify } from 'yaml';
import { ensureBinaries, type Binaries } from './build.js';
import { apiClient, errorText, statusOf } from './client.js';
import { crdFiles, readCrds } from './crds.js';

const RBAC_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'deploy', 'rbac');

/** How long kube-apiserver may take to answer /readyz: about 3 s on an idle 2-core machine, far more while both cores build or test. */
const READY_TIMEOUT_MS = 90_000;
/** How long etcd may take to answer /health. */
const ETCD_READY_TIMEOUT_MS = 30_000;
/** How long a stopped process gets after SIGTERM before SIGKILL. */
const STOP_GRACE_MS = 5_000;
/** Timeout of one probe request (readyz, etcd health): a hung socket must not eat the whole wait. */
const PROBE_TIMEOUT_MS = 3_000;

/** The users in tokens.csv. */
export const USERS = {
  /** In `system:masters`: may do anything. */
  admin: { name: 'admin', groups: ['system:masters'] },
  /** Bound (as a User) to the `drdeck-viewer` ClusterRole (deploy/rbac). */
  viewer: { name: 'viewer', groups: [] },
  /** Bound to `drdeck-viewer` and `drdeck-operator`. */
  operator: { name: 'operator', groups: [] },
} as const;
export type UserName = keyof typeof USERS;

/** Which processes the cluster runs, as recorded in pids.json. */
export interface Pids {
  etcd?: number;
  'kube-apiserver'?: number;
  /** The scenario's DNS server (test/cluster/dns-server.ts), when one was started. */
  dnsmasq?: number;
}

/** What a running cluster's folder records in cluster.json. */
export interface ClusterState {
  readonly dir: string;
  readonly server: string;
  readonly ports: { readonly etcd: number; readonly etcdPeer: number; readonly apiserver: number };
  readonly etcdUrl: string;
  readonly tokens: Readonly<Record<UserName, string>>;
  readonly k8sVersion: string;
  readonly etcdVersion: string;
  readonly binaries: { readonly kubeApiserver: string; readonly etcd: string };
  readonly watchCache: boolean;
}

/** A started cluster. */
export interface Cluster {
  readonly dir: string;
  /** https://127.0.0.1:PORT */
  readonly server: string;
  /** Admin kubeconfig (system:masters). */
  readonly kubeconfig: string;
  /** Kubeconfig of the `viewer` user, bound to the drdeck-viewer ClusterRole. */
  readonly viewerKubeconfig: string;
  /** Kubeconfig of the `operator` user, bound to drdeck-viewer and drdeck-operator. */
  readonly operatorKubeconfig: string;
  /** The CA of the apiserver's serving certificate. */
  readonly caFile: string;
  readonly etcdUrl: string;
  readonly pids: Readonly<Required<Omit<Pids, 'dnsmasq'>>>;
  readonly state: ClusterState;
  /** Stops both processes (same as {@link stopCluster}). */
  stop(): Promise<void>;
}

/** Options for {@link startCluster}. */
export interface StartOptions {
  /** Progress lines (default: none). */
  readonly log?: (line: string) => void;
  /** Install the CRDs (default true). */
  readonly crds?: boolean;
  /** Install deploy/rbac and bind the viewer and operator users (default true). */
  readonly rbac?: boolean;
  /**
   * kube-apiserver's watch cache (default true, as in production). With it off, watches go
   * straight to etcd, so a watch from a compacted resourceVersion gets 410 Gone at once.
   */
  readonly watchCache?: boolean;
  /** SIGKILL the processes if this Node process exits without stopping them (default false). */
  readonly stopOnExit?: boolean;
}

const paths = (dir: string) => ({
  state: join(dir, 'cluster.json'),
  pids: join(dir, 'pids.json'),
  kubeconfig: join(dir, 'kubeconfig'),
  viewerKubeconfig: join(dir, 'kubeconfig-viewer'),
  operatorKubeconfig: join(dir, 'kubeconfig-operator'),
  pki: join(dir, 'pki'),
  caFile: join(dir, 'pki', 'apiserver.crt'),
  etcdData: join(dir, 'etcd'),
  tokens: join(dir, 'tokens.csv'),
  saKey: join(dir, 'sa.key'),
  etcdLog: join(dir, 'etcd.log'),
  apiserverLog: join(dir, 'kube-apiserver.log'),
});

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

function writeAtomic(file: string, data: string, mode = 0o644): void {
  writeFileSync(`${file}.tmp`, data, { mode });
  renameSync(`${file}.tmp`, file);
}

/** Reads the cluster state of DIR, or throws a one-line error when DIR holds no cluster. */
export function readState(dir: string): ClusterState {
  const file = paths(dir).state;
  if (!existsSync(file)) throw new Error(`no test cluster in ${dir} (missing cluster.json)`);
  return JSON.parse(readFileSync(file, 'utf8')) as ClusterState;
}

/** Reads the PIDs recorded in DIR/pids.json ({} when there are none). */
export function readPids(dir: string): Pids {
  const file = paths(dir).pids;
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Pids) : {};
}

export function writePids(dir: string, pids: Pids): void {
  writeAtomic(paths(dir).pids, `${JSON.stringify(pids, null, 2)}\n`);
}

/**
 * True when PID is alive and is one of ours: on Linux its command line must name DIR, so a PID
 * reused by an unrelated process after ours died is never signalled. Zombies count as gone.
 */
export function isOurProcess(pid: number, dir: string): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false; // ESRCH: gone; EPERM: someone else's process
  }
  if (!existsSync('/proc')) return true;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (/^\d+ \(.*\) Z/.test(stat)) return false;
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8')
      .split('\0')
      .some((arg) => arg.includes(resolve(dir)));
  } catch {
    return false;
  }
}

/** Picks a free loopback port (the kernel's choice; released just before the server binds it). */
export async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? done(address.port) : fail(new Error('no port'))));
    });
  });
}

/** Starts a detached process with its output appended to LOG; it outlives this Node process. */
export function startProcess(binary: string, args: string[], log: string): number {
  const fd = openSync(log, 'a');
  try {
    const child = spawn(binary, args, { detached: true, stdio: ['ignore', fd, fd] });
    if (child.pid === undefined) throw new Error(`could not start ${binary}`);
    child.unref();
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

/** The last lines of a log file, for error messages. */
function tail(file: string, lines = 15): string {
  if (!existsSync(file)) return '';
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}

/** Stops one recorded process: SIGTERM, then SIGKILL after the grace period; waits until it is gone. */
export async function stopProcess(pid: number, dir: string): Promise<void> {
  if (!isOurProcess(pid, dir)) return;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + STOP_GRACE_MS;
  while (Date.now() < deadline) {
    if (!isOurProcess(pid, dir)) return;
    await sleep(100);
  }
  if (isOurProcess(pid, dir)) process.kill(pid, 'SIGKILL');
  for (let i = 0; i < 50 && isOurProcess(pid, dir); i++) await sleep(100);
  if (isOurProcess(pid, dir)) throw new Error(`process ${pid} survived SIGKILL`);
}

function etcdArgs(state: ClusterState): string[] {
  const peer = `http://127.0.0.1:${state.ports.etcdPeer}`;
  return [
    `--data-dir=${paths(state.dir).etcdData}`,
    `--listen-client-urls=${state.etcdUrl}`,
    `--advertise-client-urls=${state.etcdUrl}`,
    `--listen-peer-urls=${peer}`,
    `--initial-advertise-peer-urls=${peer}`,
    '--name=drdeck-test',
    `--initial-cluster=drdeck-test=${peer}`,
    // Tests throw the data away: skip fsync, which dominates etcd's latency on a shared disk.
    '--unsafe-no-fsync',
  ];
}

function apiserverArgs(state: ClusterState): string[] {
  const p = paths(state.dir);
  return [
    `--etcd-servers=${state.etcdUrl}`,
    '--bind-address=127.0.0.1',
    // Without it the apiserver looks for a default route to pick an address, and fails offline.
    '--advertise-address=127.0.0.1',
    `--secure-port=${state.ports.apiserver}`,
    `--cert-dir=${p.pki}`,
    // Dual-stack, so Services with RequireDualStack get an IPv4 and an IPv6 ClusterIP.
    '--service-cluster-ip-range=10.96.0.0/16,fd00:10:96::/112',
    '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
    `--service-account-key-file=${p.saKey}`,
    `--service-account-signing-key-file=${p.saKey}`,
    `--token-auth-file=${p.tokens}`,
    '--authorization-mode=RBAC',
    // ServiceAccount admission waits for a default ServiceAccount that only the (absent) controller
    // manager creates; StorageObjectInUseProtection adds PVC/PV finalizers that only it removes, so
    // every PVC or PV a test (or a fix) deletes would stay Terminating forever.
    '--disable-admission-plugins=ServiceAccount,StorageObjectInUseProtection',
    // No kubelets: nothing answers at the advertised address, so keep the endpoints untouched.
    '--endpoint-reconciler-type=none',
    '--allow-privileged=true',
    '--profiling=false',
    ...(state.watchCache ? [] : ['--watch-cache=false']),
  ];
}

/** GET a URL once with a short timeout; resolves to the status code and body, never rejects. */
function probe(url: string, options: { ca?: Buffer; token?: string }): Promise<{ status: number; body: string }> {
  return new Promise((done) => {
    const req = request(
      url,
      {
        ca: options.ca,
        headers: options.token ? { Authorization: `Bearer ${options.token}` } : {},
        signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => done({ status: res.statusCode ?? 0, body }));
        res.on('error', () => done({ status: 0, body: '' }));
      },
    );
    req.on('error', (error) => done({ status: 0, body: error.message }));
    req.end();
  });
}

/** Waits until etcd answers /health, or throws with the end of its log. */
async function waitForEtcd(state: ClusterState, pid: number): Promise<void> {
  const deadline = Date.now() + ETCD_READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (!isOurProcess(pid, state.dir)) throw new Error(`etcd exited during start (see ${paths(state.dir).etcdLog}):\n${tail(paths(state.dir).etcdLog)}`);
    try {
      const res = await fetch(`${state.etcdUrl}/health`, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
      if (res.ok && ((await res.json()) as { health?: string }).health === 'true') return;
    } catch {
      // not listening yet
    }
    await sleep(200);
  }
  throw new Error(`etcd not healthy after ${ETCD_READY_TIMEOUT_MS / 1000} s (see ${paths(state.dir).etcdLog}):\n${tail(paths(state.dir).etcdLog)}`);
}

/**
 * Waits until kube-apiserver answers GET /readyz with "ok". The probe verifies TLS against the
 * generated certificate, which the apiserver writes before it starts serving.
 */
async function waitForApiserver(state: ClusterState, pid: number): Promise<void> {
  const p = paths(state.dir);
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (!isOurProcess(pid, state.dir)) throw new Error(`kube-apiserver exited during start (see ${p.apiserverLog}):\n${tail(p.apiserverLog)}`);
    if (existsSync(p.caFile)) {
      const res = await probe(`${state.server}/readyz`, { ca: readFileSync(p.caFile), token: state.tokens.admin });
      if (res.status === 200 && res.body.trim() === 'ok') return;
      last = res.status ? `HTTP ${res.status}` : res.body;
    }
    await sleep(500);
  }
  throw new Error(`kube-apiserver not ready after ${READY_TIMEOUT_MS / 1000} s (${last}; see ${p.apiserverLog}):\n${tail(p.apiserverLog)}`);
}

/** Writes a kubeconfig for one user, with the CA embedded so the file can be copied anywhere. */
function writeKubeconfig(file: string, state: ClusterState, user: UserName): void {
  const name = user === 'admin' ? 'drdeck-test' : `drdeck-test-${user}`;
  const ca = readFileSync(paths(state.dir).caFile).toString('base64');
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'drdeck-test', cluster: { server: state.server, 'certificate-authority-data': ca } }],
    users: [{ name: user, user: { token: state.tokens[user] } }],
    contexts: [{ name, context: { cluster: 'drdeck-test', user, namespace: 'default' } }],
    'current-context': name,
  };
  writeAtomic(file, stringify(config), 0o600);
}

/** Starts kube-apiserver for a folder whose etcd runs, records its PID and waits until it is ready. */
async function launchApiserver(state: ClusterState): Promise<number> {
  const pid = startProcess(state.binaries.kubeApiserver, apiserverArgs(state), paths(state.dir).apiserverLog);
  writePids(state.dir, { ...readPids(state.dir), 'kube-apiserver': pid });
  await waitForApiserver(state, pid);
  return pid;
}

/** Creates or replaces each CRD, then waits until every one is Established and answers a list. */
export async function installCrds(kubeconfig: string, log: (line: string) => void = () => {}): Promise<string[]> {
  const crds = readCrds(await crdFiles(log));
  const api = apiClient(kubeconfig, ApiextensionsV1Api, 60_000);
  const names = crds.map((crd) => crd.metadata?.name ?? '');
  for (const [i, body] of crds.entries()) {
    try {
      await api.createCustomResourceDefinition({ body });
    } catch (error) {
      if (statusOf(error) !== 409) throw new Error(`create CRD ${names[i]}: ${errorText(error)}`, { cause: error });
      // Started again on a folder that has them: replace, so a changed version takes effect.
      const existing = await api.readCustomResourceDefinition({ name: names[i] });
      body.metadata = { ...body.metadata, resourceVersion: existing.metadata?.resourceVersion };
      await api.replaceCustomResourceDefinition({ name: names[i], body });
    }
  }
  const lists = apiClient(kubeconfig, CustomObjectsApi);
  /**
   * Established is not enough: the new resource's watch cache starts after it, and until it has
   * synced every request answers 429 "storage is (re)initializing". Wait for a list to answer.
   */
  const ready = async (crd: V1CustomResourceDefinition): Promise<boolean> => {
    const name = crd.metadata?.name ?? '';
    const current = await api.readCustomResourceDefinition({ name });
    if (!current.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) return false;
    const version = crd.spec.versions.find((v) => v.served)?.name ?? '';
    try {
      await lists.listClusterCustomObject({ group: crd.spec.group, version, plural: crd.spec.names.plural, limit: 1 });
      return true;
    } catch (error) {
      if (statusOf(error) === 429 || statusOf(error) === 404) return false;
      throw error;
    }
  };
  const deadline = Date.now() + 60_000;
  let pending = [...crds];
  while (pending.length > 0) {
    const done = await Promise.all(pending.map(ready));
    pending = pending.filter((_, i) => !done[i]);
    if (pending.length === 0) break;
    if (Date.now() > deadline) {
      throw new Error(`CRDs not established and served after 60 s: ${pending.map((c) => c.metadata?.name).join(', ')}`);
    }
    await sleep(200);
  }
  log(`installed ${names.length} CRDs`);
  return names;
}

/** Applies deploy/rbac/*.yaml (ClusterRoles) and binds the viewer and operator users to them. */
export async function installRbac(kubeconfig: string): Promise<void> {
  const api = apiClient(kubeconfig, RbacAuthorizationV1Api);
  const roles: V1ClusterRole[] = [];
  for (const file of readdirSync(RBAC_DIR)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()) {
    for (const doc of parseAllDocuments(readFileSync(join(RBAC_DIR, file), 'utf8'))) {
      const value = doc.toJS() as { kind?: string } | null;
      if (!value) continue;
      if (value.kind !== 'ClusterRole') throw new Error(`${file}: only ClusterRoles are expected, found ${value.kind}`);
      roles.push(value as V1ClusterRole);
    }
  }
  const binding = (name: string, role: string, user: string): V1ClusterRoleBinding => ({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: user }],
  });
  const bindings = [
    binding('drdeck-test-viewer', 'drdeck-viewer', USERS.viewer.name),
    binding('drdeck-test-operator-view', 'drdeck-viewer', USERS.operator.name),
    binding('drdeck-test-operator', 'drdeck-operator', USERS.operator.name),
  ];
  for (const role of roles) {
    const name = role.metadata?.name ?? '';
    try {
      await api.createClusterRole({ body: role });
    } catch (error) {
      if (statusOf(error) !== 409) throw new Error(`create ClusterRole ${name}: ${errorText(error)}`, { cause: error });
      await api.replaceClusterRole({ name, body: role });
    }
  }
  for (const body of bindings) {
    try {
      await api.createClusterRoleBinding({ body });
    } catch (error) {
      if (statusOf(error) !== 409) throw new Error(`create ClusterRoleBinding ${body.metadata?.name}: ${errorText(error)}`, { cause: error });
    }
  }
}

function clusterOf(state: ClusterState): Cluster {
  const p = paths(state.dir);
  const pids = readPids(state.dir);
  return {
    dir: state.dir,
    server: state.server,
    kubeconfig: p.kubeconfig,
    viewerKubeconfig: p.viewerKubeconfig,
    operatorKubeconfig: p.operatorKubeconfig,
    caFile: p.caFile,
    etcdUrl: state.etcdUrl,
    pids: { etcd: pids.etcd ?? 0, 'kube-apiserver': pids['kube-apiserver'] ?? 0 },
    state,
    stop: () => stopCluster(state.dir),
  };
}

/**
 * Starts etcd and kube-apiserver with their state in DIR (created if missing; must not hold a running
 * cluster), waits until the API server is ready, writes the kubeconfigs, installs the CRDs and RBAC.
 * Builds the binaries first when they are not cached. On failure, stops whatever it started.
 */
export async function startCluster(dir: string, options: StartOptions = {}): Promise<Cluster> {
  dir = resolve(dir);
  const log = options.log ?? (() => {});
  const p = paths(dir);
  const running = Object.values(readPids(dir)).filter((pid) => isOurProcess(pid, dir));
  if (running.length > 0) throw new Error(`a test cluster is already running in ${dir} (pids ${running.join(', ')})`);

  const bins: Binaries = await ensureBinaries({ log });
  mkdirSync(p.pki, { recursive: true });
  const [etcd, etcdPeer, apiserver] = [await freePort(), await freePort(), await freePort()];
  const token = () => randomBytes(24).toString('hex');
  const state: ClusterState = {
    dir,
    server: `https://127.0.0.1:${apiserver}`,
    ports: { etcd, etcdPeer, apiserver },
    etcdUrl: `http://127.0.0.1:${etcd}`,
    tokens: { admin: token(), viewer: token(), operator: token() },
    k8sVersion: bins.k8sVersion,
    etcdVersion: bins.etcdVersion,
    binaries: { kubeApiserver: bins.kubeApiserver, etcd: bins.etcd },
    watchCache: options.watchCache ?? true,
  };
  // tokens.csv: token,user,uid[,"group1,group2"]
  const tokens = (Object.keys(USERS) as UserName[])
    .map((user) => {
      const { name, groups } = USERS[user];
      return [state.tokens[user], name, `${name}-uid`, ...(groups.length > 0 ? [`"${groups.join(',')}"`] : [])].join(',');
    })
    .join('\n');
  writeAtomic(p.tokens, `${tokens}\n`, 0o600);
  const { privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  writeAtomic(p.saKey, privateKey, 0o600);
  writeAtomic(p.state, `${JSON.stringify(state, null, 2)}\n`);
  writePids(dir, {});

  const started = Date.now();
  try {
    const etcdPid = startProcess(bins.etcd, etcdArgs(state), p.etcdLog);
    writePids(dir, { etcd: etcdPid });
    await waitForEtcd(state, etcdPid);
    log(`etcd ${bins.etcdVersion} ready at ${state.etcdUrl}`);
    await launchApiserver(state);
    log(`kube-apiserver ${bins.k8sVersion} ready at ${state.server} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    for (const user of Object.keys(USERS) as UserName[]) {
      const file = user === 'admin' ? p.kubeconfig : user === 'viewer' ? p.viewerKubeconfig : p.operatorKubeconfig;
      writeKubeconfig(file, state, user);
    }
    if (options.rbac ?? true) await installRbac(p.kubeconfig);
    if (options.crds ?? true) await installCrds(p.kubeconfig, log);
  } catch (error) {
    await stopCluster(dir).catch(() => {});
    throw error;
  }
  if (options.stopOnExit) killOnExit(dir);
  return clusterOf(state);
}

const exitHooks = new Set<string>();

/** SIGKILLs the recorded processes of every folder started with stopOnExit (synchronous: runs on exit). */
function killRecorded(): void {
  for (const dir of exitHooks) {
    for (const pid of Object.values(readPids(dir))) if (isOurProcess(pid, dir)) process.kill(pid, 'SIGKILL');
  }
}

/**
 * Last resort for tests: SIGKILL the recorded processes if Node exits, or is interrupted or
 * terminated (a test runner's timeout), while they still run. The processes are detached, so
 * nothing else would end them.
 */
function killOnExit(dir: string): void {
  if (exitHooks.size === 0) {
    process.on('exit', killRecorded);
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => {
        killRecorded();
        process.kill(process.pid, signal); // our listener is gone: the default action ends the process
      });
    }
  }
  exitHooks.add(dir);
}

/**
 * Stops the processes recorded in DIR/pids.json, kube-apiserver first, and waits until they are gone.
 * Only those PIDs, and only while their command line still names DIR: never by name.
 */
export async function stopCluster(dir: string): Promise<void> {
  dir = resolve(dir);
  const pids = readPids(dir);
  if (pids['kube-apiserver']) await stopProcess(pids['kube-apiserver'], dir);
  if (pids.etcd) await stopProcess(pids.etcd, dir);
  if (pids.dnsmasq) await stopProcess(pids.dnsmasq, dir);
  if (existsSync(paths(dir).pids)) writePids(dir, {});
  exitHooks.delete(dir);
}

/** Stops only kube-apiserver; etcd and its data stay (watches break, as in an API server outage). */
export async function stopApiServer(dir: string): Promise<void> {
  dir = resolve(dir);
  const pids = readPids(dir);
  if (pids['kube-apiserver']) await stopProcess(pids['kube-apiserver'], dir);
  writePids(dir, { etcd: pids.etcd, dnsmasq: pids.dnsmasq });
}

/** Starts kube-apiserver again on the same port against the same etcd, and waits until it is ready. */
export async function startApiServer(dir: string): Promise<Cluster> {
  dir = resolve(dir);
  const state = readState(dir);
  const pids = readPids(dir);
  if (!pids.etcd || !isOurProcess(pids.etcd, dir)) throw new Error(`etcd is not running in ${dir}`);
  if (pids['kube-apiserver'] && isOurProcess(pids['kube-apiserver'], dir)) throw new Error(`kube-apiserver already runs in ${dir}`);
  await launchApiserver(state);
  return clusterOf(state);
}

/** Stops and starts kube-apiserver (same port, same etcd, same certificate and tokens). */
export async function restartApiServer(dir: string): Promise<Cluster> {
  await stopApiServer(dir);
  return startApiServer(dir);
}

/** POSTs JSON to etcd's gRPC gateway. */
async function etcdCall<T>(state: ClusterState, path: string, body: unknown): Promise<T> {
  const res = await fetch(`${state.etcdUrl}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`etcd ${path}: HTTP ${res.status} ${text}`);
  return JSON.parse(text) as T;
}

/**
 * Compacts etcd's history up to its current revision (etcd's gRPC gateway, `POST /v3/kv/compaction`),
 * so a watch or list from an older resourceVersion gets 410 Gone. Returns the compacted revision.
 */
export async function compactEtcd(dir: string): Promise<number> {
  const state = readState(resolve(dir));
  // Any range answers with the store's current revision in its header.
  const range = await etcdCall<{ header: { revision: string } }>(state, '/v3/kv/range', {
    key: Buffer.from('/registry/').toString('base64'),
    limit: 1,
    keys_only: true,
  });
  const revision = Number(range.header.revision);
  await etcdCall(state, '/v3/kv/compaction', { revision: String(revision), physical: true });
  return revision;
}

/** What `status` reports. */
export interface ClusterStatus {
  readonly dir: string;
  readonly server?: string;
  readonly etcd: { pid?: number; running: boolean };
  readonly apiserver: { pid?: number; running: boolean; ready: boolean };
}

/** Reports which recorded processes run and whether the API server answers /readyz. */
export async function clusterStatus(dir: string): Promise<ClusterStatus> {
  dir = resolve(dir);
  const pids = readPids(dir);
  const state = existsSync(paths(dir).state) ? readState(dir) : undefined;
  const etcdRunning = pids.etcd !== undefined && isOurProcess(pids.etcd, dir);
  const apiPid = pids['kube-apiserver'];
  const apiRunning = apiPid !== undefined && isOurProcess(apiPid, dir);
  let ready = false;
  if (apiRunning && state && existsSync(paths(dir).caFile)) {
    const res = await probe(`${state.server}/readyz`, { ca: readFileSync(paths(dir).caFile), token: state.tokens.admin });
    ready = res.status === 200 && res.body.trim() === 'ok';
  }
  return {
    dir,
    server: state?.server,
    etcd: { pid: pids.etcd, running: etcdRunning },
    apiserver: { pid: apiPid, running: apiRunning, ready },
  };
}
