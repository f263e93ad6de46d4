/**
 * The embedded simulated cluster of `drdeck demo` and the tests: the object store, its clock, the
 * demo DNS server and the `rebuild` scenario, wired together.
 */
import { configSchema } from '../config/schema.js';
import { SimClock } from './clock.js';
import { startControllers } from './controllers/index.js';
import { SimDns } from './dns.js';
import { SimCluster } from './object-store.js';
import { SimRouter } from './router.js';
import { SimViews } from './views.js';
import { createRebuildScenario, type Scenario, type StepContext } from './scenarios/rebuild.js';
import type { DemoConfig } from './types.js';

export { SimClock, type SimClockOptions } from './clock.js';
export { SimDns, type SimDnsRecord } from './dns.js';
export { EXTERNAL_DNS_COMMENT, SimRouter } from './router.js';
export { startControllers, wallClockScheduler, type ControllerOptions, type DnsTable, type RunningControllers, type Scheduler } from './controllers/index.js';
export { SimCluster, timestamp, type SimClusterOptions, type WatchHandler } from './object-store.js';
export { applyJsonPatch, applyMergePatch, PatchError } from './patch.js';
export { createRebuildScenario, REBUILD_FACTS, REBUILD_START_OFFSET_MS, type Scenario, type ScenarioStep, type StepContext } from './scenarios/rebuild.js';
export type { DemoConfig } from './types.js';

export interface DemoClusterOptions {
  /** Scenario ms per real ms (default 1). */
  speed?: number;
  /** Time moves only through `clock.advance()`: for tests. */
  manual?: boolean;
  /** Run the simulated controllers that react to fixes (default true). */
  controllers?: boolean;
  /** Where the controllers say what they do (default: nowhere). */
  log?: (line: string) => void;
  /**
   * When Flux was deployed, ms since epoch. Default: 30 s before now (rounded down to the second),
   * so the demo's timestamps look like today's.
   */
  t0?: number;
}

export interface DemoCluster {
  cluster: SimCluster;
  dns: SimDns;
  /** The demo's router: its static DNS table is the DNS server's (`dns`) records. */
  router: SimRouter;
  clock: SimClock;
  /** Config overrides for the demo, to merge under the user's config before `configSchema.parse`. */
  config: DemoConfig;
  scenario: Scenario;
}

/**
 * The `rebuild` scenario, loaded and running: the clock starts at t0 + 30 s with every seed issue
 * present, and the scenario's steps are scheduled on it; the simulated controllers react to fixes.
 * `cluster.close()` also closes the clock and stops the controllers.
 */
export function createDemoCluster(options: DemoClusterOptions = {}): DemoCluster {
  const t0 = options.t0 ?? Math.floor(Date.now() / 1000) * 1000 - 30_000;
  const scenario = createRebuildScenario({ t0 });
  const clock = new SimClock({ start: t0 + scenario.startOffset, speed: options.speed, manual: options.manual });
  const cluster = new SimCluster({ clock, name: 'demo' });
  cluster.onClose(() => clock.close());
  const dns = new SimDns();

  for (const { kind, object } of scenario.objects) cluster.load(kind, object);
  for (const record of scenario.dns) dns.set(record.name, record.type, record.addresses);
  const router = new SimRouter(dns);
  // After the scenario's objects: their conditions so far are the first events.
  const views = new SimViews(cluster);
  cluster.views = views;

  const context: StepContext = { cluster, dns, now: () => clock.now() };
  for (const step of scenario.steps) clock.at(t0 + step.at, () => step.run(context));

  if (options.controllers ?? true) {
    // Scheduled on the scenario clock, so `clock.advance()` drives them and `close()` cancels them.
    const controllers = startControllers({
      cluster,
      scheduler: clock,
      dns,
      config: configSchema.parse(scenario.config),
      log: (line) => {
        views.controllerLog(line);
        options.log?.(line);
      },
      git: scenario.git,
    });
    cluster.onClose(() => controllers.stop());
  }

  return { cluster, dns, router, clock, config: scenario.config, scenario };
}
