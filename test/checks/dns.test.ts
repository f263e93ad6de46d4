import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DnsAnswer } from '../../src/cluster.js';
import { expectedRecords } from '../../src/checks/dns.js';
import { NOW, cond, gateway, httpRoute, makeConfig, makeSnapshot, runTable, service } from './fixtures.js';

const answer = (name: string, a: string[], aaaa: string[], error?: string): DnsAnswer => ({ name, a, aaaa, checkedAt: NOW, ...(error ? { error } : {}) });

const smtp = service('network/smtp-relay', {
  hostname: 'smtp-relay.sulibot.com',
  ips: 'fd00:101::1b:122,10.101.27.122',
  ingress: ['10.101.27.122'],
  families: ['IPv4'],
});
const gw = gateway('network/gateway-external', cond('Programmed', 'True'), ['10.101.27.64', 'fd00:101::1b:64']);
const plex = httpRoute('media/plex', ['plex.sulibot.com'], ['network/gateway-external']);

test('expectedRecords: Services by annotation, routes through their Gateway, other zones ignored', () => {
  const snapshot = makeSnapshot({
    services: [
      smtp,
      service('network/mqtt', { hostname: 'mqtt.sulibot.com, MQTT2.sulibot.com., mqtt.example.org', ingress: ['10.101.27.129'] }),
      service('default/internal', { hostname: 'internal.sulibot.com', type: 'ClusterIP' }),
    ],
    gateways: [gw],
    httproutes: [
      plex,
      httpRoute('media/off', ['off.sulibot.com'], ['network/gateway-external'], false),
      httpRoute('media/wild', ['*.sulibot.com'], ['network/gateway-external']),
    ],
  });
  assert.deepEqual(expectedRecords(snapshot, makeConfig()), [
    { name: 'mqtt.sulibot.com', a: ['10.101.27.129'], aaaa: [], sources: ['Service network/mqtt'] },
    { name: 'mqtt2.sulibot.com', a: ['10.101.27.129'], aaaa: [], sources: ['Service network/mqtt'] },
    { name: 'plex.sulibot.com', a: ['10.101.27.64'], aaaa: ['fd00:101::1b:64'], sources: ['HTTPRoute media/plex via Gateway network/gateway-external'] },
    { name: 'smtp-relay.sulibot.com', a: ['10.101.27.122'], aaaa: ['fd00:101::1b:122'], sources: ['Service network/smtp-relay'], statusLacks: ['AAAA'] },
  ]);
});

test('expectedRecords: no address yet, and a missing Gateway, give an unknownReason', () => {
  const snapshot = makeSnapshot({
    services: [service('network/new', { hostname: 'new.sulibot.com' })],
    httproutes: [httpRoute('media/plex', ['plex.sulibot.com'], ['network/gone'])],
  });
  const records = expectedRecords(snapshot, makeConfig());
  assert.equal(records.find((r) => r.name === 'new.sulibot.com')?.unknownReason, 'Service network/new has no address yet');
  assert.equal(records.find((r) => r.name === 'plex.sulibot.com')?.unknownReason, 'Gateway network/gone missing');
});

test('expectedRecords: a Service whose load balancer gave a hostname is said to have one, not "no address yet"', () => {
  const snapshot = makeSnapshot({ services: [service('network/elb', { hostname: 'elb.sulibot.com', ingressHostnames: ['lb-1.elb.example.com'] })] });
  const [record] = expectedRecords(snapshot, makeConfig());
  assert.equal(record.unknownReason, 'Service network/elb has the hostname lb-1.elb.example.com, not an address');
});

test('expectedRecords: a scoped address in a status gives no AAAA record to expect', () => {
  const snapshot = makeSnapshot({ services: [service('network/x', { hostname: 'x.sulibot.com', ingress: ['10.101.27.9', 'fe80::1%eth0'] })] });
  assert.deepEqual(
    expectedRecords(snapshot, makeConfig()).map((r) => [r.a, r.aaaa]),
    [[['10.101.27.9'], []]],
  );
});

runTable('dns.records', [
  {
    name: 'every name answers as expected',
    objects: { services: [smtp], gateways: [gw], httproutes: [plex] },
    options: {
      dns: [answer('smtp-relay.sulibot.com', ['10.101.27.122'], ['fd00:101::1b:122']), answer('plex.sulibot.com', ['10.101.27.64'], ['FD00:101:0::1b:64'])],
    },
    status: 'pass',
    summary: /^2\/2 names OK$/,
  },
  {
    name: 'seed issue 8: AAAA missing, with both the record and the dual-stack fix',
    objects: { services: [smtp] },
    options: { dns: [answer('smtp-relay.sulibot.com', ['10.101.27.122'], [])] },
    status: 'fail',
    summary: /^0\/1 names OK: smtp-relay\.sulibot\.com missing AAAA fd00:101::1b:122$/,
    fixes: ['dns-add-records', 'loadbalancers-dual-stack'],
  },
  {
    name: 'missing A from a Gateway: records only',
    objects: { gateways: [gw], httproutes: [plex] },
    options: { dns: [answer('plex.sulibot.com', [], ['fd00:101::1b:64'])] },
    status: 'fail',
    summary: /plex\.sulibot\.com missing A 10\.101\.27\.64/,
    fixes: ['dns-add-records'],
  },
  {
    name: 'wrong address',
    objects: { gateways: [gw], httproutes: [plex] },
    options: { dns: [answer('plex.sulibot.com', ['10.0.0.9'], ['fd00:101::1b:64'])] },
    status: 'fail',
    summary: /wrong A: expected 10\.101\.27\.64, answered 10\.0\.0\.9/,
  },
  {
    name: 'extra address warns',
    objects: { gateways: [gw], httproutes: [plex] },
    options: { dns: [answer('plex.sulibot.com', ['10.101.27.64', '10.0.0.9'], ['fd00:101::1b:64'])] },
    status: 'warn',
    summary: /extra A 10\.0\.0\.9/,
    fixes: [],
  },
  {
    name: 'resolver error',
    objects: { gateways: [gw], httproutes: [plex] },
    options: { dns: [answer('plex.sulibot.com', [], [], 'timeout after 2000 ms')] },
    status: 'unknown',
    summary: /resolver error: timeout/,
  },
  {
    name: 'not asked yet',
    objects: { gateways: [gw], httproutes: [plex] },
    status: 'pending',
    summary: /0\/1 names OK; 1 not asked yet/,
  },
  { name: 'no published names', status: 'pass', summary: /no published names in sulibot\.com/ },
  {
    name: 'no resolver configured',
    objects: { gateways: [gw], httproutes: [plex] },
    options: { sync: { dns: { phase: 'not-installed' } } },
    status: 'unknown',
    summary: /^no resolver configured \(dns\.servers\)$/,
  },
  {
    name: 'Gateway API not installed does not block Service names',
    objects: { services: [smtp] },
    options: {
      sync: { gateways: { phase: 'not-installed' }, httproutes: { phase: 'not-installed' } },
      dns: [answer('smtp-relay.sulibot.com', ['10.101.27.122'], ['fd00:101::1b:122'])],
    },
    status: 'pass',
  },
]);
