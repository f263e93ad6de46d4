import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addressProposals } from '../../src/checks/loadbalancers.js';
import { makeDualStack } from '../../src/fixes/make-dual-stack.js';
import { cond, evaluate, makeConfig, makeSnapshot, runTable, service } from './fixtures.js';

const DUAL = ['IPv4', 'IPv6'];
const good = (name: string, n: number) =>
  service(`network/${name}`, {
    ips: `fd00:101::1b:${n},10.101.27.${n}`,
    ingress: [`10.101.27.${n}`, `fd00:101::1b:${n}`],
    policy: 'RequireDualStack',
    families: DUAL,
  });

runTable('loadbalancers.dual-stack-annotation', [
  { name: 'both families in the scheme', objects: { services: [good('smtp-relay', 122), good('mosquitto', 129)] }, status: 'pass' },
  {
    name: 'ClusterIP Services are ignored',
    objects: { services: [service('default/api', { type: 'ClusterIP' })] },
    status: 'pass',
    summary: /no LoadBalancer/,
  },
  {
    name: 'seed issue 6: IPv6 only, the IPv4 proposed from the scheme',
    objects: { services: [service('network/smtp-relay', { ips: 'fd00:101::1b:122' })] },
    status: 'fail',
    summary: /network\/smtp-relay 0 IPv4, 1 IPv6 \(needs exactly one of each, add 10\.101\.27\.122\)/,
    gitHint: /network\/smtp-relay: lbipam\.cilium\.io\/ips: fd00:101::1b:122,10\.101\.27\.122/,
  },
  {
    name: 'IPv4 only, the IPv6 proposed',
    objects: { services: [service('network/mqtt', { ips: '10.101.27.129' })] },
    status: 'fail',
    summary: /add fd00:101::1b:129/,
  },
  {
    name: 'missing annotation warns and proposes a free address',
    objects: { services: [good('a', 100), service('network/new')] },
    status: 'warn',
    summary: /^1\/2 without annotation: network\/new$/,
    then: (r) => assert.equal(r.evidence[0].value, 'unset (no LB-IPAM annotation)'),
    gitHint: /network\/new: lbipam\.cilium\.io\/ips: fd00:101::1b:101,10\.101\.27\.101/,
  },
  {
    name: 'garbage tokens are named',
    objects: { services: [service('network/x', { ips: 'fd00::1,,banana' })] },
    status: 'fail',
    summary: /not an IP: "banana"/,
  },
  {
    name: 'two addresses of one family',
    objects: { services: [service('network/x', { ips: '10.101.27.1,10.101.27.2' })] },
    status: 'fail',
    summary: /2 IPv4, 0 IPv6/,
  },
  {
    name: 'different host parts break the scheme',
    objects: { services: [service('network/x', { ips: 'fd00:101::1b:123,10.101.27.122' })] },
    status: 'warn',
    summary: /^1\/1 outside the scheme fd00:101::1b:N,10\.101\.27\.N \(same N, 100-255\): network\/x$/,
  },
  {
    name: 'outside hostMin..hostMax breaks the scheme',
    objects: { services: [service('network/x', { ips: 'fd00:101::1b:50,10.101.27.50' })] },
    status: 'warn',
  },
  {
    name: 'the three cases apart: bad, outside the scheme, no annotation; worst first',
    objects: {
      services: [
        good('ok', 120),
        service('network/emby', { ips: 'fd00:101::1b:125' }),
        service('network/plex', { ips: 'fd00:101::1b:200,10.101.27.201' }),
        service('network/new'),
      ],
    },
    status: 'fail',
    summary:
      /^1\/4 annotations not one IPv4 \+ one IPv6: network\/emby 0 IPv4, 1 IPv6 \(needs exactly one of each, add 10\.101\.27\.125\); 1\/4 outside the scheme fd00:101::1b:N,10\.101\.27\.N \(same N, 100-255\): network\/plex; 1\/4 without annotation: network\/new$/,
    then: (r) =>
      assert.deepEqual(
        r.evidence.map((e) => `${e.name} ${e.status}`),
        ['emby fail', 'new warn', 'plex warn', 'ok pass'],
      ),
  },
  {
    name: 'a valid pair outside the scheme is not called "not IPv4+IPv6"',
    objects: { services: [service('network/x', { ips: '2001:db8::7,192.0.2.7' })] },
    status: 'warn',
    then: (r) => {
      assert.doesNotMatch(r.summary, /not one IPv4/);
      assert.equal(r.evidence[0].value, '2001:db8::7,192.0.2.7 (valid IPv4+IPv6, outside the scheme fd00:101::1b:N,10.101.27.N (same N, 100-255))');
    },
  },
  {
    name: 'the scheme is compared canonically: FD00:101:0:0:0:0:1B:0122 is fd00:101::1b:122',
    objects: { services: [service('network/x', { ips: 'FD00:101:0:0:0:0:1B:0122, 10.101.27.122' })] },
    status: 'pass',
    summary: /^1\/1 annotations IPv4\+IPv6 in the scheme$/,
  },
  {
    name: 'a canonically written address counts as taken when proposing a free one',
    objects: { services: [service('network/a', { ips: 'FD00:101::1B:0100' }), service('network/new')] },
    status: 'fail',
    gitHint: /network\/new: lbipam\.cilium\.io\/ips: fd00:101::1b:101,10\.101\.27\.101/,
  },
  {
    name: 'an IPv4-mapped IPv6 address is IPv4 written as IPv6: bad, with what to write',
    objects: { services: [service('network/x', { ips: '::ffff:10.101.27.122,10.101.27.122' })] },
    status: 'fail',
    summary: /network\/x ::ffff:10\.101\.27\.122 is IPv4 written as IPv6 \(write 10\.101\.27\.122\)/,
  },
  {
    name: 'a scoped IPv6 address (fe80::1%eth0) is not an address a Service can have',
    objects: { services: [service('network/x', { ips: 'fe80::1%eth0,10.101.27.122' })] },
    status: 'fail',
    summary: /network\/x not an IP: "fe80::1%eth0" \(scoped to an interface: drop %eth0\)/,
  },
  {
    name: 'more non-canonical spellings that follow the scheme pass: zeros written out, :: elsewhere, upper case',
    objects: {
      services: [
        service('network/a', { ips: 'fd00:0101:0000:0000:0000:0000:001b:0122,10.101.27.122' }),
        service('network/b', { ips: 'FD00:101:0:0::1B:123,10.101.27.123' }),
        service('network/c', { ips: 'fd00:101::0:1b:124, 10.101.27.124' }),
      ],
    },
    status: 'pass',
    summary: /^3\/3 annotations IPv4\+IPv6 in the scheme$/,
  },
  {
    name: 'proposals never collide: two Services without annotation get two different free pairs',
    objects: { services: [good('a', 100), service('network/new1'), service('network/new2')] },
    status: 'warn',
    gitHint:
      /network\/new1: lbipam\.cilium\.io\/ips: fd00:101::1b:101,10\.101\.27\.101\n {2}network\/new2: lbipam\.cilium\.io\/ips: fd00:101::1b:102,10\.101\.27\.102$/,
  },
  {
    name: 'an address LB-IPAM gave a Service without annotation is not proposed to another',
    objects: { services: [service('network/old', { ingress: ['10.101.27.100'] }), service('network/new')] },
    status: 'warn',
    gitHint:
      /network\/new: lbipam\.cilium\.io\/ips: fd00:101::1b:101,10\.101\.27\.101\n {2}network\/old: lbipam\.cilium\.io\/ips: fd00:101::1b:100,10\.101\.27\.100$/,
  },
  {
    name: "an IPv6-only annotation whose IPv4 twin is another Service's: a whole free pair, not the taken address",
    objects: { services: [service('network/a', { ips: 'fd00:101::1b:122' }), service('network/b', { ips: 'fd00:101::1b:200,10.101.27.122' })] },
    status: 'fail',
    then: (r) => {
      assert.match(r.summary, /network\/a 0 IPv4, 1 IPv6 \(needs exactly one of each, add 10\.101\.27\.100\)/);
      assert.match(r.gitHint ?? '', /network\/a: lbipam\.cilium\.io\/ips: fd00:101::1b:100,10\.101\.27\.100/);
    },
  },
  {
    name: 'the annotation name comes from the config',
    objects: { services: [service('network/x', { ips: 'banana' })] },
    config: { loadbalancers: { annotation: 'example.com/ips' } },
    status: 'warn',
    summary: /without annotation: network\/x/,
  },
]);

