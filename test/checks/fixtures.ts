/**
 * Builders for check tests: a Snapshot from object lists (every input synced unless told), small
 * object builders for the kinds the checks read, and `runTable`, which turns a table of cases into
 * node:test tests with the invariants every result must hold.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DnsAnswer, KubeObject, SyncState } from '../../src/cluster.js';
import { configSchema, type Config } from '../../src/config/schema.js';
import { KIND_KEYS, type KindKey } from '../../src/kinds.js';
import { checkById, runCheck } from '../../src/checks/index.js';
import { STATUS_SEVERITY, type CheckResult, type CheckStatus, type FixId, type InputKey, type Snapshot } from '../../src/checks/types.js';

export const NOW = Date.parse('2025-12-02T12:00:00Z');
export const EPOCH = '1970-01-01T00:00:00Z';

/** An ISO time `minutes` before NOW. */
export function ago(minutes: number): string {
  return new Date(NOW - minutes * 60_000).toISOString();
}

export type Objects = Partial<Record<KindKey, unknown[]>>;

export interface SnapshotOptions {
  now?: number;
  sync?: Partial<Record<InputKey, SyncState>>;
  dns?: DnsAnswer[];
}

/** A Snapshot holding these objects (keyed `namespace/name`), every input synced unless overridden. */
export function makeSnapshot(objects: Objects = {}, options: SnapshotOptions = {}): Snapshot {
  const byKind = Object.fromEntries(
    KIND_KEYS.map((kind) => {
      const items = (objects[kind] ?? []) as KubeObject[];
      return [kind, new Map(items.map((o, i) => [keyOf(o, i), o]))];
    }),
  ) as unknown as Snapshot['objects'];
  const sync = Object.fromEntries([...KIND_KEYS, 'dns'].map((k) => [k, { phase: 'synced' }])) as Record<InputKey, SyncState>;
  Object.assign(sync, options.sync);
  const dns = new Map((options.dns ?? []).map((a) => [a.name.toLowerCase(), a]));
  return { now: options.now ?? NOW, objects: byKind, sync, dns };
}

function keyOf(o: KubeObject, index: number): string {
  const meta = (o as { metadata?: { name?: unknown; namespace?: unknown } })?.metadata;
  const name = typeof meta?.name === 'string' ? meta.name : `malformed-${index}`;
  return typeof meta?.namespace === 'string' && meta.namespace ? `${meta.namespace}/${name}` : name;
}

/** The seed's defaults with these overrides (validated like a config file). */
export function makeConfig(overrides: Record<string, unknown> = {}): Config {
  return configSchema.parse(overrides);
}

export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

export function cond(type: string, status: string, reason = '', message = '', lastTransitionTime = ago(1)): Condition {
  return { type, status, reason, message, lastTransitionTime };
}

interface MetaOptions {
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  generation?: number;
  creationTimestamp?: string;
  managedFields?: Array<{ manager: string }>;
}

/** A bare object; `ref` is `namespace/name` or `name`. */
export function obj(ref: string, fields: Record<string, unknown> = {}, meta: MetaOptions = {}): KubeObject {
  const [namespace, name] = ref.includes('/') ? ref.split('/') : [undefined, ref];
  return { metadata: { name, ...(namespace ? { namespace } : {}), creationTimestamp: ago(60), ...meta }, ...fields };
}

export interface FluxOptions extends MetaOptions {
  ready?: Condition | null;
  conditions?: Condition[];
  dependsOn?: Array<{ name: string; namespace?: string }>;
  suspend?: boolean;
  inventory?: string[];
  observedGeneration?: number;
  healthChecks?: unknown[];
}

