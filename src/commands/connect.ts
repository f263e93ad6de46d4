/**
 * What every command starts from: the config, a cluster (the kubeconfig's, or the demo's), its DNS
 * resolver, and a session on them. One place, so `drdeck`, `demo`, `check` and `fix` agree.
 */
import type { Cluster, Resolver } from '../cluster.js';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { DnsResolver } from '../dns/resolver.js';
import { routerFromConfig, type Router } from '../dns/router.js';
import { resolveKubeconfig } from '../k8s/kubeconfig.js';
import { startSession, type Session } from '../session.js';
import { createDemoCluster, type DemoCluster } from '../sim/index.js';
import { AuditLog } from '../state/audit-log.js';
import { stateDir } from '../state/paths.js';

export interface ConnectOptions {
  demo?: boolean;
  /** Demo only: scenario speed; `manual` freezes the scenario at its start (for `check --demo`). */
  speed?: number;
  manual?: boolean;
  context?: string;
  kubeconfig?: string;
  config?: string;
  readOnly?: boolean;
  stateDir?: string;
  flushMs?: number;
  /**
   * Load the Kubernetes client before starting, so a kubeconfig client-node refuses is one clear
   * line (headless commands); the TUI leaves it to the watchers so it can paint first.
   */
  loadClientFirst?: boolean;
  /** Headless one-shot commands (check) neither read nor write the timeline. */
  noTimeline?: boolean;
}

export interface Connected {
  session: Session;
  config: Config;
  cluster: Cluster;
  /** Set for the demo. */
  demo?: DemoCluster;
  audit: AuditLog;
  /** For messages: "the cluster admin@home (https://…)" or "demo". */
  where: string;
}

/** Loads the config and the cluster, and starts a session with fixes audited to the state dir. */
export async function connect(opts: ConnectOptions): Promise<Connected> {
  const audit = new AuditLog(stateDir(opts.stateDir));
  let cluster: Cluster;
  let config: Config;
  let resolver: Resolver | undefined;
  let router: Router | undefined;
  let demo: DemoCluster | undefined;
  let where: string;
  if (opts.demo) {
    demo = createDemoCluster({ speed: opts.speed ?? 1, manual: opts.manual });
    ({ config } = loadConfig({ file: opts.config, overrides: demo.config }));
    cluster = demo.cluster;
    resolver = demo.dns;
    router = demo.router;
    where = 'demo';
  } else {
    ({ config } = loadConfig({ file: opts.config }));
    // Kubeconfig mistakes (no file, unknown context) end here, as one line.
    const kubeconfig = resolveKubeconfig({ kubeconfig: opts.kubeconfig, context: opts.context });
    const { KubeCluster } = await import('../k8s/kube-cluster.js');
    const kube = new KubeCluster({ kubeconfig, requestTimeoutMs: config.requestTimeoutMs });
    if (opts.loadClientFirst) await kube.connect();
    cluster = kube;
    where = `the cluster ${kube.name} (${kube.server})`;
    // Without dns.servers the DNS checks say "no resolver configured".
    resolver = config.dns.servers.length ? new DnsResolver(config.dns.servers) : undefined;
    // The router's REST API only where configured; its password from an environment variable or a
    // file, never the command line. A router that cannot be configured says why on the DNS panel.
    router = config.dns.routeros ? routerFromConfig(config.dns.routeros) : undefined;
  }
  const session = startSession({
    cluster,
    resolver,
    router,
    config,
    flushMs: opts.flushMs,
    fixes: { readOnly: !!opts.readOnly, audit: (entry) => audit.append(entry) },
    // The demo's scenario starts afresh each run, and so does its timeline; a cluster's continues.
    timeline: opts.noTimeline ? undefined : { dir: stateDir(opts.stateDir), fresh: !!opts.demo },
  });
  return { session, config, cluster, demo, audit, where };
}
