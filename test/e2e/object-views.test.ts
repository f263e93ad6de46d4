/**
 * The object views (y, e, l) against a real kube-apiserver: a ReplicationDestination's YAML read
 * afresh with managedFields folded; its Events (pod-less Events POSTed through core/v1, the second
 * one arriving live through the watch); and its logs. Logs: the test server has no kubelet, so the
 * API server proxies pods/log to a contract kubelet this test runs on loopback (HTTPS, the
 * kubelet's `/containerLogs/NS/POD/CONTAINER` endpoint), reached through a Node object whose
 * status names 127.0.0.1 and the contract's port, as a real node's does. The viewer user, who has
 * drdeck-viewer but not drdeck-logs, is told "needs get on pods/log in volsync-system".
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { AppsV1Api, CoreV1Api } from '@kubernetes/client-node';
import { apiClient } from '../cluster/client.js';
import { keyMode } from '../../src/hooks/use-keys.js';
import { resolveKey, type KeyInfo } from '../../src/store/keys.js';
import { viewLines } from '../../src/store/views-slice.js';
import type { Session } from '../../src/session.js';
import type { KubeObject } from '../../src/cluster.js';
import { adminClient, CAN_RUN, createNamespace, liveSession, skipWithoutGo, startE2eCluster, waitFor } from './harness.js';

/** The kubelet's log endpoint, as the API server calls it: recorded answers, and a followed stream the test writes to. */
class ContractKubelet {
  readonly requests: string[] = [];
  private followers: ServerResponse[] = [];
  constructor(
    private readonly server: Server,
    private readonly logs: Record<string, { current: string[]; previous?: string[] }>,
  ) {
    server.on('request', (req, res) => {
      const url = new URL(req.url ?? '/', 'https://kubelet');
      this.requests.push(`${req.method} ${url.pathname}${url.search}`);
      const match = /^\/containerLogs\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(url.pathname);
      const log = match && this.logs[`${match[1]}/${match[2]}/${match[3]}`];
      if (!log) {
        res.writeHead(404, { 'Content-Type': 'text/plain' }).end('container not found');
        return;
      }
      const previous = url.searchParams.get('previous') === 'true';
      const lines = previous ? log.previous : log.current;
      if (!lines) {
        res.writeHead(400, { 'Content-Type': 'text/plain' }).end(`previous terminated container "${match[3]}" in pod "${match[2]}" not found`);
        return;
      }
      const tail = Number(url.searchParams.get('tailLines') ?? lines.length);
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.write(
        lines
          .slice(-tail)
          .map((l) => `${l}\n`)
          .join(''),
      );
      if (url.searchParams.get('follow') === 'true' && !previous) this.followers.push(res);
      else res.end();
    });
  }
  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }
  /** A line the followed containers print now. */
  say(line: string): void {
    for (const res of this.followers) res.write(`${line}\n`);
  }
  get following(): number {
    return this.followers.filter((r) => !r.writableEnded && !r.destroyed).length;
  }
  close(): void {
    for (const res of this.followers) res.end();
    this.server.close();
  }
}

let env: Awaited<ReturnType<typeof startE2eCluster>> | undefined;
let kubelet: ContractKubelet | undefined;
const RD = { namespace: 'apps', name: 'thelounge-dst' };
const MOVER_POD = 'volsync-dst-thelounge-dst-x7k2p';

