/**
 * `drdeck preflight --diff` on copies of the fixture repositories: `git apply --check` accepts the
 * patch, `git apply` then preflight passes the items it touched, comments outside the edited lines
 * are still there, and a second `--diff` has nothing left to say. Then the edits' corner cases on
 * hand-built desired states.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { buildChecklist } from '../../src/preflight/checklist.js';
import { longTermFixes } from '../../src/preflight/diff.js';
import { makeConfig } from '../checks/fixtures.js';
import { desiredState, ks, memoryFiles, placed, snapshotOfState } from './checklist-helpers.js';
import { drdeck, SEED } from './cli-helpers.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'drdeck-preflight-diff-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

function git(cwd: string, ...args: string[]) {
  const r = spawnSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args], { cwd, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A git checkout of a copy of FIXTURE. */
function checkout(fixture: string, name: string): string {
  const dir = join(scratch, name);
  cpSync(fixture, dir, { recursive: true });
  git(dir, 'init', '-q');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-qm', 'fixture');
  return dir;
}

interface Item {
  id: number;
  status: string;
  summary: string;
}

function items(repo: string, config: string): Map<number, Item> {
  const run = drdeck(['preflight', '--repo', repo, '--json', '--renderer', 'built-in', '--config', config]);
  return new Map((JSON.parse(run.stdout) as { items: Item[] }).items.map((i) => [i.id, i]));
}

const CASES = [
  {
    name: 'seed (test/preflight/repos)',
    fixture: SEED,
    config: 'kopia:\n  pvc: default/kopia\n',
    touched: [2, 3, 4, 5, 8],
    files: [
      'clusters/main/infrastructure.yaml',
      'kubernetes/apps/6-data/kopia/app/kustomization.yaml',
      'kubernetes/components/volsync/kustomization.yaml',
      'kubernetes/components/volsync/replicationdestination.yaml',
    ],
    comments: [
      ['kubernetes/components/volsync/replicationdestination.yaml', '    # The repository Secret external-secrets creates for each app.\n    repository:'],
      ['kubernetes/apps/6-data/kopia/app/kustomization.yaml', '  # - ./kopia-old-pv.yaml'],
      ['clusters/main/infrastructure.yaml', '  # The Gateways: seed issue 7 wants them health-checked here.'],
    ],
  },
  {
    name: 'seed-before (the resolver fixtures)',
    fixture: join(root, 'test', 'fixtures', 'repos', 'seed-before'),
    config: 'kopia:\n  pvc: volsync-system/kopia\ngateways:\n  names: []\n',
    touched: [2, 3, 4, 5, 8],
    files: [
      'kubernetes/apps/6-data/kopia/app/kustomization.yaml',
      'kubernetes/components/volsync/replicationdestination.yaml',
      'kubernetes/infrastructure/2-foundation/cilium/ks.yaml',
    ],
    comments: [['kubernetes/apps/6-data/kopia/app/kustomization.yaml', '  # - ./kopia-old-pv.yaml']],
  },
] as const;

for (const c of CASES) {
  test(`--diff on ${c.name}: git apply accepts it, then the items it touched pass and comments stay`, () => {
    const repo = checkout(c.fixture, c.name.split(' ')[0]);
    const config = join(scratch, `${c.name.split(' ')[0]}.yaml`);
    writeFileSync(config, c.config);
    const before = items(repo, config);
    assert.ok(
      c.touched.some((id) => before.get(id)!.status !== 'pass'),
      'the fixture has something to fix',
    );
    const run = drdeck(['preflight', '--repo', repo, '--diff', '--renderer', 'built-in', '--config', config]);
    assert.equal(run.code, 1, run.stderr);
    const patch = join(scratch, `${c.name.split(' ')[0]}.diff`);
    writeFileSync(patch, run.stdout);
    assert.deepEqual(
      [...run.stdout.matchAll(/^diff --git a\/(\S+) b\/\1$/gm)].map((m) => m[1]),
      [...c.files],
    );
    const check = git(repo, 'apply', '--check', patch);
    assert.equal(check.code, 0, check.stderr);
    assert.equal(git(repo, 'apply', patch).code, 0);
    assert.deepEqual(
      git(repo, 'status', '--porcelain')
        .stdout.split('\n')
        .filter(Boolean)
        .map((l) => l.slice(3))
        .sort(),
      [...c.files].sort(),
      'drdeck wrote nothing itself',
    );

    const afterItems = items(repo, config);
    for (const id of c.touched) assert.equal(afterItems.get(id)!.status, 'pass', `item ${id}: ${afterItems.get(id)!.summary}`);
    for (const [file, text] of c.comments) assert.ok(readFileSync(join(repo, file), 'utf8').includes(text), `${file} keeps ${JSON.stringify(text)}`);

    const again = drdeck(['preflight', '--repo', repo, '--diff', '--renderer', 'built-in', '--config', config]);
    assert.equal(again.stdout, '', 'nothing left to fix mechanically');
  });
}

