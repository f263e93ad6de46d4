/**
 * Ranges in the config are checked when it loads: the LoadBalancer scheme's hostMin..hostMax (every
 * evaluation walks it: hostMax 10000000 cost 20 s and 800 MB each time) and its prefixes, and the
 * VolSync movers. Each problem is one line naming the file and the field.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config/load.js';

/** Loads `text` as a config file; the error message, or '' when it loads. */
function load(text: string): string {
  const cwd = mkdtempSync(join(tmpdir(), 'drdeck-ranges-'));
  writeFileSync(join(cwd, 'c.yaml'), text);
  try {
    loadConfig({ cwd, file: 'c.yaml', env: { XDG_CONFIG_HOME: cwd } });
    return '';
  } catch (error) {
    assert.ok(error instanceof ConfigError, `a ConfigError, not ${String(error)}`);
    assert.ok(error.message.startsWith(`${join(cwd, 'c.yaml')}: invalid config\n`), error.message);
    return error.message.split('\n').slice(1).join('\n');
  }
}

const REFUSED: Array<[string, string, string]> = [
  ['hostMax past the last IPv4 octet', 'loadbalancers:\n  hostMax: 10000000\n', '  loadbalancers.hostMax: must be 0-255 (the last part of an IPv4 address)'],
  ['a negative hostMin', 'loadbalancers:\n  hostMin: -1\n', '  loadbalancers.hostMin: must be 0-255 (the last part of an IPv4 address)'],
  ['hostMin above hostMax', 'loadbalancers:\n  hostMin: 200\n  hostMax: 150\n', '  loadbalancers.hostMax: must not be below hostMin (200)'],
  [
    'an IPv4 prefix that spells no address',
    'loadbalancers:\n  ipv4Prefix: "10.101."\n',
    '  loadbalancers.ipv4Prefix: "10.101.100" is no IPv4 address: give the address up to its last part, e.g. "10.101.27."',
  ],
  [
    'an IPv6 prefix that spells no address',
    'loadbalancers:\n  ipv6Prefix: "fd00:101:1b:"\n',
    '  loadbalancers.ipv6Prefix: "fd00:101:1b:100" is no IPv6 address: give the address up to its last part, e.g. "fd00:101::1b:"',
  ],
  [
    'a mover VolSync does not have',
    'restores:\n  movers: [borg]\n',
    '  restores.movers.0: Invalid option: expected one of "kopia"|"restic"|"rclone"|"rsync"|"rsyncTLS"',
  ],
];

for (const [name, text, expected] of REFUSED) {
  test(`config refused: ${name}, in one line naming the field`, () => assert.equal(load(text), expected));
}

test('the widest scheme and other spellings of the prefixes load', () => {
  assert.equal(load('loadbalancers:\n  hostMin: 0\n  hostMax: 255\n'), '');
  assert.equal(load('loadbalancers:\n  hostMin: 7\n  hostMax: 7\n'), '');
  assert.equal(load('loadbalancers:\n  ipv6Prefix: "FD00:101:0:0:0:0:1B:"\n  ipv4Prefix: "192.168.1."\n'), '');
  assert.equal(load('restores:\n  movers: [kopia, restic]\n'), '');
});
