/**
 * Every fix, headless (`drdeck fix ID --yes`), against the real API server with the seed's rebuild
 * written into it and drdeck's simulated controllers (Flux, VolSync, the PV controller, Cilium,
 * LB-IPAM, external-dns) reacting to the fixes there. For each fix: its exit code, exactly the
 * fields it meant to change read back from the server (and nothing else of the object), and one
 * audit line per attempt. Then the dry runs write nothing, the refusals (viewer, --read-only, not
 * confirmed, a request the CRD schema rejects) send nothing, and `drdeck check` sees the cure.
 *
 * One cluster for the file; the tests run in order and each one starts where the last one left
 * the cluster, as an operator works through the runbook.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { writeScenario } from '../cluster/scenario.js';
import { simulate } from '../cluster/simulate.js';
import type { KubeObject } from '../../src/cluster.js';
import { parseConfig } from '../../src/config/load.js';
import { ALL_FIXES, type Fix, type Plan, type PlannedRequest } from '../../src/fixes/index.js';
import { dryRunPlan } from '../../src/fixes/send.js';
import { prepareFix, type FixHost } from '../../src/fixes/runner.js';
import type { KubeCluster } from '../../src/k8s/kube-cluster.js';
import { KIND_KEYS, type KindKey } from '../../src/kinds.js';
import { createRebuildScenario, REBUILD_FACTS } from '../../src/sim/index.js';
import { AuditLog, foldAudit, type AuditRecord } from '../../src/state/audit-log.js';
import { snapshotOf } from '../../src/store/checks-slice.js';
import { createDeckStore } from '../../src/store/deck-store.js';
import { adminClient, CAN_RUN, skipWithoutGo, startE2eCluster, waitFor } from './harness.js';
import { DRDECK_BIN } from '../built-cli.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Every fix `drdeck fix` has on a cluster (dns-add-records needs a router: its own contract tests). */
const FIX_IDS = [
  'flux-reconcile',
  'flux-reconcile-stuck',
  'kopia-reclaim',
  'restores-set-copy-method',
  'restores-trigger',
  'restores-recreate',
  'gateways-restart-operator',
  'loadbalancers-dual-stack',
] as const;

/** What the test plays of external-secrets: the one repository Secret the scenario lacks. */
const SECRET_VALUE = 'e2e-kopia-password-not-for-the-audit-log';

let env: Awaited<ReturnType<typeof startE2eCluster>> | undefined;
let admin: KubeCluster;
let stateDir: string;
let audit: AuditLog;
const stopSimulation = new AbortController();
let simulation: Promise<void> | undefined;
const simLog: string[] = [];

before(async () => {
  if (!CAN_RUN) return;
  env = await startE2eCluster('fixes');
  await writeScenario(env.cluster.dir, 'rebuild');
  stateDir = join(env.cluster.dir, 'state');
  mkdirSync(stateDir);
  audit = new AuditLog(stateDir);
  admin = adminClient(env.cluster.kubeconfig);
  // Scenario time at 60x: a 3-minute restore takes 3 s. The controllers only react to changes,
  // so every seed issue stays until a fix cures it.
  simulation = simulate(env.cluster.dir, { speed: 60, signal: stopSimulation.signal, log: (line) => simLog.push(line) });
});

after(async () => {
  stopSimulation.abort();
  await simulation;
  admin?.close();
  await env?.stop();
});

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs the built CLI (asynchronously: the simulated controllers share this event loop). */
function drdeck(args: string[]): Promise<CliResult> {
  const started = Date.now();
  const child = spawn(process.execPath, [DRDECK_BIN, ...args], {
    cwd: root,
    env: {
      ...process.env,
      NO_COLOR: '1',
      XDG_CONFIG_HOME: join(root, '.no-config'),
      // Commands that keep state without --state-dir keep it here, never in the user's home.
      XDG_STATE_HOME: join(env!.cluster.dir, 'xdg-state'),
      KUBECONFIG: '',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 90_000,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr, ms: Date.now() - started })));
}

interface FixJson {
  fix: string;
  outcome: string;
  message?: string;
  exitCode: number;
  dryRun?: string;
  plan?: { title: string; targets: Array<{ kind: KindKey; namespace?: string; name: string }>; requests: PlannedRequest[]; commands: string[] };
}

const where = (o: { namespace?: string; name: string }) => (o.namespace ? `${o.namespace}/${o.name}` : o.name);

