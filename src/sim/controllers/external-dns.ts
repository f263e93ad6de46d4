/**
 * external-dns with the service and gateway-httproute sources (seed issue 8; reference/facts.md):
 * one A record per IPv4 and one AAAA per IPv6 entry of a LoadBalancer Service's
 * `status.loadBalancer.ingress`, under each name of its hostname annotation; for an HTTPRoute
 * accepted by a Gateway, its hostnames to the Gateway's `status.addresses`. It never reads the
 * LB-IPAM annotation, and never deletes a record it did not create: the records it finds at start
 * that it would have made are taken as its own (its TXT registry would say so), every other record
 * is left alone.
 */
import type { DnsRecordType, KubeObject } from '../../cluster.js';
import { canonicalIp } from '../../checks/util.js';
import { isIP } from 'node:net';
import type { Controller, ControllerContext } from './types.js';
import { conditionsOf, SECOND } from './util.js';

export const EXTERNAL_DNS_TIMINGS = {
  /** From a change to the records (external-dns batches changes; its default interval is a minute). */
  syncMs: 5 * SECOND,
} as const;

interface DnsRecord {
  name: string;
  type: DnsRecordType;
  address: string;
}

const recordKey = (r: DnsRecord): string => `${r.name}|${r.type}|${canonicalIp(r.address)}`;
const normalise = (name: string): string => name.trim().toLowerCase().replace(/\.$/, '');

export function externalDnsController(ctx: ControllerContext): Controller {
  /** Records this external-dns created (or adopted at start), by key. */
  const owned = new Map<string, DnsRecord>();
  let started = false;

  function records(name: string, addresses: readonly string[]): DnsRecord[] {
    const host = normalise(name);
    if (!host || host.startsWith('*')) return [];
    return addresses.flatMap((address): DnsRecord[] => {
      const family = isIP(address);
      return family === 4 ? [{ name: host, type: 'A', address }] : family === 6 ? [{ name: host, type: 'AAAA', address: canonicalIp(address) }] : [];
    });
  }

  /** Every record the cluster's objects ask for now. */
  function desired(): Map<string, DnsRecord> {
    const out = new Map<string, DnsRecord>();
    const add = (list: DnsRecord[]) => list.forEach((r) => out.set(recordKey(r), r));
    for (const svc of ctx.cache.list('services')) {
      if (svc.spec?.type !== 'LoadBalancer') continue;
      const names = svc.metadata.annotations?.[ctx.config.dns.hostnameAnnotation];
      if (!names) continue;
      const ips = (Array.isArray(svc.status?.loadBalancer?.ingress) ? svc.status.loadBalancer.ingress : [])
        .map((e: any) => e?.ip)
        .filter((ip: unknown): ip is string => typeof ip === 'string');
      for (const name of names.split(',')) add(records(name, ips));
    }
    for (const route of ctx.cache.list('httproutes')) {
      const hostnames: string[] = Array.isArray(route.spec?.hostnames) ? route.spec.hostnames : [];
      for (const parent of Array.isArray(route.status?.parents) ? route.status.parents : []) {
        const accepted = conditionsOf({ metadata: { name: '' }, status: parent }).some((c) => c.type === 'Accepted' && c.status === 'True');
        if (!accepted || (parent.parentRef?.kind ?? 'Gateway') !== 'Gateway') continue;
        const gateway: KubeObject | undefined = ctx.cache.get('gateways', parent.parentRef.namespace ?? route.metadata.namespace, parent.parentRef.name);
        const addresses = (Array.isArray(gateway?.status?.addresses) ? gateway!.status.addresses : [])
          .filter((a: any) => (a?.type ?? 'IPAddress') === 'IPAddress')
          .map((a: any) => String(a.value));
        for (const host of hostnames) add(records(host, addresses));
      }
    }
    return out;
  }

  const present = (r: DnsRecord): boolean => ctx.dns.lookup(r.name, r.type).some((a) => canonicalIp(a) === canonicalIp(r.address));

  /** The changes a sync would make. */
  function plan(): { create: DnsRecord[]; remove: DnsRecord[] } {
    const want = desired();
    const create = [...want.values()].filter((r) => !present(r));
    const remove = [...owned.entries()].filter(([key]) => !want.has(key)).map(([, r]) => r);
    return { create, remove };
  }

  function consider(): void {
    if (!started) return;
    const { create, remove } = plan();
    if (!create.length && !remove.length) return;
    ctx.once('external-dns', EXTERNAL_DNS_TIMINGS.syncMs, sync, consider);
  }

  function sync(): void {
    if (ctx.stopped) return;
    const { create, remove } = plan();
    for (const r of remove) {
      ctx.dns.remove(r.name, r.type, r.address);
      owned.delete(recordKey(r));
      ctx.log(`external-dns: deleted ${r.type} ${r.name} ${r.address}`);
    }
    for (const r of create) {
      ctx.dns.add(r.name, r.type, r.address);
      owned.set(recordKey(r), r);
      ctx.log(`external-dns: created ${r.type} ${r.name} ${r.address}`);
    }
  }

  return {
    name: 'external-dns',
    kinds: ['services', 'gateways', 'httproutes'],
    synced() {
      for (const r of desired().values()) if (present(r)) owned.set(recordKey(r), r);
      started = true;
      consider();
    },
    changed() {
      consider();
    },
  };
}
