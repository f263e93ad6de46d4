/** A session on the demo cluster at the start of its scenario, synced, for store and screen tests. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../src/config/load.js';
import { startSession, waitForSync, type Session } from '../src/session.js';
import { createDemoCluster } from '../src/sim/index.js';

export async function demoSession(flushMs = 5): Promise<Session & { demo: ReturnType<typeof createDemoCluster> }> {
  const demo = createDemoCluster({ manual: true });
  const config = parseConfig(demo.config, 'demo');
  // A fresh timeline in a temp state dir, as `drdeck demo` keeps one.
  const timeline = { dir: mkdtempSync(join(tmpdir(), 'drdeck-state-')), fresh: true };
  const session = startSession({ cluster: demo.cluster, resolver: demo.dns, router: demo.router, config, flushMs, timeline });
  await waitForSync(session, 5000);
  session.buffer.flush();
  return Object.assign(session, { demo });
}
