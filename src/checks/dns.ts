/**
 * Panel DNS: every published hostname resolves at the configured resolver to the addresses it
 * should (seed issue 8: the AAAA records external-dns never made).
 */
import type { DnsAnswer, RouterRecords } from '../cluster.js';
import type { Config } from '../config/schema.js';
import { gatewayAddresses } from './gateways.js';
import { ingressAddresses, ingressHostnames, loadBalancerServices, requestedAddresses } from './loadbalancers.js';
import type { Check, CheckStatus, Evidence, Snapshot } from './types.js';
import {
  annotationOf,
  arr,
  at,
  canonicalIp,
  conditionList,
  getObject,
  ipFamily,
  listObjects,
  nameList,
  namespaceOf,
  refOf,
  str,
  verdict,
  worst,
  worstOf,
} from './util.js';

export type RecordType = 'A' | 'AAAA';

/** The records one published name should have, and where the expectation comes from. */
export interface ExpectedRecord {
  /** Lower case, no trailing dot. */
  name: string;
  a: string[];
  aaaa: string[];
  /** "Service network/smtp-relay", "HTTPRoute default/plex via Gateway network/gateway-external". */
  sources: string[];
  /** Set when no address is known yet, so there is nothing to compare. */
  unknownReason?: string;
  /**
   * Types expected only because an annotation asks for them: the Service's status lacks that
   * family, so external-dns will not publish it (the cure is a dual-stack Service).
   */
  statusLacks?: RecordType[];
}

function normaliseName(name: string): string {
  return name.trim().toLowerCase().replace(/\.$/, '');
}

function inZones(name: string, zones: readonly string[]): boolean {
  return zones.some((zone) => {
    const z = normaliseName(zone);
    return name === z || name.endsWith(`.${z}`);
  });
}

interface Accumulator {
  a: Set<string>;
  aaaa: Set<string>;
  sources: Set<string>;
  reasons: string[];
  statusLacks: Set<RecordType>;
}

/**
 * The A and AAAA records every published name should have: hostnames of LoadBalancer Services
 * (the external-dns annotation; addresses from the status and the LB-IPAM annotation) and of
 * accepted HTTPRoutes (addresses of their parent Gateways). Names outside `dns.zones` are ignored.
 * Pure: the DNS poller reuses it to know what to ask.
 */
