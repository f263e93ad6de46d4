/** `drdeck` on a kubeconfig: the dashboard on the current (or `--context`) kube context. */
import { loadConfig } from '../config/load.js';
import { DnsResolver } from '../dns/resolver.js';
import { resolveKubeconfig } from '../k8s/kubeconfig.js';
import { startSession } from '../session.js';

export interface LiveOptions {
  context?: string;
  kubeconfig?: string;
  config?: string;
  readOnly?: boolean;
}

export async function runLive(opts: LiveOptions): Promise<number> {
  const { config } = loadConfig({ file: opts.config });
  // Kubeconfig mistakes (no file, unknown context) end here, as one line, before any screen.
  const kubeconfig = resolveKubeconfig({ kubeconfig: opts.kubeconfig, context: opts.context });
  const { runTui } = await import('./tui.js');
  const { KubeCluster } = await import('../k8s/kube-cluster.js');
  const cluster = new KubeCluster({ kubeconfig, requestTimeoutMs: config.requestTimeoutMs });
  // Why this order: the session's watchers start loading the Kubernetes client (about 0.6 s), which
  // cannot finish before the synchronous first paint of runTui, so "connecting" is on screen first.
  // Without dns.servers the DNS checks say "no resolver configured".
  const resolver = config.dns.servers.length ? new DnsResolver(config.dns.servers) : undefined;
  const session = startSession({ cluster, resolver, config });
  return runTui(session);
}
