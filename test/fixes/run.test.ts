/**
 * Every fix run against the demo cluster, whose simulated controllers (Flux, VolSync, the PV
 * controller, Cilium's operator, LB-IPAM) react to the requests the way the real ones do. Each test
 * gets a fresh demo at the start of the rebuild scenario; scenario time moves only while a fix waits.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { REBUILD_FACTS } from '../../src/sim/index.js';
import { getObject } from '../../src/checks/util.js';
import type { Cluster } from '../../src/cluster.js';
import { ALL_FIXES, dryRunPlan, fixById, isPlan } from '../../src/fixes/index.js';
import { applyFix, prepareFix, type FixHost, type Prepared, type RunningAttempt } from '../../src/fixes/runner.js';
import { foldAudit, type AuditOutcome, type AuditRecord } from '../../src/state/audit-log.js';
import { parseConfig } from '../../src/config/load.js';
import { startSession, waitForSync } from '../../src/session.js';
import { createDemoCluster } from '../../src/sim/index.js';
import { demoRun, type DemoRun } from './run-context.js';

const MINUTE = 60_000;

async function withDemo(fn: (demo: Awaited<ReturnType<typeof demoRun>>) => Promise<void>): Promise<void> {
  const demo = await demoRun();
  try {
    await fn(demo);
  } finally {
    demo.close();
  }
}

const result = (demo: Awaited<ReturnType<typeof demoRun>>, id: string) => demo.store.getState().results[id];

test('flux-reconcile with its source: the HelmChart first, then the stuck HelmRelease turns Ready', () =>
  withDemo(async (demo) => {
    const { plan, outcome } = await demo.run('flux-reconcile', { withSource: true, force: true });
    assert.deepEqual(
      demo.sent.map((r) => `${r.kind} ${r.namespace}/${r.name}`),
      ['helmcharts ceph-csi/ceph-csi-ceph-csi-cephfs', 'helmreleases ceph-csi/ceph-csi-cephfs'],
    );
    assert.equal(outcome.ok, true, outcome.message);
    assert.match(outcome.message, /^ceph-csi\/ceph-csi-cephfs Ready: /);
    const hr = getObject(demo.snapshot(), 'helmreleases', 'ceph-csi', 'ceph-csi-cephfs');
    assert.equal(hr?.status?.lastHandledReconcileAt, plan.token);
    assert.equal(hr?.status?.lastHandledForceAt, plan.token);
    // The other one was not touched and is still stuck.
    assert.match(result(demo, 'flux.stuck').summary, /ceph-csi\/ceph-csi-rbd/);
  }));

test('flux-reconcile-stuck: charts then releases, all Ready; the Git-cured Kustomizations left alone', () =>
  withDemo(async (demo) => {
    const { plan, outcome } = await demo.run('flux-reconcile-stuck');
    assert.deepEqual(
      plan.requests.map((r) => r.kind),
      ['helmcharts', 'helmcharts', 'helmreleases', 'helmreleases'],
    );
    assert.match(plan.warnings[0], /^skipping 22 objects failing on an immutable field/);
    assert.equal(outcome.ok, true, outcome.message);
    assert.equal(outcome.message, '4 objects reconciled: 4 Ready');
    assert.equal(result(demo, 'flux.stuck').status, 'pass', result(demo, 'flux.stuck').summary);
    // The app Kustomizations still fail: their cure is in Git.
    assert.equal(result(demo, 'flux.immutable-conflict').status, 'fail');
  }));

test('kopia-reclaim: the wrong PVC deleted, a PV with the saved handle, the PVC Bound to it', () =>
  withDemo(async (demo) => {
    const { plan, outcome } = await demo.run('kopia-reclaim');
    assert.deepEqual(plan.confirm, { kind: 'type', text: 'kopia' });
    assert.deepEqual(
      demo.sent.map((r) => `${r.verb} ${r.kind} ${r.name}`),
      ['delete persistentvolumeclaims kopia', 'create persistentvolumes kopia-c2d9e0f4', 'create persistentvolumeclaims kopia'],
    );
    assert.equal(outcome.ok, true, outcome.message);
    assert.equal(outcome.message, 'PVC default/kopia Bound to PV kopia-c2d9e0f4 with the saved handle');
    for (const id of ['kopia.pvc-bound', 'kopia.volume-handle', 'kopia.reclaim-policy', 'kopia.not-flux-managed']) {
      assert.equal(result(demo, id).status, 'pass', `${id}: ${result(demo, id).summary}`);
    }
    // Nothing more to do: the fix is no longer offered.
    const fix = fixById('kopia-reclaim')!;
    assert.deepEqual(fix.targets(demo.snapshot(), demo.store.getState().config), []);
    assert.equal(getObject(demo.snapshot(), 'persistentvolumes', undefined, 'kopia-c2d9e0f4')?.spec?.csi?.volumeHandle, REBUILD_FACTS.savedVolumeHandle);
  }));

test('kopia-reclaim: a PVC recreated (a new uid) after the plan is not deleted; the outcome says why, nothing else is sent', () =>
  withDemo(async (demo) => {
    await demo.settle();
    const fix = fixById('kopia-reclaim')!;
    const config = demo.store.getState().config;
    const plan = fix.plan(demo.snapshot(), config, { token: 't' });
    assert.ok(isPlan(plan));
    const planned = getObject(demo.snapshot(), 'persistentvolumeclaims', 'default', 'kopia')!;
    // While the operator reads the confirm screen, Flux deletes the PVC and applies it again from Git.
    const { cluster } = demo.demo;
    const current = cluster.peek('persistentvolumeclaims', 'default', 'kopia')!;
    cluster.deleteNow('persistentvolumeclaims', 'default', 'kopia');
    const { name, namespace, labels, annotations } = current.metadata;
    const again = cluster.createNow('persistentvolumeclaims', { metadata: { name, namespace, labels, annotations }, spec: current.spec });
    assert.notEqual(again.metadata.uid, planned.metadata.uid);

    const outcome = await fix.run(plan, demo.context, config);
    assert.equal(outcome.ok, false);
    assert.equal(
      outcome.message,
      `the PVC default/kopia changed since you confirmed (deleted and created again: uid ${planned.metadata.uid} as planned, now ${again.metadata.uid}): nothing was deleted; look again`,
    );
    assert.deepEqual(
      demo.sent.map((r) => `${r.verb} ${r.kind} ${r.name}`),
      ['delete persistentvolumeclaims kopia'],
      'nothing is sent after the refused delete',
    );
    await demo.settle();
    assert.equal(cluster.peek('persistentvolumeclaims', 'default', 'kopia')?.metadata.uid, again.metadata.uid, 'the new PVC is still there');
    assert.equal(getObject(demo.snapshot(), 'persistentvolumes', undefined, 'kopia-c2d9e0f4'), undefined, 'no PV created');
  }));

test('kopia-reclaim: a PVC changed (same uid) after the plan is not deleted either; its dry run now says so', () =>
  withDemo(async (demo) => {
    await demo.settle();
    const fix = fixById('kopia-reclaim')!;
    const config = demo.store.getState().config;
    const plan = fix.plan(demo.snapshot(), config, { token: 't' });
    assert.ok(isPlan(plan));
    const planned = getObject(demo.snapshot(), 'persistentvolumeclaims', 'default', 'kopia')!;
    assert.deepEqual(
      (await dryRunPlan(demo.demo.cluster, plan)).map((r) => r.error),
      [undefined, undefined, undefined],
      'admitted as planned',
    );
    const changed = demo.demo.cluster.patchNow('persistentvolumeclaims', 'default', 'kopia', { metadata: { labels: { touched: 'yes' } } }, 'merge');
    const [deleteRun] = await dryRunPlan(demo.demo.cluster, plan);
    assert.equal(
      deleteRun.error,
      `Operation cannot be fulfilled on PersistentVolumeClaim "kopia": the ResourceVersion in the precondition (${planned.metadata.resourceVersion}) does not match the ResourceVersion in record (${changed.metadata.resourceVersion}). The object might have been modified`,
      "the API server's words",
    );
    const outcome = await fix.run(plan, demo.context, config);
    assert.equal(
      outcome.message,
      `the PVC default/kopia changed since you confirmed (modified: uid ${planned.metadata.uid} at resourceVersion ${planned.metadata.resourceVersion} as planned, now ${changed.metadata.resourceVersion}): nothing was deleted; look again`,
    );
    assert.equal(demo.demo.cluster.peek('persistentvolumeclaims', 'default', 'kopia')?.metadata.uid, planned.metadata.uid, 'still there');
  }));

test('restores-set-copy-method: the 8 RDs get copyMethod Snapshot and VolSync drops its error', () =>
  withDemo(async (demo) => {
    const { outcome } = await demo.run('restores-set-copy-method');
    assert.equal(outcome.ok, true, outcome.message);
    assert.match(outcome.message, /^copyMethod: Snapshot on 8\/8 RDs; next: trigger their restores; change Git too$/);
    assert.equal(result(demo, 'restores.copy-method').status, 'pass');
  }));

test('restores-trigger before the Secret of thelounge exists: 21 restored, thelounge held and never sent (not failed)', () =>
  withDemo(async (demo) => {
    assert.equal((await demo.run('kopia-reclaim')).outcome.ok, true);
    assert.equal((await demo.run('restores-set-copy-method')).outcome.ok, true);
    const { plan, outcome, elapsedMs } = await demo.run('restores-trigger');
    assert.equal(plan.requests.length, 22, 'the held one is planned (shown, dry-run, audited) too');
    assert.deepEqual(
      plan.held?.map((h) => h.name),
      ['thelounge-dst'],
    );
    assert.equal(new Set(plan.requests.map((r) => JSON.stringify(r.body))).size, 1, 'one token for the run');
    assert.ok(!demo.sent.some((r) => r.name === 'thelounge-dst' && (r.body as { spec?: { trigger?: unknown } })?.spec?.trigger), 'thelounge was not sent');
    assert.equal(outcome.ok, false);
    assert.equal(
      outcome.message,
      '21 restored, 1 still held, never triggered: thelounge (Secret thelounge-volsync-secret not found (ExternalSecret not synced yet?))',
    );
    assert.ok(elapsedMs <= 20 * MINUTE, `took ${elapsedMs / MINUTE} min`);
    // Not failed: its restore was never started, so it is still there to trigger once the Secret exists.
    assert.match(result(demo, 'restores.progress').summary, /^21\/22 restored: 1 not triggered$/);
    assert.ok(
      demo.progress.some((line) => /^\d+\/21 restored, \d+ failed, \d+ running, 1 held$/.test(line)),
      demo.progress.join('\n'),
    );
  }));

test('restores-trigger: thelounge held, then triggered as soon as external-secrets creates its Secret: 22 restored', () =>
  withDemo(async (demo) => {
    assert.equal((await demo.run('kopia-reclaim')).outcome.ok, true);
    assert.equal((await demo.run('restores-set-copy-method')).outcome.ok, true);
    // A restore takes at least 2 scenario minutes: triggered 90 s before external-secrets syncs the
    // Secret, the others are still restoring when it appears.
    await demo.advance(demo.demo.scenario.t0 + REBUILD_FACTS.missingSecretAt - 90_000 - demo.demo.clock.now());
    assert.equal(getObject(demo.snapshot(), 'secrets', 'default', 'thelounge-volsync-secret'), undefined, 'no Secret yet');
    const { plan, outcome } = await demo.run('restores-trigger');
    assert.deepEqual(
      plan.held?.map((h) => h.name),
      ['thelounge-dst'],
    );
    assert.equal(outcome.ok, true, outcome.message);
    assert.equal(outcome.message, '22 restored, triggered late, once their Secret appeared: thelounge');
    const triggered = demo.sent.filter((r) => (r.body as { spec?: { trigger?: unknown } })?.spec?.trigger !== undefined);
    assert.equal(triggered.length, 22);
    assert.equal(triggered.at(-1)?.name, 'thelounge-dst', 'thelounge last, once its Secret was there');
    assert.ok(
      outcome.details?.some((l) => /^default\/thelounge-dst: done \(triggered late\): restored to thelounge-dst-\d+$/.test(l)),
      outcome.details?.join('\n'),
    );
    assert.equal(getObject(demo.snapshot(), 'replicationdestinations', 'default', 'thelounge-dst')?.spec?.trigger?.manual, plan.token);
    assert.equal(result(demo, 'restores.progress').status, 'pass', result(demo, 'restores.progress').summary);
  }));

test('restores-trigger --target on a held RD: sent at once, with a warning, and fails on the missing Secret', () =>
  withDemo(async (demo) => {
    assert.equal((await demo.run('kopia-reclaim')).outcome.ok, true);
    const { plan, outcome } = await demo.run('restores-trigger', { target: 'default/thelounge-dst' });
    assert.match(plan.warnings.join('\n'), /default\/thelounge-dst: Secret thelounge-volsync-secret not found .*triggered anyway, as asked/);
    assert.equal(outcome.ok, false);
    assert.equal(outcome.message, '0 restored, 1 failed: thelounge: secret thelounge-volsync-secret not found');
  }));

test('restores-trigger without the reclaim: the mover finds no snapshots (seed issue 2)', () =>
  withDemo(async (demo) => {
    const { plan, outcome } = await demo.run('restores-trigger', { target: 'default/plex-dst' });
    assert.match(plan.warnings.join('\n'), /the Kopia repository PVC default\/kopia is not bound to the subvolume saved in Git/);
    assert.equal(outcome.ok, false);
    assert.match(outcome.message, /^0 restored, 1 failed: plex: mover failed: No snapshots found for plex-src@default$/);
  }));

test('restores-recreate: the RD is deleted; recreated by Flux, or said plainly that it was not', () =>
  withDemo(async (demo) => {
    const { plan, outcome } = await demo.run('restores-recreate', { target: 'default/sonarr-dst' });
    assert.deepEqual(plan.confirm, { kind: 'type', text: 'sonarr-dst' });
    assert.deepEqual(
      demo.sent.map((r) => `${r.verb} ${r.kind} ${r.name}`),
      ['delete replicationdestinations sonarr-dst', 'patch kustomizations sonarr'],
    );
    // The simulated Flux applies the RD again from Git, where the template has copyMethod: Snapshot.
    assert.equal(outcome.ok, true, outcome.message);
    assert.match(outcome.message, /^default\/sonarr-dst recreated by Flux from Git \(new uid \S+\)/);
    assert.equal(getObject(demo.snapshot(), 'replicationdestinations', 'default', 'sonarr-dst')?.spec?.kopia?.copyMethod, 'Snapshot');
  }));

test('gateways-restart-operator: the rollout followed to the end, then both Gateways Programmed', () =>
  withDemo(async (demo) => {
    const { plan, outcome } = await demo.run('gateways-restart-operator');
    assert.equal(outcome.ok, true, outcome.message);
    assert.match(
      outcome.message,
      /^kube-system\/cilium-operator restarted \(2\/2 replicas updated and available\); 2\/2 Gateways Programmed: network\/gateway-external \S+/,
    );
    const d = getObject(demo.snapshot(), 'deployments', 'kube-system', 'cilium-operator');
    assert.equal(d?.spec?.template?.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt'], plan.token);
    assert.ok(
      demo.progress.some((l) => /old replicas pending termination|new replicas updated|updated replicas available/.test(l)),
      demo.progress.join('\n'),
    );
    assert.equal(result(demo, 'gateways.programmed').status, 'pass', result(demo, 'gateways.programmed').summary);
  }));

test('loadbalancers-dual-stack: both families for the Services whose annotation has both; emby waits for Git', () =>
  withDemo(async (demo) => {
    const { outcome } = await demo.run('loadbalancers-dual-stack');
    assert.equal(outcome.ok, false);
    assert.match(outcome.message, /^2\/3 Services list IPv4 and IPv6; not yet: default\/emby: \S+ \(see the annotation in Git\)$/);
    assert.ok(
      outcome.details?.some((l) => /^network\/smtp-relay: 10\.101\.27\.122, fd00:101::1b:122$/.test(l)),
      outcome.details?.join('\n'),
    );
  }));

test('a request the cluster refuses ends the run with its error, not an exception', () =>
  withDemo(async (demo) => {
    const fix = fixById('restores-set-copy-method')!;
    const config = demo.store.getState().config;
    await demo.settle();
    const plan = fix.plan(demo.snapshot(), config, { token: 't' });
    assert.ok(isPlan(plan));
    await demo.demo.cluster.delete('replicationdestinations', 'default', 'atuin-dst');
    const outcome = await fix.run(plan, demo.context, config);
    assert.equal(outcome.ok, false);
    assert.match(outcome.message, /^copyMethod: Snapshot on 7\/8 RDs; 1 failed: default\/atuin-dst: .*not found/);
  }));

test("a dry run of every plan on the demo is admitted and changes nothing (the reclaim's create-after-delete expected)", () =>
  withDemo(async (demo) => {
    await demo.settle();
    const config = demo.store.getState().config;
    const before = demo.demo.cluster.resourceVersion;
    for (const fix of ALL_FIXES) {
      const plan = fix.plan(demo.snapshot(), config, { token: 'dry', withSource: true, force: true });
      if (!isPlan(plan)) continue;
      const results = await dryRunPlan(demo.demo.cluster, plan);
      for (const r of results) assert.equal(r.error, undefined, `${fix.id}: ${r.request.summary}: ${r.error}`);
      if (fix.id === 'kopia-reclaim')
        assert.deepEqual(
          results.map((r) => r.note),
          [undefined, undefined, 'exists until the delete before it runs'],
        );
    }
    assert.equal(demo.demo.cluster.resourceVersion, before, 'a dry run writes nothing');
  }));

/**
 * The runner on the demo with its audit sink: the records as written, and which records the log
 * held at the moment each write (not a dry run) reached the cluster.
 */
