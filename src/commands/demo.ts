/** `drdeck demo`: the dashboard on the embedded simulated cluster replaying the seed's rebuild. */
import { loadConfig } from '../config/load.js';
import { startSession } from '../session.js';
import { createDemoCluster } from '../sim/index.js';

export async function runDemo(opts: { speed: number; config?: string }): Promise<number> {
  const demo = createDemoCluster({ speed: opts.speed });
  const { config } = loadConfig({ file: opts.config, overrides: demo.config });
  const session = startSession({ cluster: demo.cluster, resolver: demo.dns, config });
  const { runTui } = await import('./tui.js');
  return runTui(session);
}
