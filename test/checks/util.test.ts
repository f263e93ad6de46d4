import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canonicalIp, isIpv4Mapped, perItem, perItemTimed, sameIp, type Clock, type ItemsMemo, type TimedItemsMemo } from '../../src/checks/util.js';

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

test('perItem: only the items that are new objects are computed again; the same array back when no value changed', () => {
  const memo: ItemsMemo<string> = {};
  const calls: string[] = [];
  const name = (o: { name: string; v: number }) => (calls.push(o.name), `${o.name}=${o.v}`);
  const [a, b, c] = [
    { name: 'a', v: 1 },
    { name: 'b', v: 1 },
    { name: 'c', v: 1 },
  ];
  const first = perItem(memo, [a, b, c], 'k', name);
  assert.deepEqual(first, ['a=1', 'b=1', 'c=1']);
  assert.equal(perItem(memo, [a, b, c], 'k', name), first, 'nothing new: the very array');
  const b2 = { name: 'b', v: 2 };
  calls.length = 0;
  assert.deepEqual(perItem(memo, [a, b2, c], 'k', name), ['a=1', 'b=2', 'c=1']);
  assert.deepEqual(calls, ['b']);
  calls.length = 0;
  const second = perItem(memo, [a, b2, c], 'k', name);
  assert.equal(perItem(memo, [a, b2, c], 'other key', name), second, 'all again, but the same values: the very array');
  assert.deepEqual(calls, ['a', 'b', 'c'], 'another key: all again');
  calls.length = 0;
  assert.deepEqual(perItem(memo, [a, c], 'other key', name), ['a=1', 'c=1'], 'another length: all again');
  assert.deepEqual(calls, ['a', 'c']);
});

test('perItemTimed: an item is computed again once its own deadline passes, and the earliest deadline is noted', () => {
  const memo: TimedItemsMemo<string> = {};
  const calls: string[] = [];
  // Each item's text changes every `every` ms.
  const text = (o: { name: string; every: number }, clock: Clock) => {
    calls.push(o.name);
    const n = Math.floor(clock.now / o.every);
    if (clock.deadline) clock.deadline.at = Math.min(clock.deadline.at, (n + 1) * o.every);
    return `${o.name}:${n}`;
  };
  const items = [
    { name: 'fast', every: 1_000 },
    { name: 'slow', every: 60_000 },
  ];
  const run = (now: number) => {
    const deadline = { at: Infinity };
    return { values: perItemTimed(memo, items, null, { now, deadline }, text), deadline: deadline.at };
  };
  assert.deepEqual(run(500), { values: ['fast:0', 'slow:0'], deadline: 1_000 });
  calls.length = 0;
  assert.deepEqual(run(1_500), { values: ['fast:1', 'slow:0'], deadline: 2_000 });
  assert.deepEqual(calls, ['fast'], 'slow still reads the same: not computed');
  calls.length = 0;
  assert.deepEqual(run(60_100), { values: ['fast:60', 'slow:1'], deadline: 61_000 });
  assert.deepEqual(calls, ['fast', 'slow']);
  calls.length = 0;
  assert.deepEqual(run(30_000), { values: ['fast:30', 'slow:0'], deadline: 31_000 }, 'the clock went back: all again');
  assert.deepEqual(calls, ['fast', 'slow']);
});
