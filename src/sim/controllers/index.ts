/**
 * The simulated controllers: Flux, VolSync, the PV controller, the Deployment controller and
 * kubelet for the restored apps, Cilium's operator and LB-IPAM, and external-dns, reacting to
 * drdeck's fixes the way the real ones do. They use nothing but the `Cluster` interface, a
 * `Scheduler` and a `DnsTable`, so the same code runs in `drdeck demo` (the SimCluster, its
 * SimClock and SimDns) and against the real test API server (`npm run testcluster -- simulate
 * DIR`). They only react to changes: without a fix, the scenario keeps every seed issue.
 */
import type { KubeObject, WatchEventType } from '../../cluster.js';
import type { KindKey } from '../../kinds.js';
import { appsController } from './apps.js';
import { ObjectCache } from './cache.js';
import { ciliumController } from './cilium.js';
import { externalDnsController } from './external-dns.js';
import { fluxController } from './flux.js';
import { lbIpamController } from './lb-ipam.js';
import { pvController } from './pv.js';
import type { Controller, ControllerContext, ControllerOptions, Scheduler } from './types.js';
import { volsyncController } from './volsync.js';

export type { Controller, ControllerContext, ControllerOptions, DnsTable, Scheduler } from './types.js';
export { APPS_TIMINGS, appStartMs } from './apps.js';
export { ObjectCache } from './cache.js';
export { CILIUM_TIMINGS } from './cilium.js';
export { EXTERNAL_DNS_TIMINGS } from './external-dns.js';
export { FLUX_TIMINGS } from './flux.js';
export { LB_IPAM_TIMINGS } from './lb-ipam.js';
export { PV_TIMINGS } from './pv.js';
export { VOLSYNC_TIMINGS } from './volsync.js';

export interface RunningControllers {
  /** Stops the watches and cancels every pending timer; work in flight writes nothing more. */
  stop(): void;
}

/** Starts every simulated controller on `cluster`. */
export function startControllers(options: ControllerOptions): RunningControllers {
  const { cluster, scheduler, dns, config } = options;
  const log = options.log ?? (() => {});
  const cancels = new Set<() => void>();
  const busy = new Set<string>();
  let stopped = false;

  const report = (error: unknown) => {
    if (!stopped) log(`error: ${error instanceof Error ? error.message : String(error)}`);
  };
  const after = (ms: number, fn: () => void) => {
    if (stopped) return;
    // Why a tracked cancel: stop() must leave no timer behind (a wall-clock one keeps Node alive).
    let fired = false;
    let cancel: (() => void) | undefined;
    // eslint-disable-next-line prefer-const -- assigned once, but read by the callback, which may run before the assignment returns
    cancel = scheduler.after(ms, () => {
      fired = true;
      if (cancel) cancels.delete(cancel);
      if (stopped) return;
      try {
        fn();
      } catch (error) {
        report(error);
      }
    });
    if (!fired) cancels.add(cancel);
  };

  // eslint-disable-next-line prefer-const -- the context hands out a getter before the cache, which needs the context, is built
  let cache: ObjectCache;
  const ctx: ControllerContext = {
    cluster,
    config,
    dns,
    git: options.git ?? [],
    get cache() {
      return cache;
    },
    get stopped() {
      return stopped;
    },
    now: () => cluster.now(),
    log,
    after,
    busy: (key) => busy.has(key),
    once(key, ms, fn, next) {
      if (stopped || busy.has(key)) return;
      busy.add(key);
      after(ms, () => {
        Promise.resolve()
          .then(fn)
          .catch(report)
          .finally(() => {
            busy.delete(key);
            if (!stopped && next) {
              try {
                next();
              } catch (error) {
                report(error);
              }
            }
          });
      });
    },
  };

  const controllers: Controller[] = [
    fluxController(ctx),
    volsyncController(ctx),
    pvController(ctx),
    appsController(ctx),
    ciliumController(ctx),
    lbIpamController(ctx),
    externalDnsController(ctx),
  ];
  const kinds = [...new Set(controllers.flatMap((c) => c.kinds))] as KindKey[];
  const dispatch = (kind: KindKey, object: KubeObject, type: WatchEventType) => {
    if (stopped) return;
    for (const controller of controllers) {
      if (!controller.kinds.includes(kind)) continue;
      try {
        controller.changed(kind, object, type);
      } catch (error) {
        report(error);
      }
    }
  };
  cache = new ObjectCache(kinds, dispatch, () => {
    for (const controller of controllers) {
      try {
        if (!stopped) controller.synced?.();
      } catch (error) {
        report(error);
      }
    }
  });
  cache.start(cluster);

  return {
    stop() {
      if (stopped) return;
      stopped = true;
      cache.stop();
      for (const cancel of cancels) cancel();
      cancels.clear();
      busy.clear();
    },
  };
}

/**
 * A scheduler on the wall clock for a real API server: `after(ms)` waits ms / speed real
 * milliseconds, so a 3-minute restore takes 18 s at speed 10. `close()` cancels every timer.
 */
export function wallClockScheduler(speed = 1): Scheduler & { close(): void } {
  if (!(speed > 0)) throw new RangeError('speed must be > 0');
  const timers = new Set<NodeJS.Timeout>();
  return {
    after(ms, fn) {
      const timer = setTimeout(
        () => {
          timers.delete(timer);
          fn();
        },
        Math.max(0, ms / speed),
      );
      timers.add(timer);
      return () => {
        clearTimeout(timer);
        timers.delete(timer);
      };
    },
    close() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
    },
  };
}
