/**
 * Contract tests of drdeck's RouterOS client: against RouterOsContractServer, which implements the
 * documented REST behaviour of `/rest/ip/dns/static` (it is not a MikroTik; see its header).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { inspect } from 'node:util';
import { freePort } from '../cluster/cluster.js';
import {
  DEFAULT_ROUTER_TIMEOUT_MS,
  RouterError,
  RouterOsClient,
  drdeckComment,
  isDrdeckRecord,
  plannedRecords,
  routerOsClientFromConfig,
  routerosConfigSchema,
} from '../../src/dns/routeros.js';
import { RouterOsContractServer } from './routeros-contract-server.js';

const USER = 'drdeck';
const PASSWORD = 'Tr0ub4dor&3-not-in-any-message';
const SECRETS = [PASSWORD, Buffer.from(`${USER}:${PASSWORD}`).toString('base64')];

const SEED: Array<Record<string, string>> = [
  { name: 'smtp-relay.sulibot.com', type: 'A', address: '10.101.27.122', comment: 'Managed by ExternalDNS' },
  { name: 'mosquitto.sulibot.com', type: 'A', address: '10.101.27.129', comment: 'Managed by ExternalDNS' },
  { name: 'plex.sulibot.com', type: 'AAAA', address: 'fd00:101::1b:64', comment: 'Managed by ExternalDNS', disabled: 'true' },
];

/** Every error thrown in this file, to prove none of them carries the password. */
const thrown: unknown[] = [];

async function rejection(promise: Promise<unknown>): Promise<RouterError> {
  try {
    await promise;
  } catch (err) {
    thrown.push(err);
    assert.ok(err instanceof RouterError, `expected a RouterError, got ${inspect(err)}`);
    return err;
  }
  assert.fail('expected the request to fail');
}

async function timed<T>(promise: Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const value = await promise;
  return [value, performance.now() - start];
}

