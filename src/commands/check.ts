/** `drdeck check`: every check once, as a table or JSON; exit 0 all pass, 1 something fails, 2 could not run. */
import type { SyncState } from '../cluster.js';
import { loadConfig } from '../config/load.js';
import { DnsResolver } from '../dns/resolver.js';
import { buildReport, exitCodeOf, formatTable } from '../headless/check-output.js';
import { resolveKubeconfig } from '../k8s/kubeconfig.js';
import { startSession, waitForSync, type Session } from '../session.js';
import { orderedResults } from '../store/checks-slice.js';
import { createDemoCluster } from '../sim/index.js';

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

async function startLive(opts: CheckOptions): Promise<{ session: Session; where: string }> {
  const { config } = loadConfig({ file: opts.config });
  const kubeconfig = resolveKubeconfig({ kubeconfig: opts.kubeconfig, context: opts.context });
  const { KubeCluster } = await import('../k8s/kube-cluster.js');
  const cluster = new KubeCluster({ kubeconfig, requestTimeoutMs: config.requestTimeoutMs });
  // Load the client first, so a kubeconfig client-node refuses is one clear line, not a timeout.
  await cluster.connect();
  // Without dns.servers the DNS checks say "no resolver configured".
  const resolver = config.dns.servers.length ? new DnsResolver(config.dns.servers) : undefined;
  const session = startSession({ cluster, resolver, config, flushMs: 10 });
  return { session, where: `the cluster ${cluster.name} (${cluster.server})` };
}

/** One line on why a live cluster did not answer in time: the watchers' last error when they have one. */
function unreachable(session: Session, where: string, timeoutSeconds: number): Error {
  const sync = session.store.getState().sync as Record<string, SyncState>;
  const stuck = Object.entries(sync).filter(([key, s]) => key !== 'dns' && (s.phase === 'connecting' || s.phase === 'retrying'));
  const detail = stuck.map(([, s]) => s.detail).find(Boolean)?.replace(/; retrying in \d+ s$/, '');
  const what = stuck.length === Object.keys(sync).length - 1 ? '' : ` for ${stuck.map(([key]) => key).join(', ')}`;
  return new Error(`no answer from ${where} within ${timeoutSeconds} s${what}${detail ? `: ${detail}` : ''}`);
}

export async function runCheck(opts: CheckOptions): Promise<number> {
  const { session, where } = opts.demo ? { session: await startDemo(opts.config), where: 'demo' } : await startLive(opts);
  try {
    // Every input, DNS included, must have answered (or said why not) before a verdict is printed;
    // on a real cluster, a kind still retrying has not answered.
    try {
      await waitForSync(session, opts.timeout * 1000, { untilFresh: !opts.demo });
    } catch (error) {
      if (opts.demo) throw error;
      throw unreachable(session, where, opts.timeout);
    }
    session.buffer.flush();
    const report = buildReport(orderedResults(session.store.getState().results));
    process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatTable(report, process.stdout.columns || 100)}\n`);
    return exitCodeOf(report);
  } finally {
    session.close();
  }
}