before(async () => {
  if (!CAN_RUN) return;
  env = await startE2eCluster('views');
  const { cluster } = env;
  // The API server does not verify a kubelet's serving certificate unless told a CA: any will do.
  const pki = join(cluster.dir, 'pki');
  const server = createServer({ cert: readFileSync(join(pki, 'apiserver.crt')), key: readFileSync(join(pki, 'apiserver.key')) });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  kubelet = new ContractKubelet(server, {
    [`${RD.namespace}/${MOVER_POD}/kopia`]: {
      current: ['Connected to Kopia repository at /repository', 'Looking for snapshots of thelounge@apps', 'No snapshots found for thelounge@apps'],
      previous: ['Connecting to Kopia repository at /repository', 'panic: repository not initialized'],
    },
    'volsync-system/volsync-6d9f8c7b5-abcde/manager': { current: ['INFO reconciling ReplicationDestination apps/thelounge-dst'] },
  });

  const core = apiClient(cluster.kubeconfig, CoreV1Api);
  await core.createNode({ body: { metadata: { name: 'node-1' } } });
  const node = await core.readNode({ name: 'node-1' });
  node.status = {
    addresses: [{ type: 'InternalIP', address: '127.0.0.1' }],
    daemonEndpoints: { kubeletEndpoint: { Port: kubelet.port } },
  };
  await core.replaceNodeStatus({ name: 'node-1', body: node });
  for (const ns of [RD.namespace, 'volsync-system']) await createNamespace(cluster.kubeconfig, ns);

  const admin = adminClient(cluster.kubeconfig);
  await admin.create('replicationdestinations', {
    metadata: { name: RD.name, namespace: RD.namespace, labels: { 'app.kubernetes.io/name': 'thelounge' } },
    spec: { trigger: { manual: 'restore-once' }, kopia: { repository: 'thelounge-volsync-secret', copyMethod: 'Snapshot' } },
  });
  await admin.patch('replicationdestinations', RD.namespace, RD.name, { metadata: { labels: { restored: 'no' } } }, 'merge');
  // A write of the status subresource: managedFields gets a second entry to fold.
  await admin.patch('replicationdestinations', RD.namespace, RD.name, { status: { lastManualSync: 'restore-once' } }, 'merge', { subresource: 'status' });
  await core.createNamespacedPod({
    namespace: RD.namespace,
    body: {
      metadata: { name: MOVER_POD, labels: { 'job-name': `volsync-dst-${RD.name}` } },
      spec: { nodeName: 'node-1', containers: [{ name: 'kopia', image: 'quay.io/backube/volsync:0.11' }] },
    },
  });
  await apiClient(cluster.kubeconfig, AppsV1Api).createNamespacedDeployment({
    namespace: 'volsync-system',
    body: {
      metadata: { name: 'volsync' },
      spec: {
        selector: { matchLabels: { 'app.kubernetes.io/name': 'volsync' } },
        template: {
          metadata: { labels: { 'app.kubernetes.io/name': 'volsync' } },
          spec: { containers: [{ name: 'manager', image: 'quay.io/backube/volsync:0.11' }] },
        },
      },
    },
  });
  await core.createNamespacedPod({
    namespace: 'volsync-system',
    body: {
      metadata: { name: 'volsync-6d9f8c7b5-abcde', labels: { 'app.kubernetes.io/name': 'volsync' } },
      spec: { nodeName: 'node-1', containers: [{ name: 'manager', image: 'quay.io/backube/volsync:0.11' }] },
    },
  });
});

after(async () => {
  kubelet?.close();
  await env?.stop();
});

/** Presses keys the way the TUI does: each one resolved in the store's current mode, then dispatched. */
function press(session: Session, ...keys: Array<string | KeyInfo>): void {
  for (const k of keys) {
    const state = session.store.getState();
    const [input, info] = typeof k === 'string' ? [k, {}] : ['', k];
    state.dispatch(resolveKey(input, info, keyMode(state)));
  }
}

/** The detail, with the RD's evidence line under the cursor (as the detail screen reports it). */
function selectRd(session: Session): void {
  session.store.setState({ screen: 'detail', focus: 'restores' });
  session.store.getState().setLayout({ selection: `ReplicationDestination/${RD.namespace}/${RD.name}` });
}

const shown = (session: Session): string => {
  const view = session.store.getState().view;
  return view ? `${viewLines(view, Date.now()).join('\n')}\n[status] ${view.status}` : '(no view)';
};