function audited(demo: DemoRun, audit: (record: AuditRecord) => void = () => {}) {
  const records: AuditRecord[] = [];
  const atWrite: string[] = [];
  const real = demo.demo.cluster;
  const seen = (options?: { dryRun?: boolean }) => {
    if (!options?.dryRun) atWrite.push(records.map((r) => r.record).join(' '));
  };
  const cluster: Cluster = {
    name: real.name,
    user: real.user,
    now: () => real.now(),
    list: (kind, namespace) => real.list(kind, namespace),
    get: (kind, namespace, name) => real.get(kind, namespace, name),
    create: (kind, object, options) => (seen(options), real.create(kind, object, options)),
    patch: (kind, namespace, name, patch, type, options) => (seen(options), real.patch(kind, namespace, name, patch, type, options)),
    delete: (kind, namespace, name, options) => (seen(options), real.delete(kind, namespace, name, options)),
    feed: (kinds, sink) => real.feed(kinds, sink),
    access: (verb, kind, namespace, subresource) => real.access(verb, kind, namespace, subresource),
    close: () => {},
  };
  const host: FixHost = {
    cluster,
    config: demo.store.getState().config,
    readOnly: false,
    snapshot: demo.snapshot,
    waitFor: (what, timeoutMs, done) => demo.context.waitFor(what, timeoutMs, done),
    audit: (record) => {
      audit(record);
      records.push(record);
    },
    progress: (line) => demo.progress.push(line),
  };
  async function prepare(id: string, target?: string): Promise<Prepared> {
    await demo.settle();
    const prepared = await prepareFix(host, fixById(id)!, { token: `t-${demo.demo.clock.now()}`, now: demo.demo.clock.now(), target });
    if (prepared.refused) throw new Error(`${id} refused: ${prepared.message}`);
    return prepared;
  }
  return { host, records, atWrite, prepare };
}

