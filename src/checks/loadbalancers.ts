/**
 * Panel LoadBalancers: the LB-IPAM annotation of every LoadBalancer Service holds one IPv4 and one
 * IPv6 address following the allocation scheme (seed issue 6), each Service got an EXTERNAL-IP, its
 * status has every family asked for (seed issue 8), and no address is claimed twice.
 */
import type { KubeObject } from '../cluster.js';
import type { Config } from '../config/schema.js';
import type { Check, CheckStatus, Evidence, Snapshot } from './types.js';
import {
  annotationOf,
  arr,
  at,
  canonicalIp,
  conditions,
  ipFamily,
  listObjects,
  nameList,
  parseAddressList,
  plural,
  pushTo,
  refOf,
  row,
  str,
  verdict,
  worstOf,
  type ParsedAddresses,
} from './util.js';

/** Services of type LoadBalancer, sorted. */
export function loadBalancerServices(snapshot: Snapshot): KubeObject[] {
  return listObjects(snapshot, 'services').filter((s) => str(at(s, 'spec', 'type')) === 'LoadBalancer');
}

/** The addresses the LB-IPAM annotation asks for; `raw` undefined when there is no annotation. */
export function requestedAddresses(service: unknown, config: Config): ParsedAddresses & { raw?: string } {
  const raw = annotationOf(service, config.loadbalancers.annotation);
  return { ...parseAddressList(raw), raw };
}

/** The IPs in `status.loadBalancer.ingress`. */
export function ingressAddresses(service: unknown): string[] {
  return arr(at(service, 'status', 'loadBalancer', 'ingress'))
    .map((i) => str(at(i, 'ip'))?.trim())
    .filter((ip): ip is string => Boolean(ip));
}

type Family = 'IPv4' | 'IPv6';
const familyOf = (ip: string): Family | undefined => (({ 4: 'IPv4', 6: 'IPv6' }) as const)[ipFamily(ip) as 4 | 6];

function familiesIn(ips: readonly string[]): Set<Family> {
  return new Set(ips.map(familyOf).filter((f): f is Family => f !== undefined));
}

/** The Service's spec.ipFamilies (default IPv4, as a SingleStack Service on an IPv4-first cluster). */
export function serviceFamilies(service: unknown): Family[] {
  const families = arr(at(service, 'spec', 'ipFamilies')).filter((f): f is Family => f === 'IPv4' || f === 'IPv6');
  return families.length ? families : ['IPv4'];
}

function policyOf(service: unknown): string {
  return str(at(service, 'spec', 'ipFamilyPolicy')) ?? 'SingleStack (default)';
}

/** The scheme's host part of an address ("122" of 10.101.27.122), as written. */
function hostPart(address: string, prefix: string): string | undefined {
  return address.toLowerCase().startsWith(prefix.toLowerCase()) ? address.slice(prefix.length) : undefined;
}

function inRange(host: string | undefined, config: Config): boolean {
  if (!host || !/^\d+$/.test(host)) return false;
  const n = Number(host);
  return n >= config.loadbalancers.hostMin && n <= config.loadbalancers.hostMax;
}

/** Every scheme host part already claimed by some annotation. */
export function usedHosts(snapshot: Snapshot, config: Config): Set<string> {
  const { ipv4Prefix, ipv6Prefix } = config.loadbalancers;
  const used = new Set<string>();
  for (const svc of loadBalancerServices(snapshot)) {
    const { v4, v6 } = requestedAddresses(svc, config);
    for (const h of [...v4.map((a) => hostPart(a, ipv4Prefix)), ...v6.map((a) => hostPart(a, ipv6Prefix))]) if (h) used.add(h);
  }
  return used;
}

/** The addresses the scheme proposes for a Service, keeping the one of each family it already has. */
export function proposeAddresses(parsed: ParsedAddresses, config: Config, used: Set<string>): { v6: string; v4: string } | undefined {
  const { ipv4Prefix, ipv6Prefix, hostMin, hostMax } = config.loadbalancers;
  const host =
    [...parsed.v4.map((a) => hostPart(a, ipv4Prefix)), ...parsed.v6.map((a) => hostPart(a, ipv6Prefix))].find((h) => inRange(h, config)) ??
    Array.from({ length: Math.max(0, hostMax - hostMin + 1) }, (_, i) => String(hostMin + i)).find((h) => !used.has(h));
  if (!host) return undefined;
  return {
    v6: parsed.v6.length === 1 ? parsed.v6[0] : `${ipv6Prefix}${host}`,
    v4: parsed.v4.length === 1 ? parsed.v4[0] : `${ipv4Prefix}${host}`,
  };
}

interface AnnotationFinding {
  status: CheckStatus;
  problem?: string;
  /** The annotation value to put in Git. */
  proposal?: string;
}

