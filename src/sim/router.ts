/**
 * The demo's router: RouterOS's static DNS table (`/ip dns static`) over the demo's DNS server.
 * Records added through it answer DNS queries at once, as a router's static entries do; it keeps
 * RouterOS-like `.id`s (`*1`, `*2`, …, not stable across restarts of the demo) and comments, and it
 * lists the records the simulated external-dns created too (commented as the external-dns
 * MikroTik webhook does), so the record count on the DNS panel means what it means on a router.
 * Errors are RouterErrors worded as the RouterOS client words the router's answers.
 */
import { canonicalIp } from '../checks/util.js';
import { isIP } from 'node:net';
import type { DnsRecordType } from '../cluster.js';
import type { Router } from '../dns/router.js';
import { DNS_STATIC_PATH, RouterError, type NewRouterDnsRecord, type RouterDnsRecord } from '../dns/routeros.js';
import type { SimDns } from './dns.js';

/** The comment on the records the simulated external-dns created (its webhook's default). */
export const EXTERNAL_DNS_COMMENT = 'Managed by ExternalDNS';

/** RouterOS's default TTL of a static entry. */
const DEFAULT_TTL = '1d';

interface EntryMeta {
  id: string;
  comment?: string;
  ttl: string;
}

const keyOf = (name: string, type: DnsRecordType, address: string) => `${name.trim().toLowerCase().replace(/\.$/, '')}|${type}|${canonicalIp(address)}`;

/** One turn of the event loop, like a round trip to the router. */
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

export class SimRouter implements Router {
  readonly label = 'demo';
  /** Every PUT body the router accepted, in order (for tests). */
  readonly added: NewRouterDnsRecord[] = [];
  private readonly meta = new Map<string, EntryMeta>();
  private nextId = 1;
  private failure: string | undefined;

  constructor(private readonly dns: SimDns) {
    // The records present at start get the first ids, as if the router had them before the demo.
    this.entries();
  }

  /** Makes every request fail with `message` (an unreachable router), or answer again with undefined. */
  setFailure(message: string | undefined): void {
    this.failure = message;
  }

  async list(filter: { name?: string; type?: string } = {}): Promise<RouterDnsRecord[]> {
    await turn();
    this.refuseWhenFailing('GET');
    const name = filter.name?.trim().toLowerCase().replace(/\.$/, '');
    return this.entries().filter((r) => (name === undefined || r.name === name) && (filter.type === undefined || r.type === filter.type));
  }

  async add(record: NewRouterDnsRecord): Promise<RouterDnsRecord> {
    await turn();
    this.refuseWhenFailing('PUT');
    const name = record.name.trim().toLowerCase().replace(/\.$/, '');
    if (!name) throw this.badRequest('missing value(s) of argument(s) name');
    if (isIP(record.address) !== (record.type === 'A' ? 4 : 6)) throw this.badRequest('invalid value for argument address');
    const address = canonicalIp(record.address);
    if (this.dns.lookup(name, record.type).some((a) => canonicalIp(a) === address)) throw this.badRequest('failure: entry already exists');
    const meta: EntryMeta = { id: this.newId(), comment: record.comment, ttl: record.ttl ?? DEFAULT_TTL };
    this.meta.set(keyOf(name, record.type, address), meta);
    this.dns.add(name, record.type, address);
    this.added.push({ ...record });
    return { id: meta.id, name, type: record.type, address, ttl: meta.ttl, comment: record.comment, disabled: false };
  }

  /** The table as the router would print it: every record the DNS server holds, in `.id` order. */
  private entries(): RouterDnsRecord[] {
    const seen = new Set<string>();
    const out: Array<RouterDnsRecord & { order: number }> = [];
    for (const r of this.dns.records()) {
      const key = keyOf(r.name, r.type, r.address);
      seen.add(key);
      let meta = this.meta.get(key);
      if (!meta) this.meta.set(key, (meta = { id: this.newId(), comment: EXTERNAL_DNS_COMMENT, ttl: DEFAULT_TTL }));
      const record: RouterDnsRecord & { order: number } = {
        id: meta.id,
        name: r.name,
        type: r.type,
        address: canonicalIp(r.address),
        ttl: meta.ttl,
        disabled: false,
        order: parseInt(meta.id.slice(1), 16),
      };
      if (meta.comment !== undefined) record.comment = meta.comment;
      out.push(record);
    }
    // A record removed from the DNS server (external-dns deleting its own) is gone from the table.
    for (const key of [...this.meta.keys()]) if (!seen.has(key)) this.meta.delete(key);
    return out.sort((a, b) => a.order - b.order).map(({ order: _order, ...record }) => record);
  }

  private newId(): string {
    return `*${(this.nextId++).toString(16).toUpperCase()}`;
  }

  private badRequest(detail: string): RouterError {
    return new RouterError(`router said: 400 Bad Request: ${detail}`, 'http', 'PUT', DNS_STATIC_PATH, 400, detail);
  }

  private refuseWhenFailing(method: string): void {
    if (this.failure) throw new RouterError(this.failure, 'connect', method, DNS_STATIC_PATH);
  }
}