const kinds = (records: readonly AuditRecord[]) => records.map((r) => r.record);
const outcomeOf = (records: readonly AuditRecord[]) => records.filter((r): r is AuditOutcome => r.record === 'outcome');

test('audit: the intent before the first request, each request as it lands, then the outcome with what was sent and followed', () =>
  withDemo(async (demo) => {
    const { host, records, atWrite, prepare } = audited(demo);
    const prepared = await prepare('restores-set-copy-method');
    const outcome = await applyFix(host, prepared);
    assert.equal(outcome.ok, true, outcome.message);
    // At each write the log held the intent and every request before it: none is sent unrecorded.
    assert.deepEqual(
      atWrite,
      Array.from({ length: 8 }, (_, i) => ['intent', ...Array<string>(i).fill('request')].join(' ')),
    );
    assert.deepEqual(kinds(records), ['intent', ...Array<string>(8).fill('request'), 'outcome']);
    assert.equal(new Set(records.map((r) => r.attempt)).size, 1, 'one attempt id');
    const [intent] = records;
    assert.ok(intent.record === 'intent');
    assert.deepEqual(
      [intent.fixId, intent.context, intent.user, intent.dryRun, intent.requests.length],
      ['restores-set-copy-method', 'demo', 'demo-operator', 'ok', 8],
    );
    const [end] = outcomeOf(records);
    assert.equal(end.outcome, 'done');
    assert.equal(end.message, outcome.message);
    assert.deepEqual(
      end.sent,
      prepared.plan.requests.map((r) => `patch replicationdestinations default/${r.name}`),
    );
    assert.ok(end.details?.length, 'the follow-up of each object');
    assert.ok(demo.progress.includes('sent 1/8: patch replicationdestinations default/atuin-dst'), demo.progress.join('\n'));
    assert.ok(demo.progress.includes('sent 8/8: patch replicationdestinations default/tautulli-dst'), demo.progress.join('\n'));

    const [entry] = foldAudit(records);
    assert.deepEqual([entry.outcome, entry.sent?.length, entry.sent?.every((s) => s.ok), entry.requests.length], ['done', 8, true, 8]);
  }));

