/** `drdeck check`: every check once, as a table or JSON; exit 0 all pass, 1 something fails, 2 could not run. */
import { loadConfig } from '../config/load.js';
import { buildReport, exitCodeOf, formatTable } from '../headless/check-output.js';
import { startSession, waitForSync, type Session } from '../session.js';
import { orderedResults } from '../store/checks-slice.js';
import { createDemoCluster } from '../sim/index.js';
import { UsageError } from './errors.js';

export interface CheckOptions {
  json?: boolean;
  demo?: boolean;
  config?: string;
  context?: string;
  kubeconfig?: string;
  timeout: number;
}

async function startDemo(configFile: string | undefined): Promise<Session> {
  // Manual clock: the demo is checked exactly at the start of its scenario, whatever the speed.
  const demo = createDemoCluster({ speed: 1, manual: true });
  const { config } = loadConfig({ file: configFile, overrides: demo.config });
  return startSession({ cluster: demo.cluster, resolver: demo.dns, config, flushMs: 10 });
}

export async function runCheck(opts: CheckOptions): Promise<number> {
  if (!opts.demo) {
    throw new UsageError('checking a live cluster is not available in this build yet; use `drdeck check --demo`');
  }
  const session = await startDemo(opts.config);
  try {
    // Every input, DNS included, must have answered (or said why not) before a verdict is printed.
    await waitForSync(session, opts.timeout * 1000);
    session.buffer.flush();
    const report = buildReport(orderedResults(session.store.getState().results));
    process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatTable(report, process.stdout.columns || 100)}\n`);
    return exitCodeOf(report);
  } finally {
    session.close();
  }
}