/** `drdeck fix ID ... --json` on the test cluster as `kubeconfig` (the admin's unless said). */
async function fix(id: string, extra: string[] = [], kubeconfig = env!.cluster.kubeconfig): Promise<{ json: FixJson; run: CliResult }> {
  const dir = env!.cluster.dir;
  // --timeout 60: eight of these start side by side on two cores, each listing every kind.
  const run = await drdeck([
    'fix',
    id,
    '--kubeconfig',
    kubeconfig,
    '--config',
    join(dir, 'drdeck.yaml'),
    '--state-dir',
    stateDir,
    '--timeout',
    '60',
    '--json',
    ...extra,
  ]);
  let json: FixJson;
  try {
    json = JSON.parse(run.stdout) as FixJson;
  } catch {
    throw new Error(`drdeck fix ${id} ${extra.join(' ')} printed no JSON (exit ${run.code}):\n${run.stdout}\n${run.stderr}`);
  }
  assert.equal(json.exitCode, run.code, 'the JSON says the exit code it exits with');
  return { json, run };
}

/**
 * Applies a fix with --yes and checks what every applied fix must: the exit code, and exactly one
 * new audit line saying what was sent (the plan's requests, as printed), with the dry run and the
 * outcome.
 */
async function apply(
  id: string,
  extra: string[] = [],
  expect: { code: number; outcome: 'done' | 'failed' } = { code: 0, outcome: 'done' },
): Promise<FixJson & { plan: NonNullable<FixJson['plan']> }> {
  const before = audit.read().length;
  const { json, run } = await fix(id, ['--yes', ...extra]);
  assert.equal(run.code, expect.code, `drdeck fix ${id}: ${json.outcome}: ${json.message}\n${run.stderr}`);
  assert.equal(json.outcome, expect.outcome, json.message);
  assert.equal(json.dryRun, 'ok');
  assert.ok(json.plan && json.plan.requests.length > 0, 'a plan with requests');
  const entries = audit.read().slice(before);
  assert.equal(entries.length, 1, `one audit line per attempt: ${JSON.stringify(entries)}`);
  const [entry] = entries;
  assert.equal(entry.fixId, id);
  assert.equal(entry.context, 'drdeck-test');
  assert.equal(entry.user, 'admin');
  assert.equal(entry.dryRun, 'ok');
  assert.equal(entry.outcome, expect.outcome);
  assert.equal(entry.message, json.message);
  assert.ok(!Number.isNaN(Date.parse(entry.time)), entry.time);
  assert.deepEqual(entry.targets, json.plan.targets.map(where));
  assert.deepEqual(
    entry.requests,
    json.plan.requests.map(({ verb, kind, namespace, name, patchType, body }) => JSON.parse(JSON.stringify({ verb, kind, namespace, name, patchType, body }))),
  );
  return json as FixJson & { plan: NonNullable<FixJson['plan']> };
}

// ---------------------------------------------------------------------------------------------
// Reading the server back.

type Json = unknown;
const isRecord = (v: Json): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The paths (`spec.trigger.manual`) where two values differ. Arrays count as one value, as a
 * merge patch replaces them whole; a missing object counts as an empty one.
 */
function changedPaths(a: Json, b: Json, path: string[] = []): string[] {
  if ((isRecord(a) || a === undefined) && (isRecord(b) || b === undefined) && (a !== undefined || b !== undefined)) {
    const x = (a ?? {}) as Record<string, Json>;
    const y = (b ?? {}) as Record<string, Json>;
    return [...new Set([...Object.keys(x), ...Object.keys(y)])].flatMap((k) => changedPaths(x[k], y[k], [...path, k]));
  }
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [path.join('.')];
}

/** The leaf paths of a merge patch and the value each sets. */
function patchLeaves(patch: Json, path: string[] = []): Array<[string, Json]> {
  if (isRecord(patch)) return Object.entries(patch).flatMap(([k, v]) => patchLeaves(v, [...path, k]));
  return [[path.join('.'), patch]];
}

function valueAt(object: Json, path: string): Json {
  // Keys may hold dots themselves (annotation keys): walk by the longest key that exists.
  let current = object;
  let rest = path;
  while (rest) {
    if (!isRecord(current)) return undefined;
    const key = Object.keys(current)
      .filter((k) => rest === k || rest.startsWith(`${k}.`))
      .sort((x, y) => y.length - x.length)[0];
    if (key === undefined) return undefined;
    current = current[key];
    rest = rest.slice(key.length + 1);
  }
  return current;
}

