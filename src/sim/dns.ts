/**
 * The demo's DNS server: a mutable table of A and AAAA records behind the `Resolver` interface, the
 * stand-in for the router that external-dns writes to.
 */
import type { DnsRecordType, Resolver } from '../cluster.js';

export interface SimDnsRecord {
  name: string;
  type: DnsRecordType;
  address: string;
}

export interface SimDnsOptions {
  /** Real milliseconds before an answer (default 0: the next turn of the event loop). */
  latencyMs?: number;
}

const normalizeName = (name: string): string => name.trim().toLowerCase().replace(/\.$/, '');

/** An in-memory resolver labelled "demo". Names are case-insensitive; a trailing dot is ignored. */
export class SimDns implements Resolver {
  readonly label = 'demo';
  private readonly table = new Map<string, { A: Set<string>; AAAA: Set<string> }>();
  private failure: string | undefined;
  private latencyMs: number;

  constructor(options: SimDnsOptions = {}) {
    this.latencyMs = options.latencyMs ?? 0;
  }

  /** Replaces the addresses of one type for `name` (an empty list removes them). */
  set(name: string, type: DnsRecordType, addresses: readonly string[]): void {
    const entry = this.entry(name);
    entry[type] = new Set(addresses);
    this.prune(name);
  }

  /** Adds one record, as external-dns or the RouterOS API would; adding it twice changes nothing. */
  add(name: string, type: DnsRecordType, address: string): void {
    this.entry(name)[type].add(address);
  }

  /** Removes one address, every address of one type, or (no type) the whole name. */
  remove(name: string, type?: DnsRecordType, address?: string): void {
    const key = normalizeName(name);
    const entry = this.table.get(key);
    if (!entry) return;
    if (!type) this.table.delete(key);
    else if (address === undefined) entry[type].clear();
    else entry[type].delete(address);
    this.prune(name);
  }

  /** The addresses held for `name`, synchronously (for tests and the simulated router). */
  lookup(name: string, type: DnsRecordType): string[] {
    return [...(this.table.get(normalizeName(name))?.[type] ?? [])];
  }

  /** Every record, sorted by name then type. */
  records(): SimDnsRecord[] {
    const out: SimDnsRecord[] = [];
    for (const name of [...this.table.keys()].sort()) {
      for (const type of ['A', 'AAAA'] as const) {
        for (const address of this.table.get(name)![type]) out.push({ name, type, address });
      }
    }
    return out;
  }

  /** Makes every query fail with `message` (an unreachable router), or answer again with undefined. */
  setFailure(message: string | undefined): void {
    this.failure = message;
  }

  setLatency(ms: number): void {
    this.latencyMs = ms;
  }

  async query(name: string, type: DnsRecordType, timeoutMs: number): Promise<string[]> {
    const wait = Math.min(this.latencyMs, timeoutMs);
    // Always answers on a later turn of the event loop, like a network round trip.
    await new Promise<void>((resolve) => (wait > 0 ? setTimeout(resolve, wait) : setImmediate(resolve)));
    if (this.latencyMs > timeoutMs) throw new Error(`query for ${name} ${type} timed out after ${timeoutMs} ms`);
    if (this.failure) throw new Error(this.failure);
    return this.lookup(name, type);
  }

  private entry(name: string): { A: Set<string>; AAAA: Set<string> } {
    const key = normalizeName(name);
    let entry = this.table.get(key);
    if (!entry) {
      entry = { A: new Set(), AAAA: new Set() };
      this.table.set(key, entry);
    }
    return entry;
  }

  private prune(name: string): void {
    const key = normalizeName(name);
    const entry = this.table.get(key);
    if (entry && entry.A.size === 0 && entry.AAAA.size === 0) this.table.delete(key);
  }
}
