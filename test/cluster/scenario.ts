/**
 * Writes a drdeck scenario into the real test API server: the same objects as the demo's
 * scenario start, status included (written through the /status subresource, the way the
 * controllers would), the scenario's DNS records served by dnsmasq, and DIR/drdeck.yaml with the
 * demo's config (the saved Kopia handle, the DNS server) so `drdeck check --config DIR/drdeck.yaml`
 * sees what `drdeck check --demo` sees.
 */
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { ClusterError, type KubeObject } from '../../src/cluster.js';
import { KubeCluster } from '../../src/k8s/kube-cluster.js';
import { resolveKubeconfig } from '../../src/k8s/kubeconfig.js';
import type { KindKey } from '../../src/kinds.js';
import { createRebuildScenario, REBUILD_START_OFFSET_MS } from '../../src/sim/scenarios/rebuild.js';
import { CoreV1Api } from '@kubernetes/client-node';
import { apiClient, errorText, statusOf } from './client.js';
import { readState } from './cluster.js';
import { startDnsServer } from './dns-server.js';

export const SCENARIOS = ['rebuild'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface WrittenScenario {
  objects: number;
  config: string;
  dnsServer: string;
}

/**
 * What the API server assigns or refuses on create: identity and timestamps, status, cluster IPs
 * (allocated from the test server's own range), owner references to objects that do not exist here.
 */
function forCreate(kind: KindKey, object: KubeObject): KubeObject {
  const { resourceVersion: _rv, uid: _uid, creationTimestamp: _ct, generation: _gen, managedFields: _mf, ownerReferences, ...metadata } = object.metadata;
  const { status: _status, ...rest } = object;
  const owners = ownerReferences?.filter((ref) => ref.uid);
  const spec = kind === 'services' && rest.spec ? (({ clusterIP: _ip, clusterIPs: _ips, ...s }) => s)(rest.spec) : rest.spec;
  return { ...rest, ...(spec ? { spec } : {}), metadata: { ...metadata, ...(owners?.length ? { ownerReferences: owners } : {}) } };
}

/** Every namespace the scenario's objects live in. */
function namespacesOf(objects: ReadonlyArray<{ object: KubeObject }>): string[] {
  return [...new Set(objects.map((o) => o.object.metadata.namespace).filter((ns): ns is string => !!ns))].sort();
}

/** Creates the scenario's start state in the cluster in DIR. */
export async function writeScenario(dir: string, name: ScenarioName, log: (line: string) => void = () => {}): Promise<WrittenScenario> {
  dir = resolve(dir);
  const state = readState(dir);
  const t0 = Math.floor(Date.now() / 1000) * 1000 - REBUILD_START_OFFSET_MS;
  const scenario = createRebuildScenario({ t0 });
  const cluster = new KubeCluster({ kubeconfig: resolveKubeconfig({ kubeconfig: join(dir, 'kubeconfig') }), requestTimeoutMs: 15_000 });
  try {
    const core = apiClient(join(dir, 'kubeconfig'), CoreV1Api);
    for (const ns of namespacesOf(scenario.objects)) {
      try {
        await core.createNamespace({ body: { metadata: { name: ns } } });
      } catch (err) {
        if (statusOf(err) !== 409) throw new Error(`creating namespace ${ns}: ${errorText(err)}`, { cause: err });
      }
    }
    const failures: string[] = [];
    for (const { kind, object } of scenario.objects) {
      try {
        await writeObject(cluster, kind, object);
      } catch (err) {
        failures.push((err as Error).message);
      }
    }
    if (failures.length) throw new Error(`${failures.length} objects refused:\n${failures.join('\n')}`);
  } finally {
    cluster.close();
  }
  log(`${name}: ${scenario.objects.length} objects written to ${state.server}`);

  const zones = [...new Set(scenario.dns.map((r) => r.name.split('.').slice(-2).join('.')))];
  const dns = await startDnsServer(dir, scenario.dns, zones);
  log(`${name}: ${scenario.dns.length} DNS records served by dnsmasq at ${dns.address}`);

  const config = join(dir, 'drdeck.yaml');
  const demoConfig = scenario.config as { dns?: Record<string, unknown> } & Record<string, unknown>;
  writeFileSync(
    config,
    `# Written by \`npm run testcluster -- scenario ${dir} ${name}\`: the demo's config, with the DNS server above.\n` +
      stringify({ ...demoConfig, dns: { ...(demoConfig.dns ?? {}), servers: [dns.address] } }),
  );
  return { objects: scenario.objects.length, config, dnsServer: dns.address };
}

/**
 * Creates one object, brings its generation to the seed's (a stuck HelmChart's spec "moved on":
 * generation 2, observedGeneration 1) and writes its status through the status subresource.
 */
async function writeObject(cluster: KubeCluster, kind: KindKey, object: KubeObject): Promise<void> {
  const { namespace, name } = object.metadata;
  const where = `${object.kind ?? kind} ${namespace ? `${namespace}/` : ''}${name}`;
  const generation = object.metadata.generation ?? 1;
  const body = forCreate(kind, object);
  // Why suspend: false: a field every Flux kind has; removing it later is a spec change, which is
  // what moves generation on. The server sets generation itself and ignores the one we send.
  if (generation > 1) body.spec = { ...body.spec, suspend: false };
  await createIgnoringExisting(cluster, kind, body);
  try {
    if (generation > 1) await cluster.patch(kind, namespace, name, [{ op: 'remove', path: '/spec/suspend' }], 'json');
    if (object.status && Object.keys(object.status).length) {
      await cluster.patch(kind, namespace, name, { status: object.status }, 'merge', { subresource: 'status' });
    }
  } catch (err) {
    throw new Error(`${where}: ${(err as Error).message}`, { cause: err });
  }
}

async function createIgnoringExisting(cluster: KubeCluster, kind: KindKey, object: KubeObject): Promise<void> {
  try {
    await cluster.create(kind, object);
  } catch (err) {
    if (err instanceof ClusterError && err.code === 409) return;
    const where = `${object.kind ?? kind} ${object.metadata.namespace ? `${object.metadata.namespace}/` : ''}${object.metadata.name}`;
    throw new Error(`creating ${where}: ${(err as Error).message}`, { cause: err });
  }
}