export function expectedRecords(snapshot: Snapshot, config: Config): ExpectedRecord[] {
  const byName = new Map<string, Accumulator>();
  const add = (rawName: string, addresses: readonly string[], source: string, reasonIfNone: string, statusLacks: RecordType[] = []) => {
    const name = normaliseName(rawName);
    if (!name || name.startsWith('*') || !inZones(name, config.dns.zones)) return;
    let acc = byName.get(name);
    if (!acc) byName.set(name, (acc = { a: new Set(), aaaa: new Set(), sources: new Set(), reasons: [], statusLacks: new Set() }));
    acc.sources.add(source);
    for (const ip of addresses) {
      const family = ipFamily(ip);
      if (family === 4) acc.a.add(canonicalIp(ip));
      else if (family === 6) acc.aaaa.add(canonicalIp(ip));
    }
    if (!addresses.some((ip) => ipFamily(ip))) acc.reasons.push(reasonIfNone);
    for (const t of statusLacks) acc.statusLacks.add(t);
  };

  for (const svc of loadBalancerServices(snapshot)) {
    const hostnames = annotationOf(svc, config.dns.hostnameAnnotation);
    if (!hostnames) continue;
    const ingress = ingressAddresses(svc);
    const { v4, v6 } = requestedAddresses(svc, config);
    const lacks: RecordType[] = [];
    if (v4.length && !ingress.some((ip) => ipFamily(ip) === 4)) lacks.push('A');
    if (v6.length && !ingress.some((ip) => ipFamily(ip) === 6)) lacks.push('AAAA');
    const names = ingressHostnames(svc);
    // A load balancer that answers with a name: external-dns publishes a CNAME, no A or AAAA to compare.
    const none = names.length ? `Service ${refOf(svc)} has the hostname ${names.join(', ')}, not an address` : `Service ${refOf(svc)} has no address yet`;
    for (const name of hostnames.split(',')) {
      add(name, [...ingress, ...v4, ...v6], `Service ${refOf(svc)}`, none, lacks);
    }
  }

  for (const route of listObjects(snapshot, 'httproutes')) {
    const hostnames = arr(at(route, 'spec', 'hostnames'))
      .map(str)
      .filter((h): h is string => Boolean(h));
    const routeNs = namespaceOf(route);
    for (const parent of arr(at(route, 'status', 'parents'))) {
      const accepted = conditionList(at(parent, 'conditions')).some((c) => c.type === 'Accepted' && c.status === 'True');
      const kind = str(at(parent, 'parentRef', 'kind')) ?? 'Gateway';
      const gwName = str(at(parent, 'parentRef', 'name'));
      if (!accepted || kind !== 'Gateway' || !gwName) continue;
      const gwNs = str(at(parent, 'parentRef', 'namespace')) || routeNs;
      const gwRef = gwNs ? `${gwNs}/${gwName}` : gwName;
      const gateway = getObject(snapshot, 'gateways', gwNs, gwName);
      const reason = gateway ? `Gateway ${gwRef} has no address yet` : `Gateway ${gwRef} missing`;
      for (const name of hostnames) add(name, gateway ? gatewayAddresses(gateway) : [], `HTTPRoute ${refOf(route)} via Gateway ${gwRef}`, reason);
    }
  }

  return [...byName]
    .sort(([x], [y]) => x.localeCompare(y))
    .map(([name, acc]) => {
      const record: ExpectedRecord = { name, a: [...acc.a].sort(), aaaa: [...acc.aaaa].sort(), sources: [...acc.sources] };
      if (!record.a.length && !record.aaaa.length) record.unknownReason = acc.reasons[0] ?? 'no address known';
      if (acc.statusLacks.size) record.statusLacks = [...acc.statusLacks];
      return record;
    });
}

interface Comparison {
  status: CheckStatus;
  text: string;
  /** Types with expected addresses the resolver did not give. */
  missing: RecordType[];
  /** The expected addresses the resolver did not give, by type (canonical spelling). */
  absent: Record<RecordType, string[]>;
  /** What the resolver answered instead, for the types with absent addresses ("wrong"). */
  wrong: Record<RecordType, string[]>;
}

const none = (): Record<RecordType, string[]> => ({ A: [], AAAA: [] });

function compareType(type: RecordType, expected: readonly string[], answered: readonly string[]): Comparison {
  const want = new Set(expected.map(canonicalIp));
  const got = new Set(answered.map((a) => canonicalIp(String(a))));
  const absent = [...want].filter((ip) => !got.has(ip));
  const extra = [...got].filter((ip) => !want.has(ip));
  const result = (status: CheckStatus, text: string, wrong: string[] = []): Comparison => ({
    status,
    text,
    missing: absent.length ? [type] : [],
    absent: { ...none(), [type]: absent },
    wrong: { ...none(), [type]: wrong },
  });
  if (absent.length && !got.size) return result('fail', `missing ${type} ${absent.join(', ')}`);
  if (absent.length) return result('fail', `wrong ${type}: expected ${[...want].join(', ')}, answered ${[...got].join(', ')}`, extra);
  if (extra.length) return result('warn', `extra ${type} ${extra.join(', ')}`);
  return result('pass', want.size ? `${type} ${[...want].join(', ')} ok` : `no ${type}`);
}

function judgeName(record: ExpectedRecord, answer: DnsAnswer | undefined): Comparison {
  const nothing = (status: CheckStatus, text: string): Comparison => ({ status, text, missing: [], absent: none(), wrong: none() });
  if (record.unknownReason) return nothing('unknown', `nothing to compare: ${record.unknownReason}`);
  if (!answer) return nothing('pending', 'not asked yet');
  if (answer.error) return nothing('unknown', `resolver error: ${answer.error}`);
  const parts = [compareType('A', record.a, arr(answer.a).map(String)), compareType('AAAA', record.aaaa, arr(answer.aaaa).map(String))];
  const bad = parts.filter((p) => p.status !== 'pass');
  return {
    status: worst(parts.map((p) => p.status)),
    text: (bad.length ? bad : parts).map((p) => p.text).join('; '),
    missing: parts.flatMap((p) => p.missing),
    absent: { A: parts[0].absent.A, AAAA: parts[1].absent.AAAA },
    wrong: { A: parts[0].wrong.A, AAAA: parts[1].wrong.AAAA },
  };
}