test('audit: a request the server refuses is recorded with its error as it lands', () =>
  withDemo(async (demo) => {
    const { host, records, prepare } = audited(demo);
    const prepared = await prepare('restores-set-copy-method');
    await demo.demo.cluster.delete('replicationdestinations', 'default', 'atuin-dst');
    const outcome = await applyFix(host, prepared);
    assert.equal(outcome.ok, false);
    const first = records[1];
    assert.ok(first.record === 'request');
    assert.deepEqual([first.name, first.ok], ['atuin-dst', false]);
    assert.match(first.error ?? '', /not found/);
    const [end] = outcomeOf(records);
    assert.equal(end.outcome, 'failed');
    assert.equal(end.sent.length, 7);
    assert.match(end.rejected?.[0] ?? '', /^patch replicationdestinations default\/atuin-dst: .*not found/);
    assert.match(demo.progress.find((l) => l.startsWith('rejected')) ?? '', /^rejected 1\/8: patch replicationdestinations default\/atuin-dst: .*not found/);
  }));

test('audit: interrupted after the first request landed, the outcome names it, and nothing more is sent', () =>
  withDemo(async (demo) => {
    let attempt: RunningAttempt | undefined;
    let said: string | undefined;
    const { host, records, atWrite, prepare } = audited(demo, (record) => {
      // Interrupted the moment the first request's record is written, as a signal would.
      if (record.record === 'request' && !said) queueMicrotask(() => (said = attempt?.interrupt('SIGHUP')));
    });
    const prepared = await prepare('restores-trigger');
    assert.equal(prepared.plan.requests.length, 14, '13 now and thelounge held');
    const outcome = await applyFix(host, prepared, (started) => (attempt = started));
    assert.equal(said, 'interrupted (SIGHUP): 1 of 14 requests sent; its effect was not followed to the end');
    assert.match(outcome.message, /^interrupted \(SIGHUP\): /);
    assert.equal(outcome.ok, false);
    assert.equal(atWrite.length, 1, 'one request went out');
    assert.deepEqual(kinds(records), ['intent', 'request', 'outcome'], 'one outcome: the run ending later writes none');
    const [end] = outcomeOf(records);
    assert.deepEqual([end.outcome, end.reason, end.sent], ['interrupted', 'SIGHUP', ['patch replicationdestinations default/autobrr-dst']]);
    // The cluster agrees with the audit: only the one RD has this run's token.
    const triggered = demo.demo.cluster
      .list('replicationdestinations', 'default')
      .then(({ items }) => items.filter((rd) => rd.spec?.trigger?.manual === prepared.plan.token).map((rd) => rd.metadata.name));
    assert.deepEqual(await triggered, ['autobrr-dst']);
    assert.equal(attempt?.interrupt('SIGTERM'), undefined, 'once only');
  }));

