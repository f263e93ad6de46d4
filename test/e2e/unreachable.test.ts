/**
 * The API server stops (kube-apiserver killed, etcd left running): drdeck says "cannot reach the API
 * server" with its address, the error and since when — in the header, on every panel, in the next
 * step and in `check --json` — instead of "Flux not deployed yet" and verdicts on missing data; and
 * it goes back to its checks when the server is started again.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startApiServer, stopApiServer } from '../cluster/cluster.js';
import { KIND_KEYS } from '../../src/kinds.js';
import { renderDeck } from '../screens/render.js';
import { CONTRACT_IDS } from '../contract-ids.js';
import { CAN_RUN, liveSession, skipWithoutGo, startE2eCluster, syncExcept, waitFor } from './harness.js';
import { DRDECK_BIN } from '../built-cli.js';
import { PANEL_TITLE_LIST as PANELS, panelTexts } from '../screens/dashboard-text.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

let env: Awaited<ReturnType<typeof startE2eCluster>> | undefined;
before(async () => {
  if (CAN_RUN) env = await startE2eCluster('unreachable');
});
after(async () => {
  await env?.stop();
});

/** Runs the built CLI, as a user would. */
function drdeck(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [DRDECK_BIN, ...args], {
    cwd: root,
    env: { ...process.env, NO_COLOR: '1', XDG_CONFIG_HOME: join(root, '.no-config'), KUBECONFIG: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 60_000,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

test('the API server stops: header, every panel and the next step say "cannot reach the API server"; started again, the checks come back', async (t) => {
  if (skipWithoutGo(t)) return;
  const { cluster } = env!;
  const session = liveSession(cluster.kubeconfig);
  const server = session.kube.server;
  const ui = await renderDeck(session.store, 140, 30);
  let stopped = false;
  try {
    const sync = () => session.store.getState().sync;
    await waitFor(
      'every kind synced',
      () => KIND_KEYS.every((k) => sync()[k].phase === 'synced'),
      20_000,
      () => syncExcept(session, 'synced'),
    );
    await ui.waitFor(/Flux not deployed yet/, 5000);

    await stopApiServer(cluster.dir);
    stopped = true;
    const escaped = server.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    const frame = await ui.waitFor(
      new RegExp(`^drdeck · \\S+ · cannot reach the API server ${escaped}: connection refused \\(since \\d\\d:\\d\\d:\\d\\d\\)`, 'm'),
      30_000,
    );
    t.diagnostic(frame.split('\n').slice(0, 6).join('\n'));
    assert.match(frame, new RegExp(`^Next: reach the API server ${escaped}: is it running\\?`, 'm'));
    const panels = panelTexts(frame);
    assert.deepEqual([...panels.keys()].sort(), [...PANELS].sort());
    for (const [title, text] of panels) assert.match(text, /cannot reach the API server: connection refused \(since \d\d:\d\d:\d\d\)/, `${title}: ${text}`);
    assert.doesNotMatch(frame, /Flux not deployed|Bootstrap Flux|missing/);
    for (const r of Object.values(session.store.getState().results)) {
      assert.equal(r.status, 'unknown', `${r.id}: ${r.summary}`);
      if (r.id !== 'dns.records') assert.match(r.summary, /^cannot reach the API server: connection refused \(since \d\d:\d\d:\d\d\)$/, r.id);
    }

    await startApiServer(cluster.dir);
    stopped = false;
    await waitFor(
      'every kind synced again',
      () => KIND_KEYS.every((k) => sync()[k].phase === 'synced'),
      30_000,
      () => syncExcept(session, 'synced'),
    );
    const back = await ui.waitFor(/Flux not deployed yet/, 10_000);
    assert.doesNotMatch(back, /cannot reach the API server/);
  } finally {
    ui.unmount();
    session.close();
    if (stopped) await startApiServer(cluster.dir);
  }
});

test('check --json on a stopped API server: exit 2, and every check says it cannot reach it', async (t) => {
  if (skipWithoutGo(t)) return;
  const { cluster } = env!;
  await stopApiServer(cluster.dir);
  try {
    const { code, stdout, stderr } = await drdeck(['check', '--kubeconfig', cluster.kubeconfig, '--json', '--timeout', '3']);
    assert.equal(code, 2, stderr);
    assert.equal(stderr.trim().split('\n').length, 1, `one line: ${stderr}`);
    const report = JSON.parse(stdout) as { checks: Array<{ id: string; status: string; summary: string }> };
    assert.deepEqual(
      report.checks.map((c) => c.id),
      CONTRACT_IDS,
    );
    for (const c of report.checks) {
      assert.equal(c.status, 'unknown', c.id);
      // Never reached: there is no "since" of fresh data to give.
      assert.equal(c.summary, 'cannot reach the API server: connection refused', c.id);
    }
  } finally {
    await startApiServer(cluster.dir);
  }
});