runTable('loadbalancers.external-ip', [
  { name: 'every LoadBalancer has an address', objects: { services: [good('a', 122)] }, status: 'pass' },
  {
    name: 'pending, with the IPAM condition',
    objects: {
      services: [
        service('network/x', {
          ips: 'fd00:101::1b:122,10.101.27.122',
          families: DUAL,
          policy: 'RequireDualStack',
          conditions: [cond('cilium.io/IPAMRequestSatisfied', 'False', 'no_pool', 'no pool for IPv6')],
        }),
      ],
    },
    status: 'fail',
    summary: /1\/1 EXTERNAL-IP pending: network\/x \(IPAM no_pool: no pool for IPv6\)/,
    fixes: [],
  },
  {
    name: 'the older IPAM condition spelling is read too',
    objects: { services: [service('network/x', { conditions: [cond('io.cilium/lb-ipam-request-satisfied', 'False', 'out_of_ips')] })] },
    status: 'fail',
    summary: /IPAM out_of_ips/,
  },
  {
    name: 'a status with only a hostname has an external address: not "EXTERNAL-IP pending"',
    objects: { services: [service('network/x', { ingressHostnames: ['lb-1234.elb.example.com'] })] },
    status: 'pass',
    summary: /^1\/1 have an EXTERNAL-IP$/,
    then: (r) => assert.equal(r.evidence[0].value, 'lb-1234.elb.example.com'),
  },
  {
    name: 'seed issue 6: IPv6 requested on a SingleStack IPv4 Service',
    objects: { services: [service('network/smtp-relay', { ips: 'fd00:101::1b:122', families: ['IPv4'], policy: 'SingleStack' })] },
    status: 'fail',
    summary: /annotation asks IPv6 but ipFamilies is IPv4 \(SingleStack\)/,
    fixes: ['loadbalancers-dual-stack'],
  },
]);

