/**
 * What drdeck keeps of what a server sends, and what its deletes send, without Go: kubectl's
 * last-applied annotation (a Secret's data, when kubectl applied it) is dropped by src/k8s where the
 * JSON is parsed, again by slim(), and by the demo's store; a Secret is read as metadata only, by
 * a GET too; a delete's preconditions and dry run reach the server in its body.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import type { KubeObject, WatchEvent } from '../../src/cluster.js';
import { KubeCluster } from '../../src/k8s/kube-cluster.js';
import { resolveKubeconfig } from '../../src/k8s/kubeconfig.js';
import { received } from '../../src/k8s/resources.js';
import { LAST_APPLIED, slim } from '../../src/records.js';
import { SimCluster } from '../../src/sim/object-store.js';

const SECRET_VALUE = 'not-for-drdeck';
const applied = (kind: string) =>
  JSON.stringify({ apiVersion: 'v1', kind, metadata: { name: 'repo', namespace: 'default' }, stringData: { KOPIA_PASSWORD: SECRET_VALUE } });

/** A Secret as `kubectl apply -f` leaves it, read as metadata only: its data is still in the annotation. */
const secretMeta = (): KubeObject => ({
  apiVersion: 'meta.k8s.io/v1',
  kind: 'PartialObjectMetadata',
  metadata: { name: 'repo', namespace: 'default', uid: 'u1', annotations: { [LAST_APPLIED]: applied('Secret'), 'team/owner': 'storage' } },
});

test('received: the kind spelled out, the last-applied annotation gone, the other annotations kept', () => {
  const secret = received('secrets', secretMeta());
  assert.deepEqual(secret, {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'repo', namespace: 'default', uid: 'u1', annotations: { 'team/owner': 'storage' } },
  });
  const service = received('services', { metadata: { name: 's', namespace: 'default', annotations: { [LAST_APPLIED]: applied('Service') } }, spec: {} });
  assert.equal(service.metadata.annotations, undefined, 'no empty annotations left behind');
  assert.deepEqual(service.spec, {});
  const plain: KubeObject = { metadata: { name: 's', annotations: { a: 'b' } } };
  assert.deepEqual(received('services', plain).metadata, plain.metadata);
});

test('slim: the second line; a Secret keeps metadata only, and no kind keeps the annotation', () => {
  const full: KubeObject = {
    ...secretMeta(),
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    data: { KOPIA_PASSWORD: Buffer.from(SECRET_VALUE).toString('base64') },
  };
  const secret = slim('secrets', full);
  assert.deepEqual(Object.keys(secret).sort(), ['apiVersion', 'kind', 'metadata', 'type']);
  assert.deepEqual(secret.metadata.annotations, { 'team/owner': 'storage' });
  const pvc = slim('persistentvolumeclaims', { metadata: { name: 'kopia', annotations: { [LAST_APPLIED]: applied('PersistentVolumeClaim') } }, spec: {} });
  assert.equal(pvc.metadata.annotations, undefined);
  assert.equal(JSON.stringify([secret, pvc]).includes(SECRET_VALUE), false);
});

test('slim: objects of one shape keep one V8 map for their metadata, however many there are', () => {
  // Why it matters: at 20,000 objects a map of its own for each (as `{ ...rest, managedFields }`
  // made) was 20,000 more maps to keep and mark, and every metadata read a lookup no cache held.
  const out = execFileSync(
    process.execPath,
    ['--allow-natives-syntax', '--import', 'tsx', fileURLToPath(new URL('../fixtures/shared-maps.ts', import.meta.url))],
    {
      encoding: 'utf8',
    },
  );
  // Two shapes: with and without the annotations left after the last-applied one is dropped.
  assert.ok(Number(out.trim()) <= 2, `500 PVCs' metadata have ${out.trim()} maps`);
});

