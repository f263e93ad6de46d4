/**
 * drdeck's wrapper around the real flux CLI and kubectl (src/preflight/tools.ts), on the fixture
 * repositories test/fixtures/repos/tools-*. The tools are built from their Go modules on first use
 * (test/tools/build.ts: about 20 minutes cold on a busy 2-core machine), in `before`, so the build
 * never counts against a test's own timeout.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, watch, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { KubeObject } from '../../src/cluster.js';
import { ToolError, findTool, findTools, firstLine, renderWithFlux, renderWithKubectl, toolInfo, type ToolOptions } from '../../src/preflight/tools.js';
import { findGo } from '../cluster/build.js';
import { FLUX_VERSION, fluxBinary, kubectlBinary, kubectlVersion } from './build.js';

const REPOS = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'repos');
const COMPONENTS = join(REPOS, 'tools-components');
const PLAIN = join(REPOS, 'tools-plain');
const JELLYFIN_APP = './kubernetes/apps/media/jellyfin/app';
const JELLYFIN_KS = 'kubernetes/apps/media/jellyfin/ks.yaml';

/** The first-build budget: a cold flux build plus kubectl on a busy 2-core machine, with room to spare. */
const BUILD_TIMEOUT_MS = 80 * 60_000;
/** A render of a small fixture takes well under a second; this allows for a loaded machine. */
const RENDER_TIMEOUT_MS = 120_000;

/** `Kind namespace/name` of each object, sorted: what was rendered, at a glance. */
function ids(objects: readonly KubeObject[]): string[] {
  return objects.map((o) => `${o.kind} ${o.metadata.namespace ?? ''}/${o.metadata.name}`).sort();
}

function find(objects: readonly KubeObject[], kind: string, name: string): KubeObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  assert.ok(found, `${kind} ${name} not rendered; got ${ids(objects).join(', ')}`);
  return found;
}

/** Expects FN to reject with a ToolError whose message is one line matching PATTERN; returns the message. */
async function oneLineError(fn: () => Promise<unknown>, pattern: RegExp): Promise<string> {
  try {
    await fn();
  } catch (error) {
    assert.ok(error instanceof ToolError, `expected a ToolError, got ${String(error)}`);
    assert.doesNotMatch(error.message, /\n/);
    assert.match(error.message, pattern);
    return error.message;
  }
  assert.fail('expected the run to fail');
}

const haveGo = Boolean(findGo()) || Boolean(process.env.CI);

