import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canonicalIp, isIpv4Mapped, sameIp } from '../../src/checks/util.js';

const CANONICAL: Array<[string, string]> = [
  ['FD00::0001', 'fd00::1'],
  ['fd00:101::1b:122', 'fd00:101::1b:122'],
  ['FD00:101:0:0:0:0:1B:0122', 'fd00:101::1b:122'],
  ['fd00:101:0::1b:122', 'fd00:101::1b:122'],
  // RFC 5952: the first of two equally long runs of zeros is the one compressed; a single zero group never.
  ['1:0:0:2:0:0:3:4', '1::2:0:0:3:4'],
  ['1:0:0:2:0:0:0:3', '1:0:0:2::3'],
  ['1:2:3:4:5:6:7:0', '1:2:3:4:5:6:7:0'],
  ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0'],
  ['0:0:0:0:0:0:0:0', '::'],
  ['0:0:0:0:0:0:0:1', '::1'],
  // IPv4-mapped: one spelling, with the IPv4 part dotted.
  ['::ffff:10.0.0.1', '::ffff:10.0.0.1'],
  ['::FFFF:a00:1', '::ffff:10.0.0.1'],
  ['0:0:0:0:0:ffff:0a00:0001', '::ffff:10.0.0.1'],
  ['1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5:6:102:304'],
  ['fe80::0001%eth0', 'fe80::1%eth0'],
  [' 10.0.0.1 ', '10.0.0.1'],
  ['banana', 'banana'],
];

test('canonicalIp: one spelling per address', () => {
  for (const [text, canonical] of CANONICAL) assert.equal(canonicalIp(text), canonical, text);
});

test('sameIp and isIpv4Mapped', () => {
  assert.ok(sameIp('FD00::0001', 'fd00::1'));
  assert.ok(sameIp('::ffff:10.0.0.1', '::ffff:a00:1'));
  assert.ok(!sameIp('fd00::1', 'fd00::2'));
  // An IPv4-mapped address is still IPv6 text: it is not the same text as the IPv4 address, but is said to map it.
  assert.ok(!sameIp('::ffff:10.0.0.1', '10.0.0.1'));
  assert.ok(isIpv4Mapped('::ffff:10.0.0.1'));
  assert.ok(isIpv4Mapped('0:0:0:0:0:FFFF:a00:1'));
  assert.ok(!isIpv4Mapped('10.0.0.1'));
  assert.ok(!isIpv4Mapped('fd00::ffff:a00:1'));
  assert.ok(!isIpv4Mapped('banana'));
});
