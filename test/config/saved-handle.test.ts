/**
 * The saved Kopia handle read from the Secret manifest in Git: plain and base64 forms give the
 * handle; a SOPS-encrypted manifest gives no handle, and the Kopia check and the reclaim say why
 * (unknown, never "wrong subvolume").
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { checkById, runCheck } from '../../src/checks/index.js';
import { ConfigError, loadConfig } from '../../src/config/load.js';
import { readSavedHandle } from '../../src/config/saved-handle.js';
import { reclaimKopia } from '../../src/fixes/reclaim-kopia.js';
import { isPlan } from '../../src/fixes/types.js';
import { makeSnapshot, pv, pvc } from '../checks/fixtures.js';

const HANDLE = '0001-0024-a1b2c3d4-0000-4000-8000-000000000001-0000000000000001-6b1f0a32-5a5e-11ef-9e8a-0a580a2a0207';
const OTHER = '0001-0024-a1b2c3d4-0000-4000-8000-000000000001-0000000000000001-77aa01cd-c0de-11ef-a1b2-0242ac125f0c';

function dir(files: Record<string, string>): string {
  const d = mkdtempSync(join(tmpdir(), 'drdeck-handle-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(d, name), text);
  return d;
}

/** A value as SOPS writes it: AES-256-GCM ciphertext, 32-byte iv, 16-byte tag, all base64. */
function enc(plain: string, type = 'str'): string {
  const b64 = (n: number) => randomBytes(n).toString('base64');
  return `ENC[AES256_GCM,data:${b64(Buffer.byteLength(plain))},iv:${b64(32)},tag:${b64(16)},type:${type}]`;
}

/** The `sops:` metadata block SOPS 3.9 appends to an age-encrypted file. */
function sopsBlock(encryptedRegex?: string): string {
  const armor = randomBytes(180)
    .toString('base64')
    .match(/.{1,64}/g)!
    .join('\n            ');
  return [
    'sops:',
    '    kms: []',
    '    gcp_kms: []',
    '    azure_kv: []',
    '    hc_vault: []',
    '    age:',
    '        - recipient: age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p',
    '          enc: |',
    '            -----BEGIN AGE ENCRYPTED FILE-----',
    `            ${armor}`,
    '            -----END AGE ENCRYPTED FILE-----',
    '    lastmodified: "2025-11-02T10:11:12Z"',
    `    mac: ${enc('x'.repeat(32))}`,
    '    pgp: []',
    ...(encryptedRegex ? [`    encrypted_regex: ${encryptedRegex}`] : []),
    '    version: 3.9.1',
    '',
  ].join('\n');
}

/** kopia-repository-subvolume-secret.yaml as `sops --encrypt --encrypted-regex '^(data|stringData)$'` leaves it. */
function sopsSecret(field: 'stringData' | 'data'): string {
  const value = field === 'data' ? Buffer.from(HANDLE).toString('base64') : HANDLE;
  return [
    'apiVersion: v1',
    'kind: Secret',
    'metadata:',
    '    name: kopia-repository-subvolume',
    '    namespace: default',
    'type: Opaque',
    `${field}:`,
    `    volumeHandle: ${enc(value)}`,
    sopsBlock('^(data|stringData)$'),
  ].join('\n');
}

/** The same with SOPS's default rules: every value encrypted, `kind` included. */
function sopsEverything(): string {
  return [
    `apiVersion: ${enc('v1')}`,
    `kind: ${enc('Secret')}`,
    'metadata:',
    `    name: ${enc('kopia-repository-subvolume')}`,
    `    namespace: ${enc('default')}`,
    `type: ${enc('Opaque')}`,
    'stringData:',
    `    volumeHandle: ${enc(HANDLE)}`,
    sopsBlock(),
  ].join('\n');
}

const ENCRYPTED_TEXT =
  'encrypted: cannot verify the saved handle (git/kopia-secret.sops.yaml is SOPS-encrypted); set kopia.savedVolumeHandle, or point kopia.handleSecretFile at a decrypted copy';

