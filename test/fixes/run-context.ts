/**
 * A RunContext on the demo cluster for run tests: `send` writes through the cluster, effects come
 * back only through the session's watch and store, and `waitFor` moves the manual scenario clock
 * forward one step at a time (so the simulated controllers act) until `done` answers or the
 * timeout, in scenario time, has passed.
 */
import type { Snapshot } from '../../src/checks/types.js';
import {
  fixById,
  isPlan,
  sendPlanned,
  sendRouterRequest,
  type FixOutcome,
  type Plan,
  type PlanOptions,
  type PlannedRequest,
  type PlannedRouterRequest,
  type RunContext,
} from '../../src/fixes/index.js';
import type { FixId } from '../../src/checks/types.js';
import { snapshotOf } from '../../src/store/checks-slice.js';
import { demoSession } from '../demo-session.js';

/** Scenario time per poll: the simulated controllers act on whole seconds. */
const STEP_MS = 1000;

export type DemoRun = Awaited<ReturnType<typeof demoRun>>;

export async function demoRun() {
  const session = await demoSession();
  const { store, buffer, demo } = session;
  const sent: PlannedRequest[] = [];
  const sentToRouter: PlannedRouterRequest[] = [];
  const progress: string[] = [];
  const waits: string[] = [];

  /** Lets watch events and controller promises run, then applies them to the store. */
  async function settle(): Promise<void> {
    for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
    buffer.flush();
    store.getState().tick(demo.clock.now());
  }
  const snapshot = (): Snapshot => snapshotOf(store.getState());

  const context: RunContext = {
    async send(request) {
      sent.push(request);
      return sendPlanned(demo.cluster, request);
    },
    snapshot,
    async waitFor(what, timeoutMs, done) {
      waits.push(what);
      const start = demo.clock.now();
      for (;;) {
        await settle();
        const result = done(snapshot());
        if (result !== undefined) return result;
        if (demo.clock.now() - start >= timeoutMs) throw new Error(`timed out after ${timeoutMs} ms: ${what}`);
        demo.clock.advance(STEP_MS);
      }
    },
    progress: (line) => progress.push(line),
    now: () => demo.clock.now(),
    async sendRouter(request) {
      sentToRouter.push(request);
      return sendRouterRequest(demo.router, request);
    },
    refreshDns: () => session.refreshDns(),
  };

  let runs = 0;
  /** Plans the fix on the current snapshot and runs it; the plan must not be refused. */
  async function run(id: FixId, options: Partial<PlanOptions> = {}): Promise<{ plan: Plan; outcome: FixOutcome; elapsedMs: number }> {
    const fix = fixById(id);
    if (!fix) throw new Error(`no fix ${id}`);
    await settle();
    const config = store.getState().config;
    const plan = fix.plan(snapshot(), config, { token: `t${++runs}-${demo.clock.now()}`, now: demo.clock.now(), ...options });
    if (!isPlan(plan)) throw new Error(`${id} refused: ${plan.refused}`);
    const start = demo.clock.now();
    const outcome = await fix.run(plan, context, config);
    await settle();
    return { plan, outcome, elapsedMs: demo.clock.now() - start };
  }

  /** Moves scenario time on without a fix (the scenario's own steps run). */
  async function advance(ms: number): Promise<void> {
    for (let t = 0; t < ms; t += STEP_MS) {
      demo.clock.advance(STEP_MS);
      await settle();
    }
  }

  return { session, store, demo, context, sent, sentToRouter, progress, waits, settle, snapshot, run, advance, close: () => session.close() };
}
