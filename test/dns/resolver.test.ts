/**
 * drdeck's DnsResolver, and the DNS poller feeding the `dns.records` check, against a REAL DNS
 * server (dnsmasq) on a loopback port, asked exactly as drdeck asks the router.
 */
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { KubeObject } from '../../src/cluster.js';
import { configSchema } from '../../src/config/schema.js';
import { DnsPoller } from '../../src/dns/poller.js';
import { DnsResolver } from '../../src/dns/resolver.js';
import { KIND_KEYS } from '../../src/kinds.js';
import { createDeckStore } from '../../src/store/deck-store.js';
import { FeedBuffer } from '../../src/store/feed-buffer.js';
import { readPids, stopProcess } from '../cluster/cluster.js';
import { findDnsmasq, startDnsServer, type DnsServer } from '../cluster/dns-server.js';

const TIMEOUT_MS = 1000;

// Locally a missing dnsmasq skips; in CI these must run (startDnsServer then fails loudly).
const skip = !findDnsmasq() && !process.env.CI ? 'SKIPPED: dnsmasq not found (apt-get install dnsmasq-base)' : false;

async function timed<T>(promise: Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const value = await promise;
  return [value, performance.now() - start];
}

/** seed issue 8's Service: both addresses requested, only the IPv4 one in the status. */
function smtpRelay(): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: 'smtp-relay',
      namespace: 'network',
      resourceVersion: '101',
      annotations: {
        'external-dns.alpha.kubernetes.io/hostname': 'smtp-relay.sulibot.com',
        'lbipam.cilium.io/ips': 'fd00:101::1b:122,10.101.27.122',
      },
    },
    spec: { type: 'LoadBalancer', ipFamilyPolicy: 'SingleStack', ipFamilies: ['IPv4'], ports: [{ port: 25, protocol: 'TCP' }] },
    status: { loadBalancer: { ingress: [{ ip: '10.101.27.122', ipMode: 'VIP' }] } },
  };
}