test("the demo's store hands out Secrets as metadata only and no last-applied annotation: list, get and feed", async () => {
  const cluster = new SimCluster({ clock: { now: () => Date.parse('2025-12-02T12:00:00Z') } });
  const secret = () => ({
    metadata: { name: 'repo', namespace: 'default', annotations: { [LAST_APPLIED]: applied('Secret') } },
    type: 'Opaque',
    data: { KOPIA_PASSWORD: Buffer.from(SECRET_VALUE).toString('base64') },
  });
  cluster.load('secrets', secret());
  try {
    const seen: unknown[] = [(await cluster.list('secrets')).items, await cluster.get('secrets', 'default', 'repo')];
    const events: WatchEvent[] = [];
    const stop = cluster.feed(['secrets'], {
      reset: (_kind, items) => seen.push(items),
      event: (_kind, event) => events.push(event),
      sync: () => {},
    });
    await new Promise((resolve) => setTimeout(resolve, 10));
    cluster.patchNow('secrets', 'default', 'repo', { metadata: { labels: { x: 'y' } } }, 'merge');
    await new Promise((resolve) => setTimeout(resolve, 10));
    stop();
    assert.equal(events.length, 1);
    seen.push(events[0].object);
    const text = JSON.stringify(seen);
    assert.equal(text.includes(SECRET_VALUE) || text.includes(Buffer.from(SECRET_VALUE).toString('base64')), false, text);
    assert.equal(text.includes(LAST_APPLIED), false);
    assert.deepEqual(Object.keys(events[0].object).sort(), ['apiVersion', 'kind', 'metadata']);
    // The store itself, the server's own view for scenarios and controllers, keeps it all.
    assert.ok(cluster.peek('secrets', 'default', 'repo')?.data);
  } finally {
    cluster.close();
  }
});

let server: Server;
let requests: Array<{ method: string; path: string; accept: string; body: string }> = [];
let kube: KubeCluster;

before(async () => {
  server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', path: req.url ?? '', accept: req.headers.accept ?? '', body });
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(req.method === 'GET' ? secretMeta() : { kind: 'Status', status: 'Success' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const dir = mkdtempSync(join(tmpdir(), 'drdeck-received-'));
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(
    kubeconfig,
    JSON.stringify({
      clusters: [{ name: 'fake', cluster: { server: `http://127.0.0.1:${(server.address() as { port: number }).port}`, 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'u', user: { token: 't' } }],
      contexts: [{ name: 'fake', context: { cluster: 'fake', user: 'u' } }],
      'current-context': 'fake',
    }),
  );
  // Why a long timeout: the first request loads @kubernetes/client-node, seconds on a busy machine.
  kube = new KubeCluster({ kubeconfig: resolveKubeconfig({ kubeconfig }), requestTimeoutMs: 30_000 });
});
after(() => {
  kube?.close();
  server.closeAllConnections();
  server.close();
});

test('KubeCluster.get of a Secret asks for metadata only and drops the annotation', async () => {
  requests = [];
  const secret = await kube.get('secrets', 'default', 'repo');
  assert.equal(requests[0].accept, 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1');
  assert.equal(JSON.stringify(secret).includes(SECRET_VALUE), false);
  assert.deepEqual(secret.metadata.annotations, { 'team/owner': 'storage' });
});

test("a delete's preconditions reach the server in its body, and so does its dry run (the server reads no query then)", async () => {
  requests = [];
  await kube.delete('persistentvolumeclaims', 'default', 'kopia', { preconditions: { uid: 'u1', resourceVersion: '7' } });
  await kube.delete('persistentvolumeclaims', 'default', 'kopia', { preconditions: { uid: 'u1', resourceVersion: '7' }, dryRun: true });
  await kube.delete('persistentvolumeclaims', 'default', 'kopia');
  assert.deepEqual(
    requests.map((r) => [r.method, r.path, r.body ? JSON.parse(r.body) : undefined]),
    [
      [
        'DELETE',
        '/api/v1/namespaces/default/persistentvolumeclaims/kopia',
        { apiVersion: 'v1', kind: 'DeleteOptions', preconditions: { uid: 'u1', resourceVersion: '7' } },
      ],
      [
        'DELETE',
        '/api/v1/namespaces/default/persistentvolumeclaims/kopia?dryRun=All',
        { apiVersion: 'v1', kind: 'DeleteOptions', preconditions: { uid: 'u1', resourceVersion: '7' }, dryRun: ['All'] },
      ],
      ['DELETE', '/api/v1/namespaces/default/persistentvolumeclaims/kopia', undefined],
    ],
  );
});
