import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config/load.js';

function dir(files: Record<string, string>): string {
  const d = mkdtempSync(join(tmpdir(), 'drdeck-config-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(d, name)), { recursive: true });
    writeFileSync(join(d, name), text);
  }
  return d;
}

/** An environment with no user config: XDG_CONFIG_HOME points at an empty folder, DRDECK_CONFIG unset. */
const noUserConfig = (): NodeJS.ProcessEnv => ({ XDG_CONFIG_HOME: dir({}) });

test('no config file gives the seed defaults', () => {
  const cwd = dir({});
  const { config, file, notices } = loadConfig({ cwd, file: undefined, env: noUserConfig() });
  assert.equal(file, undefined);
  assert.deepEqual(notices, []);
  assert.equal(config.kopia.pvc, 'default/kopia');
  assert.deepEqual(config.flux.essential, ['flux-system', 'cert-manager', 'external-secrets', 'ceph-csi', 'volsync']);
  assert.equal(config.restores.expectedCount, 22);
});

test('--config is read and overrides the defaults, keeping the rest', () => {
  const cwd = dir({ 'drdeck.yaml': 'restores:\n  expectedCount: 5\n' });
  const { config, file, notices } = loadConfig({ cwd, file: 'drdeck.yaml', env: noUserConfig() });
  assert.equal(file, join(cwd, 'drdeck.yaml'));
  assert.equal(config.restores.expectedCount, 5);
  assert.equal(config.kopia.pvc, 'default/kopia');
  assert.deepEqual(notices, [], 'the ./drdeck.yaml that was read is not mentioned');
});

test('./drdeck.yaml is never read by itself, and says so once', () => {
  // A hostile one: it would point the router at plain http and send a file of the attacker's choice.
  const cwd = dir({
    'drdeck.yaml': 'restores:\n  expectedCount: 5\ndns:\n  routeros:\n    url: http://evil.example\n    user: x\n    passwordFile: /etc/shadow\n',
  });
  const { config, file, notices } = loadConfig({ cwd, env: noUserConfig() });
  assert.equal(file, undefined);
  assert.equal(config.restores.expectedCount, 22);
  assert.equal(config.dns.routeros, undefined);
  assert.deepEqual(notices, ['not reading ./drdeck.yaml (pass --config drdeck.yaml to use it)']);
  // Also when another file is read, from any of the three places.
  const other = join(dir({ 'c.yaml': 'restores:\n  expectedCount: 7\n' }), 'c.yaml');
  for (const options of [{ file: other }, { env: { ...noUserConfig(), DRDECK_CONFIG: other } }]) {
    const loaded = loadConfig({ cwd, env: noUserConfig(), ...options });
    assert.equal(loaded.config.restores.expectedCount, 7);
    assert.equal(loaded.notices.length, 1);
  }
});

test('the order: --config, then $DRDECK_CONFIG, then $XDG_CONFIG_HOME/drdeck/config.yaml', () => {
  const xdg = dir({ 'drdeck/config.yaml': 'restores:\n  expectedCount: 3\n' });
  const cwd = dir({ 'env.yaml': 'restores:\n  expectedCount: 4\n', 'flag.yaml': 'restores:\n  expectedCount: 5\n' });
  const count = (options: Parameters<typeof loadConfig>[0]) => loadConfig({ cwd, ...options }).config.restores.expectedCount;
  assert.equal(count({ env: { XDG_CONFIG_HOME: xdg } }), 3);
  assert.equal(loadConfig({ cwd, env: { XDG_CONFIG_HOME: xdg } }).file, join(xdg, 'drdeck', 'config.yaml'));
  assert.equal(count({ env: { XDG_CONFIG_HOME: xdg, DRDECK_CONFIG: 'env.yaml' } }), 4, '$DRDECK_CONFIG, relative to the working directory');
  assert.equal(count({ env: { XDG_CONFIG_HOME: xdg, DRDECK_CONFIG: 'env.yaml' }, file: 'flag.yaml' }), 5);
  // An empty variable is as good as unset.
  assert.equal(count({ env: { XDG_CONFIG_HOME: xdg, DRDECK_CONFIG: '' } }), 3);
});

test('$DRDECK_CONFIG naming a missing file is an error that says where the name came from', () => {
  const cwd = dir({});
  assert.throws(
    () => loadConfig({ cwd, env: { ...noUserConfig(), DRDECK_CONFIG: '/nonexistent/drdeck.yaml' } }),
    (err: unknown) =>
      err instanceof ConfigError && err.message === '/nonexistent/drdeck.yaml: cannot read the config file (no such file, named by $DRDECK_CONFIG)',
  );
});

test("relative paths in the config resolve against the config's folder, not the working directory", () => {
  const handle = '0001-0024-a1b2c3d4-0000-4000-8000-000000000001-0000000000000001-6b1f0a32-5a5e-11ef-9e8a-0a580a2a0207';
  const home = dir({
    'conf/drdeck.yaml': [
      'kopia:',
      '  handleSecretFile: git/secret.yaml',
      'dns:',
      '  routeros:',
      '    url: https://10.0.0.1',
      '    user: drdeck',
      '    passwordFile: router-password',
      '    caFile: ../pki/router-ca.pem',
      '',
    ].join('\n'),
    'conf/git/secret.yaml': `kind: Secret\nstringData:\n  volumeHandle: ${handle}\n`,
  });
  const elsewhere = dir({});
  const { config } = loadConfig({ cwd: elsewhere, file: join(home, 'conf', 'drdeck.yaml'), env: noUserConfig() });
  assert.equal(config.kopia.savedVolumeHandle, handle);
  assert.equal(config.dns.routeros?.passwordFile, join(home, 'conf', 'router-password'));
  assert.equal(config.dns.routeros?.caFile, join(home, 'pki', 'router-ca.pem'));
  // Absolute paths stay as they are.
  const absolute = dir({ 'c.yaml': 'dns:\n  routeros:\n    url: https://r\n    user: u\n    passwordFile: /run/secrets/router\n' });
  assert.equal(loadConfig({ cwd: elsewhere, file: join(absolute, 'c.yaml'), env: noUserConfig() }).config.dns.routeros?.passwordFile, '/run/secrets/router');
});

test('an http:// router is refused unless allowInsecureHttp says otherwise, naming the field and why', () => {
  const cwd = dir({
    'http.yaml': 'dns:\n  routeros:\n    url: http://192.168.88.1:8080\n    user: drdeck\n    passwordEnv: PW\n',
    'allowed.yaml': 'dns:\n  routeros:\n    url: http://192.168.88.1:8080\n    user: drdeck\n    passwordEnv: PW\n    allowInsecureHttp: true\n',
    'https.yaml': 'dns:\n  routeros:\n    url: https://192.168.88.1\n    user: drdeck\n    passwordEnv: PW\n',
  });
  assert.throws(
    () => loadConfig({ cwd, file: 'http.yaml', env: noUserConfig() }),
    (err: unknown) =>
      err instanceof ConfigError &&
      err.message.startsWith(`${join(cwd, 'http.yaml')}: invalid config\n`) &&
      /^ {2}dns\.routeros\.url: http:\/\/ would send the router password in clear text \(Basic auth\).*allowInsecureHttp: true/m.test(err.message),
  );
  assert.equal(loadConfig({ cwd, file: 'allowed.yaml', env: noUserConfig() }).config.dns.routeros?.allowInsecureHttp, true);
  assert.equal(loadConfig({ cwd, file: 'https.yaml', env: noUserConfig() }).config.dns.routeros?.url, 'https://192.168.88.1');
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
      () => loadConfig({ cwd, file: 'drdeck.yaml', env: noUserConfig() }),
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
  assert.equal(loadConfig({ cwd, file: 'drdeck.yaml' }).config.kopia.savedVolumeHandle, handle);

  const cwd2 = dir({
    'drdeck.yaml': 'kopia:\n  handleSecretFile: secret.yaml\n  handleSecretKey: handle\n',
    'secret.yaml': `---\nkind: ConfigMap\n---\nkind: Secret\ndata:\n  handle: ${Buffer.from(handle).toString('base64')}\n`,
  });
  assert.equal(loadConfig({ cwd: cwd2, file: 'drdeck.yaml' }).config.kopia.savedVolumeHandle, handle);
});

test('a Secret manifest without the key is named as the problem', () => {
  const cwd = dir({
    'drdeck.yaml': 'kopia:\n  handleSecretFile: secret.yaml\n',
    'secret.yaml': 'kind: Secret\nstringData:\n  other: x\n',
  });
  assert.throws(() => loadConfig({ cwd, file: 'drdeck.yaml' }), /kopia\.handleSecretFile: .*secret\.yaml has no Secret with "volumeHandle"/);
});
