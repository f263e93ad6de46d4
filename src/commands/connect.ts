/**
 * What every command starts from: the config, a cluster (the kubeconfig's, or the demo's), its DNS
 * resolver, and a session on them. One place, so `drdeck`, `demo`, `check` and `fix` agree: the
 * demo keeps its state in a folder of its own, notices go to stderr (headless) or the dashboard's
 * notice line (never the terminal while it runs), and `--log FILE` gets the diagnostics.
 */
import { resolve } from 'node:path';
import type { Cluster, Resolver } from '../cluster.js';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { DnsResolver } from '../dns/resolver.js';
import { routerFromConfig, type Router } from '../dns/router.js';
import { resolveKubeconfig } from '../k8s/kubeconfig.js';
import { startSession, type Session } from '../session.js';
import { createDemoCluster, type DemoCluster } from '../sim/index.js';
import { AuditLog } from '../state/audit-log.js';
import { DiagnosticsLog, followOperations, LogFileError } from '../state/diagnostics-log.js';
import { demoStateDir, stateDir } from '../state/paths.js';
import { UsageError } from './errors.js';

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
  /** A one-shot read (check): LIST each kind, open no watch. */
  listOnly?: boolean;
  /** `--log FILE`: diagnostics and operational lines appended there (0600). Nothing is logged without it. */
  log?: string;
  /** The dashboard will own the terminal: notices go to its notice line instead of stderr. */
  tui?: boolean;
  /** `--repo DIR`: the GitOps repository the Git view reads (else `repo:` in the config, else `defaultRepo`). */
  repo?: string;
  /** The repository read when neither `--repo` nor the config names one (the demo's own). */
  defaultRepo?: string;
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
  /** What the operator was told about the setup (a config not read, a loose password file). */
  notices: string[];
  /** The `--log` file, when one was given; closed with the session. */
  log?: DiagnosticsLog;
}

function openLog(file: string, onError: (message: string) => void): DiagnosticsLog {
  try {
    return new DiagnosticsLog(file, { onError });
  } catch (error) {
    if (error instanceof LogFileError) throw new UsageError(error.message);
    throw error;
  }
}

/** Loads the config and the cluster, and starts a session with fixes audited to the state dir. */
export async function connect(opts: ConnectOptions): Promise<Connected> {
  const base = stateDir(opts.stateDir);
  const dir = opts.demo ? demoStateDir(base) : base;
  const audit = new AuditLog(dir);
  // Why late-bound: the log is opened first (a bad --log fails before anything starts), the store
  // that shows its write errors comes later.
  let tell: (message: string) => void = (message) => {
    process.stderr.write(`drdeck: ${message}\n`);
  };
  const log = opts.log ? openLog(opts.log, (message) => tell(message)) : undefined;
  let cluster: Cluster;
  let config: Config;
  let notices: string[];
  let resolver: Resolver | undefined;
  let router: Router | undefined;
  let demo: DemoCluster | undefined;
  let where: string;
  try {
    if (opts.demo) {
      demo = createDemoCluster({ speed: opts.speed ?? 1, manual: opts.manual });
      ({ config, notices } = loadConfig({ file: opts.config, overrides: demo.config }));
      cluster = demo.cluster;
      resolver = demo.dns;
      router = demo.router;
      where = 'demo';
    } else {
      ({ config, notices } = loadConfig({ file: opts.config }));
      // Kubeconfig mistakes (no file, unknown context) end here, as one line.
      const kubeconfig = resolveKubeconfig({ kubeconfig: opts.kubeconfig, context: opts.context });
      const { KubeCluster } = await import('../k8s/kube-cluster.js');
      const kube = new KubeCluster({
        kubeconfig,
        requestTimeoutMs: config.requestTimeoutMs,
        log: log && ((line) => log.write(`watch ${line}`)),
        listOnly: opts.listOnly,
      });
      if (opts.loadClientFirst) await kube.connect();
      cluster = kube;
      where = `the cluster ${kube.name} (${kube.server})`;
      // Without dns.servers the DNS checks say "no resolver configured".
      resolver = config.dns.servers.length ? new DnsResolver(config.dns.servers) : undefined;
      // The router's REST API only where configured; its password from an environment variable or a
      // file, never the command line. A router that cannot be configured says why on the DNS panel.
      router = config.dns.routeros ? routerFromConfig(config.dns.routeros) : undefined;
      // First: of the notices, the one about a secret matters most.
      if (router?.warning) notices.unshift(router.warning);
    }
  } catch (error) {
    log?.write(`could not start: ${error instanceof Error ? error.message : String(error)}`);
    log?.close();
    throw error;
  }
  log?.write(`start: ${where}; state in ${dir}`);
  for (const notice of notices) {
    log?.write(`notice: ${notice}`);
    if (!opts.tui) process.stderr.write(`drdeck: ${notice}\n`);
  }
  let session = startSession({
    cluster,
    resolver,
    router,
    config,
    flushMs: opts.flushMs,
    fixes: { readOnly: !!opts.readOnly, audit: (entry) => audit.append(entry) },
    // The demo's scenario starts afresh each run, and so does its timeline; a cluster's continues.
    timeline: opts.noTimeline ? undefined : { dir, fresh: !!opts.demo },
  });
  if (notices.length) session.store.setState({ notices });
  const repo = opts.repo ? resolve(opts.repo) : (config.repo ?? opts.defaultRepo);
  if (repo) {
    // Loaded only with a repository: the resolver and its YAML reader cost the others nothing.
    const { watchRepo } = await import('./watch-repo.js');
    // The demo's own repository is named as such: its path inside the package says little.
    const stopRepo = watchRepo(session.store, repo, { label: (opts.repo ?? config.repo) ? undefined : 'demo/repo (shipped with drdeck)' });
    log?.write(`repo: reading ${repo}`);
    const closeSession = session.close;
    session = {
      ...session,
      close() {
        stopRepo();
        closeSession();
      },
    };
  }
  if (!log) return { session, config, cluster, demo, audit, where, notices };

  if (opts.tui) tell = (message) => session.store.setState((s) => ({ notices: [...s.notices, message] }));
  const { timelineNotice } = session.store.getState();
  if (timelineNotice) log.write(`timeline: ${timelineNotice}`);
  const unfollow = followOperations(session.store, (line) => log.write(line));
  const close = session.close;
  const logged: Session = {
    ...session,
    close() {
      close();
      unfollow();
      log.write('session closed');
      log.close();
    },
  };
  return { session: logged, config, cluster, demo, audit, where, notices, log };
}
