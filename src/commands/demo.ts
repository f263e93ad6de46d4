/** `drdeck demo`: the dashboard on the embedded simulated cluster replaying the seed's rebuild. */
import { endStateLine, whatIsLeft } from '../store/selectors.js';
import { buildReport, formatMarkdown, totalMs } from '../timeline/index.js';
import { connect } from './connect.js';
import { loadTui } from './load-tui.js';

export interface DemoOptions {
  speed: number;
  config?: string;
  readOnly?: boolean;
  stateDir?: string;
  autopilot?: boolean;
  log?: string;
  /** The GitOps repository for the Git view (default: the demo's own, shipped in demo/repo). */
  repo?: string;
  /** Set by the command line: the demo's repository in the package. */
  defaultRepo?: string;
}

export async function runDemo(opts: DemoOptions): Promise<number> {
  if (!opts.autopilot) {
    // Ink first, as `drdeck` does: without a terminal this is one line, before the scenario starts.
    const { runTui } = await loadTui();
    const { session } = await connect({ ...opts, demo: true, tui: true });
    return runTui(session);
  }
  // The autopilot is headless: its notices go to stderr with its progress.
  const connected = await connect({ ...opts, demo: true, tui: false });
  const { session } = connected;
  const { runAutopilot } = await import('./autopilot.js');
  // Why 3 minutes of wall time: at the default speed the rebuild takes longer; the exit code says so.
  const result = await runAutopilot(session, { deadlineMs: 180_000, onLine: (line) => process.stderr.write(`${line}\n`) });
  // The end state names the Git changes left: give the repository's reading a moment to finish.
  for (const deadline = Date.now() + 30_000; session.store.getState().git.phase === 'reading' && Date.now() < deadline;) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const state = session.store.getState();
  // The cluster's clock: the store's moves once a tick, up to 10 scenario minutes behind at speed 600.
  const now = Math.max(state.now, session.cluster.now());
  session.close();
  if (state.timeline) {
    const report = buildReport(state.timeline, connected.audit.read(), now, state.timelineSpec);
    process.stdout.write(formatMarkdown(report));
    if (state.timeline.finishedAt !== undefined) {
      process.stdout.write(`\n**End state:** ${endStateLine(totalMs(state.timeline, now), whatIsLeft(state))}\n`);
    }
  }
  if (!result.finished) process.stderr.write('drdeck: the autopilot did not reach every phase in time\n');
  return result.finished ? 0 : 1;
}