describe('RouterOS client against the contract server (HTTP)', () => {
  let server: RouterOsContractServer;
  let client: RouterOsClient;

  before(async () => {
    server = new RouterOsContractServer({ user: USER, password: PASSWORD, entries: SEED });
    client = new RouterOsClient({ url: await server.start(), user: USER, password: PASSWORD, timeoutMs: 2000 });
  });
  after(() => server.close());

  test('list: every entry typed, absent type read as A, string values parsed', async () => {
    const records = await client.list();
    assert.deepEqual(records, [
      { id: '*1', name: 'smtp-relay.sulibot.com', type: 'A', address: '10.101.27.122', ttl: '1d', comment: 'Managed by ExternalDNS', disabled: false },
      { id: '*2', name: 'mosquitto.sulibot.com', type: 'A', address: '10.101.27.129', ttl: '1d', comment: 'Managed by ExternalDNS', disabled: false },
      { id: '*3', name: 'plex.sulibot.com', type: 'AAAA', address: 'fd00:101::1b:64', ttl: '1d', comment: 'Managed by ExternalDNS', disabled: true },
    ]);
    assert.equal(server.requests.at(-1)?.rawUrl, '/rest/ip/dns/static');
  });

  test('list with filters: name and type go to the router, type A is matched here', async () => {
    const aaaa = await client.list({ type: 'AAAA' });
    assert.deepEqual(
      aaaa.map((r) => r.id),
      ['*3'],
    );
    assert.equal(server.requests.at(-1)?.rawUrl, '/rest/ip/dns/static?type=AAAA');

    // The router stores A entries without a type: `?type=A` would match none of them.
    const a = await client.list({ name: 'smtp-relay.sulibot.com', type: 'A' });
    assert.deepEqual(
      a.map((r) => [r.id, r.type, r.address]),
      [['*1', 'A', '10.101.27.122']],
    );
    assert.equal(server.requests.at(-1)?.rawUrl, '/rest/ip/dns/static?name=smtp-relay.sulibot.com');

    assert.deepEqual(await client.list({ name: 'smtp-relay.sulibot.com', type: 'AAAA' }), []);
  });

  test('add: PUT with string values, answers the created entry with an .id like *1A', async () => {
    const created = await client.add({
      name: 'smtp-relay.sulibot.com',
      type: 'AAAA',
      address: 'fd00:101::1b:122',
      comment: 'drdeck: added 2026-11-26T03:10:00Z',
      ttl: '5m',
    });
    assert.match(created.id, /^\*[0-9A-F]+$/);
    assert.deepEqual(
      { ...created, id: undefined },
      {
        id: undefined,
        name: 'smtp-relay.sulibot.com',
        type: 'AAAA',
        address: 'fd00:101::1b:122',
        ttl: '5m',
        comment: 'drdeck: added 2026-11-26T03:10:00Z',
        disabled: false,
      },
    );
    const put = server.requests.at(-1);
    assert.equal(put?.method, 'PUT');
    assert.equal(put?.rawUrl, '/rest/ip/dns/static');
    assert.deepEqual(put?.body, {
      name: 'smtp-relay.sulibot.com',
      type: 'AAAA',
      address: 'fd00:101::1b:122',
      comment: 'drdeck: added 2026-11-26T03:10:00Z',
      ttl: '5m',
    });
    assert.ok((await client.list({ type: 'AAAA' })).some((r) => r.id === created.id));
  });

  test("add of an existing name, type and address: the router's 400 in its own words", async () => {
    const err = await rejection(client.add({ name: 'mosquitto.sulibot.com', type: 'A', address: '10.101.27.129', comment: 'drdeck: added x' }));
    assert.equal(err.message, 'router said: 400 Bad Request: failure: entry already exists');
    assert.equal(err.kind, 'http');
    assert.equal(err.status, 400);
    assert.equal(err.detail, 'failure: entry already exists');
    assert.equal(err.method, 'PUT');
  });

  test('update: PATCH by .id with * sent as %2A', async () => {
    const updated = await client.update('*2', { comment: 'moved', disabled: true, ttl: '1h' });
    assert.deepEqual(updated, { id: '*2', name: 'mosquitto.sulibot.com', type: 'A', address: '10.101.27.129', ttl: '1h', comment: 'moved', disabled: true });
    const patch = server.requests.at(-1);
    assert.equal(patch?.method, 'PATCH');
    assert.equal(patch?.rawUrl, '/rest/ip/dns/static/%2A2');
    assert.deepEqual(patch?.body, { comment: 'moved', disabled: 'true', ttl: '1h' });
  });

  test("update and remove of an unknown .id: 404 in the router's words", async () => {
    const err = await rejection(client.update('*FF', { comment: 'x' }));
    assert.equal(err.message, 'router said: 404 Not Found: no such item');
    assert.equal(err.status, 404);
    const gone = await rejection(client.remove('*FF'));
    assert.equal(gone.status, 404);
    assert.equal(server.requests.at(-1)?.rawUrl, '/rest/ip/dns/static/%2AFF');
  });

  test('remove: DELETE by .id with %2A; count follows', async () => {
    const before = await client.count();
    const [entry] = await client.list({ name: 'plex.sulibot.com' });
    await client.remove(entry.id);
    const del = server.requests.at(-1);
    assert.equal(del?.method, 'DELETE');
    assert.equal(del?.rawUrl, `/rest/ip/dns/static/%2A${entry.id.slice(1)}`);
    assert.equal(await client.count(), before - 1);
    assert.deepEqual(await client.list({ name: 'plex.sulibot.com' }), []);
  });

  test("a 500 keeps the router's message and detail", async () => {
    server.failNext = { status: 500, message: 'Internal Server Error', detail: 'action timed out - try again' };
    const err = await rejection(client.list());
    assert.equal(err.message, 'router said: 500 Internal Server Error: action timed out - try again');
    assert.equal(err.status, 500);
  });

  test('wrong password: 401 names the user, not the password', async () => {
    const wrong = new RouterOsClient({ url: server.url, user: USER, password: `${PASSWORD}x`, timeoutMs: 2000 });
    const err = await rejection(wrong.list());
    assert.equal(err.kind, 'auth');
    assert.equal(err.status, 401);
    assert.equal(err.message, `the router refused the credentials of user ${USER} (401 at ${server.url})`);
    assert.equal(server.requests.at(-1)?.authorized, false);
  });

  test("plannedRecords sent through the client are found again as drdeck's, and only they are", async () => {
    const plan = plannedRecords(
      [
        { name: 'Mosquitto.sulibot.com.', type: 'AAAA', address: 'fd00:101::1b:129' },
        { name: 'mosquitto.sulibot.com', type: 'AAAA', address: 'fd00:101::1b:129' },
      ],
      new Date('2026-11-26T03:12:30.456Z'),
    );
    assert.equal(plan.length, 1);
    for (const request of plan) await client.add(request.body);
    const ours = (await client.list()).filter(isDrdeckRecord);
    assert.deepEqual(
      ours.map((r) => [r.name, r.type, r.address, r.comment]),
      [
        ['smtp-relay.sulibot.com', 'AAAA', 'fd00:101::1b:122', 'drdeck: added 2026-11-26T03:10:00Z'],
        ['mosquitto.sulibot.com', 'AAAA', 'fd00:101::1b:129', 'drdeck: added 2026-11-26T03:12:30Z'],
      ],
    );
  });
});