test('y: the ReplicationDestination as the server has it, managedFields folded to one line; Esc back to the detail', async (t) => {
  if (skipWithoutGo(t)) return;
  const session = liveSession(env!.cluster.kubeconfig);
  try {
    selectRd(session);
    press(session, 'y');
    const text = await waitFor(
      'the YAML',
      () => /managedFields/.test(shown(session)) && shown(session),
      20_000,
      () => shown(session),
    );
    assert.match(text, /^kind: ReplicationDestination$/m);
    assert.match(text, /^ {2}name: thelounge-dst$/m);
    const entries = (await adminClient(env!.cluster.kubeconfig).get('replicationdestinations', RD.namespace, RD.name)).metadata.managedFields?.length;
    assert.equal(entries, 2, 'the server keeps two managedFields entries');
    assert.match(text, /^ {2}managedFields: 2 entries \(folded\)$/m);
    assert.match(text, /^ {2}lastManualSync: restore-once$/m, 'the status too');
    assert.match(text, /^ {4}restored: "?no"?$/m, 'the label written a moment ago: a fresh GET');
    assert.doesNotMatch(text, /fieldsV1|f:metadata/, 'no managedFields body');
    press(session, { escape: true });
    assert.equal(session.store.getState().view, null);
    assert.equal(session.store.getState().screen, 'detail');
  } finally {
    session.close();
  }
});

test('e: a pod-less Event about the RD, then a second one arriving live, newest first', async (t) => {
  if (skipWithoutGo(t)) return;
  const { cluster } = env!;
  const core = apiClient(cluster.kubeconfig, CoreV1Api);
  const rd = await adminClient(cluster.kubeconfig).get('replicationdestinations', RD.namespace, RD.name);
  const event = (name: string, reason: string, message: string, at: Date) => ({
    metadata: { name, namespace: RD.namespace },
    involvedObject: { apiVersion: 'volsync.backube/v1alpha1', kind: 'ReplicationDestination', name: RD.name, namespace: RD.namespace, uid: rd.metadata.uid },
    type: 'Warning',
    reason,
    message,
    count: 1,
    firstTimestamp: at,
    lastTimestamp: at,
    source: { component: 'volsync' },
  });
  await core.createNamespacedEvent({
    namespace: RD.namespace,
    body: event('thelounge-dst.1', 'SecretNotFound', 'secret thelounge-volsync-secret not found', new Date(Date.now() - 60_000)),
  });
  // Another object's event by the same name must stay out.
  await core.createNamespacedEvent({
    namespace: RD.namespace,
    body: {
      ...event('other.1', 'Other', 'about another object', new Date()),
      involvedObject: { kind: 'ReplicationDestination', name: 'other', namespace: RD.namespace },
    },
  });
  const session = liveSession(cluster.kubeconfig);
  try {
    selectRd(session);
    press(session, 'e');
    await waitFor(
      'the first event',
      () => /SecretNotFound/.test(shown(session)),
      20_000,
      () => shown(session),
    );
    assert.match(shown(session), /^Warning +SecretNotFound +(5\d|6\d)s +x1 {2}secret thelounge-volsync-secret not found \(volsync\)$/m);
    await core.createNamespacedEvent({
      namespace: RD.namespace,
      body: event('thelounge-dst.2', 'MoverFailed', 'No snapshots found for thelounge@apps', new Date()),
    });
    await waitFor(
      'the second event, live',
      () => /MoverFailed/.test(shown(session)),
      20_000,
      () => shown(session),
    );
    const rows = viewLines(session.store.getState().view!, Date.now());
    assert.match(rows[0], /MoverFailed/, 'newest first');
    assert.match(rows[1], /SecretNotFound/);
    assert.equal(rows.length, 2, shown(session));
  } finally {
    session.close();
  }
});

