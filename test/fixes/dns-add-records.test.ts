/**
 * dns-add-records: its plan on hand-built snapshots (the exact PUTs, their RouterOS terminal
 * equivalents, what it warns about, when it refuses), then the fix end to end in the demo through
 * the store and the runner: the router's records answer DNS and dns.records heals; and the other
 * way to heal, a dual-stack Service whose AAAA the simulated external-dns publishes.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DnsAnswer, RouterRecords } from '../../src/cluster.js';
import type { Snapshot } from '../../src/checks/types.js';
import { parseConfig } from '../../src/config/load.js';
import { fixById, isPlan, type Plan } from '../../src/fixes/index.js';
import { startSession, waitForSync, type Session } from '../../src/session.js';
import { foldAudit, type AuditRecord } from '../../src/state/audit-log.js';
import { createDemoCluster } from '../../src/sim/index.js';
import { confirmLines } from '../../src/screens/confirm-lines.js';
import { NOW, cond, gateway, httpRoute, makeConfig, makeSnapshot, service } from '../checks/fixtures.js';
import { demoRun } from './run-context.js';

const fix = fixById('dns-add-records')!;
const config = makeConfig();
const ROUTER: RouterRecords = { label: '10.0.0.1', count: 152, drdeck: 0, checkedAt: NOW };
const STAMP = 'drdeck: added 2025-12-02T12:00:00Z';

const answer = (name: string, a: string[], aaaa: string[], error?: string): DnsAnswer => ({ name, a, aaaa, checkedAt: NOW, ...(error ? { error } : {}) });
const withRouter = (snapshot: Snapshot, router: RouterRecords | undefined = ROUTER): Snapshot => (router ? { ...snapshot, routerRecords: router } : snapshot);

// Seed issue 8: both addresses requested, only IPv4 in the status, only the A published.
const smtp = service('network/smtp-relay', { hostname: 'smtp-relay.sulibot.com', ips: 'fd00:101::1b:122,10.101.27.122', ingress: ['10.101.27.122'] });
const mosquitto = service('default/mosquitto', { hostname: 'mosquitto.sulibot.com', ips: 'fd00:101::1b:129,10.101.27.129', ingress: ['10.101.27.129'] });
// No address at all (LB-IPAM has no pool for it): nothing would answer at a record's address.
const emby = service('default/emby', { hostname: 'emby.sulibot.com', ips: 'fd00:101::1b:125' });
const gw = gateway('network/gateway-external', cond('Programmed', 'True'), ['10.101.27.64', 'fd00:101::1b:64']);
const plex = httpRoute('default/plex', ['plex.sulibot.com'], ['network/gateway-external']);
const sonarr = httpRoute('default/sonarr', ['sonarr.sulibot.com'], ['network/gateway-external']);

const seed8 = () =>
  withRouter(
    makeSnapshot(
      { services: [smtp, mosquitto, emby], gateways: [gw], httproutes: [plex, sonarr] },
      {
        dns: [
          answer('smtp-relay.sulibot.com', ['10.101.27.122'], []),
          answer('mosquitto.sulibot.com', ['10.101.27.129'], []),
          answer('emby.sulibot.com', [], []),
          // The Gateway's A missing, its AAAA there.
          answer('plex.sulibot.com', [], ['fd00:101::1b:64']),
          // The resolver could not be asked about this one: nothing is planned for it.
          answer('sonarr.sulibot.com', [], [], 'timed out after 2000 ms'),
        ],
      },
    ),
  );

function planOf(snapshot: Snapshot, options: { target?: string } = {}): Plan {
  const plan = fix.plan(snapshot, config, { token: 't', now: NOW, ...options });
  assert.ok(isPlan(plan), `refused: ${!isPlan(plan) && plan.refused}`);
  return plan;
}

test("dns-add-records: one PUT per missing address, tagged as drdeck's, with its RouterOS command", () => {
  const plan = planOf(seed8());
  assert.equal(plan.title, 'Add 3 A and AAAA records on router 10.0.0.1');
  assert.deepEqual(plan.requests, [], 'no Kubernetes request');
  assert.deepEqual(plan.routerRequests, [
    { method: 'PUT', path: '/rest/ip/dns/static', body: { name: 'mosquitto.sulibot.com', type: 'AAAA', address: 'fd00:101::1b:129', comment: STAMP } },
    { method: 'PUT', path: '/rest/ip/dns/static', body: { name: 'plex.sulibot.com', type: 'A', address: '10.101.27.64', comment: STAMP } },
    { method: 'PUT', path: '/rest/ip/dns/static', body: { name: 'smtp-relay.sulibot.com', type: 'AAAA', address: 'fd00:101::1b:122', comment: STAMP } },
  ]);
  assert.deepEqual(plan.commands, [
    '/ip dns static add name=mosquitto.sulibot.com type=AAAA address=fd00:101::1b:129 comment="drdeck: added 2025-12-02T12:00:00Z"',
    '/ip dns static add name=plex.sulibot.com type=A address=10.101.27.64 comment="drdeck: added 2025-12-02T12:00:00Z"',
    '/ip dns static add name=smtp-relay.sulibot.com type=AAAA address=fd00:101::1b:122 comment="drdeck: added 2025-12-02T12:00:00Z"',
  ]);
  assert.deepEqual(plan.targets, [
    { kind: 'dns', name: 'mosquitto.sulibot.com' },
    { kind: 'dns', name: 'plex.sulibot.com' },
    { kind: 'dns', name: 'smtp-relay.sulibot.com' },
  ]);
  assert.deepEqual(plan.confirm, { kind: 'yes' });
  assert.equal(fix.dangerous, false);
  assert.deepEqual(plan.warnings, [
    'the proper fix is making default/mosquitto, network/smtp-relay dual-stack (loadbalancers-dual-stack): external-dns then publishes the AAAA itself',
    'external-dns should already publish plex.sulibot.com from the status: look at its logs too (records added here hide the cause)',
    'records added by hand are not removed by external-dns: when an address changes, remove them on the router (their comment starts with "drdeck:")',
  ]);
  assert.deepEqual(plan.details, [
    'mosquitto.sulibot.com: missing AAAA fd00:101::1b:129 (from Service default/mosquitto)',
    'plex.sulibot.com: missing A 10.101.27.64 (from HTTPRoute default/plex via Gateway network/gateway-external)',
    'smtp-relay.sulibot.com: missing AAAA fd00:101::1b:122 (from Service network/smtp-relay)',
    'skipped emby.sulibot.com: default/emby has no address in its status yet, so nothing answers at fd00:101::1b:125 (see LoadBalancers)',
  ]);
  // The targets the key offers are the plan's.
  assert.deepEqual(fix.targets(seed8(), config), plan.targets);
});

test('dns-add-records: the confirm screen shows each PUT exactly and the RouterOS lines', () => {
  const plan = planOf(seed8());
  const lines = confirmLines({
    refused: false,
    fix,
    plan,
    dryRun: [],
    routerCheck: plan.routerRequests!.map((request) => ({ request })),
    routerLabel: '10.0.0.1',
  }).map((l) => l.text);
  const at = lines.indexOf('Router requests (3) to 10.0.0.1');
  assert.ok(at > 0, lines.join('\n'));
  assert.deepEqual(lines.slice(at + 1, at + 5), [
    '  the router has no dry run: checked that the records do not exist yet',
    `✓ PUT /rest/ip/dns/static {"name":"mosquitto.sulibot.com","type":"AAAA","address":"fd00:101::1b:129","comment":"${STAMP}"}`,
    `✓ PUT /rest/ip/dns/static {"name":"plex.sulibot.com","type":"A","address":"10.101.27.64","comment":"${STAMP}"}`,
    `✓ PUT /rest/ip/dns/static {"name":"smtp-relay.sulibot.com","type":"AAAA","address":"fd00:101::1b:122","comment":"${STAMP}"}`,
  ]);
  assert.ok(!lines.some((l) => l.startsWith('Requests (0)')), 'no empty Kubernetes section');
  assert.ok(lines.includes("The same by hand, in the router's terminal"));
  assert.ok(lines.includes(`/ip dns static add name=smtp-relay.sulibot.com type=AAAA address=fd00:101::1b:122 comment="${STAMP}"`));
});

test('dns-add-records: one name as the target, with or without DNS/', () => {
  for (const target of ['smtp-relay.sulibot.com', 'DNS/smtp-relay.sulibot.com', 'SMTP-relay.sulibot.com.']) {
    const plan = planOf(seed8(), { target });
    assert.deepEqual(
      plan.routerRequests?.map((r) => `${r.body.type} ${r.body.name}`),
      ['AAAA smtp-relay.sulibot.com'],
      target,
    );
  }
  const refused = (target: string) => {
    const plan = fix.plan(seed8(), config, { token: 't', target });
    assert.ok(!isPlan(plan));
    return plan.refused;
  };
  assert.match(refused('emby.sulibot.com'), /^nothing to do that drdeck can do: emby\.sulibot\.com: default\/emby has no address/);
  assert.match(refused('sonarr.sulibot.com'), /^nothing to do: /);
  assert.match(refused('network/smtp-relay'), /^not a published name/);
});

test('dns-add-records: no router, no plan (and no key); nothing missing, nothing to do', () => {
  const { routerRecords: _r, ...bare } = seed8();
  for (const snapshot of [bare as Snapshot, makeSnapshot({ services: [smtp] }, { dns: [answer('smtp-relay.sulibot.com', ['10.101.27.122'], [])] })]) {
    const plan = fix.plan(snapshot, config, { token: 't' });
    assert.ok(!isPlan(plan));
    assert.equal(plan.refused, 'no router configured (dns.routeros)');
    assert.deepEqual(fix.targets(snapshot, config), []);
  }
  // A router whose listing fails is still a router: the runner's check says what went wrong.
  assert.ok(isPlan(fix.plan(withRouter(seed8(), { label: '10.0.0.1', error: 'could not reach the router', checkedAt: NOW }), config, { token: 't' })));

  const healthy = withRouter(makeSnapshot({ services: [smtp] }, { dns: [answer('smtp-relay.sulibot.com', ['10.101.27.122'], ['fd00:101:0:0::1b:122'])] }));
  const plan = fix.plan(healthy, config, { token: 't' });
  assert.ok(!isPlan(plan));
  assert.equal(plan.refused, 'nothing to do: the resolver answers every expected A and AAAA record');
  assert.deepEqual(fix.targets(healthy, config), []);

  const onlyEmby = withRouter(makeSnapshot({ services: [emby] }, { dns: [answer('emby.sulibot.com', [], [])] }));
  const skipped = fix.plan(onlyEmby, config, { token: 't' });
  assert.ok(!isPlan(skipped));
  assert.match(skipped.refused, /^nothing to do that drdeck can do: emby\.sulibot\.com/);
});

test('dns-add-records: a wrong answer gets the expected address added, and a warning that the wrong one stays', () => {
  const snapshot = withRouter(makeSnapshot({ gateways: [gw], httproutes: [plex] }, { dns: [answer('plex.sulibot.com', ['10.0.0.9'], ['fd00:101::1b:64'])] }));
  const plan = planOf(snapshot);
  assert.deepEqual(
    plan.routerRequests?.map((r) => r.body),
    [{ name: 'plex.sulibot.com', type: 'A', address: '10.101.27.64', comment: STAMP }],
  );
  assert.ok(plan.warnings.includes('plex.sulibot.com also answers A 10.0.0.9: drdeck adds the expected address and removes nothing'), plan.warnings.join('\n'));
});

// ---------------------------------------------------------------------------------------------
// In the demo

interface DemoFixSession {
  session: Session;
  demo: ReturnType<typeof createDemoCluster>;
  audit: AuditRecord[];
  close(): void;
}

/** A demo session with fixes on, as `drdeck demo` starts it (the router included). */
async function demoWithFixes(dnsIntervalSeconds?: number): Promise<DemoFixSession> {
  const demo = createDemoCluster({ manual: true });
  const config = parseConfig(dnsIntervalSeconds ? { ...demo.config, dns: { ...demo.config.dns, intervalSeconds: dnsIntervalSeconds } } : demo.config, 'demo');
  const audit: AuditRecord[] = [];
  const session = startSession({
    cluster: demo.cluster,
    resolver: demo.dns,
    router: demo.router,
    config,
    flushMs: 5,
    fixes: { readOnly: false, audit: (entry) => audit.push(entry) },
  });
  await waitForSync(session, 5000);
  session.buffer.flush();
  return { session, demo, audit, close: () => session.close() };
}