/** A Flux object; Ready True a minute ago unless `ready` says otherwise (null: no Ready condition). */
export function flux(ref: string, options: FluxOptions = {}): KubeObject {
  const ready = options.ready === undefined ? cond('Ready', 'True', 'ReconciliationSucceeded', 'Applied revision') : options.ready;
  const spec: Record<string, unknown> = {};
  if (options.dependsOn) spec.dependsOn = options.dependsOn;
  if (options.suspend !== undefined) spec.suspend = options.suspend;
  if (options.healthChecks) spec.healthChecks = options.healthChecks;
  const status: Record<string, unknown> = { conditions: [...(ready ? [ready] : []), ...(options.conditions ?? [])] };
  if (options.inventory) status.inventory = { entries: options.inventory.map((id) => ({ id, v: 'v1' })) };
  if (options.observedGeneration !== undefined) status.observedGeneration = options.observedGeneration;
  return obj(ref, { spec, status }, options);
}

export const notReady = (reason: string, message = '', since = ago(1)) => cond('Ready', 'False', reason, message, since);

export function pvc(ref: string, phase: string | undefined, fields: Record<string, unknown> = {}, meta: MetaOptions = {}): KubeObject {
  return obj(ref, { spec: { ...fields }, status: phase ? { phase } : {} }, meta);
}

export function pv(name: string, handle: string | undefined, policy = 'Retain'): KubeObject {
  return obj(name, { spec: { persistentVolumeReclaimPolicy: policy, ...(handle ? { csi: { driver: 'cephfs.csi.ceph.com', volumeHandle: handle } } : {}) } });
}

export interface RdOptions extends MetaOptions {
  /** The mover section of the spec (default `kopia`, as the seed's template). */
  mover?: string;
  copyMethod?: string | null;
  repository?: string | null;
  trigger?: string;
  lastManualSync?: string;
  result?: string;
  image?: boolean;
  sync?: Condition;
}

export function rd(ref: string, options: RdOptions = {}): KubeObject {
  const app = ref.split('/').pop()!.replace(/-dst$/, '');
  const kopia: Record<string, unknown> = {};
  if (options.copyMethod !== null) kopia.copyMethod = options.copyMethod ?? 'Snapshot';
  if (options.repository !== null) kopia.repository = options.repository ?? `${app}-volsync-secret`;
  const status: Record<string, unknown> = { conditions: options.sync ? [options.sync] : [] };
  if (options.lastManualSync) status.lastManualSync = options.lastManualSync;
  if (options.result) status.latestMoverStatus = { result: options.result, logs: 'mover log line' };
  if (options.image) status.latestImage = { apiGroup: 'snapshot.storage.k8s.io', kind: 'VolumeSnapshot', name: `${app}-snap` };
  const spec: Record<string, unknown> = { [options.mover ?? 'kopia']: kopia };
  if (options.trigger) spec.trigger = { manual: options.trigger };
  return obj(ref, { spec, status }, options);
}

export function secret(ref: string): KubeObject {
  return obj(ref, { type: 'Opaque' });
}

export function deployment(ref: string, available: number, replicas = 1): KubeObject {
  const availableCond = cond('Available', available > 0 ? 'True' : 'False', available > 0 ? 'MinimumReplicasAvailable' : 'MinimumReplicasUnavailable');
  return obj(ref, { spec: { replicas }, status: { availableReplicas: available, conditions: [availableCond] } });
}

export function pod(ref: string, phase: string): KubeObject {
  return obj(ref, { status: { phase } });
}

/** A Gateway with its Programmed condition (null: none), its addresses, and any other conditions. */
export function gateway(ref: string, programmed: Condition | null, addresses: string[] = [], others: Condition[] = []): KubeObject {
  return obj(ref, {
    spec: { gatewayClassName: 'cilium' },
    status: { conditions: [...others, ...(programmed ? [programmed] : [])], addresses: addresses.map((value) => ({ type: 'IPAddress', value })) },
  });
}

export interface ServiceOptions {
  ips?: string;
  hostname?: string;
  ingress?: string[];
  /** Hostnames in status.loadBalancer.ingress (a load balancer that answers with a name). */
  ingressHostnames?: string[];
  policy?: string;
  families?: string[];
  type?: string;
  conditions?: Condition[];
}