function judgeAnnotation(parsed: ParsedAddresses & { raw?: string }, config: Config, used: Set<string>): AnnotationFinding {
  const { ipv4Prefix, ipv6Prefix, hostMin, hostMax } = config.loadbalancers;
  const proposed = proposeAddresses(parsed, config, used);
  const proposal = proposed && `${proposed.v6},${proposed.v4}`;
  if (parsed.raw === undefined || parsed.raw.trim() === '') return { status: 'warn', problem: 'no LB-IPAM annotation', proposal };
  if (parsed.bad.length) return { status: 'fail', problem: `not an IP: ${parsed.bad.map((t) => `"${t}"`).join(', ')}`, proposal };
  if (parsed.v4.length !== 1 || parsed.v6.length !== 1) {
    const missing = !proposed ? undefined : parsed.v4.length === 0 ? proposed.v4 : parsed.v6.length === 0 ? proposed.v6 : undefined;
    const add = missing ? `, add ${missing}` : '';
    return { status: 'fail', problem: `${parsed.v4.length} IPv4, ${parsed.v6.length} IPv6 (needs exactly one of each${add})`, proposal };
  }
  const h4 = hostPart(parsed.v4[0], ipv4Prefix);
  const h6 = hostPart(parsed.v6[0], ipv6Prefix);
  if (!inRange(h4, config) || h4 !== h6) {
    return {
      status: 'warn',
      problem: `${parsed.v6[0]},${parsed.v4[0]} does not follow ${ipv6Prefix}N,${ipv4Prefix}N (same N, ${hostMin}-${hostMax})`,
    };
  }
  return { status: 'pass' };
}

function annotationHint(config: Config, proposals: ReadonlyArray<[string, string]>): string {
  return [
    'Seed issue 6: a dual-stack cluster needs both addresses in the annotation. Template (Helm values):',
    'service:',
    '  app:',
    '    type: LoadBalancer',
    '    annotations:',
    `      ${config.loadbalancers.annotation}: ${config.loadbalancers.ipv6Prefix}XXX,${config.loadbalancers.ipv4Prefix}XXX  # BOTH required!`,
    'Proposed values:',
    ...proposals.map(([ref, value]) => `  ${ref}: ${config.loadbalancers.annotation}: ${value}`),
  ].join('\n');
}

const dualStackAnnotation: Check = {
  id: 'loadbalancers.dual-stack-annotation',
  panel: 'loadbalancers',
  title: 'LB-IPAM annotation has one IPv4 and one IPv6',
  inputs: ['services'],
  evaluate(snapshot, config) {
    const services = loadBalancerServices(snapshot);
    const used = usedHosts(snapshot, config);
    const field = `metadata.annotations[${config.loadbalancers.annotation}]`;
    const problems: string[] = [];
    const proposals: Array<[string, string]> = [];
    const evidence = services.map((svc) => {
      const parsed = requestedAddresses(svc, config);
      const finding = judgeAnnotation(parsed, config, used);
      if (finding.problem) problems.push(`${refOf(svc)} ${finding.problem}`);
      if (finding.proposal) proposals.push([refOf(svc), finding.proposal]);
      const value = finding.problem ? `${parsed.raw ?? 'unset'} (${finding.problem})` : (parsed.raw ?? '');
      return row('services', svc, field, value, finding.status);
    });
    if (!services.length) return verdict('pass', 'no LoadBalancer Services', []);
    const status = worstOf(evidence);
    if (!problems.length) return verdict('pass', `${services.length}/${services.length} annotations IPv4+IPv6 in the scheme`, evidence);
    return verdict(status, `${problems.length}/${services.length} annotations not IPv4+IPv6: ${nameList(problems, 2)}`, evidence, {
      gitHint: annotationHint(config, proposals),
    });
  },
};

const IPAM_CONDITIONS = new Set(['cilium.io/IPAMRequestSatisfied', 'io.cilium/lb-ipam-request-satisfied']);

/** Families the annotation asks for that the Service's spec.ipFamilies cannot carry. */
function familiesRefused(service: unknown, config: Config): Family[] {
  const { v4, v6 } = requestedAddresses(service, config);
  const allowed = serviceFamilies(service);
  return [...familiesIn([...v4, ...v6])].filter((f) => !allowed.includes(f));
}

