/**
 * Kubeconfig exec plugins against the real API server, with fake plugins that count their spawns:
 * a hung plugin cannot keep `drdeck check` alive past its timeout and is left dead; a slow one is
 * spawned once for a cold start; one without an expiry once for a whole check; an expiring one
 * again after its expiry; a failing one is one line and exit 2 at once; after a 401 the credential
 * is fetched once more and the check goes on.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parse, stringify } from 'yaml';
import { KubeCluster } from '../../src/k8s/kube-cluster.js';
import { resolveKubeconfig } from '../../src/k8s/kubeconfig.js';
import { alive, FAKE_SECRET, fakePlugin, killLeftovers, pidsOf, type FakePlugin, type PluginBehaviour } from '../k8s/fake-plugin.js';
import { CAN_RUN, skipWithoutGo, startE2eCluster, waitFor } from './harness.js';
import { runCli } from './run-cli.js';

let env: Awaited<ReturnType<typeof startE2eCluster>> | undefined;
const dir = mkdtempSync(join(tmpdir(), 'drdeck-e2e-exec-'));
const plugins: FakePlugin[] = [];
before(async () => {
  if (CAN_RUN) env = await startE2eCluster('exec');
});
after(async () => {
  killLeftovers(plugins);
  await env?.stop();
});

/** A plugin, and a copy of the admin kubeconfig whose user runs it (and has no token of its own). */
function withPlugin(name: string, behaviour: PluginBehaviour): { plugin: FakePlugin; kubeconfig: string } {
  const plugin = fakePlugin(dir, name, behaviour);
  plugins.push(plugin);
  const config = parse(readFileSync(env!.cluster.kubeconfig, 'utf8')) as { users: Array<{ user: unknown }> };
  for (const u of config.users) u.user = { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: plugin.path, interactiveMode: 'Never' } };
  const kubeconfig = join(dir, `kubeconfig-${name}`);
  writeFileSync(kubeconfig, stringify(config), { mode: 0o600 });
  return { plugin, kubeconfig };
}

const admin = () => env!.cluster.state.tokens.admin;

/** `drdeck check --json` ran: every check has an answer (exit 0 or 1: the empty cluster fails some). */
function assertChecked(run: Awaited<ReturnType<typeof runCli>>): void {
  assert.notEqual(run.code, 2, `the check could not run:\n${run.stderr}`);
  const report = JSON.parse(run.stdout) as { checks: Array<{ status: string }> };
  assert.ok(report.checks.length > 0);
  assert.equal(report.checks.filter((c) => c.status === 'pending').length, 0, 'every input answered');
}

test('a hung exec plugin cannot keep drdeck alive past its timeout, and is left dead', async (t) => {
  if (skipWithoutGo(t)) return;
  // It ignores SIGTERM and keeps a child in its process group: only SIGKILL on the group ends it.
  const { plugin, kubeconfig } = withPlugin('hung', { hang: true, ignoreTerm: true, child: true });
  const config = join(dir, 'drdeck-hung.yaml');
  writeFileSync(config, 'requestTimeoutMs: 2000\n');
  const run = await runCli(['check', '--kubeconfig', kubeconfig, '--config', config, '--timeout', '6']);
  t.diagnostic(`drdeck exited after ${run.exitMs} ms (its output closed after ${run.closeMs} ms); ${plugin.spawns().length} spawns`);
  assert.equal(run.code, 2);
  assert.match(
    run.stderr,
    /^drdeck: no answer from the cluster drdeck-test \(https:\/\/127\.0\.0\.1:\d+\) within 6 s: exec plugin "hung" of user "admin" did not answer within 2 s\n$/,
  );
  // 6 s of waiting, plus start-up and the kill's grace, with room for a busy machine; the point is
  // that it exits at all (it used to stay alive indefinitely).
  assert.ok(run.exitMs < 30_000, `exited after ${run.exitMs} ms`);
  assert.ok(run.closeMs - run.exitMs < 5_000, 'no plugin held its output open');
  // The plugin timed out at 2 s and was run again after the back-off: a handful, not one per request.
  const spawns = plugin.spawns().length;
  assert.ok(spawns >= 1 && spawns <= 3, `${spawns} spawns`);
  const pids = pidsOf(plugin);
  await waitFor(
    'every plugin process gone',
    () => pids.every((pid) => !alive(pid)),
    3_000,
    () => `alive: ${pids.filter(alive).join(', ')}`,
  );
});