describe('RouterOS client: timeouts and unreachable routers', () => {
  let server: RouterOsContractServer;
  before(async () => {
    server = new RouterOsContractServer({ user: USER, password: PASSWORD, entries: SEED });
    await server.start();
  });
  after(() => server.close());

  test("the default timeout is 10 s, below the router's own 60 s", () => {
    assert.equal(DEFAULT_ROUTER_TIMEOUT_MS, 10_000);
    assert.equal(new RouterOsClient({ url: server.url, user: USER, password: PASSWORD }).timeoutMs, 10_000);
  });

  for (const stall of ['headers', 'body'] as const) {
    test(`a router that stalls (${stall === 'headers' ? 'no answer at all' : 'half an answer'}) is given up on within the limit`, async () => {
      server.stall = stall;
      try {
        const client = new RouterOsClient({ url: server.url, user: USER, password: PASSWORD, timeoutMs: 1000 });
        const [err, ms] = await timed(rejection(client.list()));
        assert.equal(err.kind, 'timeout');
        assert.equal(err.message, `the router did not answer GET ${server.url}/rest/ip/dns/static within 1000 ms`);
        // The upper margin is for a busy machine: what matters is that it ends near the limit, not never.
        assert.ok(ms >= 900 && ms < 4000, `gave up after ${ms.toFixed(0)} ms`);
      } finally {
        server.stall = undefined;
      }
    });
  }

  test('nothing listening: a connection error naming the URL, quickly', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const client = new RouterOsClient({ url, user: USER, password: PASSWORD, timeoutMs: 20_000 });
    const [err, ms] = await timed(rejection(client.count()));
    assert.equal(err.kind, 'connect');
    assert.equal(err.message, `could not reach the router at ${url} (GET ${url}/rest/ip/dns/static): ECONNREFUSED`);
    // Known at once, not at the 20 s timeout.
    assert.ok(ms < 5000, `took ${ms.toFixed(0)} ms`);
  });
});