/** What a person (or a controller) sets on an object: its spec, labels and annotations. Not status. */
function intent(object: KubeObject | undefined): Json {
  return { metadata: { labels: object?.metadata.labels ?? {}, annotations: object?.metadata.annotations ?? {} }, spec: object?.spec ?? {} };
}

/**
 * The object was changed by exactly this merge patch: every value the patch sets is on the server,
 * and nothing else of its spec, labels or annotations differs (but `alsoChanged`, the paths the
 * API server itself fills in).
 */
function assertPatchedExactly(before: KubeObject, after: KubeObject, patch: Json, alsoChanged: string[] = []): void {
  const what = `${after.kind} ${where(after.metadata)}`;
  assert.equal(after.metadata.uid, before.metadata.uid, `${what}: the same object`);
  const leaves = patchLeaves(patch);
  for (const [path, value] of leaves) assert.deepEqual(valueAt(after, path), value, `${what}: ${path}`);
  const allowed = new Set([...leaves.map(([path]) => path), ...alsoChanged]);
  const changed = changedPaths(intent(before), intent(after));
  assert.deepEqual(
    changed.filter((p) => !allowed.has(p)),
    [],
    `${what}: changed beyond the patch`,
  );
  assert.ok(changed.length > 0, `${what}: the patch changed something`);
}

async function get(kind: KindKey, namespace: string | undefined, name: string): Promise<KubeObject> {
  return admin.get(kind, namespace, name);
}

async function getAll(requests: readonly PlannedRequest[]): Promise<KubeObject[]> {
  return Promise.all(requests.map((r) => get(r.kind, r.namespace, r.name)));
}

/** Every object's resourceVersion, by kind/namespace/name: what a write anywhere would change. */
async function allVersions(): Promise<Map<string, string>> {
  const versions = new Map<string, string>();
  for (const kind of KIND_KEYS) {
    const { items } = await admin.list(kind);
    for (const o of items) versions.set(`${kind}/${where(o.metadata)}`, o.metadata.resourceVersion ?? '');
  }
  return versions;
}

/** Resolves once the simulated controllers have done nothing for `ms` (they only react to changes). */
async function controllersQuiet(ms = 1_500): Promise<void> {
  let seen = simLog.length;
  let since = Date.now();
  await waitFor(
    'the simulated controllers to go quiet',
    () => {
      if (simLog.length !== seen) [seen, since] = [simLog.length, Date.now()];
      return Date.now() - since >= ms;
    },
    30_000,
    () => simLog.slice(-5).join('\n'),
  );
}

const annotationsOf = (request: PlannedRequest) => (request.body as { metadata: { annotations: Record<string, string> } }).metadata.annotations;
const condition = (o: KubeObject, type: string) => (o.status?.conditions as Array<{ type: string; status: string }> | undefined)?.find((c) => c.type === type);

// ---------------------------------------------------------------------------------------------

test('the rebuild scenario on the real server: the same verdict per check id as the demo at its start', async (t) => {
  if (skipWithoutGo(t)) return;
  const dir = env!.cluster.dir;
  const [live, demo] = await Promise.all([
    drdeck(['check', '--kubeconfig', env!.cluster.kubeconfig, '--config', join(dir, 'drdeck.yaml'), '--json', '--timeout', '60']),
    drdeck(['check', '--demo', '--json']),
  ]);
  assert.equal(live.code, 1, live.stderr);
  assert.equal(demo.code, 1, demo.stderr);
  const verdicts = (stdout: string) =>
    Object.fromEntries((JSON.parse(stdout) as { checks: Array<{ id: string; status: string }> }).checks.map((c) => [c.id, c.status]));
  assert.deepEqual(verdicts(live.stdout), verdicts(demo.stdout));
});

test('every fix on a cluster is covered here', () => {
  const onCluster = ALL_FIXES.map((f) => f.id).filter((id) => !id.startsWith('dns-'));
  assert.deepEqual([...onCluster].sort(), [...FIX_IDS].sort());
});

