/**
 * `drdeck check` on a real cluster, run as a user runs it: on an empty cluster it answers every
 * check; on an unreachable one or a bad kubeconfig it exits 2 with one line.
 */
import { ALL_CHECKS } from '../../src/checks/index.js';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CAN_RUN, kubeconfigVariant, skipWithoutGo, startE2eCluster } from './harness.js';
import { CONTRACT_IDS } from '../contract-ids.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

let env: Awaited<ReturnType<typeof startE2eCluster>> | undefined;
before(async () => {
  if (CAN_RUN) env = await startE2eCluster('check');
});
after(async () => {
  await env?.stop();
});

/** Runs the CLI from its sources (asynchronously: the test cluster's helpers share this event loop). */
function drdeck(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  const started = Date.now();
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), join(root, 'src/cli.tsx'), ...args], {
    cwd: root,
    env: { ...process.env, NO_COLOR: '1', XDG_CONFIG_HOME: join(root, '.no-config'), KUBECONFIG: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 60_000,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr, ms: Date.now() - started })));
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
  assert.ok(ms < 10_000, `took ${ms} ms`);
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
    [['--kubeconfig', join(cluster.dir, 'missing')], /^drdeck: kubeconfig \S+missing does not exist \(--kubeconfig\)\n$/],
  ];
  for (const [args, expected] of cases) {
    const { code, stderr } = await drdeck(args);
    assert.equal(code, 2, args.join(' '));
    assert.match(stderr, expected);
  }
});
