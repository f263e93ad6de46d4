/**
 * Recovery after faults, on the real API server, as an operator sees the dashboard:
 *
 * - the read-only viewer is offered no fix it may not run, and is told each missing permission whole;
 * - a frozen kube-apiserver (SIGSTOP) is noticed within 15 s, keys keep answering meanwhile, and the
 *   panels are fresh again soon after SIGCONT;
 * - the fault test: kube-apiserver restarted 10 times in a row, a change made after each, and every
 *   panel fresh (no stale note, the change on screen) within 5 s of /readyz answering ok, each time.
 *
 * Default watch timings throughout (backoff 1-30 s): shortened ones would hide what this is about.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { after, before, test } from 'node:test';
import { readPids, startApiServer, stopApiServer } from '../cluster/cluster.js';
import { ClusterError, type KubeObject } from '../../src/cluster.js';
import { PANELS } from '../../src/checks/types.js';
import { KIND_KEYS, type KindKey } from '../../src/kinds.js';
import { parseConfig } from '../../src/config/load.js';
import { KubeCluster } from '../../src/k8s/kube-cluster.js';
import { resolveKubeconfig } from '../../src/k8s/kubeconfig.js';
import { startSession } from '../../src/session.js';
import { foldAudit, type AuditRecord } from '../../src/state/audit-log.js';
import { headerStatus, panelSyncNote } from '../../src/store/selectors.js';
import { KEYS, renderDeck } from '../screens/render.js';
import { adminClient, CAN_RUN, createNamespace, liveSession, service, skipWithoutGo, startE2eCluster, syncExcept, waitFor } from './harness.js';
import { panelTexts } from '../screens/dashboard-text.js';

let env: Awaited<ReturnType<typeof startE2eCluster>> | undefined;
before(async () => {
  if (CAN_RUN) env = await startE2eCluster('recovery');
});
after(async () => {
  await env?.stop();
});

/** The watch timings drdeck ships with (the harness's session shortens them otherwise). */
const DEFAULTS = { watch: {} };

const NOT_FRESH = /stale since|connecting|cannot reach|stopped answering|retrying|not installed|forbidden/;

test('the viewer: no fix it may not run is offered, and the missing permission is said whole', async (t) => {
  if (skipWithoutGo(t)) return;
  const { cluster } = env!;
  const admin = adminClient(cluster.kubeconfig);
  await createNamespace(cluster.kubeconfig, 'viewer-fix');
  // An RD without copyMethod: restores-set-copy-method (m) and the others have something to act on.
  await admin.create('replicationdestinations', {
    metadata: { name: 'app-dst', namespace: 'viewer-fix' },
    spec: { trigger: { manual: 'once' }, kopia: { repository: 'app-kopia', capacity: '1Gi' } },
  });
  admin.close();
  // As `drdeck` starts it for the viewer's kubeconfig: fixes on (not --read-only), audited.
  const audit: AuditRecord[] = [];
  const session = startSession({
    cluster: new KubeCluster({ kubeconfig: resolveKubeconfig({ kubeconfig: cluster.viewerKubeconfig }) }),
    resolver: undefined,
    config: parseConfig({}, 'e2e'),
    fixes: { readOnly: false, audit: (entry) => audit.push(entry) },
  });
  const ui = await renderDeck(session.store, 200, 50);
  try {
    await waitFor('every kind synced', () => KIND_KEYS.every((k) => session.store.getState().sync[k].phase === 'synced'), 20_000);
    await waitFor('the access review', () => session.store.getState().fixAccess['restores-set-copy-method'] !== undefined, 20_000);
    assert.deepEqual(session.store.getState().fixAccess['restores-set-copy-method'], {
      allowed: false,
      missing: ['needs patch on replicationdestinations.volsync.backube in viewer-fix'],
    });
    // Restores is the third panel (one order at every size).
    await ui.press('l');
    await ui.press('l');
    let frame = await ui.waitFor('▶ Restores');
    const bar =
      frame
        .split('\n')
        .filter((l) => l.trim())
        .at(-1) ?? '';
    assert.match(bar, /^hjkl move · /, `no fix in the help bar: ${bar}`);
    assert.doesNotMatch(bar, /copyMethod|trigger restores|recreate RD/);

    // Pressed anyway: the key says why.
    await ui.press('m');
    frame = await ui.waitFor('! copyMethod: not allowed:');
    assert.match(
      panelTexts(frame).get('Restores') ?? '',
      /! copyMethod: not allowed: needs patch on replicationdestinations\.volsync\.backube in\s+viewer-fix/,
    );
    await ui.press(KEYS.enter);
    frame = await ui.waitFor(/^ {4}needs patch on replicationdestinations\.volsync\.backube in viewer-fix\s*$/m);
    assert.match(frame, /^! m copyMethod: not allowed:\s*$/m);
    assert.deepEqual(
      foldAudit(audit).map((e) => [e.fixId, e.outcome, e.message]),
      [['restores-set-copy-method', 'refused', 'not allowed: needs patch on replicationdestinations.volsync.backube in viewer-fix']],
      'refused before anything was sent',
    );
  } finally {
    ui.unmount();
    session.close();
  }
});