test("--dry-run: the real API server admits every fix's requests, and nothing at all is written", async (t) => {
  if (skipWithoutGo(t)) return;
  await controllersQuiet();
  const before = await allVersions();
  const started = Date.now();
  const runs = await Promise.all(
    FIX_IDS.map((id) => fix(id, ['--dry-run', ...(id === 'flux-reconcile' ? ['--target', 'HelmRelease/ceph-csi/ceph-csi-cephfs'] : [])])),
  );
  t.diagnostic(`8 dry runs side by side took ${Date.now() - started} ms`);
  for (const [i, { json, run }] of runs.entries()) {
    const id = FIX_IDS[i];
    assert.equal(run.code, 0, `${id}: ${json.message}\n${run.stderr}`);
    assert.equal(json.outcome, 'dry-run', id);
    assert.equal(json.dryRun, 'ok', `${id}: the server accepted every request`);
    assert.ok(json.plan!.requests.length > 0, id);
    assert.ok(json.plan!.commands.length > 0, `${id}: the kubectl/flux equivalent`);
  }
  // The reclaim's create after its delete meets the PVC still there in a dry run: expected, said, not an error.
  const reclaim = runs[FIX_IDS.indexOf('kopia-reclaim')].json;
  assert.deepEqual(
    reclaim.plan!.requests.map((r) => `${r.verb} ${r.kind}`),
    ['delete persistentvolumeclaims', 'create persistentvolumes', 'create persistentvolumeclaims'],
  );

  assert.deepEqual(await allVersions(), before, 'no resourceVersion changed');
  const entries = audit.read();
  assert.deepEqual(entries.map((e) => e.fixId).sort(), [...FIX_IDS].sort());
  for (const e of entries) assert.deepEqual([e.outcome, e.dryRun, e.message], ['dry-run', 'ok', 'dry run only: nothing was sent'], e.fixId);
});

test('refused, nothing sent: the viewer (the missing permission named), --read-only, and no --yes', async (t) => {
  if (skipWithoutGo(t)) return;
  await controllersQuiet();
  const versions = await allVersions();
  const before = audit.read().length;
  const [viewer, readOnly, unconfirmed] = await Promise.all([
    fix('restores-set-copy-method', ['--yes'], env!.cluster.viewerKubeconfig),
    fix('restores-set-copy-method', ['--yes', '--read-only']),
    fix('kopia-reclaim', []),
  ]);
  assert.equal(viewer.run.code, 3, viewer.run.stderr);
  assert.equal(viewer.json.outcome, 'refused');
  assert.equal(viewer.json.message, 'not allowed: needs patch on replicationdestinations.volsync.backube in default');
  assert.equal(readOnly.run.code, 3, readOnly.run.stderr);
  assert.equal(readOnly.json.message, 'read-only mode: fixes are turned off (--read-only)');
  assert.equal(unconfirmed.run.code, 3, unconfirmed.run.stderr);
  assert.equal(unconfirmed.json.outcome, 'not-confirmed');
  assert.equal(unconfirmed.json.dryRun, 'ok');

  assert.deepEqual(await allVersions(), versions, 'no resourceVersion changed');
  const entries = audit.read().slice(before);
  const byUser = (user: string, outcome: string) => entries.filter((e) => e.user === user && e.outcome === outcome);
  assert.equal(entries.length, 3);
  assert.deepEqual(
    byUser('viewer', 'refused').map((e) => [e.fixId, e.dryRun, e.targets.length]),
    [['restores-set-copy-method', 'skipped', 8]],
  );
  assert.deepEqual(
    byUser('admin', 'refused').map((e) => [e.fixId, e.dryRun, e.message]),
    [['restores-set-copy-method', 'skipped', 'read-only mode: fixes are turned off (--read-only)']],
  );
  assert.deepEqual(
    byUser('admin', 'cancelled').map((e) => [e.fixId, e.dryRun]),
    [['kopia-reclaim', 'ok']],
  );
});

