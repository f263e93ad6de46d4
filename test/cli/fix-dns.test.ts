/** `drdeck fix dns-add-records` headless on the demo: the exact PUTs, and the RouterOS lines. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { AuditLog } from '../../src/state/audit-log.js';
import { DRDECK_BIN } from '../built-cli.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Runs the built CLI. */
function drdeck(args: string[]) {
  const home = mkdtempSync(join(tmpdir(), 'drdeck-fix-dns-'));
  const r = spawnSync(process.execPath, [DRDECK_BIN, ...args, '--state-dir', join(home, 'state')], {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, NO_COLOR: '1', XDG_CONFIG_HOME: join(home, 'config') },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, state: join(home, 'state') };
}

const PUT = (name: string, address: string) =>
  new RegExp(
    `^  ✓ PUT /rest/ip/dns/static \\{"name":"${name.replace(/\./g, '\\.')}","type":"AAAA","address":"${address}","comment":"drdeck: added \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ"\\}$`,
    'm',
  );

test('fix dns-add-records --dry-run --demo prints the exact PUT requests and sends nothing', () => {
  const { code, stdout, stderr, state } = drdeck(['fix', 'dns-add-records', '--dry-run', '--demo']);
  assert.equal(code, 0, stderr);
  assert.match(stdout, /^Add 2 AAAA records on router demo \(dns-add-records\) on demo$/m);
  assert.match(stdout, /^Router requests \(2\) to demo:$/m);
  assert.match(stdout, /^ {4}the router has no dry run: checked that the records do not exist yet$/m);
  assert.match(stdout, PUT('mosquitto.sulibot.com', 'fd00:101::1b:129'));
  assert.match(stdout, PUT('smtp-relay.sulibot.com', 'fd00:101::1b:122'));
  assert.match(stdout, /^\/ip dns static add name=smtp-relay\.sulibot\.com type=AAAA address=fd00:101::1b:122 comment="drdeck: added [^"]+"$/m);
  assert.match(stdout, /the proper fix is making default\/mosquitto, network\/smtp-relay dual-stack \(loadbalancers-dual-stack\)/);
  assert.match(stdout, /^dry run: the router has no dry run: checked that the records do not exist yet; nothing was sent$/m);
  // The demo keeps its audit log in a folder of its own.
  const audit = new AuditLog(join(state, 'demo')).read();
  assert.equal(audit.at(-1)?.outcome, 'dry-run');
  assert.equal(audit.at(-1)?.requests.length, 2);
  assert.deepEqual(audit.at(-1)?.sent, [], 'nothing was sent');
});

test("fix dns-add-records --json --demo --yes: the plan's router requests, then done", () => {
  const { code, stdout, stderr } = drdeck(['fix', 'dns-add-records', '--json', '--demo', '--yes']);
  assert.equal(code, 0, stderr);
  const result = JSON.parse(stdout);
  assert.equal(result.outcome, 'done', result.message);
  assert.deepEqual(result.plan.requests, []);
  assert.deepEqual(
    result.plan.routerRequests.map(
      (r: { method: string; path: string; body: { name: string; type: string; address: string } }) =>
        `${r.method} ${r.path} ${r.body.type} ${r.body.name} ${r.body.address}`,
    ),
    ['PUT /rest/ip/dns/static AAAA mosquitto.sulibot.com fd00:101::1b:129', 'PUT /rest/ip/dns/static AAAA smtp-relay.sulibot.com fd00:101::1b:122'],
  );
  assert.equal(result.dryRun, 'the router has no dry run: checked that the records do not exist yet');
  assert.equal(result.message, '2/2 records added and answered by the resolver');
});
