/**
 * The timeline through the session, as the issue puts it: "drdeck killed with kill -9 or a dropped
 * SSH session loses nothing: the next start continues the same timeline". The session saves on
 * every change, so there is no graceful save to miss; a corrupt file is moved aside and a fresh
 * timeline starts; a drdeck process SIGKILLed while following the cluster leaves a file the next
 * start reads and continues.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Session } from '../../src/session.js';
import { createDemoCluster, type DemoCluster } from '../../src/sim/index.js';
import { followDemo } from '../demo-session.js';
import { loadTimeline, timelineFile, type TimelineState } from '../../src/timeline/index.js';

const MIN = 60_000;
/** When Flux was deployed in these runs: as the demo's default, 30 s before now, to the second. */
const T0 = Math.floor(Date.now() / 1000) * 1000 - 30_000;

const dirs: string[] = [];
function freshDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'drdeck-session-timeline-'));
  dirs.push(dir);
  return dir;
}
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** The demo cluster (time moved by hand) with Flux deployed at `t0`, its scenario played to `minutes`. */
function demoAt(t0: number, minutes: number): DemoCluster {
  const demo = createDemoCluster({ manual: true, t0 });
  demo.clock.advance(minutes * MIN);
  return demo;
}

/** drdeck following the demo's context ('demo') with its timeline in `dir`, continued if there is one. */
function follow(demo: DemoCluster, dir: string): Promise<Session> {
  return followDemo(demo, { timeline: { dir, fresh: false } });
}

/** One scenario minute: the cluster moves, the session sees it, the store's clock ticks. */
async function playMinute(session: Session, demo: DemoCluster): Promise<void> {
  demo.clock.advance(MIN);
  await new Promise((r) => setTimeout(r, 10));
  session.buffer.flush();
  session.store.getState().tick(session.cluster.now());
}

const timelineOf = (session: Session): TimelineState => {
  const timeline = session.store.getState().timeline;
  assert.ok(timeline, 'the session keeps a timeline');
  return timeline;
};

test('a session dropped without a goodbye loses nothing: the next one continues the same timeline', async () => {
  const dir = freshDir();
  const demo1 = demoAt(T0, 0);
  const first = await follow(demo1, dir);
  let played = 0;
  let before: TimelineState;
  try {
    assert.equal(timelineOf(first).t0, T0, 'Flux deployed at the earliest Kustomization');
    for (; played < 30 && timelineOf(first).phases['infrastructure-ready']?.completedAt === undefined; played++) await playMinute(first, demo1);
    before = timelineOf(first);
    assert.ok(before.phases['infrastructure-ready']?.completedAt, `infrastructure ready within ${played} scenario minutes`);
    // Killed here, drdeck would leave exactly this on disk: it was saved when it changed.
    assert.deepEqual(loadTimeline(dir, 'demo'), { state: before });
  } finally {
    // Only to stop its timers: close saves nothing, and the file above is already complete.
    first.close();
  }

  // The cluster lives on while drdeck is down (two more minutes). It now dates Flux a second later
  // (say the flux-system objects were re-created): the saved t0 stands.
  const demo2 = demoAt(T0 + 1_000, played + 2);
  const resumedAt = demo2.cluster.now();
  const second = await follow(demo2, dir);
  try {
    const after = timelineOf(second);
    assert.equal(after.startedAt, before.startedAt, 'the same timeline');
    assert.equal(after.t0, T0, 'the same t0');
    assert.deepEqual(after.sessions, [before.startedAt, resumedAt], 'two sessions: the first and this one');
    for (const id of ['flux-deployed', 'infrastructure-ready'] as const) {
      assert.deepEqual(after.phases[id], before.phases[id], `${id} keeps its completion time`);
    }
    assert.equal(after.finishedAt, undefined);
    // The second session is on disk as soon as it starts.
    assert.deepEqual(loadTimeline(dir, 'demo').state?.sessions, [before.startedAt, resumedAt]);

    // And it goes on from there: a minute later nothing regressed or moved.
    await playMinute(second, demo2);
    assert.deepEqual(timelineOf(second).phases['infrastructure-ready'], before.phases['infrastructure-ready']);
  } finally {
    second.close();
  }
});

