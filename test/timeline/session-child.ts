/**
 * A child process for session.test.ts: drdeck following the demo cluster's timeline, as a process
 * that can be killed with SIGKILL. The demo (time moved by hand) starts at `t0` and is played to
 * `startMinutes` before the session starts, so two runs see the same cluster, as two drdecks would
 * see one. Once Infrastructure ready has completed it prints the timeline as one JSON line, then
 * keeps the scenario playing, minute by minute, until it is killed.
 * Usage: node --import tsx test/timeline/session-child.ts <state dir> <t0> <startMinutes>
 */
import { createDemoCluster } from '../../src/sim/index.js';
import { followDemo } from '../demo-session.js';

const MIN = 60_000;
const [dir, t0, startMinutes] = process.argv.slice(2);
const demo = createDemoCluster({ manual: true, t0: Number(t0) });
demo.clock.advance(Number(startMinutes) * MIN);
const session = await followDemo(demo, { timeline: { dir, fresh: false }, syncTimeoutMs: 20_000 });
let told = false;
for (;;) {
  const timeline = session.store.getState().timeline;
  if (!told && timeline?.phases['infrastructure-ready']?.completedAt !== undefined) {
    told = true;
    process.stdout.write(`${JSON.stringify(timeline)}\n`);
  }
  demo.clock.advance(MIN);
  await new Promise((r) => setTimeout(r, 5));
  session.buffer.flush();
  session.store.getState().tick(session.cluster.now());
}