/** A Service, LoadBalancer unless told otherwise. */
export function service(ref: string, options: ServiceOptions = {}): KubeObject {
  const annotations: Record<string, string> = {};
  if (options.ips !== undefined) annotations['lbipam.cilium.io/ips'] = options.ips;
  if (options.hostname !== undefined) annotations['external-dns.alpha.kubernetes.io/hostname'] = options.hostname;
  const spec: Record<string, unknown> = { type: options.type ?? 'LoadBalancer' };
  if (options.policy) spec.ipFamilyPolicy = options.policy;
  if (options.families) spec.ipFamilies = options.families;
  const ingress = [...(options.ingress ?? []).map((ip) => ({ ip, ipMode: 'VIP' })), ...(options.ingressHostnames ?? []).map((hostname) => ({ hostname }))];
  const status = { loadBalancer: { ingress }, conditions: options.conditions ?? [] };
  return obj(ref, { spec, status }, { annotations });
}

/** An HTTPRoute attached to `parents` (`namespace/name` of Gateways), Accepted unless told. */
export function httpRoute(ref: string, hostnames: string[], parents: string[], accepted = true): KubeObject {
  return obj(ref, {
    spec: { hostnames, parentRefs: parents.map((p) => ({ name: p.split('/')[1], namespace: p.split('/')[0] })) },
    status: {
      parents: parents.map((p) => ({
        parentRef: { name: p.split('/')[1], namespace: p.split('/')[0] },
        controllerName: 'io.cilium/gateway-controller',
        conditions: [cond('Accepted', accepted ? 'True' : 'False', accepted ? 'Accepted' : 'NotAllowedByListeners')],
      })),
    },
  });
}

/** Runs the check with this id through the runner. */
export function evaluate(id: string, snapshot: Snapshot, config: Config = makeConfig()): CheckResult {
  const check = checkById(id);
  assert.ok(check, `no check ${id}`);
  return runCheck(check, snapshot, config);
}

export interface Case {
  name: string;
  objects?: Objects;
  config?: Record<string, unknown>;
  options?: SnapshotOptions;
  status: CheckStatus;
  summary?: RegExp;
  /** Exactly these fixes, when given. */
  fixes?: FixId[];
  gitHint?: RegExp;
  /** Extra assertions on the result. */
  then?: (result: CheckResult) => void;
}

/** Asserts what every result must be, whatever the case. */
export function assertWellFormed(result: CheckResult): void {
  assert.ok(result.summary.length > 0, 'summary is empty');
  assert.ok(!result.summary.includes('\n'), `summary has a line break: ${result.summary}`);
  if (result.status === 'pass') assert.deepEqual(result.fixes, [], 'a passing check names fixes');
  const severities = result.evidence.map((e) => STATUS_SEVERITY[e.status ?? 'pass']);
  assert.deepEqual(
    severities,
    [...severities].sort((a, b) => b - a),
    'evidence is not worst first',
  );
  for (const e of result.evidence) {
    for (const field of ['kind', 'name', 'field', 'value'] as const) assert.equal(typeof e[field], 'string', `evidence ${field} not a string`);
  }
}

/** One node:test test per case, each evaluating the check `id` through the runner. */
export function runTable(id: string, cases: readonly Case[]): void {
  for (const c of cases) {
    test(`${id}: ${c.name}`, () => {
      const result = evaluate(id, makeSnapshot(c.objects, c.options), makeConfig(c.config));
      assertWellFormed(result);
      assert.equal(result.status, c.status, `status ${result.status}: ${result.summary}`);
      if (c.summary) assert.match(result.summary, c.summary);
      if (c.fixes) assert.deepEqual(result.fixes, c.fixes);
      if (c.gitHint) assert.match(result.gitHint ?? '', c.gitHint);
      c.then?.(result);
    });
  }
}
