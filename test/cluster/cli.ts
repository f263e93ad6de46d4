/**
 * The test cluster from the command line (`npm run testcluster -- COMMAND DIR`):
 *
 *   start DIR     build if needed, start etcd + kube-apiserver, install CRDs and RBAC; returns when
 *                 ready and leaves both running; prints the kubeconfig paths
 *   stop DIR      stop the processes recorded in DIR/pids.json
 *   status DIR    which of them run, and whether the API server is ready (exit 1 when not)
 *   restart-apiserver DIR   stop and start kube-apiserver only (same port, same etcd)
 *   compact DIR   compact etcd to its current revision (old resourceVersions then get 410 Gone)
 *   scenario DIR rebuild   write the demo scenario's start state (status included), serve its DNS
 *                 records with dnsmasq, and write DIR/drdeck.yaml for `drdeck --config`
 *   simulate DIR [--speed N]   run drdeck's simulated controllers (Flux, VolSync, PV, Cilium,
 *                 LB-IPAM, external-dns into dnsmasq) against the server until SIGINT/SIGTERM
 *
 * Exit codes: 0 done, 1 failed (with a one-line error on stderr).
 */
import { clusterStatus, compactEtcd, readState, restartApiServer, startCluster, stopCluster } from './cluster.js';
import { SCENARIOS, writeScenario, type ScenarioName } from './scenario.js';

const USAGE = 'usage: testcluster start|stop|status|restart-apiserver|compact DIR [--no-watch-cache] | scenario DIR rebuild | simulate DIR [--speed N]';

/** The value of `--name N` or `--name=N`. */
function option(argv: string[], name: string): string | undefined {
  const i = argv.findIndex((arg) => arg === `--${name}` || arg.startsWith(`--${name}=`));
  if (i < 0) return undefined;
  return argv[i].includes('=') ? argv[i].slice(argv[i].indexOf('=') + 1) : argv[i + 1];
}

async function main(argv: string[]): Promise<number> {
  const [command, dir] = argv.filter((arg) => !arg.startsWith('--'));
  if (!command || !dir) {
    console.error(USAGE);
    return 1;
  }
  switch (command) {
    case 'start': {
      const cluster = await startCluster(dir, {
        log: (line) => console.error(line),
        watchCache: !argv.includes('--no-watch-cache'),
      });
      console.log(`server: ${cluster.server}`);
      console.log(`kubeconfig: ${cluster.kubeconfig}`);
      console.log(`viewer kubeconfig: ${cluster.viewerKubeconfig}`);
      console.log(`operator kubeconfig: ${cluster.operatorKubeconfig}`);
      console.log(`pids: etcd ${cluster.pids.etcd}, kube-apiserver ${cluster.pids['kube-apiserver']}`);
      return 0;
    }
    case 'stop':
      readState(dir); // a one-line error for a folder that holds no cluster
      await stopCluster(dir);
      console.log(`stopped the test cluster in ${dir}`);
      return 0;
    case 'status': {
      readState(dir);
      const status = await clusterStatus(dir);
      const show = (running: boolean, pid?: number) => (running ? `running (pid ${pid})` : 'not running');
      console.log(`server: ${status.server ?? '-'}`);
      console.log(`etcd: ${show(status.etcd.running, status.etcd.pid)}`);
      console.log(`kube-apiserver: ${show(status.apiserver.running, status.apiserver.pid)}${status.apiserver.ready ? ', ready' : ''}`);
      return status.etcd.running && status.apiserver.ready ? 0 : 1;
    }
    case 'restart-apiserver': {
      const cluster = await restartApiServer(dir);
      console.log(`kube-apiserver restarted (pid ${cluster.pids['kube-apiserver']})`);
      return 0;
    }
    case 'scenario': {
      const name = argv.filter((arg) => !arg.startsWith('--'))[2];
      if (!SCENARIOS.includes(name as ScenarioName)) {
        console.error(`unknown scenario ${name ?? '(none)'}; scenarios: ${SCENARIOS.join(', ')}`);
        return 1;
      }
      const written = await writeScenario(dir, name as ScenarioName, (line) => console.error(line));
      console.log(`wrote ${written.objects} objects; DNS at ${written.dnsServer}`);
      console.log(`check it: npx drdeck check --kubeconfig ${dir}/kubeconfig --config ${written.config} --json`);
      return 0;
    }
    case 'simulate': {
      const raw = option(argv, 'speed');
      const speed = raw === undefined ? 1 : Number(raw);
      if (!(speed > 0)) {
        console.error(`--speed must be a number > 0, not ${raw}`);
        return 1;
      }
      const { simulate } = await import('./simulate.js');
      await simulate(dir, { speed });
      return 0;
    }
    case 'compact':
      console.log(`compacted etcd at revision ${await compactEtcd(dir)}`);
      return 0;
    default:
      console.error(`unknown command ${command}; ${USAGE}`);
      return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    // One line: a start failure's message goes on with the end of the process's log, which the
    // first line names; tests show all of it, the command line only the first line.
    const message = error instanceof Error ? error.message : String(error);
    console.error(`testcluster: ${process.env.DRDECK_DEBUG ? message : message.split('\n')[0]}`);
    process.exitCode = 1;
  },
);
