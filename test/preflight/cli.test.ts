/**
 * `drdeck preflight` as an operator runs it (the built CLI) on the seed fixture repository: the JSON
 * contract, the table, the exit codes, and "could not run" for a missing repository, several clusters
 * and a bad renderer. Where the flux CLI is built (test/tools), its rendering gives the same verdicts.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { drdeck, SEED, scratch } from './cli-helpers.js';

const HANDLE = '0001-0024-fsid-0000000000000001-5f0c9a1b-1111-2222-3333-444455556666';

interface Json {
  items: Array<{
    id: number;
    title: string;
    status: string;
    summary: string;
    source: string;
    checks: string[];
    evidence: Array<{ file?: string; line?: number }>;
  }>;
  checks: Array<{ id: string; source: string; status: string; evidence: Array<{ source?: { file: string; line: number } }> }>;
  notes: unknown[];
  renderer: string;
  summary: Record<string, number | boolean>;
  exitCode: number;
}

const EXPECTED = { 1: 'pass', 2: 'fail', 3: 'fail', 4: 'fail', 5: 'warn', 6: 'fail', 7: 'fail', 8: 'warn', 9: 'pass' } as const;

function configWithHandle(): string {
  const file = join(scratch, 'drdeck.yaml');
  writeFileSync(file, `kopia:\n  savedVolumeHandle: ${HANDLE}\n`);
  return file;
}

test('preflight --json on the seed repository: every item with its verdict and file:line, the spec checks from git, exit 1', () => {
  const { code, stdout, stderr } = drdeck(['preflight', '--repo', SEED, '--json', '--renderer', 'built-in', '--config', configWithHandle()]);
  assert.equal(code, 1, stderr);
  const report = JSON.parse(stdout) as Json;
  assert.deepEqual(Object.keys(report), ['items', 'checks', 'notes', 'renderer', 'summary', 'exitCode']);
  assert.equal(report.renderer, 'built-in');
  assert.equal(report.exitCode, 1);
  assert.deepEqual(Object.fromEntries(report.items.map((i) => [i.id, i.status])), EXPECTED);
  for (const item of report.items) {
    assert.equal(item.source, 'git');
    if (item.status !== 'pass')
      assert.ok(
        item.evidence.some((e) => e.file && e.line! > 0),
        `item ${item.id} names a file:line`,
      );
  }
  const three = report.items.find((i) => i.id === 3)!;
  assert.match(three.summary, /kubernetes\/components\/volsync \(component, in flux-system\/jellyfin\)/);
  assert.deepEqual(
    three.evidence.map((e) => `${e.file}:${e.line}`),
    ['kubernetes/components/volsync/kopia-repository-pvc.yaml:2'],
  );
  const seven = report.items.find((i) => i.id === 7)!;
  assert.deepEqual(
    seven.evidence.map((e) => `${e.file}:${e.line}`),
    ['scripts/dr-3-trigger-restores.sh:7'],
  );
  assert.ok(report.checks.length > 0);
  for (const c of report.checks) assert.equal(c.source, 'git', c.id);
  const copy = report.checks.find((c) => c.id === 'restores.copy-method')!;
  assert.deepEqual(copy.evidence[0].source, { file: 'kubernetes/components/volsync/replicationdestination.yaml', line: 2 });
  assert.deepEqual(report.summary, { pass: 2, warn: 2, fail: 5, unknown: 0, decided: true });
});

test('preflight prints a table into a pipe: every item, its evidence in full, the tally and the verdict', () => {
  const { code, stdout } = drdeck(['preflight', '--repo', SEED, '--renderer', 'built-in']);
  assert.equal(code, 1);
  const lines = stdout.trimEnd().split('\n');
  for (const id of Object.keys(EXPECTED))
    assert.ok(
      lines.some((l) => new RegExp(`^(PASS|WARN|FAIL|\\?\\?\\?\\?) {2}${id} {2}`).test(l)),
      `item ${id}`,
    );
  assert.match(stdout, /^FAIL {2}4 {2}Every ReplicationDestination has copyMethod: Snapshot: 1\/1 RDs lack copyMethod/m);
  assert.match(stdout, /^ +kubernetes\/components\/volsync\/replicationdestination\.yaml:2 {2}ReplicationDestination media\/jellyfin-dst/m);
  assert.match(stdout, /^WARN {2}1 .*drdeck's config does not read it/m, 'without a config the handle is saved but not read');
  assert.equal(lines.at(-1), 'failed: 5 items fail (exit 1)');
  assert.equal(lines.at(-2), '1 pass, 3 warn, 5 fail, 0 unknown (rendered by built-in)');
});

test('preflight could not run: no --repo, no such folder, several clusters (listed), a bad renderer: exit 2, one line', () => {
  const none = drdeck(['preflight']);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /--repo DIR is required/);
  assert.doesNotMatch(none.stderr, /\n\s+at /);

  const missing = drdeck(['preflight', '--repo', join(scratch, 'nowhere'), '--renderer', 'built-in']);
  assert.equal(missing.code, 2);
  assert.equal(missing.stderr.trim().split('\n').length, 1, missing.stderr);
  assert.match(missing.stderr, /no such folder/);

  const two = join(scratch, 'two-clusters');
  cpSync(SEED, two, { recursive: true });
  mkdirSync(join(two, 'clusters', 'lab', 'flux-system'), { recursive: true });
  cpSync(join(SEED, 'clusters', 'main', 'flux-system', 'gotk-sync.yaml'), join(two, 'clusters', 'lab', 'flux-system', 'gotk-sync.yaml'));
  const sync = join(two, 'clusters', 'lab', 'flux-system', 'gotk-sync.yaml');
  writeFileSync(sync, spawnSync('sed', ['s#./clusters/main#./clusters/lab#', sync], { encoding: 'utf8' }).stdout);
  const several = drdeck(['preflight', '--repo', two, '--json', '--renderer', 'built-in']);
  assert.equal(several.code, 2);
  assert.match(several.stderr, /several clusters .*clusters\/lab.*clusters\/main|several clusters .*clusters\/main.*clusters\/lab/);
  assert.equal(JSON.parse(several.stdout).exitCode, 2);
  const chosen = drdeck(['preflight', '--repo', two, '--cluster', 'clusters/main', '--json', '--renderer', 'built-in']);
  assert.equal(chosen.code, 1, chosen.stderr);

  const bad = drdeck(['preflight', '--repo', SEED, '--renderer', 'helm']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--renderer helm: must be one of built-in, flux, kubectl/);
});

test('preflight --help names the options and the exit codes, and preflight is in the command list', () => {
  const help = drdeck(['preflight', '--help']);
  assert.equal(help.code, 0);
  for (const option of ['--repo', '--cluster', '--json', '--diff', '--renderer', '--config']) assert.ok(help.stdout.includes(option), option);
  assert.match(help.stdout, /Exit codes \(check, fix, preflight\)/);
  assert.match(drdeck(['--help']).stdout, /^ {2}preflight \[options\]/m);
});

const FLUX = process.env.DRDECK_FLUX ?? join(homedir(), '.cache', 'drdeck', 'tools', 'flux-v2.9.5', 'flux');

test(
  'the flux CLI renders the seed repository to the same verdicts as the built-in resolver',
  { skip: !existsSync(FLUX) && 'flux not built (node --import tsx test/tools/build.ts)' },
  () => {
    const config = configWithHandle();
    const builtIn = JSON.parse(drdeck(['preflight', '--repo', SEED, '--json', '--renderer', 'built-in', '--config', config]).stdout) as Json;
    const run = drdeck(['preflight', '--repo', SEED, '--json', '--config', config], { DRDECK_FLUX: FLUX });
    const flux = JSON.parse(run.stdout) as Json;
    assert.equal(flux.renderer, 'flux', 'flux is used when it is found');
    assert.deepEqual(
      flux.items.map((i) => [i.id, i.status, i.summary]),
      builtIn.items.map((i) => [i.id, i.status, i.summary]),
    );
    assert.deepEqual(
      flux.checks.map((c) => [c.id, c.status]),
      builtIn.checks.map((c) => [c.id, c.status]),
    );
  },
);
