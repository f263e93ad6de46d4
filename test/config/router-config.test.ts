/**
 * The router as the config sets it up: plain http refused unless explicitly allowed (Basic auth
 * would cross the network in clear text), and a password file others can read warned about the
 * way ssh warns about a key, with the fix. No message ever carries the password.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { routerFromConfig } from '../../src/dns/router.js';
import { passwordFileWarning, RouterOsClient, routerOsClientFromConfig, routerosConfigSchema } from '../../src/dns/routeros.js';
import { RouterOsContractServer } from '../dns/routeros-contract-server.js';

const PASSWORD = 'correct-horse-battery-staple';
const work = mkdtempSync(join(tmpdir(), 'drdeck-router-config-'));
after(() => rmSync(work, { recursive: true, force: true }));

function passwordFile(name: string, mode: number): string {
  const file = join(work, name);
  writeFileSync(file, `${PASSWORD}\n`);
  chmodSync(file, mode);
  return file;
}

const router = (fields: Record<string, unknown>) => routerosConfigSchema.parse({ user: 'drdeck', ...fields });

test('a password file readable by group or others: the warning names the file, its mode and the fix', () => {
  for (const [mode, text] of [
    [0o644, '0644'],
    [0o640, '0640'],
    [0o604, '0604'],
  ] as const) {
    const file = passwordFile(`pw-${text}`, mode);
    assert.equal(passwordFileWarning(file), `dns.routeros.passwordFile ${file} is readable by others (mode ${text}): chmod 600 ${file}`);
  }
  assert.equal(passwordFileWarning(passwordFile('pw-0600', 0o600)), undefined);
  assert.equal(passwordFileWarning(passwordFile('pw-0400', 0o400)), undefined);
  assert.equal(passwordFileWarning(join(work, 'missing')), undefined, 'a file that is not there: the read says so, not this');
});

test('routerFromConfig: a working router carries the warning; the password is in no message', async () => {
  const server = new RouterOsContractServer({ user: 'drdeck', password: PASSWORD, entries: [{ name: 'a.sulibot.com', type: 'A', address: '10.0.0.5' }] });
  const url = await server.start();
  try {
    const loose = passwordFile('loose', 0o644);
    const made = routerFromConfig(router({ url, passwordFile: loose, allowInsecureHttp: true }));
    const { warning } = made;
    assert.ok(made instanceof RouterOsClient);
    assert.equal(warning, `dns.routeros.passwordFile ${loose} is readable by others (mode 0644): chmod 600 ${loose}`);
    assert.equal((await made.list()).length, 1, 'a warning, not a refusal: the router still works');
    const tight = routerFromConfig(router({ url, passwordFile: passwordFile('tight', 0o600), allowInsecureHttp: true }));
    assert.equal(tight.warning, undefined);
    assert.equal((await tight.list()).length, 1);
    assert.equal(warning?.includes(PASSWORD), false);
  } finally {
    await server.close();
  }
});

test('an http:// router without allowInsecureHttp is refused before its password is read, on the panel and the fix', async () => {
  const reads: string[] = [];
  const readFile = (path: string) => (reads.push(path), `${PASSWORD}\n`);
  const config = router({ url: 'http://192.168.88.1:8080', passwordFile: '/etc/drdeck/router' });
  assert.throws(() => routerOsClientFromConfig(config, {}, readFile), {
    message:
      'dns.routeros.url: http:// would send the router password in clear text (Basic auth) to anyone on the path: use https://, or set allowInsecureHttp: true for a link you trust',
  });
  assert.deepEqual(reads, [], 'the password was not even read');
  // Through routerFromConfig: a router that says why on the DNS panel and in the fix, never a crash.
  const refused = routerFromConfig(config, {}, readFile);
  assert.equal(refused.label, '192.168.88.1:8080');
  await assert.rejects(refused.list(), /^Error: dns\.routeros\.url: http:\/\/ would send the router password in clear text/);
  await assert.rejects(refused.add({ name: 'a.sulibot.com', type: 'A', address: '10.0.0.2', comment: 'drdeck: x' }), /clear text/);
  // Allowed explicitly, it is built; https never needed the flag.
  assert.ok(routerOsClientFromConfig({ ...config, allowInsecureHttp: true }, {}, readFile) instanceof RouterOsClient);
  assert.ok(routerOsClientFromConfig(router({ url: 'https://192.168.88.1', passwordEnv: 'PW' }), { PW: PASSWORD }) instanceof RouterOsClient);
  assert.throws(
    () => routerOsClientFromConfig(router({ url: 'HTTP://router', passwordEnv: 'PW' }), { PW: PASSWORD }),
    /clear text/,
    'the scheme in capitals too',
  );
});