test("a request the CRD schema rejects: the dry run returns the server's message, the fix is refused, nothing is sent", async (t) => {
  if (skipWithoutGo(t)) return;
  const rd = await get('replicationdestinations', 'default', 'atuin-dst');
  const request: PlannedRequest = {
    verb: 'patch',
    kind: 'replicationdestinations',
    namespace: 'default',
    name: 'atuin-dst',
    patchType: 'merge',
    body: { spec: { kopia: { copyMethod: 'Bogus' } } },
    summary: 'set an invalid copyMethod',
  };
  const plan: Plan = {
    fixId: 'restores-set-copy-method',
    title: 'test: an invalid copyMethod',
    targets: [{ kind: 'replicationdestinations', namespace: 'default', name: 'atuin-dst' }],
    requests: [request],
    commands: [],
    warnings: [],
    details: [],
    confirm: { kind: 'yes' },
  };
  const enumMessage =
    /^ReplicationDestination\.volsync\.backube "atuin-dst" is invalid: spec\.kopia\.copyMethod: Unsupported value: "Bogus": supported values: /;

  const [result] = await dryRunPlan(admin, plan);
  assert.match(result.error ?? '', enumMessage);

  let ran = false;
  const invalid: Fix = {
    id: 'restores-set-copy-method',
    title: plan.title,
    dangerous: false,
    panel: 'restores',
    key: 'x',
    label: 'invalid',
    timeoutMs: 1_000,
    targets: () => plan.targets,
    plan: () => plan,
    run: async () => {
      ran = true;
      return { ok: true, message: 'must not run' };
    },
  };
  const config = parseConfig({}, 'e2e');
  const records: AuditRecord[] = [];
  const host: FixHost = {
    cluster: admin,
    config,
    readOnly: false,
    snapshot: () => snapshotOf(createDeckStore({ config, clusterName: admin.name, now: Date.now() }).getState()),
    waitFor: () => Promise.reject(new Error('not used')),
    audit: (record) => records.push(record),
  };
  const prepared = await prepareFix(host, invalid, { token: 'bogus' });
  const entries = foldAudit(records);
  if (!prepared.refused) assert.fail('a plan the server rejects must not be offered');
  assert.equal(prepared.code, 2);
  assert.match(
    prepared.message,
    /^the server rejected the dry run, nothing was sent: patch replicationdestinations default\/atuin-dst: ReplicationDestination\.volsync\.backube "atuin-dst" is invalid: spec\.kopia\.copyMethod: Unsupported value: "Bogus"/,
  );
  assert.equal(ran, false);
  assert.equal(entries.length, 1);
  assert.equal(entries[0].outcome, 'refused');
  assert.match(
    entries[0].dryRun,
    /^patch replicationdestinations default\/atuin-dst: ReplicationDestination\.volsync\.backube "atuin-dst" is invalid: spec\.kopia\.copyMethod: Unsupported value: "Bogus"/,
  );

  const now = await get('replicationdestinations', 'default', 'atuin-dst');
  assert.equal(now.metadata.resourceVersion, rd.metadata.resourceVersion, 'the RD is unchanged');
  assert.equal(now.spec?.kopia?.copyMethod, undefined);
});

test('flux-reconcile of a stuck ceph-csi HelmRelease: only requestedAt set, the release turns Ready', async (t) => {
  if (skipWithoutGo(t)) return;
  const before = await get('helmreleases', 'ceph-csi', 'ceph-csi-cephfs');
  const other = await get('helmreleases', 'ceph-csi', 'ceph-csi-rbd');
  const json = await apply('flux-reconcile', ['--target', 'HelmRelease/ceph-csi/ceph-csi-cephfs']);
  assert.deepEqual(
    json.plan.requests.map((r) => `${r.kind} ${where(r)}`),
    ['helmreleases ceph-csi/ceph-csi-cephfs'],
  );
  const token = annotationsOf(json.plan.requests[0])['reconcile.fluxcd.io/requestedAt'];
  assert.ok(token);
  assert.match(json.message ?? '', /^ceph-csi\/ceph-csi-cephfs Ready: /);
  const hr = await get('helmreleases', 'ceph-csi', 'ceph-csi-cephfs');
  assertPatchedExactly(before, hr, json.plan.requests[0].body);
  assert.equal(hr.status?.lastHandledReconcileAt, token);
  assert.equal(condition(hr, 'Ready')?.status, 'True');
  assert.deepEqual(intent(await get('helmreleases', 'ceph-csi', 'ceph-csi-rbd')), intent(other), 'the other release untouched');
});

test('flux-reconcile-stuck: the chart then the release, each given only the one token', async (t) => {
  if (skipWithoutGo(t)) return;
  await controllersQuiet();
  const chart = await get('helmcharts', 'ceph-csi', 'ceph-csi-ceph-csi-rbd');
  const release = await get('helmreleases', 'ceph-csi', 'ceph-csi-rbd');
  const json = await apply('flux-reconcile-stuck');
  const { requests } = json.plan;
  assert.deepEqual(
    requests.map((r) => `${r.kind} ${where(r)}`),
    ['helmcharts ceph-csi/ceph-csi-ceph-csi-rbd', 'helmreleases ceph-csi/ceph-csi-rbd'],
  );
  const tokens = new Set(requests.map((r) => annotationsOf(r)['reconcile.fluxcd.io/requestedAt']));
  assert.equal(tokens.size, 1, 'one token for the run');
  assert.equal(json.message, '2 objects reconciled: 2 Ready');
  for (const [before, request] of [
    [chart, requests[0]],
    [release, requests[1]],
  ] as const) {
    const now = await get(request.kind, request.namespace, request.name);
    assertPatchedExactly(before, now, request.body);
    assert.equal(now.status?.lastHandledReconcileAt, [...tokens][0], request.name);
  }
  assert.equal(condition(await get('helmreleases', 'ceph-csi', 'ceph-csi-rbd'), 'Ready')?.status, 'True');
});

