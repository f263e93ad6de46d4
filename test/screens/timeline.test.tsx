/**
 * The timeline screen (`t`) on the demo at 80x24: every phase against its expected range, the
 * Gantt bars, the elapsed time and ETA, the seed's totals and the next step; a phase completing
 * as the scenario plays; a late phase marked without colour; Esc back to the dashboard.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { demoSession } from '../demo-session.js';
import { KEYS, renderDeck, type Rendered } from './render.js';

const PHASES: Array<[string, string]> = [
  ['Flux deployed', '0m'],
  ['Infrastructure ready', '15-20m'],
  ['Readiness check', '1m'],
  ['Kopia reclaim', '1m'],
  ['Gateways', '0-2m'],
  ['Restores triggered', '1m'],
  ['Restores complete', '10-15m'],
  ['Verification', '1m'],
  ['Apps running', '1-5m'],
];

const MIN = 60_000;
const tick = (ms = 10) => new Promise((r) => setTimeout(r, ms));
type DemoSession = Awaited<ReturnType<typeof demoSession>>;

/** Moves the scenario on by `ms`, delivers what the cluster did, and lets the store's clock see it. */
async function play(session: DemoSession, ms: number): Promise<void> {
  session.demo.clock.advance(ms);
  await tick(10);
  session.buffer.flush();
  session.store.getState().tick(session.cluster.now());
}

function assertFits(frame: string, columns = 80, rows = 24): void {
  const lines = frame.split('\n');
  assert.ok(lines.length <= rows, `${lines.length} lines:\n${frame}`);
  for (const line of lines) assert.ok([...line].length <= columns, `wider than ${columns}: ${line}`);
}

/** The screen's row of a phase: mark, title, expected, actual, bar. */
function row(frame: string, title: string): string {
  const line = frame.split('\n').find((l) => new RegExp(`^. ${title} {2,}`).test(l));
  assert.ok(line, `a row for ${title} in:\n${frame}`);
  return line;
}

async function openTimeline(ui: Rendered): Promise<string> {
  await ui.waitFor('LoadBalancers');
  await ui.press('t');
  return ui.waitFor(/^Next: /m);
}

test('t opens the timeline: nine phases with their expected ranges, a bar, elapsed, ETA, the seed totals, the next step; 80x24', async () => {
  const session = await demoSession();
  const ui = await renderDeck(session.store, 80, 24);
  try {
    const frame = await openTimeline(ui);
    assertFits(frame);
    assert.match(frame, /^Timeline — t0 \d\d:\d\d:\d\d UTC/m);
    for (const [title, expected] of PHASES) assert.match(row(frame, title), new RegExp(`^. ${title} +${expected} `), title);
    // Flux deployed is t0 itself; the current phase has run since then and has a bar.
    assert.match(row(frame, 'Flux deployed'), /^✓ Flux deployed +0m +0s/);
    assert.match(row(frame, 'Infrastructure ready'), /^▶ Infrastructure ready +15-20m +\d+s █+░+/);
    assert.match(row(frame, 'Apps running'), /^ {2}Apps running +1-5m +-$/);
    assert.match(frame, /^Elapsed \d+s · ETA .+ more \(.+-.+\), total ~/m);
    assert.match(frame, /^Seed: best 30m, typical 35m-40m, worst 45m$/m);
    assert.match(frame, /^Next: .*Wait for the infrastructure/m);
    assert.match(frame, /esc back/);
  } finally {
    ui.unmount();
    session.close();
  }
});

test('as the scenario plays, Infrastructure ready is done with its actual duration; a phase past its maximum is marked late; Esc goes back', async () => {
  const session = await demoSession();
  const ui = await renderDeck(session.store, 80, 24);
  try {
    await openTimeline(ui);
    // Minute by minute, as a clock would: the phase completes at the minute its checks pass.
    for (let i = 0; i < 30 && session.store.getState().timeline?.phases['infrastructure-ready']?.completedAt === undefined; i++) {
      await play(session, MIN);
    }
    let frame = await ui.waitFor('✓ Infrastructure ready');
    assertFits(frame);
    // Done inside the seed's 15-20 minutes: an actual duration, no late mark, a full bar.
    assert.match(row(frame, 'Infrastructure ready'), /^✓ Infrastructure ready +15-20m +1\dm( \d\ds)? +█+$/);
    assert.match(row(frame, 'Readiness check'), /^▶ Readiness check +1m +\d+s/);
    assert.match(frame, /^Next: .*Pre-flight/m);

    // ceph-csi stays stuck until someone reconciles it: the readiness check (1m) runs long.
    await play(session, 10 * MIN);
    frame = await ui.waitFor(/^▶ Readiness check +1m +10m( \d\ds)?! /m);
    assertFits(frame);
    // The header strip says it in words too; neither needs colour.
    assert.match(frame.split('\n')[0], /▶ Readiness check late · ETA/);
    assert.doesNotMatch(row(frame, 'Infrastructure ready'), /!/, 'a phase done in time is not marked');

    await ui.press(KEYS.escape);
    frame = await ui.waitFor(/^── Flux · /m);
    assert.match(frame, /LoadBalancers/);
    assert.doesNotMatch(frame, /^Timeline — /m);
    assert.equal(session.store.getState().screen, 'dashboard');
  } finally {
    ui.unmount();
    session.close();
  }
});