const dnsEvidence = (session: Session, name: string) => session.store.getState().results['dns.records'].evidence.find((e) => e.name === name);

async function until<T>(what: string, get: () => T | undefined, timeoutMs = 15_000): Promise<T> {
  const start = Date.now();
  for (;;) {
    const value = get();
    if (value !== undefined) return value;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('demo: dns.records fails for the missing AAAAs, dns-add-records adds them on the router, dns.records heals for them', async () => {
  const { session, demo, audit, close } = await demoWithFixes();
  try {
    const { store } = session;
    const before = store.getState().results['dns.records'];
    assert.equal(before.status, 'fail');
    assert.ok(before.fixes.includes('dns-add-records'));
    for (const name of ['smtp-relay.sulibot.com', 'mosquitto.sulibot.com']) assert.equal(dnsEvidence(session, name)?.status, 'fail', name);
    const routerBefore = store.getState().routerRecords;
    assert.deepEqual({ ...routerBefore, checkedAt: undefined }, { label: 'demo', count: 6, drdeck: 0, checkedAt: undefined });
    assert.deepEqual(
      before.evidence.find((e) => e.kind === 'Router'),
      { kind: 'Router', name: 'demo', field: 'static records', value: '6' },
    );

    await store.getState().requestFix('dns-add-records');
    const activity = store.getState().fixes['dns-add-records'];
    assert.equal(activity?.phase, 'confirm', activity?.message);
    const prepared = activity!.prepared!;
    assert.deepEqual(
      prepared.plan.routerRequests?.map((r) => `${r.method} ${r.path} ${r.body.type} ${r.body.name} ${r.body.address}`),
      ['PUT /rest/ip/dns/static AAAA mosquitto.sulibot.com fd00:101::1b:129', 'PUT /rest/ip/dns/static AAAA smtp-relay.sulibot.com fd00:101::1b:122'],
    );
    assert.deepEqual(
      prepared.routerCheck?.map((r) => r.error),
      [undefined, undefined],
    );
    assert.equal(prepared.routerLabel, 'demo');
    assert.deepEqual(demo.router.added, [], 'nothing sent before confirming');

    await store.getState().confirmFix();
    const done = store.getState().fixes['dns-add-records']!;
    assert.equal(done.phase, 'done', done.message);
    assert.equal(done.message, '2/2 records added and answered by the resolver');
    assert.deepEqual(
      demo.router.added,
      prepared.plan.routerRequests!.map((r) => r.body),
      'the router got exactly the planned bodies',
    );
    assert.deepEqual(await demo.dns.query('smtp-relay.sulibot.com', 'AAAA', 100), ['fd00:101::1b:122']);

    for (const name of ['smtp-relay.sulibot.com', 'mosquitto.sulibot.com']) assert.equal(dnsEvidence(session, name)?.status, 'pass', name);
    // emby has no address at all: not the record fix's to cure.
    assert.equal(dnsEvidence(session, 'emby.sulibot.com')?.status, 'fail');
    const router = await until('the router count', () => (store.getState().routerRecords?.count === 8 ? store.getState().routerRecords : undefined));
    assert.equal(router.drdeck, 2);
    assert.equal(store.getState().results['dns.records'].evidence.find((e) => e.kind === 'Router')?.value, '8 (2 added by drdeck)');
    // The router's records carry the comment, and the ones external-dns made keep theirs.
    const table = await demo.router.list();
    assert.deepEqual(
      table.filter((r) => r.comment?.startsWith('drdeck:')).map((r) => `${r.id} ${r.type} ${r.name}`),
      ['*7 AAAA mosquitto.sulibot.com', '*8 AAAA smtp-relay.sulibot.com'],
    );
    assert.equal(table.filter((r) => r.comment === 'Managed by ExternalDNS').length, 6);

    // Nothing more to add: no key, and a second attempt says so.
    assert.deepEqual(fixById('dns-add-records')!.targets(demoSnapshot(session), store.getState().config), []);
    const last = foldAudit(audit).at(-1)!;
    assert.equal(last.outcome, 'done');
    assert.equal(last.dryRun, 'the router has no dry run: checked that the records do not exist yet');
    assert.deepEqual(
      last.requests.map((r) => `${r.verb} ${r.kind} ${r.name}`),
      ['PUT router /rest/ip/dns/static', 'PUT router /rest/ip/dns/static'],
    );
  } finally {
    close();
  }
});

function demoSnapshot(session: Session): Snapshot {
  const s = session.store.getState();
  return { now: s.now, objects: s.objects, sync: s.sync, dns: s.dns, ...(s.routerRecords ? { routerRecords: s.routerRecords } : {}) };
}

test("demo: a record that appeared on the router after the plan is the router's error, as it said it", async () => {
  // A long interval: the resolver is asked again only when the fix asks.
  const { session, demo, close } = await demoWithFixes(3600);
  try {
    const { store } = session;
    await store.getState().requestFix('dns-add-records', 'smtp-relay.sulibot.com');
    assert.equal(store.getState().fixes['dns-add-records']?.phase, 'confirm');
    // Someone adds it by hand between the plan and the confirmation.
    await demo.router.add({ name: 'smtp-relay.sulibot.com', type: 'AAAA', address: 'fd00:101::1b:122', comment: 'by hand' });
    await store.getState().confirmFix();
    const failed = store.getState().fixes['dns-add-records']!;
    assert.equal(failed.phase, 'failed');
    assert.equal(
      failed.message,
      '0/1 records added and answered by the resolver; 1 failed: AAAA smtp-relay.sulibot.com fd00:101::1b:122: router said: 400 Bad Request: failure: entry already exists',
    );
    // The fix asked the resolver again all the same: smtp-relay answers (the hand-made record), mosquitto is left.
    await until('smtp-relay answered', () => (dnsEvidence(session, 'smtp-relay.sulibot.com')?.status === 'pass' ? true : undefined));
    await store.getState().requestFix('dns-add-records');
    const next = store.getState().fixes['dns-add-records']!;
    assert.equal(next.phase, 'confirm', next.message);
    assert.deepEqual(
      next.prepared?.plan.routerRequests?.map((r) => r.body.name),
      ['mosquitto.sulibot.com'],
    );
    store.getState().cancelFix();

    // A record on the router the resolver has not answered yet: the router check finds it, nothing is sent.
    const byHand = await demo.router.add({ name: 'mosquitto.sulibot.com', type: 'AAAA', address: 'fd00:101::1b:129', comment: 'by hand' });
    await store.getState().requestFix('dns-add-records');
    const exists = store.getState().fixes['dns-add-records']!;
    assert.equal(exists.phase, 'refused');
    assert.equal(
      exists.message,
      `the router check failed, nothing was sent: PUT AAAA mosquitto.sulibot.com fd00:101::1b:129: exists already on the router as ${byHand.id} (comment "by hand")`,
    );

    // An unreachable router: its error as the client gave it.
    demo.router.setFailure('could not reach the router at https://10.0.0.1 (GET https://10.0.0.1/rest/ip/dns/static): ECONNREFUSED');
    await store.getState().requestFix('dns-add-records');
    const unreachable = store.getState().fixes['dns-add-records']!;
    assert.equal(unreachable.phase, 'refused');
    assert.equal(
      unreachable.message,
      'the router check failed, nothing was sent: PUT AAAA mosquitto.sulibot.com fd00:101::1b:129: could not reach the router at https://10.0.0.1 (GET https://10.0.0.1/rest/ip/dns/static): ECONNREFUSED',
    );
    assert.equal(demo.router.added.length, 2, 'only the two records added by hand');
  } finally {
    close();
  }
});

test('demo: the router check refuses a record that exists on the router but does not answer (disabled)', async () => {
  const demo = await demoRun();
  try {
    await demo.settle();
    const config = demo.store.getState().config;
    const plan = fix.plan(demo.snapshot(), config, { token: 't', now: demo.demo.clock.now() });
    assert.ok(isPlan(plan));
    const { checkRouterPlan } = await import('../../src/fixes/send.js');
    const stub = {
      label: 'stub',
      list: async (filter?: { name?: string; type?: string }) =>
        filter?.name === 'smtp-relay.sulibot.com' && filter.type === 'AAAA'
          ? [{ id: '*2C', name: 'smtp-relay.sulibot.com', type: 'AAAA', address: 'FD00:101::1B:122', disabled: true, comment: 'old' }]
          : [],
      add: async () => assert.fail('no add in a check'),
    };
    const results = await checkRouterPlan(stub, plan);
    assert.deepEqual(
      results.map((r) => `${r.request.body.name}: ${r.error ?? 'ok'}`),
      ['mosquitto.sulibot.com: ok', 'smtp-relay.sulibot.com: exists already on the router as *2C (disabled, comment "old")'],
    );
  } finally {
    demo.close();
  }
});

test('demo: the DNS panel heals the other way too: dual-stack Services, whose AAAA external-dns publishes', async () => {
  const demo = await demoRun();
  try {
    const { outcome } = await demo.run('loadbalancers-dual-stack', { target: 'network/smtp-relay' });
    assert.equal(outcome.ok, true, outcome.message);
    assert.equal(dnsEvidence(demo.session, 'smtp-relay.sulibot.com')?.status, 'fail', 'external-dns has not published yet');
    // external-dns batches its changes (5 s); the poller asks again on its interval.
    await demo.advance(10_000);
    demo.session.refreshDns();
    await until('the AAAA answered', () => (dnsEvidence(demo.session, 'smtp-relay.sulibot.com')?.status === 'pass' ? true : undefined));
    assert.deepEqual(await demo.demo.dns.query('smtp-relay.sulibot.com', 'AAAA', 100), ['fd00:101::1b:122']);
    assert.equal(demo.sentToRouter.length, 0, 'no record added by hand');
    // mosquitto was not made dual-stack and still lacks its AAAA.
    assert.equal(dnsEvidence(demo.session, 'mosquitto.sulibot.com')?.status, 'fail');
  } finally {
    demo.close();
  }
});

test('demo: with a short DNS interval the panel heals by itself, no refresh asked', async () => {
  const { session, demo, close } = await demoWithFixes(0.05);
  try {
    const { store } = session;
    await store.getState().requestFix('loadbalancers-dual-stack', 'default/mosquitto');
    assert.equal(store.getState().fixes['loadbalancers-dual-stack']?.phase, 'confirm');
    // The run follows LB-IPAM on the scenario clock, which only moves here.
    const applied = store.getState().confirmFix();
    for (let i = 0; i < 15; i++) {
      demo.clock.advance(1000);
      await new Promise((r) => setTimeout(r, 5));
    }
    await applied;
    assert.equal(store.getState().fixes['loadbalancers-dual-stack']?.phase, 'done', store.getState().fixes['loadbalancers-dual-stack']?.message);
    await until('mosquitto answered with its AAAA', () => (dnsEvidence(session, 'mosquitto.sulibot.com')?.status === 'pass' ? true : undefined));
  } finally {
    close();
  }
});

test('demo: records the router took but the resolver never answers are reported as still missing', async () => {
  const demo = await demoRun();
  try {
    // A router that is not the resolver: what it takes never reaches the demo's DNS server.
    const taken: string[] = [];
    demo.context.sendRouter = async (request) => {
      taken.push(`${request.body.type} ${request.body.name}`);
      return { id: `*${taken.length}`, ...request.body, disabled: false };
    };
    const { outcome, elapsedMs } = await demo.run('dns-add-records');
    assert.deepEqual(taken, ['AAAA mosquitto.sulibot.com', 'AAAA smtp-relay.sulibot.com']);
    assert.equal(outcome.ok, false);
    assert.equal(
      outcome.message,
      '0/2 records added and answered by the resolver; added but not answered yet: AAAA mosquitto.sulibot.com fd00:101::1b:129, AAAA smtp-relay.sulibot.com fd00:101::1b:122',
    );
    assert.ok(elapsedMs >= 2 * 60_000, `followed for the fix's timeout (${elapsedMs} ms)`);
    assert.ok(demo.waits.includes('the resolver answers the added records'));
  } finally {
    demo.close();
  }
});

test('dns-add-records: without a router to send to, the run says so and sends nothing', async () => {
  const plan = planOf(seed8());
  const outcome = await fix.run(
    plan,
    {
      send: async () => assert.fail('no Kubernetes request'),
      snapshot: () => seed8(),
      waitFor: async () => assert.fail('nothing to wait for'),
      progress: () => {},
      now: () => NOW,
    },
    config,
  );
  assert.deepEqual(outcome, { ok: false, message: 'no router configured (dns.routeros)' });
});