/** One published name as the DNS check judges it: what is expected, what was answered, what is missing. */
export interface DnsFinding extends Comparison {
  record: ExpectedRecord;
  answer: DnsAnswer | undefined;
}

/**
 * The DNS check's view of every published name, in name order: the verdict on each, and the
 * expected addresses the resolver did not give (what dns-add-records adds). Pure.
 */
export function dnsFindings(snapshot: Snapshot, config: Config): DnsFinding[] {
  return expectedRecords(snapshot, config).map((record) => {
    const answer = snapshot.dns?.get(record.name);
    return { record, answer, ...judgeName(record, answer) };
  });
}

/** "router 10.0.0.1: 152 static records (2 added by drdeck)", or what went wrong asking it. */
export function routerRecordsText(router: RouterRecords): string {
  if (router.error !== undefined) return `router ${router.label}: ${router.error}`;
  if (router.count === undefined) return `router ${router.label}: counting static records…`;
  const mine = router.drdeck ? ` (${router.drdeck} added by drdeck)` : '';
  return `router ${router.label}: ${router.count} static record${router.count === 1 ? '' : 's'}${mine}`;
}

/** The evidence row of the router's count: information, not a verdict on any name. */
function routerRow(router: RouterRecords): Evidence {
  const value =
    router.error !== undefined
      ? `could not list: ${router.error}`
      : router.count === undefined
        ? 'not counted yet'
        : `${router.count}${router.drdeck ? ` (${router.drdeck} added by drdeck)` : ''}`;
  return { kind: 'Router', name: router.label, field: 'static records', value, ...(router.error !== undefined ? { status: 'unknown' as const } : {}) };
}

const records: Check = {
  id: 'dns.records',
  panel: 'dns',
  title: 'Published names resolve to the right A and AAAA',
  scope: 'status',
  inputs: ['services', 'dns'],
  optional: ['gateways', 'httproutes'],
  evaluate(snapshot, config) {
    // The router's count rides along as one more row; it never changes the verdict on the names.
    const router = snapshot.routerRecords ? [routerRow(snapshot.routerRecords)] : [];
    if (snapshot.sync?.dns?.phase === 'not-installed') return verdict('unknown', 'no resolver configured (dns.servers)', router);
    const findings = dnsFindings(snapshot, config);
    if (!findings.length) return verdict('pass', `no published names in ${config.dns.zones.join(', ')}`, router);
    const problems: string[] = [];
    let add = false;
    let dualStack = false;
    const evidence: Evidence[] = findings.map(({ record, ...result }) => {
      if (result.status !== 'pass' && result.status !== 'pending') problems.push(`${record.name} ${result.text}`);
      if (result.missing.length) add = true;
      if (result.missing.some((t) => record.statusLacks?.includes(t))) dualStack = true;
      return { kind: 'DNS', name: record.name, field: 'A/AAAA', value: `${result.text} (from ${record.sources.join(', ')})`, status: result.status };
    });
    const status = worstOf(evidence);
    const ok = evidence.filter((e) => e.status === 'pass').length;
    const head = `${ok}/${findings.length} names OK`;
    evidence.push(...router);
    if (!problems.length) {
      const waiting = findings.length - ok;
      return verdict(status, waiting ? `${head}; ${waiting} not asked yet` : head, evidence);
    }
    return verdict(status, `${head}: ${nameList(problems, 2)}`, evidence, {
      fixes: [add && 'dns-add-records', dualStack && 'loadbalancers-dual-stack'],
    });
  },
};

/** The DNS panel's checks, in display order. */
export const DNS_CHECKS: readonly Check[] = [records];