test('a frozen API server (SIGSTOP): noticed within 15 s while keys keep answering; fresh again soon after SIGCONT', async (t) => {
  if (skipWithoutGo(t)) return;
  const { cluster } = env!;
  const session = liveSession(cluster.kubeconfig, DEFAULTS);
  const ui = await renderDeck(session.store, 120, 40);
  const pid = readPids(cluster.dir)['kube-apiserver']!;
  const loop = monitorEventLoopDelay({ resolution: 20 });
  let stopped = false;
  try {
    const state = () => session.store.getState();
    await waitFor(
      'every kind synced',
      () => KIND_KEYS.every((k) => state().sync[k].phase === 'synced'),
      20_000,
      () => syncExcept(session, 'synced'),
    );
    await ui.waitFor('▶ Flux');
    process.kill(pid, 'SIGSTOP');
    stopped = true;
    const frozeAt = Date.now();
    loop.enable();

    // Keys answer while the server is frozen: every watch hangs, nothing waits on them.
    for (const [key, shown] of [
      ['l', '▶ Kopia'],
      ['h', '▶ Flux'],
      ['?', 'Keys'],
      ['?', '▶ Flux'],
    ] as const) {
      const pressed = Date.now();
      await ui.press(key);
      await ui.waitFor(shown, 5000);
      t.diagnostic(`"${key}" answered in ${Date.now() - pressed} ms`);
      assert.ok(Date.now() - pressed < 2000, `"${key}" took ${Date.now() - pressed} ms`);
    }

    await waitFor('the server said silent', () => state().serverSilentSince !== undefined, 20_000);
    const noticed = Date.now() - frozeAt;
    t.diagnostic(`frozen server noticed after ${noticed} ms`);
    assert.ok(noticed <= 15_000, `noticed after ${noticed} ms`);
    const frame = await ui.waitFor(/stopped answering since \d\d:\d\d:\d\d/, 5000);
    assert.match(frame.split('\n')[0], new RegExp(`the API server ${session.kube.server.replace(/\./g, '\\.')} stopped answering since \\d\\d:\\d\\d:\\d\\d`));
    const panels = panelTexts(frame);
    assert.equal(panels.size, 6);
    for (const [title, text] of panels) assert.match(text, /stopped answering since \d\d:\d\d:\d\d/, title);
    assert.match(frame, /ctrl-r retry/, 'the retry key is in the bar while something waits to retry');

    // Still answering keys after the watches were failed and retried against the frozen server.
    const pressed = Date.now();
    await ui.press('l');
    await ui.waitFor('▶ Kopia', 5000);
    assert.ok(Date.now() - pressed < 2000, `"l" took ${Date.now() - pressed} ms`);
    loop.disable();
    t.diagnostic(`event loop delay while frozen: max ${Math.round(loop.max / 1e6)} ms, p99 ${Math.round(loop.percentile(99) / 1e6)} ms`);
    assert.ok(loop.max / 1e6 < 1000, `the event loop was blocked for ${Math.round(loop.max / 1e6)} ms`);

    process.kill(pid, 'SIGCONT');
    stopped = false;
    const thawedAt = Date.now();
    await waitFor(
      'every panel fresh after SIGCONT',
      () => state().serverSilentSince === undefined && PANELS.every((p) => panelSyncNote(state(), p) === ''),
      30_000,
      () => syncExcept(session, 'synced'),
    );
    t.diagnostic(`fresh ${Date.now() - thawedAt} ms after SIGCONT`);
    assert.ok(
      session.logs.some((l) => l === 'the API server answers again: every watch retries now'),
      session.logs.join('\n'),
    );
  } finally {
    if (stopped) process.kill(pid, 'SIGCONT');
    loop.disable();
    ui.unmount();
    session.close();
  }
});