const rd = (labels: Record<string, string>) => ({
  apiVersion: 'volsync.backube/v1alpha1',
  kind: 'ReplicationDestination',
  metadata: { name: 'app-dst', namespace: 'media', labels },
  spec: { kopia: { repository: 'app-volsync-secret', copyMethod: 'Direct' } },
});

test('the edits: a label among others, copyMethod Direct replaced, an existing healthChecks list extended, resources left as []', () => {
  const files = {
    'rd.yaml': [
      '---',
      'apiVersion: volsync.backube/v1alpha1',
      'kind: ReplicationDestination',
      'metadata:',
      '  name: app-dst',
      '  namespace: media',
      '  labels:',
      '    app: x # keep me',
      '    kustomize.toolkit.fluxcd.io/ssa: IfNotPresent',
      'spec:',
      '  kopia:',
      '    repository: app-volsync-secret',
      '    copyMethod: Direct # was Direct',
      '',
    ].join('\n'),
    'ks.yaml': [
      'apiVersion: kustomize.toolkit.fluxcd.io/v1',
      'kind: Kustomization',
      'metadata:',
      '  name: cilium',
      '  namespace: flux-system',
      'spec:',
      '  path: ./gw',
      '  healthChecks:',
      '  - apiVersion: apps/v1',
      '    kind: Deployment',
      '    name: cilium-operator',
      '    namespace: kube-system',
      '  timeout: 5m',
      '',
    ].join('\n'),
    'kopia/kustomization.yaml': 'resources:\n  - pvc.yaml\n',
    'kopia/pvc.yaml': 'apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: kopia\n  namespace: default\n',
  };
  const cilium = ks('flux-system/cilium', {
    source: { file: 'ks.yaml', line: 1 },
    path: 'gw',
    healthChecks: [{ kind: 'Deployment', name: 'cilium-operator' }],
  });
  const state = desiredState(
    [
      placed({ object: rd({ app: 'x', 'kustomize.toolkit.fluxcd.io/ssa': 'IfNotPresent' }), file: 'rd.yaml', line: 2 }),
      placed({
        object: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'kopia', namespace: 'default' } },
        file: 'kopia/pvc.yaml',
        kustomization: 'flux-system/kopia',
      }),
      placed({
        object: { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { name: 'gateway-external', namespace: 'network' }, spec: {} },
        file: 'gw/gw.yaml',
        kustomization: 'flux-system/cilium',
      }),
    ],
    [cilium, ks('flux-system/kopia', { path: 'kopia' })],
  );
  const config = makeConfig({ gateways: { names: ['network/gateway-external'] } });
  const repo = memoryFiles(files);
  const list = buildChecklist(state, snapshotOfState(state), config, repo);
  const { diff, skipped, files: changed } = longTermFixes(state, list, config, repo);
  assert.deepEqual(skipped, []);
  assert.deepEqual(changed, ['kopia/kustomization.yaml', 'ks.yaml', 'rd.yaml']);
  assert.match(diff, /^- {4}kustomize\.toolkit\.fluxcd\.io\/ssa: IfNotPresent$/m);
  assert.match(diff, /^ {5}app: x # keep me$/m, 'the other label stays, with its comment');
  assert.match(diff, /^- {4}copyMethod: Direct # was Direct\n\+ {4}copyMethod: Snapshot # was Direct$/m, "the line's comment stays");
  assert.match(
    diff,
    /^ {5}namespace: kube-system\n\+ {2}- apiVersion: gateway\.networking\.k8s\.io\/v1\n\+ {4}kind: Gateway\n\+ {4}name: gateway-external\n\+ {4}namespace: network\n {3}timeout: 5m$/m,
  );
  assert.match(diff, /^-resources:\n- {2}- pvc\.yaml\n\+resources: \[\]$/m);
});

test('what cannot be edited mechanically is said, never guessed: a folder applied whole, a label added by a patch', () => {
  const state = desiredState([
    placed({ object: rd({ 'kustomize.toolkit.fluxcd.io/ssa': 'IfNotPresent' }), file: 'apps/rd.yaml' }),
    placed({ object: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'kopia', namespace: 'default' } }, file: 'apps/pvc.yaml' }),
  ]);
  const repo = memoryFiles({
    'apps/rd.yaml': 'apiVersion: volsync.backube/v1alpha1\nkind: ReplicationDestination\nmetadata:\n  name: app-dst\nspec:\n  kopia:\n    copyMethod: Direct\n',
    'apps/pvc.yaml': 'apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: kopia\n',
  });
  const config = makeConfig({ gateways: { names: [] } });
  const { skipped, files } = longTermFixes(state, buildChecklist(state, snapshotOfState(state), config, repo), config, repo);
  assert.deepEqual(files, ['apps/rd.yaml'], 'copyMethod is still fixed');
  assert.equal(skipped.length, 2, skipped.join('\n'));
  assert.match(skipped[0], /^apps\/rd\.yaml:1: the kustomize\.toolkit\.fluxcd\.io\/ssa label is not in this file's metadata\.labels/);
  assert.match(skipped[1], /^apps\/pvc\.yaml: no kustomization\.yaml lists it \(its folder is applied whole\)/);
});
