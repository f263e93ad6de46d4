/**
 * `drdeck demo --autopilot` and `drdeck report`, spawned from the sources as a user runs them: the
 * autopilot takes the demo's rebuild through every phase in well under a minute and prints the
 * Markdown post-mortem; `report` reads the same timeline and audit log back as JSON or Markdown;
 * `report` without a timeline is one clear line and exit 2.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { DRDECK_BIN } from '../built-cli.js';

const PHASES: Array<[string, string]> = [
  ['flux-deployed', 'Flux deployed'],
  ['infrastructure-ready', 'Infrastructure ready'],
  ['readiness-checked', 'Readiness check'],
  ['kopia-reclaimed', 'Kopia reclaim'],
  ['gateways-programmed', 'Gateways'],
  ['restores-triggered', 'Restores triggered'],
  ['restores-complete', 'Restores complete'],
  ['restores-verified', 'Verification'],
  ['apps-running', 'Apps running'],
];
/** The seed's expected minutes per phase, in the same order. */
const EXPECTED_MINUTES = [
  [0, 0],
  [15, 20],
  [1, 1],
  [1, 1],
  [0, 2],
  [1, 1],
  [10, 15],
  [1, 1],
  [1, 5],
];
const MIN = 60_000;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

let work: string;
before(() => {
  work = mkdtempSync(join(tmpdir(), 'drdeck-autopilot-'));
});
after(() => rmSync(work, { recursive: true, force: true }));

/**
 * Runs the built CLI in `work` (no drdeck.yaml, no user config or state leaks in), and
 * measures its wall time. Killed after 90 s so a hang fails here, with its output, not in the runner.
 */
