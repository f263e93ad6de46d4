/**
 * `npm run testcluster -- simulate DIR [--speed N]`: drdeck's simulated controllers (src/sim/controllers)
 * against the real test API server in DIR, until SIGINT or SIGTERM. Flux, VolSync, the PV
 * controller, Cilium and external-dns then react to drdeck's fixes there as in the demo. Their
 * delays run on the wall clock divided by the speed; external-dns writes dnsmasq's records
 * (the server `scenario` started, restarted on the same port when the records change).
 */
import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import type { DnsRecordType } from '../../src/cluster.js';
import { loadConfig } from '../../src/config/load.js';
import { configSchema, type Config } from '../../src/config/schema.js';
import { KubeCluster } from '../../src/k8s/kube-cluster.js';
import { resolveKubeconfig } from '../../src/k8s/kubeconfig.js';
import { SimDns } from '../../src/sim/dns.js';
import { createRebuildScenario } from '../../src/sim/scenarios/rebuild.js';
import { startControllers, wallClockScheduler, type DnsTable } from '../../src/sim/controllers/index.js';
import { readState } from './cluster.js';
import { startDnsServer, type DnsRecord } from './dns-server.js';

export interface SimulateOptions {
  /** Scenario ms per real ms (default 1). */
  speed?: number;
  /** One line per action (default: stderr with the time). */
  log?: (line: string) => void;
  /** Stops the simulation when aborted (default: SIGINT or SIGTERM). */
  signal?: AbortSignal;
}

/** What DIR/dnsmasq.conf (written by startDnsServer) serves: records, zones and port. */
export function readDnsmasqConfig(dir: string): { records: DnsRecord[]; zones: string[]; port?: number } | undefined {
  const file = join(dir, 'dnsmasq.conf');
  if (!existsSync(file)) return undefined;
  const records = new Map<string, DnsRecord>();
  const zones: string[] = [];
  let port: number | undefined;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const [key, value = ''] = line.split('=', 2);
    if (key === 'port') port = Number(value);
    else if (key === 'local') zones.push(value.replace(/^\/|\/$/g, ''));
    else if (key === 'host-record') {
      const [name, address] = value.split(',');
      const type: DnsRecordType = isIP(address) === 6 ? 'AAAA' : 'A';
      const record = records.get(`${name}|${type}`) ?? { name, type, addresses: [] };
      record.addresses.push(address);
      records.set(`${name}|${type}`, record);
    }
  }
  return { records: [...records.values()], zones, port };
}

/**
 * external-dns's target for the real server: an in-memory table whose changes restart dnsmasq
 * with the whole record set, at most once per `debounceMs` (a sync adds several records at once).
 */
export class DnsmasqTable implements DnsTable {
  private readonly table = new SimDns();
  private timer: NodeJS.Timeout | undefined;
  private dirty = false;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly dir: string,
    private readonly zones: readonly string[],
    private port: number | undefined,
    private readonly log: (line: string) => void,
    initial: readonly DnsRecord[] = [],
    private readonly debounceMs = 300,
  ) {
    for (const record of initial) for (const address of record.addresses) this.table.add(record.name, record.type, address);
  }

  lookup(name: string, type: DnsRecordType): string[] {
    return this.table.lookup(name, type);
  }

  add(name: string, type: DnsRecordType, address: string): void {
    if (this.lookup(name, type).includes(address)) return;
    this.table.add(name, type, address);
    this.changed();
  }

  remove(name: string, type: DnsRecordType, address: string): void {
    if (!this.lookup(name, type).includes(address)) return;
    this.table.remove(name, type, address);
    this.changed();
  }

  /** (Re)starts dnsmasq with the current records. */
  serve(): Promise<void> {
    this.dirty = true;
    return this.flush();
  }

  /** Writes pending changes now; resolves when dnsmasq answers with them. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.dirty) return this.writing;
    this.dirty = false;
    this.writing = this.writing.then(() => this.restart()).catch((error) => this.log(`dnsmasq: ${(error as Error).message}`));
    return this.writing;
  }

  private changed(): void {
    this.dirty = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.flush(), this.debounceMs);
  }

  private async restart(): Promise<void> {
    const grouped = new Map<string, DnsRecord>();
    for (const { name, type, address } of this.table.records()) {
      const record = grouped.get(`${name}|${type}`) ?? { name, type, addresses: [] };
      record.addresses.push(address);
      grouped.set(`${name}|${type}`, record);
    }
    const server = await startDnsServer(this.dir, [...grouped.values()], this.zones, { port: this.port });
    this.port = server.port;
    this.log(`dnsmasq: serving ${this.table.records().length} records at ${server.address}`);
  }
}

function configFor(dir: string): Config {
  const file = join(dir, 'drdeck.yaml');
  return existsSync(file) ? loadConfig({ file }).config : configSchema.parse({});
}

/** Runs the controllers against the cluster in DIR until the signal (or SIGINT/SIGTERM). */
export async function simulate(dir: string, options: SimulateOptions = {}): Promise<void> {
  dir = resolve(dir);
  const state = readState(dir);
  const speed = options.speed ?? 1;
  const log = options.log ?? ((line: string) => console.error(`${new Date().toISOString()} ${line}`));
  const config = configFor(dir);
  const cluster = new KubeCluster({
    kubeconfig: resolveKubeconfig({ kubeconfig: join(dir, 'kubeconfig') }),
    requestTimeoutMs: 15_000,
    log: (line) => log(`k8s: ${line}`),
  });
  await cluster.connect();

  const served = readDnsmasqConfig(dir);
  const zones = served?.zones.length ? served.zones : config.dns.zones;
  const dns = new DnsmasqTable(dir, zones, served?.port, log, served?.records ?? []);
  // No `scenario` ran: start a DNS server of our own (its address is logged).
  if (!served) await dns.serve();

  const scheduler = wallClockScheduler(speed);
  // What Git holds for the rebuild scenario, so an RD deleted by restores-recreate is applied again.
  const git = createRebuildScenario({ t0: Date.now() }).git;
  const controllers = startControllers({ cluster, scheduler, dns, config, log, git });
  log(`simulating Flux, VolSync, PV, Cilium, LB-IPAM and external-dns against ${state.server} at speed ${speed}; Ctrl-C stops`);

  await new Promise<void>((done) => {
    const signal = options.signal;
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      signal?.removeEventListener('abort', stop);
      done();
    };
    if (signal) {
      if (signal.aborted) return stop();
      signal.addEventListener('abort', stop, { once: true });
    } else {
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    }
  });

  controllers.stop();
  scheduler.close();
  cluster.close();
  await dns.flush();
  log('simulation stopped; dnsmasq keeps serving the last records');
}
