/**
 * A real DNS server for the tests: dnsmasq (Debian's dnsmasq-base) on a free loopback port,
 * authoritative for the test zones, answering exactly the records a test wants. drdeck asks it
 * the way it asks a router. Its PID goes in DIR/pids.json, so stopCluster stops it too.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { DnsRecordType } from '../../src/cluster.js';
import { freePort, isOurProcess, readPids, startProcess, stopProcess, writePids } from './cluster.js';

export interface DnsRecord {
  name: string;
  type: DnsRecordType;
  addresses: string[];
}

export interface DnsServer {
  /** `127.0.0.1:PORT`, as drdeck's `dns.servers` takes it. */
  address: string;
  port: number;
  pid: number;
}

/** Where dnsmasq is, or undefined (`.ci/run` installs dnsmasq-base). */
export function findDnsmasq(): string | undefined {
  for (const path of ['/usr/sbin/dnsmasq', '/usr/bin/dnsmasq']) if (existsSync(path)) return path;
  try {
    return execFileSync('sh', ['-c', 'command -v dnsmasq'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** dnsmasq's config for these records: every zone local (unknown names NXDOMAIN, nothing forwarded). */
export function dnsmasqConfig(records: readonly DnsRecord[], zones: readonly string[], port: number): string {
  const lines = [
    'no-resolv',
    'no-hosts',
    'no-poll',
    'bind-interfaces',
    'listen-address=127.0.0.1',
    `port=${port}`,
    'log-facility=-',
    ...zones.map((zone) => `local=/${zone}/`),
  ];
  for (const record of records) {
    // One address a line: address= answers both families for a name, host-record one per entry.
    for (const address of record.addresses) lines.push(`host-record=${record.name},${address}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Waits until something answers UDP on the port (dnsmasq binds before it daemonizes its loop). */
async function waitForPort(port: number, pid: number, dir: string): Promise<void> {
  const { Resolver } = await import('node:dns/promises');
  for (let i = 0; i < 50; i++) {
    if (!isOurProcess(pid, dir)) throw new Error(`dnsmasq exited at start (see ${join(dir, 'dnsmasq.log')})`);
    const resolver = new Resolver({ timeout: 200, tries: 1 });
    resolver.setServers([`127.0.0.1:${port}`]);
    try {
      await resolver.resolve4('ready.invalid');
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ECONNREFUSED' && (err as NodeJS.ErrnoException).code !== 'ETIMEOUT') return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('dnsmasq did not answer within 5 s');
}

/**
 * Starts (or restarts with new records) the DNS server of the cluster in DIR. The config file lives
 * in DIR, so the process's command line names DIR and stopCluster can tell it is ours. `port`
 * keeps the port of a restart the same, so a drdeck.yaml that names it stays right.
 */
export async function startDnsServer(
  dir: string,
  records: readonly DnsRecord[],
  zones: readonly string[],
  options: { port?: number } = {},
): Promise<DnsServer> {
  dir = resolve(dir);
  const binary = findDnsmasq();
  if (!binary) throw new Error('dnsmasq not found: apt-get install dnsmasq-base');
  const previous = readPids(dir).dnsmasq;
  if (previous) await stopProcess(previous, dir);
  const port = options.port ?? (await freePort());
  const conf = join(dir, 'dnsmasq.conf');
  writeFileSync(conf, dnsmasqConfig(records, zones, port));
  // Why --user=root: dnsmasq drops to "nobody", who may not read a config in a private temp dir.
  const pid = startProcess(binary, ['--keep-in-foreground', `--conf-file=${conf}`, '--user=root'], join(dir, 'dnsmasq.log'));
  writePids(dir, { ...readPids(dir), dnsmasq: pid });
  await waitForPort(port, pid, dir);
  return { address: `127.0.0.1:${port}`, port, pid };
}
