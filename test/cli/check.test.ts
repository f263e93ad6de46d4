import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CONTRACT_IDS } from '../contract-ids.js';
import { DRDECK_BIN } from '../built-cli.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
/** Runs the built CLI. */
function drdeck(args: string[], cwd = root) {
  const r = spawnSync(process.execPath, [DRDECK_BIN, ...args], {
    cwd,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, NO_COLOR: '1', XDG_CONFIG_HOME: join(cwd, '.no-config') },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('check --demo --json lists every contract id with its verdict, and exits 1', () => {
  const { code, stdout, stderr } = drdeck(['check', '--demo', '--json']);
  assert.equal(code, 1, stderr);
  const report = JSON.parse(stdout);
  assert.deepEqual(
    report.checks.map((c: { id: string }) => c.id),
    CONTRACT_IDS,
  );
  for (const c of report.checks) {
    assert.deepEqual(
      Object.keys(c).filter((k) => k !== 'gitHint'),
      ['id', 'panel', 'status', 'summary', 'evidence', 'fixes', 'source'],
    );
    assert.equal(c.source, 'demo', `${c.id}: every verdict of the demo says it came from the demo`);
    assert.match(c.status, /^(pass|warn|fail|pending|unknown)$/);
    assert.equal(typeof c.summary, 'string');
    for (const e of c.evidence) assert.ok('kind' in e && 'name' in e && 'field' in e && 'value' in e);
  }
  const { decided, ...counts } = report.summary as Record<string, number> & { decided: boolean };
  assert.deepEqual(Object.keys(counts), ['pass', 'warn', 'fail', 'pending', 'unknown']);
  assert.equal(
    Object.values(counts).reduce((a, b) => a + b, 0),
    CONTRACT_IDS.length,
  );
  assert.ok(report.summary.fail > 0);
  assert.equal(decided, true, 'the demo answers every check');
  assert.equal(report.exitCode, 1, 'the JSON states the exit code');
});

test('no Secret value reaches the JSON output', () => {
  const { stdout } = drdeck(['check', '--demo', '--json']);
  for (const plain of ['demo-fake-password', 'demo-fake-key-not-a-secret', 'demo-fake-user']) {
    assert.equal(stdout.includes(plain), false, plain);
    assert.equal(stdout.includes(Buffer.from(plain).toString('base64')), false, `${plain} (base64)`);
  }
});

test('check --demo prints a table with a closing tally and verdict; into a pipe, summaries in full', () => {
  const { code, stdout } = drdeck(['check', '--demo']);
  assert.equal(code, 1);
  assert.match(stdout, /^FAIL {2}kopia\.volume-handle {2,}wrong subvolume/m);
  assert.match(stdout, /^\d+ pass, \d+ warn, \d+ fail, 0 pending, 0 unknown\nfailed: \d+ checks fail \(exit 1\)\n$/m);
  // The flux.ready summary names 2 of the 24 failed objects "and 22 more": well past 100 columns.
  const ready = stdout.split('\n').find((line) => line.includes('flux.ready'))!;
  assert.match(ready, /and \d+ more$/);
  assert.ok(ready.length > 100, ready);
  assert.equal(
    stdout.split('\n').some((line) => line.endsWith('…')),
    false,
    'nothing cut',
  );
});

test('a broken config file: exit 2, one clear message naming the file and the field, no stack trace', () => {
  const dir = mkdtempSync(join(tmpdir(), 'drdeck-cli-'));
  writeFileSync(join(dir, 'drdeck.yaml'), 'restores:\n  expectedCount: lots\n');
  const { code, stderr } = drdeck(['check', '--demo', '--config', 'drdeck.yaml'], dir);
  assert.equal(code, 2);
  assert.match(stderr, /drdeck\.yaml: invalid config/);
  assert.match(stderr, /restores\.expectedCount: .*number/);
  assert.doesNotMatch(stderr, /\n\s+at /);
});

test('--help names the commands; a bad flag is explained, exit 2', () => {
  const help = drdeck(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /demo/);
  assert.match(help.stdout, /check/);
  const bad = drdeck(['demo', '--speed', 'fast']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--speed.*must be a positive number/);
});