describe('DnsResolver and the DNS poller against dnsmasq', { skip }, () => {
  let dir = '';
  let dns: DnsServer;
  let resolver: DnsResolver;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'drdeck-dns-'));
    dns = await startDnsServer(
      dir,
      [
        { name: 'both.sulibot.com', type: 'A', addresses: ['10.101.27.64'] },
        { name: 'both.sulibot.com', type: 'AAAA', addresses: ['fd00:101::1b:64'] },
        { name: 'smtp-relay.sulibot.com', type: 'A', addresses: ['10.101.27.122'] },
        { name: 'wrong.sulibot.com', type: 'A', addresses: ['10.101.27.200'] },
      ],
      ['sulibot.com'],
    );
    resolver = new DnsResolver([dns.address]);
  });

  after(async () => {
    const pid = dir ? readPids(dir).dnsmasq : undefined;
    if (pid) await stopProcess(pid, dir);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('a name with both records: A and AAAA answered', async () => {
    assert.deepEqual(await resolver.query('both.sulibot.com', 'A', TIMEOUT_MS), ['10.101.27.64']);
    assert.deepEqual(await resolver.query('both.sulibot.com', 'AAAA', TIMEOUT_MS), ['fd00:101::1b:64']);
  });

  test('A only (seed issue 8): the AAAA query answers nothing, not an error', async () => {
    assert.deepEqual(await resolver.query('smtp-relay.sulibot.com', 'A', TIMEOUT_MS), ['10.101.27.122']);
    assert.deepEqual(await resolver.query('smtp-relay.sulibot.com', 'AAAA', TIMEOUT_MS), []);
  });

  test('a wrong address is answered as it is, for the check to compare', async () => {
    assert.deepEqual(await resolver.query('wrong.sulibot.com', 'A', TIMEOUT_MS), ['10.101.27.200']);
  });

  test('NXDOMAIN: no records of either type, not an error', async () => {
    assert.deepEqual(await resolver.query('nothing-here.sulibot.com', 'A', TIMEOUT_MS), []);
    assert.deepEqual(await resolver.query('nothing-here.sulibot.com', 'AAAA', TIMEOUT_MS), []);
  });

  test('end to end: the poller asks dnsmasq and dns.records names the missing AAAA and its address', async () => {
    const config = configSchema.parse({ dns: { servers: [dns.address], timeoutMs: TIMEOUT_MS } });
    const store = createDeckStore({ config, clusterName: 'test', now: Date.now() });
    const buffer = new FeedBuffer(store, 20);
    for (const kind of KIND_KEYS) buffer.reset(kind, kind === 'services' ? [smtpRelay()] : []);
    for (const kind of KIND_KEYS) buffer.sync(kind, { phase: 'synced' });
    buffer.flush();
    const poller = new DnsPoller({ store, buffer, resolver, intervalMs: 60_000, timeoutMs: TIMEOUT_MS });
    try {
      const deadline = Date.now() + 5000;
      while (store.getState().results['dns.records'].status === 'pending' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      const result = store.getState().results['dns.records'];
      assert.equal(store.getState().sync.dns.phase, 'synced');
      assert.equal(result.status, 'fail', result.summary);
      assert.equal(result.summary, '0/1 names OK: smtp-relay.sulibot.com missing AAAA fd00:101::1b:122');
      assert.deepEqual(result.evidence, [
        {
          kind: 'DNS',
          name: 'smtp-relay.sulibot.com',
          field: 'A/AAAA',
          value: 'missing AAAA fd00:101::1b:122 (from Service network/smtp-relay)',
          status: 'fail',
        },
      ]);
      assert.deepEqual(result.fixes, ['dns-add-records', 'loadbalancers-dual-stack']);
    } finally {
      poller.close();
      buffer.close();
    }
  });

  // Last: stops the server.
  test('server down: the query ends within its timeout with a clear message', async (t) => {
    const pid = readPids(dir).dnsmasq;
    assert.ok(pid);
    await stopProcess(pid, dir);
    const [outcome, ms] = await timed(
      resolver.query('both.sulibot.com', 'A', TIMEOUT_MS).then(
        () => assert.fail('a stopped server answered'),
        (err: Error) => err,
      ),
    );
    assert.match(
      outcome.message,
      new RegExp(
        `^${dns.address.replace(/\./g, '\\.')} (refused the query for A both\\.sulibot\\.com|did not answer A both\\.sulibot\\.com within ${TIMEOUT_MS} ms)$`,
      ),
    );
    // Refused at once, or given up at the timeout: either way bounded (the margin is for a busy machine).
    assert.ok(ms < TIMEOUT_MS * 2 + 1000, `took ${ms.toFixed(0)} ms`);
    t.diagnostic(`server down: "${outcome.message}" after ${ms.toFixed(0)} ms`);
  });
});

describe('DnsResolver against a server that never answers', () => {
  test('the query gives up after its timeout, once, with a clear message', async (t) => {
    // A router whose DNS is filtered: the port is open, the questions vanish.
    const silent = createSocket('udp4');
    silent.on('message', () => {});
    await new Promise<void>((done) => silent.bind(0, '127.0.0.1', done));
    try {
      const address = `127.0.0.1:${silent.address().port}`;
      const timeoutMs = 1000;
      const [outcome, ms] = await timed(
        new DnsResolver([address]).query('smtp-relay.sulibot.com', 'AAAA', timeoutMs).then(
          () => assert.fail('a silent server answered'),
          (err: Error) => err,
        ),
      );
      assert.equal(outcome.message, `${address} did not answer AAAA smtp-relay.sulibot.com within ${timeoutMs} ms`);
      // c-ares alone gives up one to two timeouts late; drdeck's own timer ends it near the timeout.
      // The margin is for a busy machine, not for c-ares.
      assert.ok(ms >= timeoutMs - 50 && ms < timeoutMs * 1.6, `gave up after ${ms.toFixed(0)} ms`);
      t.diagnostic(`silent server: gave up after ${ms.toFixed(0)} ms (timeout ${timeoutMs} ms)`);
    } finally {
      silent.close();
    }
  });
});