describe('the real flux CLI and kubectl through src/preflight/tools.ts', { skip: haveGo ? false : 'SKIPPED: go not found' }, () => {
  let tools: ToolOptions;
  const builds: string[] = [];

  before(
    async () => {
      for (const [name, binary] of [
        ['flux', fluxBinary],
        ['kubectl', kubectlBinary],
      ] as const) {
        const started = Date.now();
        const path = await binary((line) => builds.push(line));
        builds.push(`${name}: ${path} ready after ${((Date.now() - started) / 1000).toFixed(1)} s`);
      }
      tools = { flux: await fluxBinary(), kubectl: await kubectlBinary(), timeoutMs: RENDER_TIMEOUT_MS };
    },
    { timeout: BUILD_TIMEOUT_MS },
  );

  it('reports both tools and their versions', { timeout: RENDER_TIMEOUT_MS }, async (t) => {
    for (const line of builds) t.diagnostic(line);
    const flux = await toolInfo('flux', tools);
    assert.equal(flux.version, FLUX_VERSION);
    const kubectl = await toolInfo('kubectl', tools);
    assert.equal(kubectl.version, kubectlVersion());
    assert.match(kubectl.kustomizeVersion ?? '', /^v5\./);
  });

  it('finds a tool by option, then DRDECK_FLUX / DRDECK_KUBECTL, then PATH; says so when it is missing', { timeout: RENDER_TIMEOUT_MS }, async () => {
    const flux = tools.flux ?? '';
    assert.equal(findTool('flux', { flux: '/opt/flux', env: { DRDECK_FLUX: flux, PATH: dirname(flux) } }), '/opt/flux');
    assert.equal(findTool('flux', { env: { DRDECK_FLUX: flux, PATH: '' } }), flux);
    assert.equal(findTool('flux', { flux: 'bin/flux' }), join(process.cwd(), 'bin', 'flux'));
    assert.equal(findTool('flux', { env: { PATH: `/nonexistent:${dirname(flux)}` } }), flux);
    assert.equal(findTool('kubectl', { env: { PATH: dirname(flux) } }), undefined);

    const status = await findTools({ env: { PATH: dirname(flux) } });
    assert.deepEqual(
      { available: status.flux.available, version: status.flux.available ? status.flux.version : undefined },
      { available: true, version: FLUX_VERSION },
    );
    assert.deepEqual(status.kubectl, { available: false, name: 'kubectl', reason: 'kubectl not found on PATH (or set DRDECK_KUBECTL)' });
    await oneLineError(() => renderWithKubectl(PLAIN, { env: { PATH: '' } }), /^kubectl not found on PATH \(or set DRDECK_KUBECTL\)$/);
  });

  it('flux: components (the app’s own and Flux’s spec.components), targetNamespace and postBuild.substitute', { timeout: RENDER_TIMEOUT_MS }, async () => {
    const objects = await renderWithFlux(
      { repo: COMPONENTS, name: 'jellyfin', namespace: 'flux-system', path: JELLYFIN_APP, kustomizationFile: JELLYFIN_KS },
      tools,
    );
    // unused.yaml is in the folder but its entry is commented out: not applied.
    assert.deepEqual(ids(objects), ['ConfigMap media/jellyfin-settings', 'ReplicationDestination media/jellyfin-dst', 'Service media/jellyfin']);

    const service = find(objects, 'Service', 'jellyfin');
    assert.equal(service.spec.ipFamilyPolicy, 'RequireDualStack'); // ${IP_FAMILY_POLICY:=RequireDualStack}
    assert.deepEqual(service.spec.selector, { 'app.kubernetes.io/name': 'jellyfin' });
    assert.equal(service.metadata.annotations?.['lbipam.cilium.io/ips'], '10.0.50.20,fd00:50::20');
    // kustomize-controller's owner labels, and the app's own component's label.
    assert.deepEqual(service.metadata.labels, {
      'app.kubernetes.io/part-of': 'media',
      'kustomize.toolkit.fluxcd.io/name': 'jellyfin',
      'kustomize.toolkit.fluxcd.io/namespace': 'flux-system',
    });

    const settings = find(objects, 'ConfigMap', 'jellyfin-settings');
    assert.deepEqual(settings.data, { TZ: 'Etc/UTC', LOG_LEVEL: 'info' }); // both default forms: := and :-

    const rd = find(objects, 'ReplicationDestination', 'jellyfin-dst');
    // Flux appends spec.components after the kustomization.yaml's own: the common component's
    // label was applied before volsync's objects existed.
    assert.deepEqual(rd.metadata.labels, { 'kustomize.toolkit.fluxcd.io/name': 'jellyfin', 'kustomize.toolkit.fluxcd.io/namespace': 'flux-system' });
    assert.deepEqual(rd.spec.kopia, {
      repository: 'jellyfin-volsync-secret',
      copyMethod: 'Snapshot', // the default
      capacity: '20Gi', // substitute wins over the default
      storageClassName: 'ceph-block',
      accessModes: ['ReadWriteOnce'],
    });
  });

  it('flux: picks the Kustomization named on its command line from a file with several', { timeout: RENDER_TIMEOUT_MS }, async () => {
    const objects = await renderWithFlux(
      { repo: COMPONENTS, name: 'jellyfin-config', namespace: 'flux-system', path: JELLYFIN_APP, kustomizationFile: JELLYFIN_KS },
      tools,
    );
    // No postBuild: nothing is substituted, not even the defaults; no spec.components: no volsync.
    assert.deepEqual(ids(objects), ['ConfigMap elsewhere/${APP}-settings', 'Service elsewhere/${APP}']);
    assert.equal(find(objects, 'Service', '${APP}').spec.ipFamilyPolicy, '${IP_FAMILY_POLICY:=RequireDualStack}');
  });

  it(
    'flux: a folder without kustomization.yaml takes every manifest under it, and the checkout is left untouched',
    { timeout: RENDER_TIMEOUT_MS },
    async () => {
      // flux's default build writes a kustomization.yaml into the folder and deletes it afterwards:
      // only a watch sees that, so watch the folder for any file created during the build.
      const folder = join(PLAIN, 'infrastructure', 'network');
      const created: string[] = [];
      const watcher = watch(folder, (event, name) => created.push(`${event} ${String(name)}`));
      let objects: KubeObject[];
      try {
        objects = await renderWithFlux(
          { repo: PLAIN, name: 'network', namespace: 'flux-system', path: './infrastructure/network', kustomizationFile: 'clusters/home/network.yaml' },
          tools,
        );
      } finally {
        watcher.close();
      }
      assert.deepEqual(created, []);

      // Subfolders too (gateway/), a subfolder with a kustomization.yaml as that kustomization says
      // (addons/, without extra.yaml), both documents of services.yaml; not notes.txt, the README or the .tmpl.
      assert.deepEqual(ids(objects), [
        'CiliumLoadBalancerIPPool /main-pool',
        'ConfigMap network/network-dashboard',
        'Gateway network/external',
        'Secret network/router-credentials',
        'Service network/echo',
        'Service network/echo-internal',
      ]);
      assert.deepEqual(find(objects, 'CiliumLoadBalancerIPPool', 'main-pool').spec.blocks, [{ cidr: '10.0.50.0/24' }, { cidr: 'fd00:50::/112' }]);
      assert.deepEqual(
        find(objects, 'Gateway', 'external').spec.addresses.map((a: { value: string }) => a.value),
        ['10.0.50.10', 'fd00:50::10'],
      );
      assert.equal(find(objects, 'Service', 'echo').metadata.annotations?.['lbipam.cilium.io/ips'], '10.0.50.30,fd00:50::30');
      assert.equal((find(objects, 'ConfigMap', 'network-dashboard').data as Record<string, string>).title, 'Network');

      // A SOPS-encrypted Secret comes out masked, its sops metadata dropped: the output never tells
      // an encrypted value from a plain one.
      const secret = find(objects, 'Secret', 'router-credentials');
      assert.deepEqual(secret.stringData, { password: '**SOPS**' });
      assert.equal(secret.sops, undefined);
    },
  );

  it('flux --dry-run: with only substituteFrom (unreadable offline) nothing is substituted, defaults included', { timeout: RENDER_TIMEOUT_MS }, async () => {
    const objects = await renderWithFlux(
      { repo: PLAIN, name: 'network-from', namespace: 'flux-system', path: './infrastructure/network', kustomizationFile: 'clusters/home/network.yaml' },
      tools,
    );
    assert.deepEqual(find(objects, 'CiliumLoadBalancerIPPool', 'main-pool').spec.blocks, [
      { cidr: '${LB_V4_CIDR:=10.0.50.0/24}' },
      { cidr: '${LB_V6_CIDR:-fd00:50::/112}' },
    ]);
  });

  it('kubectl kustomize: plain kustomize, without Flux’s layer', { timeout: RENDER_TIMEOUT_MS }, async () => {
    const app = await renderWithKubectl(join(COMPONENTS, JELLYFIN_APP), tools);
    // The app's own component, but no spec.components, no targetNamespace, no substitution, no owner labels.
    assert.deepEqual(ids(app), ['ConfigMap /${APP}-settings', 'Service /${APP}']);
    assert.deepEqual(find(app, 'Service', '${APP}').metadata.labels, { 'app.kubernetes.io/part-of': 'media' });

    const addons = await renderWithKubectl(join(PLAIN, 'infrastructure', 'network', 'addons'), tools);
    assert.deepEqual(ids(addons), ['ConfigMap network/network-dashboard']);
    assert.equal((find(addons, 'ConfigMap', 'network-dashboard').data as Record<string, string>).title, '${DASHBOARD_TITLE:=Network}');

    // kubectl's klog-formatted error comes out as the error alone.
    const message = await oneLineError(() => renderWithKubectl(join(PLAIN, 'infrastructure', 'network'), tools), /unable to find one of 'kustomization.yaml'/);
    assert.match(message, /^kubectl kustomize \S+: unable to find/);
  });

  it('a missing path, a missing Kustomization, a path outside the repository: one line each', { timeout: RENDER_TIMEOUT_MS }, async () => {
    const base = { repo: PLAIN, name: 'network', namespace: 'flux-system', path: './infrastructure/network', kustomizationFile: 'clusters/home/network.yaml' };
    await oneLineError(
      () => renderWithFlux({ ...base, path: './infrastructure/missing' }, tools),
      /^flux build kustomization network: invalid resource path ".*infrastructure\/missing"$/,
    );
    await oneLineError(
      () => renderWithFlux({ ...base, name: 'nope' }, tools),
      /^flux build kustomization nope: failed to get kustomization object: failed find kustomization with name 'nope'/,
    );
    await oneLineError(() => renderWithFlux({ ...base, namespace: 'other' }, tools), /failed find kustomization with name 'network' and namespace 'other'/);
    await oneLineError(() => renderWithFlux({ ...base, kustomizationFile: 'clusters/home/missing.yaml' }, tools), /invalid kustomization file/);
    await oneLineError(() => renderWithFlux({ ...base, path: '../tools-components' }, tools), /is outside the repository/);
    await oneLineError(() => renderWithFlux({ ...base, repo: join(REPOS, 'missing') }, tools), /cannot read the repository .*missing \(ENOENT\)$/);
    await oneLineError(() => renderWithFlux({ ...base, name: '--help' }, tools), /^flux build kustomization --help: "--help" is not a valid Kubernetes name$/);
  });

  describe('limits', () => {
    let dir: string;
    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'drdeck-tools-'));
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('output past the bound stops the tool with one line', { timeout: RENDER_TIMEOUT_MS }, async () => {
      const base = {
        repo: PLAIN,
        name: 'network',
        namespace: 'flux-system',
        path: './infrastructure/network',
        kustomizationFile: 'clusters/home/network.yaml',
      };
      await oneLineError(
        () => renderWithFlux(base, { ...tools, maxOutputBytes: 200 }),
        /^flux build kustomization network: printed more than 200 bytes; stopped$/,
      );
    });

    it('a tool that does not answer in time is killed, with one line', { timeout: RENDER_TIMEOUT_MS }, async () => {
      // A stand-in that hangs: the real tools never do on these fixtures.
      const hanging = join(dir, 'flux');
      writeFileSync(hanging, '#!/bin/sh\nexec sleep 60\n');
      chmodSync(hanging, 0o755);
      const started = Date.now();
      await oneLineError(() => toolInfo('flux', { flux: hanging, timeoutMs: 1_000 }), /^flux --version: no answer within 1 s; stopped$/);
      assert.ok(Date.now() - started < 30_000, 'the wait ended with the timeout');
    });

    it('a tool sees KUBECONFIG=/dev/null and nothing else of drdeck’s environment', { timeout: RENDER_TIMEOUT_MS }, async () => {
      // A stand-in that reports its environment as a ConfigMap.
      const reporter = join(dir, 'kubectl-env');
      writeFileSync(
        reporter,
        '#!/bin/sh\nprintf \'apiVersion: v1\\nkind: ConfigMap\\nmetadata:\\n  name: env\\ndata:\\n  kubeconfig: "%s"\\n  token: "%s"\\n\' "$KUBECONFIG" "$DRDECK_TEST_TOKEN"\n',
      );
      chmodSync(reporter, 0o755);
      const env = { ...process.env, KUBECONFIG: join(dir, 'kubeconfig'), DRDECK_TEST_TOKEN: 'not-for-tools' };
      const [reported] = await renderWithKubectl(PLAIN, { kubectl: reporter, env });
      assert.deepEqual(reported.data, { kubeconfig: '/dev/null', token: '' });
    });

    it('output that is not a Kubernetes object is an error, not a guess', { timeout: RENDER_TIMEOUT_MS }, async () => {
      const chatty = join(dir, 'kubectl');
      writeFileSync(chatty, '#!/bin/sh\necho "- just"\necho "- a list"\n');
      chmodSync(chatty, 0o755);
      await oneLineError(() => renderWithKubectl(PLAIN, { kubectl: chatty }), /its output holds a document that is not a Kubernetes object$/);
    });
  });

  it('firstLine keeps one line of what a tool said', () => {
    assert.equal(firstLine('\n✗ invalid resource path "/x"\nmore\n'), 'invalid resource path "/x"');
    assert.equal(firstLine('E1201 19:55:00.261178   22899 run.go:72] "command failed" err="unable to find \\"x\\""\n'), 'unable to find "x"');
    assert.equal(firstLine('error: unable to find one of\n'), 'unable to find one of');
    assert.equal(
      firstLine('✗ failed to generate kustomization.yaml: lstat /r/missing.yaml: no such file or directory <nil>'),
      'failed to generate kustomization.yaml: lstat /r/missing.yaml: no such file or directory',
    );
    assert.equal(firstLine('x'.repeat(1000)).length, 400);
  });
});
