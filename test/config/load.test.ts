import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config/load.js';

function dir(files: Record<string, string>): string {
  const d = mkdtempSync(join(tmpdir(), 'drdeck-config-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(d, name), text);
  return d;
}

test('no config file gives the seed defaults', () => {
  const cwd = dir({});
  const { config, file } = loadConfig({ cwd, file: undefined });
  assert.equal(file, undefined);
  assert.equal(config.kopia.pvc, 'default/kopia');
  assert.deepEqual(config.flux.essential, ['flux-system', 'cert-manager', 'external-secrets', 'ceph-csi', 'volsync']);
  assert.equal(config.restores.expectedCount, 22);
});

test('./drdeck.yaml is found and overrides the defaults, keeping the rest', () => {
  const cwd = dir({ 'drdeck.yaml': 'restores:\n  expectedCount: 5\n' });
  const { config, file } = loadConfig({ cwd });
  assert.equal(file, join(cwd, 'drdeck.yaml'));
  assert.equal(config.restores.expectedCount, 5);
  assert.equal(config.kopia.pvc, 'default/kopia');
});

const bad: Array<[string, string, RegExp]> = [
  ['a wrong type names the field', 'restores:\n  expectedCount: many\n', /restores\.expectedCount: .*number/],
  ['an unknown field is named', 'restore:\n  expectedCount: 5\n', /Unrecognized key.*restore/],
  ['a bad namespace/name is explained', 'kopia:\n  pvc: kopia\n', /kopia\.pvc: must be "namespace\/name"/],
  ['broken YAML says where', 'flux:\n  essential: [a, b\n', /not valid YAML at line \d+/],
  ['a list at the top level is refused', '- a\n- b\n', /must be a YAML mapping/],
];

for (const [name, text, pattern] of bad) {
  test(`bad config: ${name}, with the file's path`, () => {
    const cwd = dir({ 'drdeck.yaml': text });
    assert.throws(
      () => loadConfig({ cwd }),
      (err: unknown) => err instanceof ConfigError && pattern.test(err.message) && err.message.includes(join(cwd, 'drdeck.yaml')),
    );
  });
}

test('a missing --config file is a clear error', () => {
  const cwd = dir({});
  assert.throws(() => loadConfig({ cwd, file: 'nope.yaml' }), /nope\.yaml: cannot read the config file \(no such file\)/);
});

test('the saved handle is read from the Secret manifest in Git (stringData or base64 data)', () => {
  const handle = '0001-0024-a1b2c3d4-0000-4000-8000-000000000001-0000000000000001-6b1f0a32-5a5e-11ef-9e8a-0a580a2a0207';
  const cwd = dir({
    'drdeck.yaml': 'kopia:\n  handleSecretFile: secret.yaml\n',
    'secret.yaml': `apiVersion: v1\nkind: Secret\nmetadata:\n  name: kopia-repository-subvolume\nstringData:\n  volumeHandle: ${handle}\n`,
  });
  assert.equal(loadConfig({ cwd }).config.kopia.savedVolumeHandle, handle);

  const cwd2 = dir({
    'drdeck.yaml': 'kopia:\n  handleSecretFile: secret.yaml\n  handleSecretKey: handle\n',
    'secret.yaml': `---\nkind: ConfigMap\n---\nkind: Secret\ndata:\n  handle: ${Buffer.from(handle).toString('base64')}\n`,
  });
  assert.equal(loadConfig({ cwd: cwd2 }).config.kopia.savedVolumeHandle, handle);
});

test('a Secret manifest without the key is named as the problem', () => {
  const cwd = dir({
    'drdeck.yaml': 'kopia:\n  handleSecretFile: secret.yaml\n',
    'secret.yaml': 'kind: Secret\nstringData:\n  other: x\n',
  });
  assert.throws(() => loadConfig({ cwd }), /kopia\.handleSecretFile: .*secret\.yaml has no Secret with "volumeHandle"/);
});