test('audit: when the intent cannot be written, nothing is sent', () =>
  withDemo(async (demo) => {
    const { host, atWrite, prepare } = audited(demo, (record) => {
      if (record.record === 'intent' && atWrite.length === 0) throw new Error('ENOSPC: no space left on device');
    });
    // The dry run's own records (none: it sends nothing) aside, the apply is refused at its intent.
    const prepared = await prepare('restores-set-copy-method');
    const outcome = await applyFix(host, prepared);
    assert.deepEqual(outcome, { ok: false, message: 'cannot write the audit log (ENOSPC: no space left on device): nothing was sent' });
    assert.deepEqual(atWrite, []);
  }));

/** The store as the dashboard drives it, on the demo with a frozen clock: a fix follows its effect until stopped. */
async function deckWithFixes() {
  const demo = createDemoCluster({ manual: true });
  const records: AuditRecord[] = [];
  const session = startSession({
    cluster: demo.cluster,
    resolver: demo.dns,
    router: demo.router,
    config: parseConfig(demo.config, 'demo'),
    flushMs: 5,
    fixes: { readOnly: false, audit: (record) => records.push(record) },
  });
  await waitForSync(session, 10_000);
  session.buffer.flush();
  return { store: session.store, records, close: () => session.close() };
}

test('interruptFixes: a confirm screen open is recorded as interrupted before it was confirmed, nothing sent', async () => {
  const { store, records, close } = await deckWithFixes();
  try {
    await store.getState().requestFix('restores-set-copy-method');
    assert.equal(store.getState().confirming?.fixId, 'restores-set-copy-method');
    assert.deepEqual(store.getState().interruptFixes('SIGTERM'), ['restores-set-copy-method: interrupted (SIGTERM) before it was confirmed: nothing was sent']);
    assert.equal(store.getState().confirming, null);
    assert.equal(store.getState().fixes['restores-set-copy-method']?.phase, 'cancelled');
    assert.deepEqual(kinds(records), ['intent', 'outcome']);
    const [entry] = foldAudit(records);
    assert.deepEqual([entry.outcome, entry.reason, entry.sent], ['interrupted', 'SIGTERM', []]);
  } finally {
    close();
  }
});