test('kopia-reclaim: the wrong PVC replaced by one bound (volumeName) to a Retain PV with the saved handle', async (t) => {
  if (skipWithoutGo(t)) return;
  const saved = REBUILD_FACTS.savedVolumeHandle;
  const oldPvc = await get('persistentvolumeclaims', 'default', 'kopia');
  const oldPv = await get('persistentvolumes', undefined, oldPvc.spec.volumeName);
  assert.notEqual(oldPv.spec.csi.volumeHandle, saved, 'the scenario starts on the wrong subvolume');

  const json = await apply('kopia-reclaim');
  const { requests } = json.plan;
  assert.deepEqual(
    requests.map((r) => `${r.verb} ${r.kind} ${r.name}`),
    ['delete persistentvolumeclaims kopia', `create persistentvolumes ${requests[1].name}`, 'create persistentvolumeclaims kopia'],
  );
  assert.ok(
    requests.every((r) => r.name !== oldPv.metadata.name),
    'the old PV is not touched by drdeck',
  );

  const pvc = await get('persistentvolumeclaims', 'default', 'kopia');
  const pv = await get('persistentvolumes', undefined, requests[1].name);
  assert.notEqual(pvc.metadata.uid, oldPvc.metadata.uid, 'a new PVC');
  assert.equal(pvc.spec.volumeName, pv.metadata.name);
  assert.equal(pvc.status?.phase, 'Bound');
  assert.equal(pv.spec.csi.volumeHandle, saved);
  assert.equal(pv.spec.persistentVolumeReclaimPolicy, 'Retain');
  assert.deepEqual([pv.spec.claimRef.namespace, pv.spec.claimRef.name, pv.spec.claimRef.uid], ['default', 'kopia', pvc.metadata.uid]);
  // Exactly what the plan created: each field it set is on the server as sent.
  for (const [request, object] of [
    [requests[1], pv],
    [requests[2], pvc],
  ] as const) {
    const body = request.body as KubeObject;
    for (const [path, value] of patchLeaves({ spec: body.spec, metadata: { labels: body.metadata.labels ?? {} } })) {
      if (path.startsWith('spec.claimRef.')) continue; // the PV controller fills in the claim's uid
      // A PV's storageClassName is a plain string with omitempty: "" reads back as absent.
      const read = valueAt(object, path) ?? (value === '' ? '' : undefined);
      assert.deepEqual(read, value, `${object.kind}: ${path}`);
    }
  }
  assert.equal(
    Object.keys(pvc.metadata.labels ?? {}).some((k) => k.startsWith('kustomize.toolkit.fluxcd.io/')),
    false,
    'no Flux labels',
  );
  assert.equal(json.message, `PVC default/kopia Bound to PV ${pv.metadata.name} with the saved handle`);
});

test('restores-set-copy-method: copyMethod Snapshot on the 8 RDs that lacked it, nothing else of any RD', async (t) => {
  if (skipWithoutGo(t)) return;
  const before = new Map((await admin.list('replicationdestinations', 'default')).items.map((rd) => [rd.metadata.name, rd]));
  const json = await apply('restores-set-copy-method');
  const { requests } = json.plan;
  assert.deepEqual(requests.map((r) => r.name).sort(), REBUILD_FACTS.missingCopyMethod.map((app) => `${app}-dst`).sort());
  for (const request of requests) assert.deepEqual(request.body, { spec: { kopia: { copyMethod: 'Snapshot' } } });
  const afterAll = (await admin.list('replicationdestinations', 'default')).items;
  assert.equal(afterAll.length, 22);
  for (const rd of afterAll) {
    const request = requests.find((r) => r.name === rd.metadata.name);
    if (request) assertPatchedExactly(before.get(rd.metadata.name)!, rd, request.body);
    else assert.deepEqual(intent(rd), intent(before.get(rd.metadata.name)), `${rd.metadata.name} untouched`);
  }
});

