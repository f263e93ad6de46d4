import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SimDns } from '../../src/sim/dns.js';

test('answers A and AAAA from its table, case-insensitively, asynchronously', async () => {
  const dns = new SimDns();
  dns.set('Plex.sulibot.com.', 'A', ['10.101.27.124']);
  dns.add('plex.sulibot.com', 'AAAA', 'fd00:101::1b:124');
  let answered = false;
  const pending = dns.query('PLEX.sulibot.com', 'A', 1000).then((a) => ((answered = true), a));
  assert.equal(answered, false, 'never answers inside the call');
  assert.deepEqual(await pending, ['10.101.27.124']);
  assert.deepEqual(await dns.query('plex.sulibot.com', 'AAAA', 1000), ['fd00:101::1b:124']);
  assert.deepEqual(await dns.query('nothing.sulibot.com', 'A', 1000), []);
  assert.equal(dns.label, 'demo');
});

test('remove drops one address, one type, or the whole name', () => {
  const dns = new SimDns();
  dns.set('a.sulibot.com', 'A', ['10.0.0.1', '10.0.0.2']);
  dns.set('a.sulibot.com', 'AAAA', ['fd00::1']);
  dns.remove('a.sulibot.com', 'A', '10.0.0.1');
  assert.deepEqual(dns.lookup('a.sulibot.com', 'A'), ['10.0.0.2']);
  dns.remove('a.sulibot.com', 'AAAA');
  assert.deepEqual(dns.records(), [{ name: 'a.sulibot.com', type: 'A', address: '10.0.0.2' }]);
  dns.remove('a.sulibot.com');
  assert.deepEqual(dns.records(), []);
});

test('an unreachable server rejects with a readable message', async () => {
  const dns = new SimDns();
  dns.setFailure('connection refused');
  await assert.rejects(dns.query('plex.sulibot.com', 'A', 100), /connection refused/);
  dns.setFailure(undefined);
  dns.setLatency(50);
  await assert.rejects(dns.query('plex.sulibot.com', 'A', 5), /timed out after 5 ms/);
});