function drdeck(args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(process.execPath, [DRDECK_BIN, ...args], {
      cwd: work,
      env: { ...process.env, NO_COLOR: '1', XDG_CONFIG_HOME: join(work, '.no-config'), XDG_STATE_HOME: join(work, '.no-state') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const killer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(killer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The phases table's rows: `| Title | Expected | Actual | Delta |`, one per phase, in order. */
function assertPhaseTable(markdown: string): void {
  assert.match(markdown, /^\| Phase \| Expected \| Actual \| Delta \|$/m);
  const rows = markdown.split('\n').filter((l) => PHASES.some(([, title]) => l.startsWith(`| ${title} |`)));
  assert.deepEqual(
    rows.map((l) => l.split(' | ')[0].slice(2)),
    PHASES.map(([, title]) => title),
    'a row per phase, in runbook order',
  );
  for (const line of rows) assert.match(line, /^\| [^|]+ \| [^|]+ \| (≤ )?\d+[hms][^|]* \| [^|]+ \|$/, `an actual duration: ${line}`);
  assert.match(markdown, /^\| \*\*Total\*\* \| .* \| \*\*\d+m( \d\ds)?\*\* \| /m);
  assert.match(
    markdown,
    /^Total \d+m( \d\ds)? against the runbook: best 30m .*worst 45m .*: (best|faster than typical|typical|slower than typical|over worst)\.$/m,
  );
}

test('demo --autopilot --speed 600: every phase reached in under a minute, exit 0, the Markdown report on stdout; report reads it back', async (t) => {
  const state = join(work, 'state');
  const run = await drdeck(['demo', '--autopilot', '--speed', '600', '--state-dir', state]);
  // Reported for the record (node --test prints diagnostics): how long the whole rebuild took.
  t.diagnostic(`autopilot wall time ${run.ms} ms`);
  assert.equal(run.code, 0, `exit ${run.code}\nstderr:\n${run.stderr}\nstdout:\n${run.stdout}`);
  assert.ok(run.ms < 60_000, `took ${run.ms} ms`);

  // stdout is the report alone; the progress went to stderr.
  assert.match(run.stdout, /^# Rebuild timeline: demo\n/);
  assert.match(run.stdout, /^- Apps running: \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ \(\d+m( \d\ds)?\)$/m);
  assertPhaseTable(run.stdout);
  assert.doesNotMatch(run.stdout, /≤/, 'every phase was seen completing, none was already done');
  assert.match(run.stdout, /^## Fixes$/m);
  assert.match(run.stdout, /^\| [^|]+ \| kopia-reclaim \| [^|]+ \| done \| /m);
  // The end state, never "done" beside red checks: the demo repository's failing items are named.
  assert.match(run.stdout, /^\*\*End state:\*\* apps running in \d+m( \d\ds)? — \d+ changes? left in Git \(g\)/m);
  assert.match(run.stderr, /^phase complete: Apps running$/m);
  assert.match(run.stderr, /^✓ kopia-reclaim: /m);
  assert.doesNotMatch(run.stderr, /did not reach every phase/);

  // The same timeline and audit log, read back as JSON.
  const json = await drdeck(['report', '--demo', '--format', 'json', '--state-dir', state]);
  assert.equal(json.code, 0, json.stderr);
  const report = JSON.parse(json.stdout);
  assert.equal(report.context, 'demo');
  assert.equal(typeof report.t0, 'number');
  assert.equal(typeof report.finishedAt, 'number', 'finishedAt set: every phase held');
  assert.ok(report.finishedAt >= report.t0);
  assert.equal(report.currentPhase, null);
  assert.deepEqual(
    report.phases.map((p: { id: string }) => p.id),
    PHASES.map(([id]) => id),
  );
  let sum = 0;
  report.phases.forEach(
    (p: { id: string; title: string; expectedMin: number; expectedMax: number; actual: number | null; status: string; uncertain: boolean }, i: number) => {
      assert.equal(p.title, PHASES[i][1]);
      assert.deepEqual(
        [p.expectedMin, p.expectedMax],
        EXPECTED_MINUTES[i].map((m) => m * MIN),
        `${p.id} expected`,
      );
      assert.equal(typeof p.actual, 'number', `${p.id}: an actual duration`);
      assert.ok((p.actual ?? -1) >= 0, `${p.id}: ${p.actual}`);
      assert.equal(p.status, 'done', p.id);
      // drdeck watched the whole rebuild: no phase was "already done when drdeck looked" (≤).
      assert.equal(p.uncertain, false, `${p.id} uncertain`);
      sum += p.actual ?? 0;
    },
  );
  // The phases are cumulative: their actuals add up to the total, t0 to finish.
  // (Scenario times carry fractions of a millisecond; the report rounds.)
  assert.ok(Math.abs(report.total - (report.finishedAt - report.t0)) <= 1, `total ${report.total}`);
  assert.ok(Math.abs(sum - report.total) <= PHASES.length, `phases sum to ${sum}, total ${report.total}`);

  const fixes = report.fixes as Array<{ time: string; offsetMs: number | null; fixId: string; outcome: string }>;
  for (const id of ['kopia-reclaim', 'restores-trigger']) {
    const fix = fixes.find((f) => f.fixId === id && f.outcome === 'done');
    assert.ok(fix, `${id} applied, done: ${JSON.stringify(fixes.map((f) => `${f.fixId} ${f.outcome}`))}`);
    assert.ok(Number.isFinite(Date.parse(fix.time)), `${id} time ${fix.time}`);
    assert.equal(typeof fix.offsetMs, 'number', `${id}: its time since t0`);
    assert.equal(Date.parse(fix.time) - report.t0, fix.offsetMs);
  }
  // The reclaim comes before the restores it makes possible, as the runbook orders them.
  const at = (id: string) => Date.parse(fixes.find((f) => f.fixId === id && f.outcome === 'done')!.time);
  assert.ok(at('kopia-reclaim') < at('restores-trigger'));
  assert.deepEqual(
    fixes.map((f) => Date.parse(f.time)),
    fixes.map((f) => Date.parse(f.time)).sort((a, b) => a - b),
    'oldest first',
  );

  // And as Markdown: the same table.
  const md = await drdeck(['report', '--demo', '--format', 'md', '--state-dir', state]);
  assert.equal(md.code, 0, md.stderr);
  assert.match(md.stdout, /^# Rebuild timeline: demo\n/);
  assertPhaseTable(md.stdout);
  for (const id of ['kopia-reclaim', 'restores-trigger']) assert.match(md.stdout, new RegExp(`^\\| [^|]+ \\| ${escape(id)} \\| [^|]+ \\| done \\| `, 'm'));
});

test('report with no timeline in the state dir: exit 2, one line saying what to run', async () => {
  const empty = join(work, 'empty-state');
  mkdirSync(empty);
  const run = await drdeck(['report', '--demo', '--state-dir', empty]);
  assert.equal(run.code, 2, run.stderr);
  assert.equal(run.stdout, '');
  assert.equal(run.stderr.trimEnd().split('\n').length, 1, `one line: ${run.stderr}`);
  assert.match(run.stderr, /^drdeck: no timeline for demo in .*empty-state\/demo: run `drdeck demo` \(or `drdeck demo --autopilot`\) first\n$/);
});