test('a slow plugin (2 s) is spawned once for a cold start of every watcher', async (t) => {
  if (skipWithoutGo(t)) return;
  const { plugin, kubeconfig } = withPlugin('slow', { delayMs: 2_000, tokens: [admin()] });
  const run = await runCli(['check', '--kubeconfig', kubeconfig, '--json']);
  assertChecked(run);
  assert.equal(plugin.spawns().length, 1);
});

test('a plugin without an expiry is spawned once for a whole check', async (t) => {
  if (skipWithoutGo(t)) return;
  const { plugin, kubeconfig } = withPlugin('no-expiry', { tokens: [admin()] });
  const run = await runCli(['check', '--kubeconfig', kubeconfig, '--json']);
  t.diagnostic(`check took ${run.exitMs} ms`);
  assertChecked(run);
  assert.equal(plugin.spawns().length, 1);
});

test('an expiring credential is fetched again after its expiry, not before', async (t) => {
  if (skipWithoutGo(t)) return;
  const { plugin, kubeconfig } = withPlugin('expiring', { tokens: [admin()], expiresInMs: 4_000 });
  const kube = new KubeCluster({ kubeconfig: resolveKubeconfig({ kubeconfig }) });
  try {
    let requests = 0;
    await waitFor(
      'the plugin spawned a third time',
      async () => {
        await kube.list('services', 'default');
        requests++;
        return plugin.spawns().length >= 3;
      },
      40_000,
    );
    const at = plugin.spawns().map((s) => s.at);
    t.diagnostic(`${requests} requests, spawns ${at.map((a) => a - at[0]).join(', ')} ms after the first`);
    // A 4 s credential is refreshed a tenth of its life (0.4 s) before it expires.
    for (let i = 1; i < at.length; i++) assert.ok(at[i] - at[i - 1] >= 3_000, `spawn ${i + 1} came ${at[i] - at[i - 1]} ms after the one before`);
  } finally {
    kube.close();
  }
});

test('a failing plugin: one line naming it and its message, exit 2 at once', async (t) => {
  if (skipWithoutGo(t)) return;
  const { plugin, kubeconfig } = withPlugin('failing', { fail: { code: 1, stderr: 'error: the refresh token has expired, run kubelogin\nmore details\n' } });
  const run = await runCli(['check', '--kubeconfig', kubeconfig, '--timeout', '60']);
  t.diagnostic(`exit ${run.code} after ${run.exitMs} ms; ${plugin.spawns().length} spawns`);
  assert.equal(run.code, 2);
  assert.equal(run.stdout, '');
  assert.equal(run.stderr, 'drdeck: exec plugin "failing" of user "admin" failed (exit 1): error: the refresh token has expired, run kubelogin\n');
  assert.equal(run.stderr.includes(FAKE_SECRET), false, "the plugin's stdout is never shown");
  assert.ok(run.exitMs < 30_000, `well under its 60 s timeout: ${run.exitMs} ms`);
  assert.equal(plugin.spawns().length, 1, 'a failure is kept for a back-off, not retried by every watcher');
});

test('a 401: the credential is dropped, fetched once more, and the check goes on', async (t) => {
  if (skipWithoutGo(t)) return;
  const { plugin, kubeconfig } = withPlugin('refresh', { tokens: ['not-a-valid-token', admin()] });
  const run = await runCli(['check', '--kubeconfig', kubeconfig, '--json']);
  assertChecked(run);
  assert.equal(plugin.spawns().length, 2);
});
