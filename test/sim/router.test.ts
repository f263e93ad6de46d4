/** The demo's router: RouterOS's static table over the demo's DNS server. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RouterError } from '../../src/dns/routeros.js';
import { SimDns, SimRouter } from '../../src/sim/index.js';

test('SimRouter lists what the DNS server holds, with RouterOS-like ids and comments', async () => {
  const dns = new SimDns();
  dns.set('smtp-relay.sulibot.com', 'A', ['10.101.27.122']);
  dns.set('plex.sulibot.com', 'AAAA', ['fd00:101::1b:124']);
  const router = new SimRouter(dns);
  assert.equal(router.label, 'demo');
  assert.deepEqual(await router.list(), [
    { id: '*1', name: 'plex.sulibot.com', type: 'AAAA', address: 'fd00:101::1b:124', ttl: '1d', disabled: false, comment: 'Managed by ExternalDNS' },
    { id: '*2', name: 'smtp-relay.sulibot.com', type: 'A', address: '10.101.27.122', ttl: '1d', disabled: false, comment: 'Managed by ExternalDNS' },
  ]);

  // Added through the router: answers DNS at once, keeps its comment and the next id.
  const added = await router.add({
    name: 'SMTP-relay.sulibot.com.',
    type: 'AAAA',
    address: 'FD00:101:0::1B:122',
    comment: 'drdeck: added 2025-12-02T12:00:00Z',
  });
  assert.deepEqual(added, {
    id: '*3',
    name: 'smtp-relay.sulibot.com',
    type: 'AAAA',
    address: 'fd00:101::1b:122',
    ttl: '1d',
    comment: 'drdeck: added 2025-12-02T12:00:00Z',
    disabled: false,
  });
  assert.deepEqual(await dns.query('smtp-relay.sulibot.com', 'AAAA', 100), ['fd00:101::1b:122']);
  assert.deepEqual(
    (await router.list({ name: 'smtp-relay.sulibot.com' })).map((r) => `${r.id} ${r.type}`),
    ['*2 A', '*3 AAAA'],
  );
  assert.deepEqual(
    (await router.list({ type: 'AAAA' })).map((r) => r.id),
    ['*1', '*3'],
  );

  // Records external-dns makes later are listed too; removed ones are gone.
  dns.add('mosquitto.sulibot.com', 'A', '10.101.27.129');
  dns.remove('plex.sulibot.com');
  assert.deepEqual(
    (await router.list()).map((r) => `${r.id} ${r.name} ${r.comment}`),
    [
      '*2 smtp-relay.sulibot.com Managed by ExternalDNS',
      '*3 smtp-relay.sulibot.com drdeck: added 2025-12-02T12:00:00Z',
      '*4 mosquitto.sulibot.com Managed by ExternalDNS',
    ],
  );
});

test('SimRouter refuses as RouterOS does: a duplicate, a bad address, an unreachable router', async () => {
  const dns = new SimDns();
  dns.set('smtp-relay.sulibot.com', 'A', ['10.101.27.122']);
  const router = new SimRouter(dns);
  const duplicate = await router.add({ name: 'smtp-relay.sulibot.com', type: 'A', address: '10.101.27.122', comment: 'x' }).catch((e: unknown) => e);
  assert.ok(duplicate instanceof RouterError);
  assert.equal(duplicate.message, 'router said: 400 Bad Request: failure: entry already exists');
  assert.equal(duplicate.status, 400);
  await assert.rejects(router.add({ name: 'x.sulibot.com', type: 'AAAA', address: '10.0.0.1', comment: 'x' }), {
    message: 'router said: 400 Bad Request: invalid value for argument address',
  });
  router.setFailure('could not reach the router');
  await assert.rejects(router.list(), { message: 'could not reach the router' });
  router.setFailure(undefined);
  assert.equal((await router.list()).length, 1);
  assert.deepEqual(router.added, []);
});