test('restores-trigger: one RD without its Secret fails (exit 1); once the Secret exists, all 22 restore', async (t) => {
  if (skipWithoutGo(t)) return;
  const app = REBUILD_FACTS.missingSecret;
  const failed = await apply('restores-trigger', ['--target', `default/${app}-dst`], { code: 1, outcome: 'failed' });
  assert.equal(failed.message, `0 restored, 1 failed: ${app}: secret ${app}-volsync-secret not found`);

  // external-secrets is not simulated: the test syncs the Secret the way it would.
  await admin.create('secrets', {
    metadata: { name: `${app}-volsync-secret`, namespace: 'default' },
    stringData: { KOPIA_PASSWORD: SECRET_VALUE },
  } as KubeObject);
  await controllersQuiet();
  const before = new Map((await admin.list('replicationdestinations', 'default')).items.map((rd) => [rd.metadata.name, rd]));
  const json = await apply('restores-trigger');
  const { requests } = json.plan;
  assert.equal(requests.length, 22);
  assert.equal(json.message, '22 restored');
  const manual = (requests[0].body as { spec: { trigger: { manual: string } } }).spec.trigger.manual;
  assert.match(manual, /^restore-\d{4}-\d\d-\d\dT/);
  for (const rd of await getAll(requests)) {
    assertPatchedExactly(before.get(rd.metadata.name)!, rd, { spec: { trigger: { manual } } });
    assert.equal(rd.status?.lastManualSync, manual, rd.metadata.name);
    assert.equal(rd.status?.latestMoverStatus?.result, 'Successful', rd.metadata.name);
    assert.ok(rd.status?.latestImage?.name, `${rd.metadata.name}: latestImage`);
  }
});

test("restores-recreate: the RD deleted, the simulated Flux applies it again from Git (a new uid, Git's spec)", async (t) => {
  if (skipWithoutGo(t)) return;
  const name = 'sonarr-dst';
  const old = await get('replicationdestinations', 'default', name);
  const ksBefore = await get('kustomizations', 'flux-system', 'sonarr');
  const json = await apply('restores-recreate', ['--target', `default/${name}`]);
  const { requests } = json.plan;
  assert.deepEqual(
    requests.map((r) => `${r.verb} ${r.kind} ${where(r)}`),
    [`delete replicationdestinations default/${name}`, 'patch kustomizations flux-system/sonarr'],
  );
  const rd = await get('replicationdestinations', 'default', name);
  assert.notEqual(rd.metadata.uid, old.metadata.uid, 'a new RD');
  assert.match(json.message ?? '', new RegExp(`^default/${name} recreated by Flux from Git \\(new uid ${rd.metadata.uid}\\)`));
  const git = createRebuildScenario({ t0: Date.now() }).git.find((o) => o.kind === 'replicationdestinations' && o.object.metadata.name === name);
  assert.ok(git, 'Git holds the RD');
  assert.deepEqual(rd.spec, git.object.spec, "the RD as Git has it (Git's trigger, not this run's)");
  assert.deepEqual(rd.metadata.labels, git.object.metadata.labels);
  assertPatchedExactly(ksBefore, await get('kustomizations', 'flux-system', 'sonarr'), requests[1].body);
  // VolSync restores the new RD from Git's trigger; the checks below count it restored.
  await waitFor(
    'the recreated RD restored',
    async () => {
      const now = await get('replicationdestinations', 'default', name);
      return now.status?.lastManualSync === now.spec?.trigger?.manual && now.status?.latestImage;
    },
    30_000,
  );
});

test('gateways-restart-operator: only the restartedAt annotation; the rollout and both Gateways follow', async (t) => {
  if (skipWithoutGo(t)) return;
  const before = await get('deployments', 'kube-system', 'cilium-operator');
  const json = await apply('gateways-restart-operator');
  const [request] = json.plan.requests;
  const restartedAt = (request.body as { spec: { template: { metadata: { annotations: Record<string, string> } } } }).spec.template.metadata.annotations[
    'kubectl.kubernetes.io/restartedAt'
  ];
  assert.match(restartedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, 'RFC 3339 to the second, as kubectl writes it');
  const deployment = await get('deployments', 'kube-system', 'cilium-operator');
  assertPatchedExactly(before, deployment, request.body);
  assert.equal(deployment.metadata.generation, (before.metadata.generation ?? 1) + 1);
  assert.equal(deployment.status?.updatedReplicas, deployment.spec.replicas);
  for (const name of ['gateway-external', 'gateway-internal']) {
    assert.equal(condition(await get('gateways', 'network', name), 'Programmed')?.status, 'True', name);
  }
  assert.match(json.message ?? '', /^kube-system\/cilium-operator restarted \(2\/2 replicas updated and available\); 2\/2 Gateways Programmed/);
});