runTable('loadbalancers.status-families', [
  { name: 'status has both', objects: { services: [good('a', 122)] }, status: 'pass', summary: /^every annotated family in the status of 1 LoadBalancer$/ },
  {
    name: 'seed issue 8: IPv4 only in the status of a SingleStack Service',
    objects: { services: [service('network/smtp-relay', { ips: 'fd00:101::1b:122,10.101.27.122', ingress: ['10.101.27.122'], families: ['IPv4'] })] },
    status: 'fail',
    summary:
      /^1 lack a family in status \(external-dns publishes only the status\): network\/smtp-relay has no IPv6 \(ipFamilyPolicy SingleStack \(default\), ipFamilies IPv4\)/,
    fixes: ['loadbalancers-dual-stack'],
  },
  {
    name: 'dual-stack policy but still one family: a Cilium pool, not the policy',
    objects: {
      services: [service('network/x', { ips: 'fd00:101::1b:122,10.101.27.122', ingress: ['10.101.27.122'], families: DUAL, policy: 'PreferDualStack' })],
    },
    status: 'fail',
    summary: /is there a Cilium LB-IPAM pool for IPv6\?/,
    fixes: [],
  },
  {
    name: 'status and annotation compared canonically: the same addresses however written',
    objects: {
      services: [
        service('network/x', {
          ips: 'FD00:101::1B:0122,10.101.27.122',
          ingress: ['10.101.27.122', 'fd00:101::1b:122'],
          families: DUAL,
          policy: 'RequireDualStack',
        }),
      ],
    },
    status: 'pass',
  },
  {
    name: 'every family there, but not the addresses the annotation asks for: warn',
    objects: {
      services: [
        service('network/x', {
          ips: 'fd00:101::1b:122,10.101.27.122',
          ingress: ['10.101.27.50', 'fd00:101::1b:122'],
          families: DUAL,
          policy: 'RequireDualStack',
        }),
      ],
    },
    status: 'warn',
    summary: /^1 with other addresses than the annotation asks: network\/x has 10\.101\.27\.50, fd00:101::1b:122, not 10\.101\.27\.122$/,
  },
  {
    name: 'a hostname in the status instead of the addresses asked for: a warning that says so, not "pending"',
    objects: { services: [service('network/x', { ips: 'fd00:101::1b:122,10.101.27.122', ingressHostnames: ['lb.example.com'] })] },
    status: 'warn',
    summary: /^1 with other addresses than the annotation asks: network\/x has hostname lb\.example\.com, not 10\.101\.27\.122, fd00:101::1b:122$/,
  },
  {
    name: 'a scoped address in the status is no IPv6 address',
    objects: {
      services: [
        service('network/x', {
          ips: 'fd00:101::1b:122,10.101.27.122',
          ingress: ['10.101.27.122', 'fd00:101::1b:122%eth0'],
          families: DUAL,
          policy: 'RequireDualStack',
        }),
      ],
    },
    status: 'fail',
    summary: /network\/x has no IPv6/,
  },
  {
    name: 'no status yet is left to external-ip',
    objects: { services: [service('network/x', { ips: 'fd00:101::1b:122,10.101.27.122' })] },
    status: 'pass',
    then: (r) => assert.equal(r.evidence[0].status, 'pending'),
  },
]);

