/**
 * The built-in resolver on the fixture repositories (test/fixtures/repos/seed-*, two-clusters) and on
 * repositories made broken on purpose: what Flux would apply, from which file and line, and what it
 * would not apply.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readDesiredState, RepoError } from '../../src/preflight/repo.js';
import { desiredObjectOf, snapshotOf } from '../../src/preflight/snapshot.js';
import { substitute } from '../../src/preflight/substitute.js';
import type { DesiredObject, DesiredState } from '../../src/preflight/types.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/repos/', import.meta.url));
const fixture = (name: string) => join(FIXTURES, name);

interface Expected {
  entry: { cluster: string; path: string };
  objects: Record<string, string[]>;
  unreferenced: string[];
}

const line = (o: DesiredObject) =>
  `${String(o.object.kind)} ${o.object.metadata.namespace ? `${o.object.metadata.namespace}/` : ''}${o.object.metadata.name} @ ${o.source.file}:${o.source.line}`;
const find = (state: DesiredState, kind: string, name: string, ks?: string) =>
  state.objects.filter((o) => o.object.kind === kind && o.object.metadata.name === name && (ks === undefined || o.kustomization === ks));

for (const name of ['seed-before', 'seed-after']) {
  describe(`fixture ${name}`, () => {
    test('every object, per Kustomization, with file:line, and the unreferenced files, as expected.json says', async () => {
      const expected = JSON.parse(readFileSync(join(fixture(name), 'expected.json'), 'utf8')) as Expected;
      const state = await readDesiredState(fixture(name));
      assert.deepEqual(state.entry, expected.entry);
      const got: Record<string, string[]> = {};
      for (const o of state.objects) (got[o.kustomization] ??= []).push(line(o));
      for (const ks of new Set([...Object.keys(got), ...Object.keys(expected.objects)])) {
        assert.deepEqual([...(got[ks] ?? [])].sort(), [...(expected.objects[ks] ?? [])].sort(), `objects of ${ks}`);
      }
      assert.deepEqual(state.files.unreferenced, expected.unreferenced);
      assert.equal(state.renderer, 'built-in');
    });
  });
}

describe('seed-before: the repository before the long-term fixes', () => {
  let state: DesiredState;
  test('reads', async () => {
    state = await readDesiredState(fixture('seed-before'), { cluster: 'clusters/home' });
  });

  test('the Kustomization graph: entry, children, dependsOn, suspend, wait and health checks', () => {
    const refs = state.kustomizations.map((k) => k.ref);
    assert.deepEqual(refs.sort(), [
      'flux-system/cilium',
      'flux-system/cluster-apps',
      'flux-system/cluster-infrastructure',
      'flux-system/cluster-settings',
      'flux-system/flux-system',
      'flux-system/jellyfin',
      'flux-system/kopia',
      'flux-system/plex',
    ]);
    const ks = (ref: string) => state.kustomizations.find((k) => k.ref === ref)!;
    assert.equal(ks('flux-system/jellyfin').appliedBy, 'flux-system/cluster-apps');
    assert.deepEqual(ks('flux-system/jellyfin').dependsOn, ['flux-system/kopia']);
    assert.deepEqual(ks('flux-system/jellyfin').components, ['kubernetes/components/volsync']);
    assert.deepEqual(ks('flux-system/jellyfin').source, { file: 'kubernetes/apps/media/jellyfin/ks.yaml', line: 2 });
    assert.equal(ks('flux-system/plex').suspended, true);
    assert.equal(ks('flux-system/cilium').wait, true);
    assert.deepEqual(ks('flux-system/cilium').healthChecks, [
      { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', name: 'internal', namespace: 'kube-system' },
    ]);
    assert.deepEqual(ks('flux-system/cilium').substituteFrom, ['ConfigMap/cluster-settings']);
  });

  test('the VolSync component applies the Kopia PVC in every app that uses it (seed issue 4), and the kopia app applies it too', () => {
    const pvcs = find(state, 'PersistentVolumeClaim', 'kopia');
    assert.deepEqual(pvcs.map((p) => p.kustomization).sort(), ['flux-system/jellyfin', 'flux-system/kopia', 'flux-system/plex']);
    const fromComponent = pvcs.find((p) => p.kustomization === 'flux-system/jellyfin')!;
    assert.deepEqual(fromComponent.source, { file: 'kubernetes/components/volsync/kopia-repository-pvc.yaml', line: 2 });
    assert.deepEqual(fromComponent.via, ['kubernetes/apps/media/jellyfin/app/kustomization.yaml', 'kubernetes/components/volsync (component)']);
    // targetNamespace wins over the namespace written in the component's file.
    assert.equal(fromComponent.object.metadata.namespace, 'media');
  });

  test('post-build substitution: values, := and :- defaults, a number stays what Flux makes it', () => {
    const rd = find(state, 'ReplicationDestination', 'jellyfin-dst')[0];
    assert.equal(rd.object.metadata.namespace, 'media');
    assert.deepEqual(rd.object.spec.kopia, {
      repository: 'jellyfin-volsync-secret',
      copyMethod: 'Direct',
      capacity: '20Gi',
      storageClassName: 'ceph-block',
      accessModes: ['ReadWriteOnce'],
    });
    assert.equal(rd.object.metadata.labels?.['kustomize.toolkit.fluxcd.io/ssa'], 'IfNotPresent');
    assert.equal(find(state, 'ReplicationDestination', 'plex-dst')[0].object.spec.kopia.capacity, '5Gi');
    // substituteFrom: a plain ConfigMap in the repository is read; substitute wins over it.
    const pool = find(state, 'CiliumLoadBalancerIPPool', 'main')[0];
    assert.deepEqual(pool.object.spec.blocks, [{ cidr: '10.0.50.0/24' }, { cidr: 'fd00:50::/64' }]);
  });

  test('a suspended Kustomization: its objects are listed and marked', () => {
    assert.ok(find(state, 'ReplicationDestination', 'plex-dst')[0].suspended);
    assert.equal(find(state, 'ReplicationDestination', 'jellyfin-dst')[0].suspended, undefined);
  });

  test('a JSON 6902 patch with a target applies; source stays the original document', () => {
    const gw = find(state, 'Gateway', 'internal')[0];
    assert.equal(gw.object.metadata.annotations?.['drdeck.test/patched'], 'yes');
    assert.equal(gw.object.metadata.namespace, 'kube-system');
    assert.deepEqual(gw.source, { file: 'kubernetes/infrastructure/2-foundation/cilium/app/gateway.yaml', line: 2 });
  });

  test('a SOPS-encrypted Secret is kept with its encrypted value, marked, noted, never decrypted', () => {
    const secret = find(state, 'Secret', 'kopia-repository-subvolume')[0];
    assert.equal(secret.encrypted, true);
    assert.match(String((secret.object.stringData as Record<string, unknown>).volumeHandle), /^ENC\[AES256_GCM,/);
    assert.equal(secret.object.sops, undefined);
    assert.ok(state.notes.some((n) => n.file === secret.source.file && /SOPS/.test(n.message)));
  });

  test('app-template values yield the LoadBalancer Services the chart names, with the values line as source', () => {
    const kopia = find(state, 'Service', 'kopia', 'flux-system/kopia')[0];
    assert.deepEqual(kopia.generatedFrom, { helmRelease: 'volsync-system/kopia', chart: 'app-template' });
    assert.equal(kopia.object.metadata.namespace, 'volsync-system');
    assert.equal(kopia.object.metadata.annotations?.['lbipam.cilium.io/ips'], '10.0.50.31');
    assert.equal(kopia.object.spec.ipFamilyPolicy, undefined);
    assert.deepEqual(kopia.source, { file: 'kubernetes/apps/6-data/kopia/app/helmrelease.yaml', line: 25 });
    assert.match(readFileSync(join(fixture('seed-before'), kopia.source.file), 'utf8').split('\n')[kopia.source.line - 1], /^\s+app:$/);
    // Two services: the primary is named after the release, the other `<release>-<id>`; one comes from a valuesFrom ConfigMap.
    const primary = find(state, 'Service', 'jellyfin', 'flux-system/jellyfin')[0];
    assert.equal(primary.object.spec.ipFamilyPolicy, 'PreferDualStack');
    assert.deepEqual(primary.object.spec.ipFamilies, ['IPv4', 'IPv6']);
    assert.equal(primary.object.metadata.annotations?.['lbipam.cilium.io/ips'], '10.0.50.40,fd00:50::40');
    const dlna = find(state, 'Service', 'jellyfin-dlna', 'flux-system/jellyfin')[0];
    assert.deepEqual(dlna.source, { file: 'kubernetes/apps/media/jellyfin/app/values.yaml', line: 9 });
    assert.match(readFileSync(join(fixture('seed-before'), dlna.source.file), 'utf8').split('\n')[dlna.source.line - 1], /^\s+dlna:$/);
    assert.deepEqual(dlna.object.spec.ports, [{ name: 'dlna', port: 1900, targetPort: 1900, protocol: 'UDP' }]);
  });

  test('commented-out entries, resources: [] and unreferenced files apply nothing; templates are skipped', () => {
    assert.equal(find(state, 'PersistentVolume', 'kopia-old').length, 0);
    assert.equal(find(state, 'CiliumLoadBalancerIPPool', 'unused').length, 0);
    assert.ok(state.files.unreferenced.includes('kubernetes/apps/6-data/kopia/app/kopia-old-pv.yaml'));
    assert.ok(!state.files.applied.some((f) => f.endsWith('.tmpl')));
    assert.ok(!state.objects.some((o) => o.object.metadata.name === 'cluster-secrets' || o.object.metadata.name === '{{ .Release.Name }}'));
    // A folder without kustomization.yaml takes every manifest under it, sub-folders included.
    assert.deepEqual(
      state.objects
        .filter((o) => o.kustomization === 'flux-system/cluster-settings')
        .map((o) => o.object.metadata.name)
        .sort(),
      ['cluster-domain', 'cluster-settings'],
    );
  });

  test('snapshotOf: every kind synced, objects keyed as the store keys them, and back to file:line', () => {
    const snapshot = snapshotOf(state, 1000);
    assert.equal(snapshot.now, 1000);
    assert.equal(snapshot.sync.replicationdestinations.phase, 'synced');
    assert.ok(snapshot.objects.replicationdestinations.has('media/jellyfin-dst'));
    assert.ok(snapshot.objects.services.has('media/jellyfin-dlna'));
    const origin = desiredObjectOf(snapshot, 'persistentvolumeclaims', 'volsync-system/kopia');
    assert.deepEqual(origin?.source, { file: 'kubernetes/apps/6-data/kopia/app/kopia-repository-pvc.yaml', line: 2 });
    assert.equal(origin?.kustomization, 'flux-system/kopia');
  });
});

describe('seed-after: the repository after the fixes', () => {
  test('the Kopia PVC is applied by nothing though its files are still there; copyMethod Snapshot; no IfNotPresent', async () => {
    const state = await readDesiredState(fixture('seed-after'));
    assert.equal(find(state, 'PersistentVolumeClaim', 'kopia').length, 0);
    assert.ok(state.files.unreferenced.includes('kubernetes/components/volsync/kopia-repository-pvc.yaml'));
    assert.ok(state.files.unreferenced.includes('kubernetes/apps/6-data/kopia/app/kopia-repository-pvc.yaml'));
    for (const rd of state.objects.filter((o) => o.object.kind === 'ReplicationDestination')) {
      assert.equal(rd.object.spec.kopia.copyMethod, 'Snapshot');
      assert.equal(rd.object.metadata.labels?.['kustomize.toolkit.fluxcd.io/ssa'], undefined);
    }
    const kopia = find(state, 'Service', 'kopia')[0];
    assert.equal(kopia.object.spec.ipFamilyPolicy, 'RequireDualStack');
  });
});

describe('the entry', () => {
  test('several clusters: a RepoError naming each; --cluster by folder or by name picks one', async () => {
    await assert.rejects(
      readDesiredState(fixture('two-clusters')),
      (error: unknown) => error instanceof RepoError && /clusters\/a, clusters\/b/.test(error.message) && !error.message.includes('\n'),
    );
    const a = await readDesiredState(fixture('two-clusters'), { cluster: 'clusters/a' });
    assert.deepEqual(a.objects.map((o) => o.object.metadata.name).sort(), ['cluster-a', 'flux-system']);
    const b = await readDesiredState(fixture('two-clusters'), { cluster: 'b' });
    assert.ok(b.objects.some((o) => o.object.metadata.name === 'cluster-b'));
  });

  test('no repository, no entry, an unknown --cluster: one clear line each', async () => {
    await assert.rejects(readDesiredState('/nonexistent/drdeck-repo'), (e: unknown) => e instanceof RepoError && /no such folder/.test(e.message));
    await assert.rejects(
      readDesiredState(fixture('two-clusters'), { cluster: 'clusters/zzz' }),
      (e: unknown) => e instanceof RepoError && /clusters\/zzz/.test(e.message),
    );
    const empty = mkdtempSync(join(tmpdir(), 'drdeck-empty-'));
    try {
      await assert.rejects(readDesiredState(empty), (e: unknown) => e instanceof RepoError && /no Kustomization named flux-system/.test(e.message));
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

describe('robustness: a broken repository never throws', () => {
  const root = mkdtempSync(join(tmpdir(), 'drdeck-broken-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  const write = (rel: string, text: string) => {
    mkdirSync(dirname(join(root, rel)), { recursive: true });
    writeFileSync(join(root, rel), text);
  };
  const ks = (name: string, path: string) =>
    `---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: ${name}\n  namespace: flux-system\nspec:\n  path: ${path}\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n`;

  test('broken YAML, a missing path, a cycle, a symlink loop, a huge file', async () => {
    write('clusters/x/flux-system/gotk-sync.yaml', ks('flux-system', './clusters/x'));
    write('clusters/x/broken.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: [unclosed\n');
    write('clusters/x/missing.yaml', ks('missing', './does/not/exist'));
    write('clusters/x/loop-a.yaml', ks('loop-a', './loops/a'));
    write('loops/a/ks.yaml', ks('loop-b', './loops/b'));
    write('loops/b/ks.yaml', ks('loop-a', './loops/a'));
    write('loops/b/kustomization.yaml', 'resources:\n  - ks.yaml\n  - ../b\n');
    write('clusters/x/huge.yaml', `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: huge\ndata:\n  x: "${'a'.repeat(5 * 1024 * 1024)}"\n`);
    write('clusters/x/ok.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: fine\n');
    write('clusters/x/list.yaml', '- not\n- an object\n');
    mkdirSync(join(root, 'clusters/x/sub'), { recursive: true });
    symlinkSync('..', join(root, 'clusters/x/sub/up'));
    symlinkSync('/etc', join(root, 'clusters/x/outside'));
    const state = await readDesiredState(root);
    assert.ok(state.objects.some((o) => o.object.metadata.name === 'fine'));
    assert.ok(!state.objects.some((o) => o.object.metadata.name === 'huge'));
    assert.ok(state.notes.some((n) => n.file === 'clusters/x/broken.yaml' && /not YAML/.test(n.message)));
    assert.ok(state.notes.some((n) => n.file === 'clusters/x/huge.yaml'));
    assert.ok(state.notes.some((n) => /does\/not\/exist does not exist/.test(n.message)));
    assert.ok(state.notes.some((n) => /more than once|cycle/.test(n.message)));
    // Nothing from outside the repository.
    assert.ok(state.files.applied.every((f) => !f.startsWith('..') && !f.startsWith('/')));
  });
});

describe('substitution as Flux does it', () => {
  test('each form', () => {
    const vars = { SET: 'value', EMPTY: '' };
    const cases: Array<[string, string]> = [
      ['${SET}', 'value'],
      ['${UNSET}', ''],
      ['${UNSET:=d}', 'd'],
      ['${UNSET:-d}', 'd'],
      ['${EMPTY:=d}', 'd'],
      ['${SET:=d}', 'value'],
      ['${UNSET=d}', 'd'],
      ['${EMPTY=d}', 'd'],
      ['${UNSET:-${SET}}', 'value'],
      ['$SET', '$SET'],
      ['$${SET}', '${SET}'],
      ['${SET^^}', 'VALUE'],
      ['a-${SET}-b ${UNSET:=5Gi}', 'a-value-b 5Gi'],
    ];
    for (const [input, output] of cases) assert.equal(substitute(input, vars).text, output, input);
    assert.match(substitute('${UNSET-d}', vars).error ?? '', /missing closing brace/);
  });
});