describe('RouterOS client over HTTPS with a self-signed certificate', () => {
  const openssl = (() => {
    try {
      execFileSync('openssl', ['version'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();
  const skip = openssl ? false : 'SKIPPED: openssl not found; node:crypto cannot make an X.509 certificate by itself';
  let dir = '';
  let server: RouterOsContractServer;
  let caFile = '';

  before(async () => {
    if (!openssl) return;
    dir = mkdtempSync(join(tmpdir(), 'drdeck-routeros-'));
    // The router's own self-signed certificate, for 127.0.0.1: its CA is itself.
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
        '-days',
        '1',
        '-subj',
        '/CN=drdeck-test-router',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    caFile = join(dir, 'cert.pem');
    server = new RouterOsContractServer({
      user: USER,
      password: PASSWORD,
      entries: SEED,
      tls: { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(caFile, 'utf8') },
    });
    await server.start();
  });
  after(async () => {
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('verification fails without the CA file, and says what to do', { skip }, async () => {
    const client = new RouterOsClient({ url: server.url, user: USER, password: PASSWORD, timeoutMs: 2000 });
    const err = await rejection(client.list());
    assert.equal(err.kind, 'tls');
    assert.match(err.message, new RegExp(`^TLS verification of ${server.url} failed: self[- ]signed certificate .*set caFile`));
    // Refused before any request was sent: the password never left.
    assert.equal(server.requests.length, 0);
  });

  test('verification passes with the CA file (through the config, password from a file)', { skip }, async () => {
    writeFileSync(join(dir, 'password'), `${PASSWORD}\n`);
    const config = routerosConfigSchema.parse({ url: server.url, user: USER, passwordFile: join(dir, 'password'), caFile });
    const client = routerOsClientFromConfig(config, {});
    assert.equal(client.insecureSkipVerify, false);
    assert.equal(await client.count(), SEED.length);
  });

  test('insecureSkipVerify accepts the certificate without a CA', { skip }, async () => {
    const client = new RouterOsClient({ url: server.url, user: USER, password: PASSWORD, insecureSkipVerify: true, timeoutMs: 2000 });
    assert.equal(await client.count(), SEED.length);
  });
});

describe('dns.routeros config', () => {
  test('defaults: TLS verified, 10 s timeout; the password from an environment variable', async () => {
    const server = new RouterOsContractServer({ user: USER, password: PASSWORD, entries: SEED });
    const url = await server.start();
    try {
      // The contract server speaks plain http: allowed here explicitly, as an operator would have to.
      const config = routerosConfigSchema.parse({ url, user: USER, passwordEnv: 'ROUTER_PW', allowInsecureHttp: true });
      assert.equal(config.insecureSkipVerify, false);
      assert.equal(config.timeoutMs, 10_000);
      assert.equal(await routerOsClientFromConfig(config, { ROUTER_PW: PASSWORD }).count(), SEED.length);
    } finally {
      await server.close();
    }
  });

  const issues = (value: unknown) => {
    const result = routerosConfigSchema.safeParse(value);
    assert.equal(result.success, false);
    return result.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };

  test('a password in the config is refused, naming the two places it may live', () => {
    assert.deepEqual(issues({ url: 'https://router', user: 'u', passwordEnv: 'X', password: 'hunter2' }), [
      'password: the password never goes in the config: name an environment variable (passwordEnv) or a file (passwordFile)',
    ]);
  });

  test('exactly one of passwordEnv and passwordFile', () => {
    const message = 'passwordEnv: set exactly one of passwordEnv (an environment variable) or passwordFile';
    assert.deepEqual(issues({ url: 'https://router', user: 'u' }), [message]);
    assert.deepEqual(issues({ url: 'https://router', user: 'u', passwordEnv: 'X', passwordFile: '/f' }), [message]);
  });

  test('URLs: credentials, paths and other schemes are refused', () => {
    assert.deepEqual(issues({ url: 'https://admin:pw@router', user: 'u', passwordEnv: 'X' }), [
      'url: must not hold credentials: set user, and passwordEnv or passwordFile',
    ]);
    assert.deepEqual(issues({ url: 'https://router/rest', user: 'u', passwordEnv: 'X' }), ['url: must be the router itself (no path): /rest is added']);
    assert.deepEqual(issues({ url: 'ftp://router', user: 'u', passwordEnv: 'X' }), ['url: must start with https:// or http://']);
    assert.ok(routerosConfigSchema.safeParse({ url: 'http://192.168.88.1:8080/', user: 'u', passwordEnv: 'X' }).success);
  });

  test('an unset variable or unreadable file is named, the password never', () => {
    const config = routerosConfigSchema.parse({ url: 'https://router', user: 'u', passwordEnv: 'ROUTER_PW' });
    assert.throws(() => routerOsClientFromConfig(config, {}), { message: 'dns.routeros.passwordEnv: environment variable ROUTER_PW is not set' });
    const fromFile = routerosConfigSchema.parse({ url: 'https://router', user: 'u', passwordFile: '/nonexistent/drdeck-pw' });
    assert.throws(() => routerOsClientFromConfig(fromFile, {}), { message: 'dns.routeros.passwordFile: cannot read /nonexistent/drdeck-pw: ENOENT' });
  });
});

describe('plannedRecords and isDrdeckRecord', () => {
  test('one PUT per missing address, names normalised, tagged with the date given', () => {
    assert.deepEqual(
      plannedRecords(
        [
          { name: 'smtp-relay.sulibot.com', type: 'AAAA', address: 'fd00:101::1b:122' },
          { name: 'mosquitto.sulibot.com.', type: 'AAAA', address: 'FD00:101::1B:129' },
          { name: 'mosquitto.sulibot.com', type: 'A', address: '10.101.27.129' },
        ],
        '2026-11-26',
      ),
      [
        {
          method: 'PUT',
          path: '/rest/ip/dns/static',
          body: { name: 'smtp-relay.sulibot.com', type: 'AAAA', address: 'fd00:101::1b:122', comment: 'drdeck: added 2026-11-26' },
        },
        {
          method: 'PUT',
          path: '/rest/ip/dns/static',
          body: { name: 'mosquitto.sulibot.com', type: 'AAAA', address: 'fd00:101::1b:129', comment: 'drdeck: added 2026-11-26' },
        },
        {
          method: 'PUT',
          path: '/rest/ip/dns/static',
          body: { name: 'mosquitto.sulibot.com', type: 'A', address: '10.101.27.129', comment: 'drdeck: added 2026-11-26' },
        },
      ],
    );
  });

  test('a full drdeck comment is kept; an address of the wrong family throws', () => {
    assert.equal(drdeckComment('drdeck: added by hand'), 'drdeck: added by hand');
    assert.equal(plannedRecords([{ name: 'a.sulibot.com', type: 'A', address: '10.0.0.1' }], 'drdeck: run 7')[0].body.comment, 'drdeck: run 7');
    assert.throws(() => plannedRecords([{ name: 'a.sulibot.com', type: 'A', address: 'fd00::1' }], 'x'), /A a\.sulibot\.com: "fd00::1" is not an IPv4 address/);
  });

  test('isDrdeckRecord: by the comment prefix only', () => {
    assert.equal(isDrdeckRecord({ comment: 'drdeck: added 2026-11-26' }), true);
    assert.equal(isDrdeckRecord({ comment: 'Managed by ExternalDNS' }), false);
    assert.equal(isDrdeckRecord({ comment: 'note: drdeck: added' }), false);
    assert.equal(isDrdeckRecord({}), false);
  });
});

// Last: runs after every describe above has pushed its errors.
test('no error, in any form, and no client carries the password or the Basic credentials', () => {
  const kinds = new Set(thrown.map((e) => (e as RouterError).kind));
  for (const kind of ['http', 'auth', 'timeout', 'connect'] as const) assert.ok(kinds.has(kind), `no ${kind} error was collected`);
  const client = new RouterOsClient({ url: 'https://router', user: USER, password: PASSWORD });
  const forms = thrown.flatMap((err) => {
    const e = err as Error;
    return [e.message, String(e), e.stack ?? '', inspect(e, { depth: Infinity, showHidden: true }), JSON.stringify(e)];
  });
  forms.push(inspect(client, { depth: Infinity, showHidden: true }), JSON.stringify(client), String(client));
  for (const form of forms) for (const secret of SECRETS) assert.equal(form.includes(secret), false, `leaked in: ${form}`);
});
