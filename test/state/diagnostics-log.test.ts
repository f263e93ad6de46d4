/**
 * `--log FILE`: a private, append-only file of timestamped lines; what the store's changes say
 * there (only changes, never whole objects); and the demo wired through `connect` as `drdeck demo
 * --log` runs it: fix progress in the file, notices on the dashboard, nothing on the terminal.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { connect } from '../../src/commands/connect.js';
import { UsageError } from '../../src/commands/errors.js';
import { defaultConfig } from '../../src/config/schema.js';
import { waitForSync } from '../../src/session.js';
import { DiagnosticsLog, followOperations, LogFileError } from '../../src/state/diagnostics-log.js';
import { createDeckStore } from '../../src/store/deck-store.js';
import { FeedBuffer } from '../../src/store/feed-buffer.js';

const work = mkdtempSync(join(tmpdir(), 'drdeck-log-'));
after(() => rmSync(work, { recursive: true, force: true }));
let n = 0;
const fresh = (name: string) => join(work, `${name}-${n++}`);
const modeOf = (path: string) => statSync(path).mode & 0o777;
const ISO_LINE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \S/;

test('the log file: created 0600, one line per write behind an ISO time, appended to, never past close', () => {
  const file = fresh('a.log');
  let now = Date.parse('2026-03-01T10:00:00Z');
  const log = new DiagnosticsLog(file, { clock: () => new Date(now) });
  log.write('watch services: 410 Gone (too old resource version: 5 (9)), relisting');
  now += 1500;
  log.write('router 10.0.0.1: could not reach the router\nat http://10.0.0.1 (GET …)');
  log.close();
  log.write('a watcher that stopped late');
  assert.equal(modeOf(file), 0o600);
  assert.equal(
    readFileSync(file, 'utf8'),
    [
      '2026-03-01T10:00:00.000Z watch services: 410 Gone (too old resource version: 5 (9)), relisting',
      '2026-03-01T10:00:01.500Z router 10.0.0.1: could not reach the router ⏎ at http://10.0.0.1 (GET …)',
      '',
    ].join('\n'),
  );
  // A second run appends, and a file someone made readable to others is made private again.
  chmodSync(file, 0o644);
  const again = new DiagnosticsLog(file);
  again.write('second run');
  again.close();
  assert.equal(modeOf(file), 0o600);
  const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
  assert.equal(lines.length, 3);
  assert.match(lines[2], /^\d{4}-.*Z second run$/);
});

test('a log that cannot be opened is one clear line naming it', () => {
  const folder = fresh('folder');
  mkdirSync(folder);
  assert.throws(
    () => new DiagnosticsLog(folder),
    (e: unknown) => e instanceof LogFileError && e.message === `--log ${folder}: cannot open it for appending (it is a folder)`,
  );
  const missing = join(fresh('nowhere'), 'x.log');
  assert.throws(() => new DiagnosticsLog(missing), { message: `--log ${missing}: cannot open it for appending (no such folder)` });
});

test('what the store says in the log: changes of phase, DNS and router errors and their end, fix progress, notices; a steady state nothing', () => {
  const store = createDeckStore({ config: defaultConfig(), clusterName: 'home', now: 0 });
  const buffer = new FeedBuffer(store, 60_000);
  const lines: string[] = [];
  const stop = followOperations(store, (line) => lines.push(line));
  const step = (act: () => void) => {
    act();
    buffer.flush();
    return lines.splice(0);
  };
  try {
    assert.deepEqual(
      step(() => buffer.sync('services', { phase: 'synced', since: 1 })),
      ['sync services: synced'],
    );
    assert.deepEqual(
      step(() =>
        buffer.sync('services', { phase: 'retrying', detail: 'connection refused by 127.0.0.1:6443: GET /api/v1/services; retrying in 2 s', since: 1 }),
      ),
      ['sync services: retrying: connection refused by 127.0.0.1:6443: GET /api/v1/services; retrying in 2 s'],
    );
    // The watcher logs each further retry itself; the sync line is for the change of phase.
    assert.deepEqual(
      step(() => buffer.sync('services', { phase: 'retrying', detail: 'connection refused; retrying in 4 s', since: 1 })),
      [],
    );
    assert.deepEqual(
      step(() => buffer.dns([{ name: 'a.sulibot.com', a: [], aaaa: [], error: 'timeout after 2000 ms', checkedAt: 2 }])),
      ['dns a.sulibot.com: timeout after 2000 ms'],
    );
    assert.deepEqual(
      step(() => buffer.dns([{ name: 'a.sulibot.com', a: [], aaaa: [], error: 'timeout after 2000 ms', checkedAt: 3 }])),
      [],
    );
    assert.deepEqual(
      step(() => buffer.dns([{ name: 'a.sulibot.com', a: ['10.0.0.5'], aaaa: [], checkedAt: 4 }])),
      ['dns a.sulibot.com: answered again'],
    );
    assert.deepEqual(
      step(() =>
        buffer.routerRecords({ label: '10.0.0.1', error: 'the router refused the credentials of user drdeck (401 at https://10.0.0.1)', checkedAt: 5 }),
      ),
      ['router 10.0.0.1: the router refused the credentials of user drdeck (401 at https://10.0.0.1)'],
    );
    assert.deepEqual(
      step(() => buffer.routerRecords({ label: '10.0.0.1', count: 152, drdeck: 0, checkedAt: 6 })),
      ['router 10.0.0.1: answered again (152 static records)'],
    );
    assert.deepEqual(
      step(() => buffer.routerRecords({ label: '10.0.0.1', count: 153, drdeck: 1, checkedAt: 7 })),
      [],
    );
    const activity = { fixId: 'gateways-restart-operator' as const, phase: 'running' as const, message: 'rolling out 1/2', startedAt: 8 };
    assert.deepEqual(
      step(() => store.setState({ fixes: { 'gateways-restart-operator': activity } })),
      ['fix gateways-restart-operator: running: rolling out 1/2'],
    );
    assert.deepEqual(
      step(() => store.setState({ fixes: { 'gateways-restart-operator': { ...activity, phase: 'done', message: 'cilium-operator rolled out' } } })),
      ['fix gateways-restart-operator: done: cilium-operator rolled out'],
    );
    assert.deepEqual(
      step(() => store.setState({ notices: ['not reading ./drdeck.yaml (pass --config drdeck.yaml to use it)'] })),
      ['notice: not reading ./drdeck.yaml (pass --config drdeck.yaml to use it)'],
    );
    // The clock moving and objects arriving say nothing.
    assert.deepEqual(
      step(() => {
        store.getState().tick(10_000);
        buffer.reset('services', [{ metadata: { name: 'web', namespace: 'default', uid: 'u1', resourceVersion: '1' } }]);
      }),
      [],
    );
  } finally {
    stop();
    buffer.close();
  }
});

test('demo --log: fix progress and the start in the file, no Secret value; notices on the dashboard, never on the terminal', async () => {
  const folder = fresh('cwd');
  mkdirSync(folder);
  // A ./drdeck.yaml where drdeck starts: not read, and said so.
  writeFileSync(join(folder, 'drdeck.yaml'), 'restores:\n  expectedCount: 1\n');
  const config = join(folder, 'mine.yaml');
  writeFileSync(config, '# empty: the demo defaults\n');
  const file = join(folder, 'drdeck.log');
  const written: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  const cwd = process.cwd();
  process.chdir(folder);
  // Why stderr is watched: the dashboard owns the terminal, so nothing may go there while it runs.
  process.stderr.write = ((chunk: string | Uint8Array) => (written.push(String(chunk)), true)) as typeof process.stderr.write;
  let connected: Awaited<ReturnType<typeof connect>>;
  try {
    connected = await connect({ demo: true, speed: 3000, stateDir: join(folder, 'state'), config, log: file, tui: true });
  } finally {
    process.stderr.write = write;
    process.chdir(cwd);
  }
  const { session } = connected;
  try {
    assert.deepEqual(session.store.getState().notices, ['not reading ./drdeck.yaml (pass --config drdeck.yaml to use it)']);
    await waitForSync(session, 10_000);
    session.buffer.flush();
    const { store } = session;
    await store.getState().requestFix('kopia-reclaim');
    store.getState().typeConfirm('kopia');
    await store.getState().confirmFix();
    assert.equal(store.getState().fixes['kopia-reclaim']?.phase, 'done');
  } finally {
    session.close();
  }
  assert.deepEqual(written, [], 'nothing on the terminal');
  assert.equal(modeOf(file), 0o600);
  const text = readFileSync(file, 'utf8');
  const lines = text.trimEnd().split('\n');
  for (const line of lines) assert.match(line, ISO_LINE);
  assert.match(lines[0], /Z start: demo; state in .*\/state\/demo$/);
  assert.match(text, /Z notice: not reading \.\/drdeck\.yaml/);
  assert.match(text, /Z sync services: synced$/m);
  assert.match(text, /Z fix kopia-reclaim: confirm/);
  assert.match(text, /Z fix kopia-reclaim: done: PVC default\/kopia Bound to PV \S+ with the saved handle$/m);
  assert.match(lines.at(-1)!, /Z session closed$/);
  for (const secret of ['demo-fake-password', 'demo-fake-key-not-a-secret', 'demo-fake-user']) {
    assert.equal(text.includes(secret), false, secret);
    assert.equal(text.includes(Buffer.from(secret).toString('base64')), false, `${secret} (base64)`);
  }
});

test('a --log that cannot be opened stops the command before anything starts, as a usage error', async () => {
  const folder = fresh('bad-log');
  mkdirSync(folder);
  await assert.rejects(
    connect({ demo: true, manual: true, stateDir: join(folder, 'state'), log: folder }),
    (e: unknown) => e instanceof UsageError && e.message === `--log ${folder}: cannot open it for appending (it is a folder)`,
  );
});