runTable('loadbalancers.address-conflict', [
  { name: 'each address once', objects: { services: [good('a', 122), good('b', 123)] }, status: 'pass', summary: /^4 addresses claimed once each$/ },
  {
    name: 'one address claimed twice, also when written differently',
    objects: { services: [service('network/a', { ips: 'fd00:101::1b:122,10.101.27.122' }), service('network/b', { ips: 'FD00:101:0::1b:122,10.101.27.123' })] },
    status: 'fail',
    summary: /^1 address claimed twice: fd00:101::1b:122 by network\/a and network\/b$/,
  },
  {
    name: 'leading zeros and upper case: FD00::0001 is fd00::1',
    objects: { services: [service('network/a', { ips: 'fd00::1,10.0.0.1' }), service('network/b', { ips: 'FD00::0001,10.0.0.2' })] },
    status: 'fail',
    summary: /^1 address claimed twice: fd00::1 by network\/a and network\/b$/,
  },
]);

test('proposals are free of every claimed and offered address, and stable across evaluations', () => {
  const services = [
    service('network/a'),
    service('network/b', { ips: 'fd00:101::1b:101,10.101.27.101' }),
    service('network/c', { ips: '10.101.27.103' }),
    service('network/d', { ingress: ['10.101.27.100', 'fd00:101::1b:104'] }),
    service('network/e', { ips: 'banana' }),
    service('network/f'),
  ];
  const snapshot = makeSnapshot({ services });
  const proposals = addressProposals(snapshot, makeConfig());
  // d has no annotation: its status holds 100 and 104, so it is offered 100 and nobody else 104; c keeps its own 103.
  assert.deepEqual(Object.fromEntries(proposals), {
    'network/a': { v6: 'fd00:101::1b:102', v4: '10.101.27.102' },
    'network/c': { v6: 'fd00:101::1b:103', v4: '10.101.27.103' },
    'network/d': { v6: 'fd00:101::1b:100', v4: '10.101.27.100' },
    'network/e': { v6: 'fd00:101::1b:105', v4: '10.101.27.105' },
    'network/f': { v6: 'fd00:101::1b:106', v4: '10.101.27.106' },
  });
  assert.deepEqual(Object.fromEntries(addressProposals(snapshot, makeConfig())), Object.fromEntries(proposals));
  // Written into the annotations, the proposals raise no address conflict.
  const applied = services.map((svc) => {
    const p = proposals.get(`${svc.metadata.namespace}/${svc.metadata.name}`);
    if (!p) return svc;
    return { ...svc, metadata: { ...svc.metadata, annotations: { ...svc.metadata.annotations, 'lbipam.cilium.io/ips': `${p.v6},${p.v4}` } } };
  });
  assert.equal(evaluate('loadbalancers.address-conflict', makeSnapshot({ services: applied })).status, 'pass');
});

test('no free pair left: no proposal rather than a taken one', () => {
  const snapshot = makeSnapshot({ services: [good('a', 100), good('b', 101), service('network/new')] });
  const proposals = addressProposals(snapshot, makeConfig({ loadbalancers: { hostMin: 100, hostMax: 101 } }));
  assert.deepEqual([...proposals], [['network/new', undefined]]);
});

test("the fix's Git snippet offers the same free pairs as the check's hint, never one address twice", () => {
  const snapshot = makeSnapshot({ services: [good('a', 100), service('network/new1'), service('network/new2', { ips: '10.101.27.100' })] });
  const config = makeConfig();
  const plan = makeDualStack.plan(snapshot, config, { token: 'test' });
  assert.ok('requests' in plan, 'a plan');
  const offered = [...(plan.gitChange ?? '').matchAll(/lbipam\.cilium\.io\/ips: (\S+),(\S+)/g)].map((m) => [m[1], m[2]]);
  // new2's 10.101.27.100 is network/a's: it is offered a whole free pair instead.
  assert.deepEqual(offered, [
    ['fd00:101::1b:101', '10.101.27.101'],
    ['fd00:101::1b:102', '10.101.27.102'],
  ]);
  const hint = evaluate('loadbalancers.dual-stack-annotation', snapshot, config).gitHint ?? '';
  for (const [v6, v4] of offered) assert.ok(hint.includes(`${v6},${v4}`), `${v6},${v4} in the check's hint too`);
});