test('l: the mover pod log through pods/log (follow, then a new line live), p for the previous container, the VolSync controller on c', async (t) => {
  if (skipWithoutGo(t)) return;
  const session = liveSession(env!.cluster.kubeconfig);
  try {
    selectRd(session);
    press(session, 'l');
    await waitFor(
      'the mover log',
      () => /No snapshots found for thelounge@apps/.test(shown(session)),
      20_000,
      () => `${shown(session)}\nkubelet: ${kubelet!.requests.join(', ')}`,
    );
    assert.match(shown(session), new RegExp(`── log of pod ${RD.namespace}/${MOVER_POD} \\(kopia\\) · mover of ReplicationDestination apps/thelounge-dst`));
    assert.ok(
      kubelet!.requests.some(
        (r) => r.includes(`/containerLogs/${RD.namespace}/${MOVER_POD}/kopia`) && r.includes('follow=true') && r.includes('tailLines=500'),
      ),
    );
    await waitFor('the stream held open', () => kubelet!.following > 0);
    kubelet!.say('Restore failed: exit 1');
    await waitFor(
      'a line printed now',
      () => /Restore failed: exit 1/.test(shown(session)),
      20_000,
      () => shown(session),
    );
    assert.equal(session.store.getState().view?.follow, true);
    press(session, 'f');
    assert.equal(session.store.getState().view?.follow, false, 'f turns autoscroll off');

    press(session, 'p');
    await waitFor(
      'the previous container',
      () => /panic: repository not initialized/.test(shown(session)),
      20_000,
      () => shown(session),
    );
    assert.match(shown(session), /── log of the previous pod/);
    assert.doesNotMatch(shown(session), /No snapshots found for thelounge@apps\n/, 'the current log is gone from the view');

    press(session, 'p', 'c');
    await waitFor(
      'the VolSync controller',
      () => /INFO reconciling ReplicationDestination apps\/thelounge-dst/.test(shown(session)),
      20_000,
      () => shown(session),
    );
    press(session, { escape: true });
    assert.equal(session.store.getState().view, null);
    await waitFor(
      'the streams ended on close',
      () => kubelet!.following === 0,
      20_000,
      () => `${kubelet!.following} still open`,
    );
  } finally {
    session.close();
  }
});

test('l as a user without pods/log: the view names the missing permission', async (t) => {
  if (skipWithoutGo(t)) return;
  const session = liveSession(env!.cluster.viewerKubeconfig);
  try {
    selectRd(session);
    press(session, 'l');
    const status = await waitFor(
      'the refusal',
      () => session.store.getState().view?.status.includes('needs') && session.store.getState().view!.status,
      20_000,
      () => shown(session),
    );
    assert.equal(status, `needs get on pods/log in ${RD.namespace}`);
    // The pods were found (drdeck-viewer lists pods): only their logs are refused.
    assert.match(shown(session), new RegExp(`── log of pod ${RD.namespace}/${MOVER_POD}`));
  } finally {
    session.close();
  }
});

test('y on a Secret, as the viewer (no get on Secrets): its metadata, never its data', async (t) => {
  if (skipWithoutGo(t)) return;
  const { cluster } = env!;
  await adminClient(cluster.kubeconfig).create('secrets', {
    metadata: { name: 'thelounge-volsync-secret', namespace: RD.namespace, annotations: { note: 'kept' } },
    stringData: { KOPIA_PASSWORD: 'e2e-not-a-real-password' },
  } as KubeObject);
  const session = liveSession(cluster.viewerKubeconfig);
  try {
    session.store.setState({ screen: 'detail', focus: 'restores' });
    session.store.getState().setLayout({ selection: `Secret/${RD.namespace}/thelounge-volsync-secret` });
    press(session, 'y');
    const text = await waitFor(
      'the Secret',
      () => /note: kept/.test(shown(session)) && shown(session),
      20_000,
      () => shown(session),
    );
    assert.match(text, /^kind: Secret$/m);
    assert.match(text, /^# data: not shown/m);
    assert.doesNotMatch(text, /KOPIA_PASSWORD|e2e-not-a-real-password|ZTJlLW5vdC1hLXJlYWwtcGFzc3dvcmQ/);
  } finally {
    session.close();
  }
});
