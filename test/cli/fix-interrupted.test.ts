/**
 * `drdeck fix restores-trigger --yes` stopped while it follows the restores, the way it happens: an
 * SSH session dropped (SIGHUP), Ctrl-C (SIGINT), a kill (SIGTERM), a kill -9. The child prints each
 * request as it lands; the test waits on those lines, never on time. Whatever stopped it, the audit
 * log has the intent and every request sent, `interrupted` with what was sent (or, after a kill -9,
 * no outcome), and `drdeck report` lists the attempt. On the test API server, what the audit says
 * was sent is exactly what the server holds.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DRDECK_BIN } from '../built-cli.js';
import { AuditLog, NO_OUTCOME, type AuditOutcome, type AuditRecord } from '../../src/state/audit-log.js';
import { writeScenario } from '../cluster/scenario.js';
import { adminClient, skipWithoutGo, startE2eCluster } from '../e2e/harness.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'drdeck-fix-interrupted-'));
/** Every drdeck started: a test that fails leaves none behind. */
const children = new Set<ChildProcess>();
after(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});
let n = 0;

interface Running {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves when `pattern` matches the stream; fails with both streams after `timeoutMs`. */
  waitFor(stream: 'stdout' | 'stderr', pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** `drdeck ARGS` as installed (the built CLI), with no user config, its state in `state`. */
function start(args: string[], state: string): Running {
  const child = spawn(process.execPath, [DRDECK_BIN, ...args, '--state-dir', state], {
    cwd: root,
    env: { ...process.env, NO_COLOR: '1', XDG_CONFIG_HOME: join(work, 'no-config'), KUBECONFIG: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (chunk) => (out += chunk));
  child.stderr!.on('data', (chunk) => (err += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal })),
  );
  children.add(child);
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    async waitFor(stream, pattern, timeoutMs = 90_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const match = (stream === 'stdout' ? out : err).match(pattern);
        if (match) return match;
        if (Date.now() > deadline || child.exitCode !== null)
          throw new Error(`no ${pattern} on ${stream} (exit ${child.exitCode})\nstdout:\n${out}\nstderr:\n${err}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  };
}

/** The raw records of the log, in order. */
function records(dir: string): AuditRecord[] {
  return new AuditLog(dir).lines().flatMap((l) => ('record' in l ? [l.record] : []));
}

/** The demo's restores-trigger at the start of the scenario: 13 to trigger now and one held. */
const DEMO_TRIGGER = ['fix', 'restores-trigger', '--yes', '--demo', '--speed', '1'];

/** Checks what every interrupted run must have left: the intent, each request sent, `interrupted` naming them. */
function assertInterrupted(dir: string, reason: string): { sent: string[]; outcome: AuditOutcome } {
  const all = records(dir);
  assert.equal(new Set(all.map((r) => r.attempt)).size, 1, 'one attempt');
  assert.equal(all[0].record, 'intent');
  assert.ok(all[0].record === 'intent' && all[0].requests.length > 0);
  const requests = all.filter((r) => r.record === 'request');
  assert.ok(requests.length >= 1, 'the requests that landed before the signal');
  assert.ok(
    requests.every((r) => r.ok),
    JSON.stringify(requests),
  );
  const outcomes = all.filter((r): r is AuditOutcome => r.record === 'outcome');
  assert.equal(outcomes.length, 1, JSON.stringify(outcomes));
  const [outcome] = outcomes;
  assert.equal(all.at(-1), outcome, 'the outcome last');
  assert.deepEqual([outcome.outcome, outcome.reason], ['interrupted', reason]);
  const sent = requests.map((r) => `patch replicationdestinations ${r.namespace}/${r.name}`);
  assert.deepEqual(outcome.sent, sent, 'the outcome names exactly the requests recorded as landed');
  return { sent, outcome };
}

test('SIGHUP (an SSH session dropped) while the restores are followed: the audit has the intent, the requests, interrupted; report lists it', async () => {
  const state = join(work, `hup-${n++}`);
  const run = start(DEMO_TRIGGER, state);
  // Printed as they land, not at the end.
  await run.waitFor('stdout', /^ {2}sent 1\/14: patch replicationdestinations default\/autobrr-dst$/m);
  assert.doesNotMatch(run.stdout(), /^(done|failed):/m);
  run.child.kill('SIGHUP');
  // Killed by it once recorded, as without a handler: the shell says 129.
  assert.equal((await run.exited).signal, 'SIGHUP', run.stderr());

  const demoState = join(state, 'demo');
  const { sent, outcome } = assertInterrupted(demoState, 'SIGHUP');
  const printed = [...run.stdout().matchAll(/^ {2}sent (\d+)\/14: /gm)].map((m) => Number(m[1]));
  assert.equal(printed.at(-1), sent.length, 'every request printed was recorded, and no other');
  assert.match(outcome.message, new RegExp(`^interrupted \\(SIGHUP\\): ${sent.length} of 14 requests sent; `));
  assert.ok(run.stdout().includes(`\n${outcome.message}\nrecorded in ${join(demoState, 'audit.jsonl')}\n`), run.stdout());

  const report = start(['report', '--demo'], state);
  assert.equal((await report.exited).code, 0, report.stderr());
  assert.doesNotMatch(report.stdout(), /No fixes applied/);
  assert.match(
    report.stdout(),
    new RegExp(`^\\| [^|]+ \\| restores-trigger \\| default/autobrr-dst, [^|]+ \\| interrupted \\(SIGHUP\\), ${sent.length}/14 requests sent \\| `, 'm'),
  );
});

test('SIGINT and SIGTERM with --json: stdout is one JSON document saying interrupted, the progress went to stderr', async () => {
  const runs = (['SIGINT', 'SIGTERM'] as const).map((signal) => {
    const state = join(work, `${signal}-${n++}`);
    return { signal, state, run: start([...DEMO_TRIGGER, '--json'], state) };
  });
  await Promise.all(
    runs.map(async ({ signal, run }) => {
      await run.waitFor('stderr', /^ {2}sent 1\/14: /m);
      run.child.kill(signal);
    }),
  );
  for (const { signal, state, run } of runs) {
    assert.equal((await run.exited).signal, signal, run.stderr());
    const expected = signal === 'SIGINT' ? 130 : 143;
    const json = JSON.parse(run.stdout()) as { fix: string; outcome: string; message: string; exitCode: number; plan?: unknown };
    // The status a shell reports for it.
    assert.deepEqual([json.fix, json.outcome, json.exitCode], ['restores-trigger', 'interrupted', expected]);
    assert.ok(json.plan, 'the plan it was applying');
    const { outcome } = assertInterrupted(join(state, 'demo'), signal);
    assert.equal(json.message, outcome.message);
  }
});

test('kill -9 mid-run: the intent and the requests are there without an outcome; report says interrupted (no outcome recorded)', async () => {
  const state = join(work, `kill-${n++}`);
  const run = start(DEMO_TRIGGER, state);
  await run.waitFor('stdout', /^ {2}sent 2\/14: /m);
  run.child.kill('SIGKILL');
  assert.equal((await run.exited).signal, 'SIGKILL');

  const demoState = join(state, 'demo');
  const all = records(demoState);
  assert.equal(all[0].record, 'intent');
  const landed = all.filter((r) => r.record === 'request').length;
  assert.ok(landed >= 2, `${landed} requests recorded`);
  assert.equal(all.filter((r) => r.record === 'outcome').length, 0);
  const [entry] = new AuditLog(demoState).read();
  assert.deepEqual([entry.outcome, entry.reason], ['interrupted', NO_OUTCOME]);

  const report = start(['report', '--demo'], state);
  assert.equal((await report.exited).code, 0, report.stderr());
  assert.match(report.stdout(), new RegExp(`\\| interrupted \\(no outcome recorded\\), ${landed}/14 requests sent \\| `));
});

test("the next start removes drdeck's stale temporary files from the state folder, and nothing else", async () => {
  const state = join(work, `temp-${n++}`);
  const demoState = join(state, 'demo');
  mkdirSync(demoState, { recursive: true });
  // A writer that is gone: a pid that cannot be a running process's (above the kernel's pid_max).
  const stale = 'timeline-demo.json.tmp-99999999-0a1b2c3d';
  const foreign = ['notes.tmp-99999999-0a1b2c3d', 'timeline-demo.json.orig', 'mine.txt'];
  for (const name of [stale, ...foreign]) writeFileSync(join(demoState, name), 'x');
  const run = start(['fix', 'restores-trigger', '--dry-run', '--demo'], state);
  assert.equal((await run.exited).code, 0, run.stderr());
  assert.deepEqual(readdirSync(demoState).sort(), ['audit.jsonl', 'timeline-demo.json', ...foreign].sort());
});

test('on the test API server: SIGHUP while following; what the audit says was sent is what the server holds', async (t) => {
  if (skipWithoutGo(t)) return;
  const env = await startE2eCluster('fix-interrupted');
  const admin = adminClient(env.cluster.kubeconfig);
  try {
    // The rebuild's objects and status; no controllers: the restores never finish by themselves.
    await writeScenario(env.cluster.dir, 'rebuild');
    const state = join(env.cluster.dir, 'state');
    const args = [
      'fix',
      'restores-trigger',
      '--yes',
      '--kubeconfig',
      env.cluster.kubeconfig,
      '--config',
      join(env.cluster.dir, 'drdeck.yaml'),
      '--timeout',
      '60',
    ];
    const run = start(args, state);
    await run.waitFor('stdout', /^ {2}sent 1\/\d+: /m, 120_000);
    run.child.kill('SIGHUP');
    assert.equal((await run.exited).signal, 'SIGHUP', run.stderr());

    const { sent, outcome } = assertInterrupted(state, 'SIGHUP');
    const [intent] = records(state);
    assert.ok(intent.record === 'intent');
    const token = run.stdout().match(/^Trigger \d+ restores? \((restore-[^)]+)\)/m)?.[1];
    assert.ok(token, run.stdout());
    const { items } = await admin.list('replicationdestinations');
    const triggered = items
      .filter((rd) => rd.spec?.trigger?.manual === token)
      .map((rd) => `patch replicationdestinations ${rd.metadata.namespace}/${rd.metadata.name}`);
    // A request on its way when the signal came is named as in flight: the server may have applied it.
    const inFlight = outcome.inFlight ?? [];
    assert.ok(inFlight.length <= 1, 'requests go one at a time');
    assert.deepEqual(triggered.filter((r) => !inFlight.includes(r)).sort(), [...sent].sort(), 'the audit and the server agree on what was sent');

    const report = start(['report', '--kubeconfig', env.cluster.kubeconfig, '--config', join(env.cluster.dir, 'drdeck.yaml')], state);
    assert.equal((await report.exited).code, 0, report.stderr());
    assert.match(
      report.stdout(),
      new RegExp(`\\| restores-trigger \\| [^|]+ \\| interrupted \\(SIGHUP\\), ${sent.length}/${intent.requests.length} requests sent \\| `),
    );
  } finally {
    admin.close();
    await env.stop();
  }
});