test(
  'interruptFixes: a fix following its effect is recorded as interrupted and lets go at once (quitting does not wait for its timeout)',
  { timeout: 60_000 },
  async () => {
    const { store, records, close } = await deckWithFixes();
    try {
      await store.getState().requestFix('restores-trigger');
      // The scenario's clock stands still: the restores never finish, the run follows them until stopped.
      const running = store.getState().confirmFix();
      for (let i = 0; store.getState().fixes['restores-trigger']?.message !== '0/13 restored, 0 failed, 0 running, 1 held'; i++) {
        assert.ok(i < 1000, `still: ${store.getState().fixes['restores-trigger']?.message}`);
        await new Promise((r) => setTimeout(r, 10));
      }
      const [line] = store.getState().interruptFixes('quit');
      assert.equal(line, 'restores-trigger: interrupted (quit): 13 of 14 requests sent; its effect was not followed to the end');
      await running;
      const activity = store.getState().fixes['restores-trigger'];
      assert.deepEqual([activity?.phase, activity?.message], ['failed', line.replace('restores-trigger: ', '')]);
      assert.deepEqual(kinds(records), ['intent', ...Array<string>(13).fill('request'), 'outcome']);
      assert.deepEqual(store.getState().interruptFixes('SIGHUP'), [], 'nothing left to interrupt');
    } finally {
      close();
    }
  },
);