test('loadbalancers-dual-stack: RequireDualStack and both ipFamilies; LB-IPAM lists both families', async (t) => {
  if (skipWithoutGo(t)) return;
  // Why one Service at a time: default/emby's annotation has no IPv4 address, so a run over all
  // three waits its whole 2-minute timeout for a family that only Git can give it.
  const emby = await get('services', 'default', 'emby');
  for (const ref of ['network/smtp-relay', 'default/mosquitto']) {
    const [namespace, name] = ref.split('/');
    const before = await get('services', namespace, name);
    const json = await apply('loadbalancers-dual-stack', ['--target', ref]);
    assert.deepEqual(
      json.plan.requests.map((r) => r.body),
      [{ spec: { ipFamilyPolicy: 'RequireDualStack', ipFamilies: ['IPv4', 'IPv6'] } }],
    );
    const service = await get('services', namespace, name);
    // The API server allocates the second cluster IP itself: the only other change.
    assertPatchedExactly(before, service, json.plan.requests[0].body, ['spec.clusterIPs']);
    assert.equal(service.spec.clusterIPs[0], before.spec.clusterIP);
    assert.equal(service.spec.clusterIPs.length, 2);
    const ingress = (service.status?.loadBalancer?.ingress ?? []).map((i: { ip: string }) => i.ip);
    assert.ok(ingress.some((ip: string) => ip.includes('.')) && ingress.some((ip: string) => ip.includes(':')), `${ref}: ${ingress.join(', ')}`);
    assert.match(json.message ?? '', /^1\/1 Services list IPv4 and IPv6$/);
  }
  assert.deepEqual(intent(await get('services', 'default', 'emby')), intent(emby), 'emby untouched');
});

test('drdeck check afterwards: the checks the fixes cure pass', async (t) => {
  if (skipWithoutGo(t)) return;
  const dir = env!.cluster.dir;
  const run = await drdeck(['check', '--kubeconfig', env!.cluster.kubeconfig, '--config', join(dir, 'drdeck.yaml'), '--json']);
  const report = JSON.parse(run.stdout) as { checks: Array<{ id: string; status: string; summary: string }> };
  assert.equal(run.code, 1, 'the cures that live in Git (seed issue 4) still fail');
  const status = Object.fromEntries(report.checks.map((c) => [c.id, `${c.status}: ${c.summary}`]));
  const cured = [
    'flux.stuck',
    'kopia.pvc-bound',
    'kopia.volume-handle',
    'kopia.reclaim-policy',
    'kopia.not-flux-managed',
    'restores.copy-method',
    'restores.secrets',
    'restores.progress',
    'restores.count',
    'gateways.programmed',
    'gateways.operator',
    'loadbalancers.status-families',
  ];
  for (const id of cured) assert.match(status[id] ?? 'missing', /^pass: /, id);
  assert.match(status['restores.progress'], /^pass: 22\/22 restored/);
  assert.match(status['flux.immutable-conflict'], /^fail: /, 'a reconcile does not cure what only Git can');
});

test('the audit log: one entry per attempt, every field, and no Secret value', async (t) => {
  if (skipWithoutGo(t)) return;
  const text = readFileSync(audit.file, 'utf8');
  const entries = audit.read();
  // 8 dry runs, 3 refusals, 10 applied runs (trigger twice, dual-stack twice).
  assert.equal(entries.length, 21);
  const lines = text.split('\n').filter(Boolean);
  assert.equal(audit.lines().length, lines.length, 'every line parses');
  for (const e of entries) {
    for (const field of ['time', 'context', 'user', 'fixId', 'targets', 'requests', 'dryRun', 'outcome', 'message'] as const) {
      assert.ok(e[field] !== undefined, `${e.fixId}: ${field}`);
    }
  }
  const applied = entries.filter((e) => e.outcome === 'done' || e.outcome === 'failed');
  assert.deepEqual([...new Set(applied.map((e) => e.fixId))].sort(), [...FIX_IDS].sort(), 'every fix applied once at least');
  assert.equal(text.includes(SECRET_VALUE), false);
  assert.equal(text.includes(Buffer.from(SECRET_VALUE).toString('base64')), false);
});