test('a corrupt timeline file is moved aside, says so, and a fresh timeline starts', async () => {
  const dir = freshDir();
  const file = timelineFile(dir, 'demo');
  const garbage = '{"version": 1, "context": "demo", "startedAt": 17';
  writeFileSync(file, garbage);
  const demo = demoAt(T0, 0);
  const startedAt = demo.cluster.now();
  const session = await follow(demo, dir);
  try {
    const notice = session.store.getState().timelineNotice ?? '';
    const moved = /^timeline-demo\.json was corrupt \(not JSON\); moved aside to (.+); a fresh timeline starts$/.exec(notice);
    assert.ok(moved, `notice: ${notice}`);
    const aside = moved[1];
    assert.match(basename(aside), /^timeline-demo\.json\.corrupt-\d{8}T\d{6}Z$/);
    assert.equal(readFileSync(aside, 'utf8'), garbage, 'the corrupt file is kept, under its new name');

    const timeline = timelineOf(session);
    assert.equal(timeline.startedAt, startedAt, 'a fresh timeline, started now');
    assert.deepEqual(timeline.sessions, [startedAt]);
    assert.equal(timeline.t0, T0);
    // The fresh one is saved in the corrupt one's place, readable.
    assert.deepEqual(loadTimeline(dir, 'demo'), { state: timeline });
    assert.ok(existsSync(aside), 'reading the new file leaves the old one alone');
  } finally {
    session.close();
  }
});

const CHILD = fileURLToPath(new URL('./session-child.ts', import.meta.url));

/**
 * Runs drdeck following the demo (session-child.ts) in its own process, the scenario played to
 * `startMinutes`; once it has reported its timeline (Infrastructure ready done), SIGKILLs it
 * `killAfterMs` later. Resolves with the timeline it reported.
 */
function runThenKill(dir: string, startMinutes: number, killAfterMs: number): Promise<TimelineState> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), CHILD, dir, String(T0), String(startMinutes)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let reported: TimelineState | undefined;
    // Generous: a loaded 2-core machine takes a few seconds to start tsx; 60 s means it hung.
    const deadline = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      const line = stdout.split('\n')[0];
      if (reported || !stdout.includes('\n')) return;
      reported = JSON.parse(line) as TimelineState;
      setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(deadline);
      if (reported && signal === 'SIGKILL') resolve(reported);
      else reject(new Error(`drdeck's session exited ${code ?? signal} without reporting its timeline: ${stderr}`));
    });
  });
}

test('drdeck killed with SIGKILL while following the cluster: the next start reads and continues its timeline', async () => {
  const dir = freshDir();
  const first = await runThenKill(dir, 0, 0);
  const infraDone = first.phases['infrastructure-ready']?.completedAt;
  assert.ok(infraDone);

  let loaded = loadTimeline(dir, 'demo');
  assert.equal(loaded.warning, undefined, 'the file parses');
  assert.ok(loaded.state);
  assert.equal(loaded.state.startedAt, first.startedAt);
  assert.equal(loaded.state.t0, T0);
  assert.equal(loaded.state.phases['infrastructure-ready']?.completedAt, infraDone, 'what it had seen is on disk');
  assert.deepEqual(loaded.state.sessions, [first.startedAt]);

  // Started again later on the same cluster, and killed again, this time while it plays on.
  const second = await runThenKill(dir, 40, 40);
  assert.equal(second.startedAt, first.startedAt, 'the second run continued the first timeline');
  assert.equal(second.sessions.length, 2);

  loaded = loadTimeline(dir, 'demo');
  assert.equal(loaded.warning, undefined, 'the file parses');
  assert.ok(loaded.state);
  assert.equal(loaded.state.startedAt, first.startedAt);
  assert.equal(loaded.state.t0, T0);
  assert.deepEqual(loaded.state.sessions, second.sessions);
  assert.deepEqual(loaded.state.phases['flux-deployed'], { completedAt: T0 });
  assert.equal(loaded.state.phases['infrastructure-ready']?.completedAt, infraDone, 'kept across both kills');
  assert.deepEqual(readdirSync(dir), ['timeline-demo.json'], 'no temporary file left behind');
});