/** Loads drdeck.yaml pointing at the manifest in a sub-folder, as `drdeck --config DIR/drdeck.yaml` does. */
function load(manifest: string) {
  const cwd = dir({ 'drdeck.yaml': 'kopia:\n  handleSecretFile: git/kopia-secret.sops.yaml\n' });
  mkdirSync(join(cwd, 'git'));
  writeFileSync(join(cwd, 'git', 'kopia-secret.sops.yaml'), manifest);
  return loadConfig({ cwd, file: 'drdeck.yaml' }).config;
}

/** The Kopia PVC bound to a PV on another subvolume than the one saved: seed issue 2. */
const wrongVolume = makeSnapshot({
  persistentvolumeclaims: [pvc('default/kopia', 'Bound', { volumeName: 'pv-kopia' })],
  persistentvolumes: [pv('pv-kopia', OTHER)],
});

for (const [name, manifest] of [
  ['stringData, encrypted_regex ^(data|stringData)$', sopsSecret('stringData')],
  ['base64 data, encrypted_regex ^(data|stringData)$', sopsSecret('data')],
  ['every value encrypted, kind included', sopsEverything()],
] as const) {
  test(`a SOPS-encrypted Secret manifest (${name}): no handle; kopia.volume-handle unknown, never "wrong subvolume"; the reclaim refuses`, () => {
    const config = load(manifest);
    assert.equal(config.kopia.savedVolumeHandle, undefined, 'the ciphertext is not taken for the handle');
    assert.equal(config.kopia.handleUnknown, ENCRYPTED_TEXT);

    const result = runCheck(checkById('kopia.volume-handle')!, wrongVolume, config);
    assert.equal(result.status, 'unknown');
    assert.equal(result.summary, ENCRYPTED_TEXT);
    assert.deepEqual(
      result.evidence.map((e) => [e.kind, e.name, e.field, e.value]),
      [['Git', 'git/kopia-secret.sops.yaml', 'volumeHandle', 'SOPS-encrypted']],
    );

    const plan = reclaimKopia.plan(wrongVolume, config, { token: 't' });
    assert.equal(isPlan(plan), false, 'nothing is deleted on an unknown handle');
    assert.deepEqual(plan, { refused: ENCRYPTED_TEXT });
  });
}

test('the same PVC with the handle in clear (stringData, base64 data): wrong subvolume, and the reclaim plans', () => {
  for (const manifest of [
    `apiVersion: v1\nkind: Secret\nmetadata:\n  name: kopia-repository-subvolume\nstringData:\n  volumeHandle: ${HANDLE}\n`,
    `apiVersion: v1\nkind: Secret\nmetadata:\n  name: kopia-repository-subvolume\ndata:\n  volumeHandle: ${Buffer.from(HANDLE).toString('base64')}\n`,
  ]) {
    const config = load(manifest);
    assert.equal(config.kopia.savedVolumeHandle, HANDLE);
    assert.equal(config.kopia.handleUnknown, undefined);
    const result = runCheck(checkById('kopia.volume-handle')!, wrongVolume, config);
    assert.equal(result.status, 'fail');
    assert.match(result.summary, /^wrong subvolume: /);
    assert.equal(isPlan(reclaimKopia.plan(wrongVolume, config, { token: 't' })), true);
  }
});

test('a value SOPS left in clear (outside its encrypted_regex) is the handle', () => {
  const d = dir({
    'secret.yaml': [
      'apiVersion: v1',
      'kind: Secret',
      'metadata:',
      '    name: kopia-repository-subvolume',
      'stringData:',
      `    volumeHandle: ${HANDLE}`,
      `    password: ${enc('hunter2')}`,
      sopsBlock('^(password)$'),
    ].join('\n'),
  });
  assert.deepEqual(readSavedHandle(join(d, 'secret.yaml'), 'volumeHandle'), { savedVolumeHandle: HANDLE });
});

test('a SOPS file without the key is named as the problem, as a plain one is', () => {
  const d = dir({ 'secret.yaml': `kind: Secret\nstringData:\n    other: ${enc('x')}\n${sopsBlock()}` });
  assert.throws(
    () => readSavedHandle(join(d, 'secret.yaml'), 'volumeHandle'),
    (err: unknown) => err instanceof ConfigError && /has no Secret with "volumeHandle" in stringData or data$/.test(err.message),
  );
});