const externalIp: Check = {
  id: 'loadbalancers.external-ip',
  panel: 'loadbalancers',
  title: 'Every LoadBalancer has an EXTERNAL-IP',
  inputs: ['services'],
  evaluate(snapshot, config) {
    const services = loadBalancerServices(snapshot);
    const pending: string[] = [];
    let policyCause = false;
    const evidence: Evidence[] = services.map((svc) => {
      const ingress = ingressAddresses(svc);
      if (ingress.length) return row('services', svc, 'status.loadBalancer.ingress', ingress.join(', '), 'pass');
      const ipam = conditions(svc).find((c) => IPAM_CONDITIONS.has(c.type));
      const refused = familiesRefused(svc, config);
      if (refused.length) policyCause = true;
      const why = [
        ipam && `IPAM ${ipam.reason || ipam.status}${ipam.message ? `: ${ipam.message}` : ''}`,
        refused.length && `annotation asks ${refused.join('+')} but ipFamilies is ${serviceFamilies(svc).join(',')} (${policyOf(svc)})`,
      ].filter(Boolean);
      pending.push(`${refOf(svc)}${why.length ? ` (${why[0]})` : ''}`);
      return row('services', svc, 'status.loadBalancer.ingress', `pending${why.length ? `: ${why.join('; ')}` : ''}`, 'fail');
    });
    if (!pending.length) return verdict('pass', `${services.length}/${services.length} have an EXTERNAL-IP`, evidence);
    return verdict('fail', `${pending.length}/${services.length} EXTERNAL-IP pending: ${nameList(pending, 2)}`, evidence, {
      fixes: [policyCause && 'loadbalancers-dual-stack'],
    });
  },
};

const statusFamilies: Check = {
  id: 'loadbalancers.status-families',
  panel: 'loadbalancers',
  title: 'LoadBalancer status has every family asked for',
  inputs: ['services'],
  evaluate(snapshot, config) {
    const problems: string[] = [];
    let policyCause = false;
    const evidence: Evidence[] = [];
    for (const svc of loadBalancerServices(snapshot)) {
      const { v4, v6 } = requestedAddresses(svc, config);
      const wanted = familiesIn([...v4, ...v6]);
      const ingress = ingressAddresses(svc);
      if (!wanted.size) continue;
      if (!ingress.length) {
        evidence.push(row('services', svc, 'status.loadBalancer.ingress', 'pending (see loadbalancers.external-ip)', 'pending'));
        continue;
      }
      const got = familiesIn(ingress);
      const missing = [...wanted].filter((f) => !got.has(f));
      if (!missing.length) {
        evidence.push(row('services', svc, 'status.loadBalancer.ingress', ingress.join(', '), 'pass'));
        continue;
      }
      const families = serviceFamilies(svc);
      const policy = policyOf(svc);
      const policyBlocks = policy.startsWith('SingleStack') || missing.some((f) => !families.includes(f));
      if (policyBlocks) policyCause = true;
      const cause = policyBlocks
        ? `ipFamilyPolicy ${policy}, ipFamilies ${families.join(',')}`
        : `ipFamilyPolicy ${policy}: is there a Cilium LB-IPAM pool for ${missing.join('/')}?`;
      problems.push(`${refOf(svc)} has no ${missing.join('/')} (${cause})`);
      evidence.push(row('services', svc, 'status.loadBalancer.ingress', `${ingress.join(', ')}; missing ${missing.join(', ')}: ${cause}`, 'fail'));
    }
    if (!problems.length) {
      const checked = evidence.filter((e) => e.status === 'pass').length;
      const summary = checked ? `every annotated family in the status of ${plural(checked, 'LoadBalancer')}` : 'no LoadBalancer status to compare yet';
      return verdict('pass', summary, evidence);
    }
    return verdict('fail', `${problems.length} lack a family in status (external-dns publishes only the status): ${nameList(problems, 2)}`, evidence, {
      fixes: [policyCause && 'loadbalancers-dual-stack'],
    });
  },
};

const addressConflict: Check = {
  id: 'loadbalancers.address-conflict',
  panel: 'loadbalancers',
  title: 'No address claimed by two Services',
  inputs: ['services'],
  evaluate(snapshot, config) {
    const claims = new Map<string, KubeObject[]>();
    for (const svc of loadBalancerServices(snapshot)) {
      const { v4, v6 } = requestedAddresses(svc, config);
      for (const ip of new Set([...v4, ...v6].map(canonicalIp))) pushTo(claims, ip, svc);
    }
    const conflicts = [...claims].filter(([, list]) => list.length > 1);
    const field = `metadata.annotations[${config.loadbalancers.annotation}]`;
    const evidence = [...claims].flatMap(([ip, list]) => list.map((svc) => row('services', svc, field, ip, list.length > 1 ? 'fail' : 'pass')));
    if (!conflicts.length) return verdict('pass', `${plural(claims.size, 'address', 'addresses')} claimed once each`, evidence);
    const described = conflicts.map(([ip, list]) => `${ip} by ${list.map(refOf).join(' and ')}`);
    return verdict('fail', `${plural(conflicts.length, 'address', 'addresses')} claimed twice: ${nameList(described, 2)}`, evidence);
  },
};

/** The LoadBalancers panel's checks, in display order. */
export const LOADBALANCERS_CHECKS: readonly Check[] = [dualStackAnnotation, externalIp, statusFamilies, addressConflict];
