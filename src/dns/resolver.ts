/**
 * Asks the configured DNS servers directly (the router), never the system resolver: a name that
 * resolves on the bastion but not at the router is exactly what drdeck must notice.
 */
import { Resolver as NodeResolver } from 'node:dns/promises';
import type { DnsRecordType, Resolver } from '../cluster.js';

/** Answers that mean "no such record", not "could not ask". */
const EMPTY_ANSWERS = new Set(['ENODATA', 'ENOTFOUND', 'NXDOMAIN']);

export class DnsResolver implements Resolver {
  readonly label: string;

  constructor(private readonly servers: readonly string[]) {
    this.label = servers.join(', ');
  }

  async query(name: string, type: DnsRecordType, timeoutMs: number): Promise<string[]> {
    // Why one resolver per query: node:dns applies `timeout` per try, and `tries: 1` bounds the whole
    // query to about `timeoutMs` per server instead of the default 4 tries with back-off.
    const resolver = new NodeResolver({ timeout: timeoutMs, tries: 1 });
    try {
      resolver.setServers(this.servers.map((s) => s.trim()));
    } catch (err) {
      throw new Error(`bad dns.servers entry (${this.label}): ${(err as Error).message}`, { cause: err });
    }
    // Why a timer of our own: Node checks c-ares' deadlines on a timer that ticks every `timeout` ms
    // (at most every second), so c-ares alone gives up anywhere between one and two timeouts late
    // (measured: 400 ms asked, 802 ms taken). Cancelling at the deadline bounds it for real.
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      resolver.cancel();
    }, timeoutMs * this.servers.length);
    try {
      return type === 'A' ? await resolver.resolve4(name) : await resolver.resolve6(name);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? '';
      if (EMPTY_ANSWERS.has(code)) return [];
      if (timedOut || code === 'ETIMEOUT') throw new Error(`${this.label} did not answer ${type} ${name} within ${timeoutMs} ms`, { cause: err });
      if (code === 'ECONNREFUSED') throw new Error(`${this.label} refused the query for ${type} ${name}`, { cause: err });
      throw new Error(`${this.label}: ${type} ${name}: ${code || (err as Error).message}`, { cause: err });
    } finally {
      clearTimeout(timer);
      resolver.cancel();
    }
  }
}
