/**
 * dns-add-records through the real RouterOS client against the CONTRACT server (it implements the
 * documented REST behaviour of `/rest/ip/dns/static`; it is not a MikroTik, see its header). The
 * resolver here answers from the contract server's table, as a router answers from its static
 * entries, so the fix can follow its effect the way it does on a real router. The cluster is the
 * demo's (seed issue 8: smtp-relay and mosquitto publish an A and no AAAA).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { DnsRecordType, Resolver } from '../../src/cluster.js';
import { parseConfig } from '../../src/config/load.js';
import { RouterOsClient } from '../../src/dns/routeros.js';
import { routerFromConfig } from '../../src/dns/router.js';
import { RouterPoller } from '../../src/dns/router-poller.js';
import { startSession, waitForSync, type Session } from '../../src/session.js';
import { createDemoCluster } from '../../src/sim/index.js';
import { foldAudit, type AuditRecord } from '../../src/state/audit-log.js';
import type { RouterRecords } from '../../src/cluster.js';
import { RouterOsContractServer } from './routeros-contract-server.js';

const USER = 'drdeck';
const PASSWORD = 'contract-password-not-in-argv';

/** What external-dns made in the demo: one entry per address in the Services' status. */
const EXTERNAL_DNS = [
  { name: 'smtp-relay.sulibot.com', type: 'A', address: '10.101.27.122' },
  { name: 'plex.sulibot.com', type: 'A', address: '10.101.27.124' },
  { name: 'plex.sulibot.com', type: 'AAAA', address: 'fd00:101::1b:124' },
  { name: 'qbittorrent.sulibot.com', type: 'A', address: '10.101.27.127' },
  { name: 'qbittorrent.sulibot.com', type: 'AAAA', address: 'fd00:101::1b:127' },
  { name: 'mosquitto.sulibot.com', type: 'A', address: '10.101.27.129' },
].map((e) => ({ ...e, comment: 'Managed by ExternalDNS' }));

/** The router's DNS service: answers from its static table (enabled entries). */
function tableResolver(server: RouterOsContractServer): Resolver {
  return {
    label: 'router',
    async query(name: string, type: DnsRecordType) {
      return server.table.filter((e) => e.name === name && (e.type ?? 'A') === type && e.disabled !== 'true').map((e) => e.address);
    },
  };
}

interface Rig {
  server: RouterOsContractServer;
  client: RouterOsClient;
  session: Session;
  audit: AuditRecord[];
  close(): Promise<void>;
}

async function rig(): Promise<Rig> {
  const server = new RouterOsContractServer({ user: USER, password: PASSWORD, entries: EXTERNAL_DNS });
  const url = await server.start();
  const client = new RouterOsClient({ url, user: USER, password: PASSWORD, timeoutMs: 2000 });
  const demo = createDemoCluster({ manual: true });
  // A long interval: every request the server sees is one the test caused.
  const config = parseConfig({ ...demo.config, dns: { ...demo.config.dns, intervalSeconds: 3600 } }, 'demo');
  const audit: AuditRecord[] = [];
  const session = startSession({
    cluster: demo.cluster,
    resolver: tableResolver(server),
    router: client,
    config,
    flushMs: 5,
    fixes: { readOnly: false, audit: (entry) => audit.push(entry) },
  });
  await waitForSync(session, 5000);
  session.buffer.flush();
  return {
    server,
    client,
    session,
    audit,
    async close() {
      session.close();
      await server.close();
    },
  };
}

const puts = (server: RouterOsContractServer) => server.requests.filter((r) => r.method === 'PUT');