/** Resolves with the time /readyz first answers "ok" (polled every 100 ms), for the clock of the fault test. */
async function readyzOk(caFile: string, server: string, token: string, timeoutMs = 120_000): Promise<number> {
  const ca = readFileSync(caFile);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const req = request(`${server}/readyz`, { ca, headers: { Authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(1000) }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve(res.statusCode === 200 && body.trim() === 'ok'));
        res.on('error', () => resolve(false));
      });
      req.on('error', () => resolve(false));
      req.end();
    });
    if (ok) return Date.now();
    if (Date.now() > deadline) throw new Error(`/readyz not ok within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Creates an object as kubectl would, asking again while the server says it is starting. */
async function createSoon(admin: ReturnType<typeof adminClient>, kind: KindKey, object: KubeObject): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      await admin.create(kind, object);
      return;
    } catch (error) {
      const starting = error instanceof ClusterError && [429, 503].includes(error.code);
      if (!starting || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

test(
  'the fault test: the API server restarted 10 times in a row; every panel fresh, the change on screen, within 5 s of /readyz ok each time',
  { timeout: 15 * 60_000 },
  async (t) => {
    if (skipWithoutGo(t)) return;
    const { cluster } = env!;
    const admin = adminClient(cluster.kubeconfig);
    await createNamespace(cluster.kubeconfig, 'restarts');
    const session = liveSession(cluster.kubeconfig, DEFAULTS);
    const ui = await renderDeck(session.store, 160, 40);
    const state = () => session.store.getState();
    const fresh = (): string => {
      const s = state();
      const notes = PANELS.map((p) => panelSyncNote(s, p)).filter(Boolean);
      if (notes.length) return `panel notes: ${notes.join(' | ')}`;
      if (/cannot reach|stopped answering/.test(headerStatus(s))) return `header: ${headerStatus(s)}`;
      const panels = panelTexts(ui.lastFrame());
      for (const [title, text] of panels) if (NOT_FRESH.test(text)) return `${title} on screen: ${text}`;
      return '';
    };
    const took: number[] = [];
    try {
      await waitFor(
        'every kind synced',
        () => KIND_KEYS.every((k) => state().sync[k].phase === 'synced'),
        20_000,
        () => syncExcept(session, 'synced'),
      );
      for (let i = 1; i <= 10; i++) {
        await stopApiServer(cluster.dir);
        const ready = readyzOk(cluster.caFile, cluster.server, cluster.state.tokens.admin);
        await startApiServer(cluster.dir);
        const readyAt = await ready;
        // The change, made as soon as the server takes it: one Kustomization more (a CRD: the kinds
        // that stayed stale longest) and one LoadBalancer Service more (a built-in kind).
        await createSoon(admin, 'kustomizations', {
          metadata: { name: `ks-${i}`, namespace: 'restarts' },
          spec: { interval: '10m', path: './apps', prune: true, sourceRef: { kind: 'GitRepository', name: 'flux-system' } },
        });
        const lb = service('restarts', `lb-${i}`);
        lb.spec.type = 'LoadBalancer';
        await createSoon(admin, 'services', lb);
        await waitFor(
          `restart ${i}: every panel fresh and both changes on screen`,
          () => {
            if (fresh()) return false;
            const panels = panelTexts(ui.lastFrame());
            return (
              (panels.get('Flux') ?? '').includes(`0/${i} Ready`) && new RegExp(`\\b${i}/${i} EXTERNAL-IP pending`).test(panels.get('LoadBalancers') ?? '')
            );
          },
          60_000,
          () => `${fresh() || 'fresh'}; Flux: ${panelTexts(ui.lastFrame()).get('Flux')}; LoadBalancers: ${panelTexts(ui.lastFrame()).get('LoadBalancers')}`,
        );
        took.push(Date.now() - readyAt);
        t.diagnostic(`restart ${i}: fresh with the change ${took.at(-1)} ms after /readyz ok`);
      }
    } finally {
      ui.unmount();
      session.close();
      admin.close();
    }
    t.diagnostic(`after each restart, ms from /readyz ok to every panel fresh with the change: ${took.join(', ')}`);
    assert.equal(took.length, 10);
    for (const [i, ms] of took.entries()) assert.ok(ms <= 5000, `restart ${i + 1}: ${ms} ms (all: ${took.join(', ')})`);
  },
);
