/** drdeck following the demo cluster, synced: the session store, screen and timeline tests start from. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../src/config/load.js';
import { startSession, waitForSync, type Session } from '../src/session.js';
import { createDemoCluster, type DemoCluster } from '../src/sim/index.js';

export interface FollowOptions {
  /** The state dir of the timeline; `fresh` starts a new one, else the saved one continues. */
  timeline: { dir: string; fresh: boolean };
  flushMs?: number;
  syncTimeoutMs?: number;
}

/** A session on a demo cluster (its context is 'demo'), waited for until every input has answered. */
export async function followDemo(demo: DemoCluster, options: FollowOptions): Promise<Session> {
  const session = startSession({
    cluster: demo.cluster,
    resolver: demo.dns,
    router: demo.router,
    config: parseConfig(demo.config, 'demo'),
    flushMs: options.flushMs ?? 5,
    timeline: options.timeline,
  });
  await waitForSync(session, options.syncTimeoutMs ?? 10_000);
  session.buffer.flush();
  return session;
}

/** The demo at the start of its scenario (manual clock), with a fresh timeline in a temp state dir. */
export async function demoSession(flushMs = 5): Promise<Session & { demo: DemoCluster }> {
  const demo = createDemoCluster({ manual: true });
  const timeline = { dir: mkdtempSync(join(tmpdir(), 'drdeck-state-')), fresh: true };
  const session = await followDemo(demo, { timeline, flushMs });
  return Object.assign(session, { demo });
}