describe('dns-add-records against the RouterOS contract server', () => {
  let r: Rig;
  before(async () => {
    r = await rig();
  });
  after(async () => {
    await r.close();
  });

  test('the record count: one GET of the whole table, shown as evidence of dns.records', () => {
    const { store } = r.session;
    const label = new URL(r.server.url).host;
    assert.equal(r.client.label, label);
    assert.deepEqual({ ...store.getState().routerRecords, checkedAt: undefined }, { label, count: 6, drdeck: 0, checkedAt: undefined });
    assert.deepEqual(
      r.server.requests.map((q) => `${q.method} ${q.rawUrl}`),
      ['GET /rest/ip/dns/static'],
    );
    const row = store.getState().results['dns.records'].evidence.find((e) => e.kind === 'Router');
    assert.deepEqual(row, { kind: 'Router', name: label, field: 'static records', value: '6' });
  });

  test('the PUTs the router receives are exactly the planned ones; the check lists first; the names heal', async () => {
    const { store } = r.session;
    assert.equal(store.getState().results['dns.records'].status, 'fail');
    r.server.requests.length = 0;

    await store.getState().requestFix('dns-add-records');
    const prepared = store.getState().fixes['dns-add-records']?.prepared;
    assert.ok(prepared, store.getState().fixes['dns-add-records']?.message);
    // The router's stand-in for a dry run: a filtered GET per name and type, and nothing written.
    assert.deepEqual(
      r.server.requests.map((q) => `${q.method} ${q.rawUrl}`),
      ['GET /rest/ip/dns/static?name=mosquitto.sulibot.com&type=AAAA', 'GET /rest/ip/dns/static?name=smtp-relay.sulibot.com&type=AAAA'],
    );
    assert.ok(r.server.requests.every((q) => q.authorized));

    await store.getState().confirmFix();
    const done = store.getState().fixes['dns-add-records']!;
    assert.equal(done.phase, 'done', done.message);
    assert.deepEqual(
      puts(r.server).map((q) => ({ method: q.method, path: q.rawUrl, body: q.body })),
      prepared.plan.routerRequests,
      'exactly the planned requests: method, path, JSON body',
    );
    assert.deepEqual(
      prepared.plan.routerRequests?.map((q) => q.body.name),
      ['mosquitto.sulibot.com', 'smtp-relay.sulibot.com'],
    );
    const added = r.server.table.filter((e) => e.comment?.startsWith('drdeck: added '));
    assert.deepEqual(
      added.map((e) => `${e.type} ${e.name} ${e.address}`),
      ['AAAA mosquitto.sulibot.com fd00:101::1b:129', 'AAAA smtp-relay.sulibot.com fd00:101::1b:122'],
    );
    const evidence = store.getState().results['dns.records'].evidence;
    for (const name of ['smtp-relay.sulibot.com', 'mosquitto.sulibot.com']) assert.equal(evidence.find((e) => e.name === name)?.status, 'pass', name);
    assert.equal(foldAudit(r.audit).at(-1)?.outcome, 'done');
  });

  test('a router error is shown as the router said it', async () => {
    const { store } = r.session;
    // A fresh record to add: the Service asks for another IPv6 address, so its name is asked again.
    const { cluster } = r.session;
    await cluster.patch(
      'services',
      'network',
      'smtp-relay',
      { metadata: { annotations: { 'lbipam.cilium.io/ips': 'fd00:101::1b:123,10.101.27.122' } } },
      'merge',
    );
    const expected = () => store.getState().results['dns.records'].evidence.find((e) => e.name === 'smtp-relay.sulibot.com');
    for (let i = 0; i < 200 && expected()?.status !== 'fail'; i++) {
      r.session.buffer.flush();
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.match(expected()?.value ?? '', /^wrong AAAA: expected fd00:101::1b:123, answered fd00:101::1b:122/);

    await store.getState().requestFix('dns-add-records', 'smtp-relay.sulibot.com');
    assert.equal(store.getState().fixes['dns-add-records']?.phase, 'confirm', store.getState().fixes['dns-add-records']?.message);
    r.server.failNext = { status: 400, message: 'Bad Request', detail: 'failure: entry already exists' };
    await store.getState().confirmFix();
    const failed = store.getState().fixes['dns-add-records']!;
    assert.equal(failed.phase, 'failed');
    assert.equal(
      failed.message,
      '0/1 records added and answered by the resolver; 1 failed: AAAA smtp-relay.sulibot.com fd00:101::1b:123: router said: 400 Bad Request: failure: entry already exists',
    );

    // The fix asked for a new count after sending: let that GET pass before the next failure.
    const lastPut = r.server.requests.map((q) => q.method).lastIndexOf('PUT');
    for (let i = 0; i < 200 && !r.server.requests.slice(lastPut).some((q) => q.method === 'GET' && q.rawUrl === '/rest/ip/dns/static'); i++) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    // A router that refuses the credentials: the check fails with its answer, nothing is sent.
    const before = puts(r.server).length;
    r.server.failNext = { status: 401, message: 'Unauthorized' };
    await store.getState().requestFix('dns-add-records', 'smtp-relay.sulibot.com');
    const refused = store.getState().fixes['dns-add-records']!;
    assert.equal(refused.phase, 'refused');
    assert.match(
      refused.message,
      /^the router check failed, nothing was sent: PUT AAAA smtp-relay\.sulibot\.com fd00:101::1b:123: the router refused the credentials of user drdeck \(401 at http:\/\/127\.0\.0\.1:\d+\)$/,
    );
    assert.equal(puts(r.server).length, before);
  });

  test("every request has the client's timeout: a router that never answers fails the count, not the deck", async () => {
    const received: RouterRecords[] = [];
    const slow = new RouterOsClient({ url: r.server.url, user: USER, password: PASSWORD, timeoutMs: 150 });
    r.server.stall = 'headers';
    try {
      const poller = new RouterPoller({ buffer: { routerRecords: (s) => received.push(s) }, router: slow, intervalMs: 3_600_000, now: () => 42 });
      for (let i = 0; i < 100 && received.length < 2; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      poller.close();
    } finally {
      r.server.stall = undefined;
    }
    assert.deepEqual(received[0], { label: slow.label });
    assert.match(received[1]?.error ?? '', /^the router did not answer GET http:\/\/127\.0\.0\.1:\d+\/rest\/ip\/dns\/static within 150 ms$/);
    assert.equal(received[1]?.checkedAt, 42);
  });
});

test("routerFromConfig: the password from the environment; a missing one is the router's error, never a crash", async () => {
  const config = { url: 'https://10.0.0.1', user: 'drdeck', passwordEnv: 'DRDECK_TEST_ROUTER_PASSWORD', insecureSkipVerify: false, timeoutMs: 1000 };
  const missing = routerFromConfig(config, {});
  assert.equal(missing.label, '10.0.0.1');
  await assert.rejects(missing.list(), { message: 'dns.routeros.passwordEnv: environment variable DRDECK_TEST_ROUTER_PASSWORD is not set' });
  await assert.rejects(missing.add({ name: 'a.example.com', type: 'A', address: '10.0.0.2', comment: 'drdeck: x' }), /is not set/);
  const ok = routerFromConfig(config, { DRDECK_TEST_ROUTER_PASSWORD: 'pw' });
  assert.ok(ok instanceof RouterOsClient);
  assert.equal(ok.label, '10.0.0.1');
});
