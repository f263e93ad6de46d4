/**
 * `drdeck check` on a real cluster, run as a user runs it: on an empty cluster it answers every
 * check; on an unreachable one or a bad kubeconfig it exits 2 with one line; for a user who may
 * read nothing it decides nothing, and says so with exit 3 (never 0).
 */
import { ALL_CHECKS } from '../../src/checks/index.js';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CoreV1Api } from '@kubernetes/client-node';
import { apiClient } from '../cluster/client.js';
import { CAN_RUN, kubeconfigVariant, skipWithoutGo, startE2eCluster } from './harness.js';
import { CONTRACT_IDS } from '../contract-ids.js';
import { DRDECK_BIN } from '../built-cli.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

let env: Awaited<ReturnType<typeof startE2eCluster>> | undefined;
before(async () => {
  if (CAN_RUN) env = await startE2eCluster('check');
});
after(async () => {
  await env?.stop();
});

const CLI = [process.execPath, DRDECK_BIN];

/**
 * Runs the built CLI (asynchronously: the test cluster's helpers share this event loop).
 * With `terminal`, under script(1): stdin and stdout a terminal, as the dashboard needs, and
 * stderr in `stdout` with it.
 */
function drdeck(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  { terminal = false } = {},
): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  const started = Date.now();
  const command = terminal ? ['script', '-qec', [...CLI, ...args].map((a) => `'${a}'`).join(' '), '/dev/null'] : [...CLI, ...args];
  const child = spawn(command[0], command.slice(1), {
    cwd: root,
    env: { ...process.env, NO_COLOR: '1', XDG_CONFIG_HOME: join(root, '.no-config'), KUBECONFIG: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 60_000,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  return new Promise((resolve) =>
    child.on('close', (code) => resolve({ code, stdout: terminal ? stdout.replace(/\r\n/g, '\n') : stdout, stderr, ms: Date.now() - started })),
  );
}

test('check --kubeconfig --json on an empty cluster answers every check', async (t) => {
  if (skipWithoutGo(t)) return;
  const { code, stdout, stderr, ms } = await drdeck(['check', '--kubeconfig', env!.cluster.kubeconfig, '--json']);
  t.diagnostic(`drdeck check on the empty cluster took ${ms} ms`);
  assert.equal(code, 1, `exit 1: the rebuild has not started, so checks fail\n${stderr}`);
  const report = JSON.parse(stdout) as { checks: Array<{ id: string; status: string; summary: string }> };
  assert.deepEqual(
    report.checks.map((c) => c.id),
    CONTRACT_IDS,
  );
  assert.equal(report.checks.filter((c) => c.status === 'pending').length, 0, 'every input answered');
  const dns = report.checks.find((c) => c.id === 'dns.records');
  assert.deepEqual([dns?.status, dns?.summary], ['unknown', 'no resolver configured (dns.servers)']);
});

test('the same through KUBECONFIG and --context; the viewer may run it too', async (t) => {
  if (skipWithoutGo(t)) return;
  const { cluster } = env!;
  const { code, stdout } = await drdeck(['check', '--context', 'drdeck-test-viewer', '--json'], {
    KUBECONFIG: `${cluster.kubeconfig}:${cluster.viewerKubeconfig}`,
  });
  assert.equal(code, 1);
  assert.equal((JSON.parse(stdout) as { checks: unknown[] }).checks.length, ALL_CHECKS.length);
});

test('check on a cluster that does not answer exits 2 with one line, within --timeout', async (t) => {
  if (skipWithoutGo(t)) return;
  const { cluster } = env!;
  // Port 1 on loopback: nobody listens, the connection is refused.
  const kubeconfig = kubeconfigVariant(cluster.kubeconfig, join(cluster.dir, 'kubeconfig-nowhere'), { server: 'https://127.0.0.1:1' });
  const { code, stdout, stderr, ms } = await drdeck(['check', '--kubeconfig', kubeconfig, '--timeout', '2']);
  assert.equal(code, 2);
  assert.equal(stdout, '');
  // A refused connection is known at the first request: said at once, not after --timeout.
  assert.equal(stderr, 'drdeck: cannot reach the API server of drdeck-test: connection refused by 127.0.0.1:1\n');
  assert.ok(ms < 25_000, `took ${ms} ms`);
});

test('kubeconfig mistakes are one line and exit 2', async (t) => {
  if (skipWithoutGo(t)) return;
  const { cluster } = env!;
  const broken = join(cluster.dir, 'kubeconfig-broken');
  writeFileSync(broken, 'clusters: [\n');
  const cases: Array<[string[], RegExp]> = [
    [['check', '--kubeconfig', join(cluster.dir, 'missing')], /^drdeck: kubeconfig \S+missing does not exist \(--kubeconfig\)\n$/],
    [['check', '--kubeconfig', cluster.kubeconfig, '--context', 'nope'], /^drdeck: context "nope" not found in \S+ \(contexts: drdeck-test\)\n$/],
    [['check', '--kubeconfig', broken], /^drdeck: kubeconfig \S+ is not valid YAML: .+\n$/],
  ];
  for (const [args, expected] of cases) {
    const { code, stderr } = await drdeck(args);
    assert.equal(code, 2, args.join(' '));
    assert.match(stderr, expected);
  }
  // The dashboard, in a terminal (without one it stops at that, first).
  const dashboard = await drdeck(['--kubeconfig', join(cluster.dir, 'missing')], {}, { terminal: true });
  assert.equal(dashboard.code, 2);
  assert.match(dashboard.stdout, /^drdeck: kubeconfig \S+missing does not exist \(--kubeconfig\)\n$/);
});

test('a user forbidden everything: every check unknown, exit 3 (undecided), not 0', async (t) => {
  if (skipWithoutGo(t)) return;
  const { cluster } = env!;
  // A ServiceAccount bound to nothing: its token authenticates, and every list is forbidden.
  const core = apiClient(cluster.kubeconfig, CoreV1Api);
  await core.createNamespacedServiceAccount({ namespace: 'default', body: { metadata: { name: 'nobody' } } });
  const { status } = await core.createNamespacedServiceAccountToken({
    name: 'nobody',
    namespace: 'default',
    body: { spec: { audiences: [], expirationSeconds: 3600 } },
  });
  const kubeconfig = kubeconfigVariant(cluster.kubeconfig, join(cluster.dir, 'kubeconfig-nobody'), { user: { token: status!.token } });

  const json = await drdeck(['check', '--kubeconfig', kubeconfig, '--json']);
  assert.equal(json.code, 3, json.stderr);
  const report = JSON.parse(json.stdout) as {
    checks: Array<{ id: string; status: string; summary: string }>;
    summary: Record<string, unknown>;
    exitCode: number;
  };
  assert.deepEqual(
    report.checks.filter((c) => c.status !== 'unknown').map((c) => `${c.id}: ${c.status} (${c.summary})`),
    [],
  );
  assert.match(report.checks.find((c) => c.id === 'kopia.pvc-bound')!.summary, /forbidden/);
  assert.deepEqual([report.summary.unknown, report.summary.decided, report.exitCode], [ALL_CHECKS.length, false, 3]);

  const table = await drdeck(['check', '--kubeconfig', kubeconfig]);
  assert.equal(table.code, 3);
  assert.match(table.stdout, new RegExp(`\\nundecided: nothing fails, but ${ALL_CHECKS.length} checks could not be decided \\(exit 3\\)\\n$`));
});
