/**
 * Panel LoadBalancers: the LB-IPAM annotation of every LoadBalancer Service holds one IPv4 and one
 * IPv6 address following the allocation scheme (seed issue 6), each Service got an EXTERNAL-IP, its
 * status has every family asked for (seed issue 8), and no address is claimed twice.
 */
import { isIP } from 'node:net';
import type { KubeObject } from '../cluster.js';
import type { Config } from '../config/schema.js';
import type { Check, CheckStatus, Evidence, Snapshot, Verdict } from './types.js';
import {
  annotationOf,
  arr,
  at,
  canonicalIp,
  conditions,
  ipFamily,
  isIpv4Mapped,
  listObjects,
  nameList,
  parseAddressList,
  plural,
  pushTo,
  refOf,
  row,
  sameIp,
  str,
  perObject,
  perItem,
  perRef,
  memoParts,
  refCache,
  verdict,
  type ItemsMemo,
  type PartsMemo,
  worstOf,
  type ParsedAddresses,
} from './util.js';

/** loadBalancerServices' answers by the listing they were filtered from. */
const loadBalancers = new WeakMap<readonly KubeObject[], readonly KubeObject[]>();

/** Services of type LoadBalancer, sorted; one list per snapshot's Services, shared: read it, do not change it. */
export function loadBalancerServices(snapshot: Snapshot): readonly KubeObject[] {
  const services = listObjects(snapshot, 'services');
  let list = loadBalancers.get(services);
  if (!list) {
    const isLb = perItem(lbFlags, services, null, (s) => str(at(s, 'spec', 'type')) === 'LoadBalancer');
    loadBalancers.set(services, (list = services.filter((_, i) => isLb[i])));
  }
  return list;
}

const lbFlags: ItemsMemo<boolean> = {};

type Requested = ParsedAddresses & { raw?: string };

/** Parsed annotations by Service object (an unchanged Service is the same object): parsed once. */
const requested = new WeakMap<object, { annotation: string; addresses: Requested }>();

/**
 * The addresses the LB-IPAM annotation asks for; `raw` undefined when there is no annotation.
 * Shared by every caller for the same Service: read it, do not change it.
 */
export function requestedAddresses(service: unknown, config: Config): Requested {
  const { annotation } = config.loadbalancers;
  const known = typeof service === 'object' && service !== null ? requested.get(service) : undefined;
  if (known?.annotation === annotation) return known.addresses;
  const raw = annotationOf(service, annotation);
  // Why spelled out and not `{ ...parseAddressList(raw), raw }`: V8 gave each object spread that way
  // a map of its own (one per Service: 6,000 at 20,000 objects).
  const { v4, v6, bad } = parseAddressList(raw);
  const addresses = { v4, v6, bad, raw };
  if (typeof service === 'object' && service !== null) requested.set(service, { annotation, addresses });
  return addresses;
}

/** The IPs in `status.loadBalancer.ingress`. */
export function ingressAddresses(service: unknown): string[] {
  return ingressField(service, 'ip');
}

/** The hostnames in `status.loadBalancer.ingress` (a load balancer that gives a name, not an IP). */
export function ingressHostnames(service: unknown): string[] {
  return ingressField(service, 'hostname');
}

function ingressField(service: unknown, field: 'ip' | 'hostname'): string[] {
  return arr(at(service, 'status', 'loadBalancer', 'ingress'))
    .map((i) => str(at(i, field))?.trim())
    .filter((value): value is string => Boolean(value));
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

/**
 * The scheme's host part of an address ("122" of 10.101.27.122 and of fd00:101::1b:122), compared
 * canonically: `FD00:101:0:0:0:0:1B:0122` has host part "122" under the prefix `fd00:101::1b:`.
 */
function hostPart(address: string, prefix: string): string | undefined {
  let known = hostParts.get(prefix);
  if (!known || known.size >= 50_000) hostParts.set(prefix, (known = new Map()));
  if (known.has(address)) return known.get(address);
  const host = findHostPart(address, prefix);
  known.set(address, host);
  return host;
}

/** hostPart's answers by prefix, then address: the same few thousand addresses on every evaluation. */
const hostParts = new Map<string, Map<string, string | undefined>>();

function findHostPart(address: string, prefix: string): string | undefined {
  const canonical = canonicalIp(address);
  if (ipFamily(canonical) === 6 && !isIpv4Mapped(canonical)) {
    // The last group is the host part when the prefix and it spell the same address.
    const last = canonical.slice(canonical.lastIndexOf(':') + 1);
    if (last && sameIp(`${prefix}${last}`, canonical)) return last;
  }
  return canonical.toLowerCase().startsWith(prefix.toLowerCase()) ? canonical.slice(prefix.length) : undefined;
}

function inRange(host: string | undefined, config: Config): boolean {
  if (!host || !/^\d+$/.test(host)) return false;
  const n = Number(host);
  return n >= config.loadbalancers.hostMin && n <= config.loadbalancers.hostMax;
}

/** The allocation scheme in words: "fd00:101::1b:N,10.101.27.N (same N, 100-255)". */
export function schemeText(config: Config): string {
  const { ipv4Prefix, ipv6Prefix, hostMin, hostMax } = config.loadbalancers;
  return `${ipv6Prefix}N,${ipv4Prefix}N (same N, ${hostMin}-${hostMax})`;
}

/** Two addresses of the scheme proposed for one Service's annotation. */
export interface AddressProposal {
  v6: string;
  v4: string;
}

/** True when a Service's annotation is not one IPv4 and one IPv6 address: it needs a proposal. */
function needsProposal(parsed: ParsedAddresses & { raw?: string }): boolean {
  return !parsed.raw?.trim() || parsed.bad.length > 0 || parsed.v4.length !== 1 || parsed.v6.length !== 1 || parsed.v6.some(isIpv4Mapped);
}

/**
 * The addresses the scheme proposes for every LoadBalancer Service whose annotation needs them, keyed
 * `namespace/name` (undefined: the scheme has no free pair left). Decided once per evaluation, in
 * name order, so that the check's hint and the fix's snippet say the same. Never offered: an address
 * another Service claims (in its annotation or its status), a host part such an address uses in
 * either family, or an address already offered to another Service. A Service keeps an address it
 * has when it fits: its own host part when the other family's address is free, or an address
 * outside the scheme's prefix.
 */
export function addressProposals(snapshot: Snapshot, config: Config): Map<string, AddressProposal | undefined> {
  const { ipv4Prefix, ipv6Prefix, hostMin, hostMax } = config.loadbalancers;
  const services = loadBalancerServices(snapshot);
  const proposals = new Map<string, AddressProposal | undefined>();
  // Why first: on a cluster whose annotations are all right (the usual case) nothing needs a proposal,
  // and the claims of every Service need not be gathered on each Service event.
  if (!services.some((svc) => needsProposal(requestedAddresses(svc, config)))) return proposals;
  const owners = new Map<string, Set<string>>();
  const own = (key: string, ref: string) => {
    const set = owners.get(key);
    if (set) set.add(ref);
    else owners.set(key, new Set([ref]));
  };
  const hostOf = (ip: string) => hostPart(ip, ipFamily(ip) === 6 ? ipv6Prefix : ipv4Prefix);
  const claim = (ref: string, ip: string) => {
    for (const key of claimKeys(ip, hostOf)) own(key, ref);
  };
  for (const svc of services) {
    const { ref, keys } = serviceClaims(svc, config, hostOf);
    for (const key of keys) own(key, ref);
  }
  const freeFor = (ref: string, key: string) => [...(owners.get(key) ?? [])].every((owner) => owner === ref);
  for (const svc of services) {
    const parsed = requestedAddresses(svc, config);
    if (!needsProposal(parsed)) continue;
    const ref = refOf(svc);
    const usable = (host: string | undefined): host is string =>
      inRange(host, config) &&
      freeFor(ref, `host:${host}`) &&
      freeFor(ref, `ip:${canonicalIp(`${ipv4Prefix}${host}`)}`) &&
      freeFor(ref, `ip:${canonicalIp(`${ipv6Prefix}${host}`)}`);
    const itsHosts = [...parsed.v4, ...parsed.v6].filter((a) => !isIpv4Mapped(a)).map(hostOf);
    const host = itsHosts.find(usable) ?? Array.from({ length: Math.max(0, hostMax - hostMin + 1) }, (_, i) => String(hostMin + i)).find(usable);
    if (host === undefined) {
      proposals.set(ref, undefined);
      continue;
    }
    const keep = (list: readonly string[]) => {
      if (list.length !== 1 || isIpv4Mapped(list[0]) || !freeFor(ref, `ip:${canonicalIp(list[0])}`)) return undefined;
      const its = hostOf(list[0]);
      return its === host || its === undefined ? list[0] : undefined;
    };
    const proposal = { v6: keep(parsed.v6) ?? `${ipv6Prefix}${host}`, v4: keep(parsed.v4) ?? `${ipv4Prefix}${host}` };
    proposals.set(ref, proposal);
    // Offered: not to be offered to the next Service.
    claim(ref, proposal.v6);
    claim(ref, proposal.v4);
  }
  return proposals;
}

/** The owner keys of one address: the address itself, and its host part where the scheme gives one. */
function claimKeys(ip: string, hostOf: (ip: string) => string | undefined): string[] {
  const host = hostOf(ip);
  return host === undefined ? [`ip:${canonicalIp(ip)}`] : [`ip:${canonicalIp(ip)}`, `host:${host}`];
}

/** A Service's claims by Service object, for the config they were worked out under. */
const claimsOf = new WeakMap<object, { key: unknown; value: { ref: string; keys: string[] } }>();

/**
 * What a Service claims (the addresses its annotation asks for and its status has, and their host
 * parts), worked out once per Service object: an unchanged Service is the same object.
 */
function serviceClaims(svc: KubeObject, config: Config, hostOf: (ip: string) => string | undefined): { ref: string; keys: string[] } {
  return perObject(claimsOf, svc, config.loadbalancers, () => {
    const { v4, v6 } = requestedAddresses(svc, config);
    const keys = [...v4, ...v6, ...ingressAddresses(svc)].filter((ip) => ipFamily(ip)).flatMap((ip) => claimKeys(ip, hostOf));
    return { ref: refOf(svc), keys };
  });
}

/** The three ways an annotation falls short, told apart in the summary and the evidence. */
type AnnotationProblem = 'bad' | 'outside-scheme' | 'none';

interface AnnotationFinding {
  status: CheckStatus;
  kind?: AnnotationProblem;
  problem?: string;
  /** The annotation value to put in Git. */
  proposal?: string;
}

/**
 * (a) bad: a token that is not an address, an IPv4-mapped IPv6 address, one family only or two of a
 * family: LB-IPAM cannot give the Service both families (fail); (b) a valid IPv4+IPv6 pair outside the
 * allocation scheme: it works, but breaks the convention (warn, with the scheme); (c) no annotation:
 * LB-IPAM picks any address of its pools (warn).
 */
function judgeAnnotation(parsed: ParsedAddresses & { raw?: string }, config: Config, proposed: AddressProposal | undefined): AnnotationFinding {
  const { ipv4Prefix, ipv6Prefix } = config.loadbalancers;
  const proposal = proposed && `${proposed.v6},${proposed.v4}`;
  if (parsed.raw === undefined || parsed.raw.trim() === '') return { status: 'warn', kind: 'none', problem: 'no LB-IPAM annotation', proposal };
  if (parsed.bad.length) {
    // A scoped address ("fe80::1%eth0") names one host's interface: no Service can have it.
    const named = parsed.bad.map((t) => (t.includes('%') && isIP(t) ? `"${t}" (scoped to an interface: drop ${t.slice(t.indexOf('%'))})` : `"${t}"`));
    return { status: 'fail', kind: 'bad', problem: `not an IP: ${named.join(', ')}`, proposal };
  }
  const mapped = parsed.v6.filter(isIpv4Mapped);
  if (mapped.length) {
    const plain = mapped.map((a) => canonicalIp(a).replace(/^::ffff:/, '')).join(', ');
    return { status: 'fail', kind: 'bad', problem: `${mapped.join(', ')} is IPv4 written as IPv6 (write ${plain})`, proposal };
  }
  if (parsed.v4.length !== 1 || parsed.v6.length !== 1) {
    const missing = !proposed ? undefined : parsed.v4.length === 0 ? proposed.v4 : parsed.v6.length === 0 ? proposed.v6 : undefined;
    const add = missing ? `, add ${missing}` : '';
    return { status: 'fail', kind: 'bad', problem: `${parsed.v4.length} IPv4, ${parsed.v6.length} IPv6 (needs exactly one of each${add})`, proposal };
  }
  const h4 = hostPart(parsed.v4[0], ipv4Prefix);
  const h6 = hostPart(parsed.v6[0], ipv6Prefix);
  if (!inRange(h4, config) || h4 !== h6) {
    return { status: 'warn', kind: 'outside-scheme', problem: `valid IPv4+IPv6, outside the scheme ${schemeText(config)}` };
  }
  return { status: 'pass' };
}

/** Each Service's annotation finding and evidence row, with what they were judged under. */
const annotationRows = new WeakMap<object, { scheme: Config['loadbalancers']; proposal?: string; finding: AnnotationFinding; evidence: Evidence }>();

/**
 * One Service's annotation finding and evidence row, judged once per Service object and proposal:
 * an unchanged Service keeps its very row, so the result compares equal at a glance.
 */
function annotationRow(
  svc: KubeObject,
  config: Config,
  proposed: AddressProposal | undefined,
  field: string,
): { finding: AnnotationFinding; evidence: Evidence } {
  const proposal = proposed && `${proposed.v6},${proposed.v4}`;
  const known = annotationRows.get(svc);
  if (known && known.scheme === config.loadbalancers && known.proposal === proposal) return known;
  const parsed = requestedAddresses(svc, config);
  const finding = judgeAnnotation(parsed, config, proposed);
  const value = finding.problem ? `${parsed.raw ?? 'unset'} (${finding.problem})` : (parsed.raw ?? '');
  const judged = { scheme: config.loadbalancers, proposal, finding, evidence: row('services', svc, field, value, finding.status) };
  annotationRows.set(svc, judged);
  return judged;
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
  scope: 'spec',
  inputs: ['services'],
  evaluate(snapshot, config) {
    const services = loadBalancerServices(snapshot);
    // What the verdict reads of each Service: its annotation and its addresses (the proposals avoid them).
    const facts = perItem(annotationFactsList, services, config.loadbalancers, (svc) => annotationFacts(svc, config));
    return memoParts(annotationMemo, [config.loadbalancers, facts], () => judgeAnnotations(snapshot, config, services));
  },
};

/** What loadbalancers.dual-stack-annotation reads of one Service, the same value while that is unchanged. */
const annotationFactsOf = refCache<{ raw?: string; ingress: string[] }>();

function annotationFacts(svc: KubeObject, config: Config): { raw?: string; ingress: string[] } {
  return perRef(annotationFactsOf, svc, config.loadbalancers, () => ({
    raw: annotationOf(svc, config.loadbalancers.annotation),
    ingress: ingressAddresses(svc),
  }));
}

const annotationFactsList: ItemsMemo<{ raw?: string; ingress: string[] }> = {};
const annotationMemo: PartsMemo<Verdict> = {};

function judgeAnnotations(snapshot: Snapshot, config: Config, services: readonly KubeObject[]): Verdict {
  const proposed = addressProposals(snapshot, config);
  const field = `metadata.annotations[${config.loadbalancers.annotation}]`;
  const found: Record<AnnotationProblem, string[]> = { bad: [], 'outside-scheme': [], none: [] };
  const proposals: Array<[string, string]> = [];
  const evidence = services.map((svc) => {
    const { finding, evidence } = annotationRow(svc, config, proposed.get(refOf(svc)), field);
    if (finding.kind) found[finding.kind].push(finding.kind === 'bad' ? `${refOf(svc)} ${finding.problem}` : refOf(svc));
    if (finding.proposal) proposals.push([refOf(svc), finding.proposal]);
    return evidence;
  });
  if (!services.length) return verdict('pass', 'no LoadBalancer Services', []);
  const n = services.length;
  const { bad, none } = found;
  const outside = found['outside-scheme'];
  if (!bad.length && !outside.length && !none.length) return verdict('pass', `${n}/${n} annotations IPv4+IPv6 in the scheme`, evidence);
  // Worst first, each case in its own words: a bad annotation breaks dual-stack; the other two do not.
  const parts = [
    bad.length && `${bad.length}/${n} annotations not one IPv4 + one IPv6: ${nameList(bad, 2)}`,
    outside.length && `${outside.length}/${n} outside the scheme ${schemeText(config)}: ${nameList(outside, 2)}`,
    none.length && `${none.length}/${n} without annotation: ${nameList(none, 2)}`,
  ].filter(Boolean);
  return verdict(worstOf(evidence), parts.join('; '), evidence, {
    gitHint: annotationHint(config, proposals),
  });
}

const IPAM_CONDITIONS = new Set(['cilium.io/IPAMRequestSatisfied', 'io.cilium/lb-ipam-request-satisfied']);

/** Families the annotation asks for that the Service's spec.ipFamilies cannot carry. */
function familiesRefused(service: unknown, config: Config): Family[] {
  const { v4, v6 } = requestedAddresses(service, config);
  const allowed = serviceFamilies(service);
  return [...familiesIn([...v4, ...v6])].filter((f) => !allowed.includes(f));
}

/** One Service's part of loadbalancers.external-ip: its row, and what it adds to the summary. */
interface ExternalIpFinding {
  evidence: Evidence;
  pending?: string;
  policyCause?: boolean;
}

const externalIpFindings = refCache<ExternalIpFinding>();
const externalIpList: ItemsMemo<ExternalIpFinding> = {};
const externalIpMemo: PartsMemo<Verdict> = {};

/** judgeExternalIp, once per Service object: an unchanged Service keeps its very row. */
function externalIpFinding(svc: KubeObject, config: Config): ExternalIpFinding {
  return perRef(externalIpFindings, svc, config.loadbalancers, () => judgeExternalIp(svc, config));
}

function judgeExternalIp(svc: KubeObject, config: Config): ExternalIpFinding {
  // An IP or a hostname: either is the external address kubectl shows as EXTERNAL-IP.
  const ingress = [...ingressAddresses(svc), ...ingressHostnames(svc)];
  if (ingress.length) return { evidence: row('services', svc, 'status.loadBalancer.ingress', ingress.join(', '), 'pass') };
  const ipam = conditions(svc).find((c) => IPAM_CONDITIONS.has(c.type));
  const refused = familiesRefused(svc, config);
  const why = [
    ipam && `IPAM ${ipam.reason || ipam.status}${ipam.message ? `: ${ipam.message}` : ''}`,
    refused.length && `annotation asks ${refused.join('+')} but ipFamilies is ${serviceFamilies(svc).join(',')} (${policyOf(svc)})`,
  ].filter(Boolean);
  return {
    pending: `${refOf(svc)}${why.length ? ` (${why[0]})` : ''}`,
    policyCause: refused.length > 0,
    evidence: row('services', svc, 'status.loadBalancer.ingress', `pending${why.length ? `: ${why.join('; ')}` : ''}`, 'fail'),
  };
}

const externalIp: Check = {
  id: 'loadbalancers.external-ip',
  panel: 'loadbalancers',
  title: 'Every LoadBalancer has an EXTERNAL-IP',
  scope: 'status',
  inputs: ['services'],
  evaluate(snapshot, config) {
    const services = loadBalancerServices(snapshot);
    const findings = perItem(externalIpList, services, config.loadbalancers, (svc) => externalIpFinding(svc, config));
    return memoParts(externalIpMemo, [config.loadbalancers, findings], () => judgeExternalIps(findings));
  },
};

function judgeExternalIps(findings: readonly ExternalIpFinding[]): Verdict {
  const pending: string[] = [];
  let policyCause = false;
  const evidence: Evidence[] = findings.map((finding) => {
    if (finding.pending) pending.push(finding.pending);
    if (finding.policyCause) policyCause = true;
    return finding.evidence;
  });
  if (!pending.length) return verdict('pass', `${findings.length}/${findings.length} have an EXTERNAL-IP`, evidence);
  return verdict('fail', `${pending.length}/${findings.length} EXTERNAL-IP pending: ${nameList(pending, 2)}`, evidence, {
    fixes: [policyCause && 'loadbalancers-dual-stack'],
  });
}

/** One Service's part of loadbalancers.status-families: its row, and what it adds to the summary. */
interface FamiliesFinding {
  evidence?: Evidence;
  problem?: string;
  differ?: string;
  policyCause?: boolean;
}

const familiesFindings = refCache<FamiliesFinding>();
const familiesList: ItemsMemo<FamiliesFinding> = {};
const familiesMemo: PartsMemo<Verdict> = {};

/** judgeFamilies, once per Service object: an unchanged Service keeps its very row. */
function familiesFinding(svc: KubeObject, config: Config): FamiliesFinding {
  return perRef(familiesFindings, svc, config.loadbalancers, () => judgeFamilies(svc, config));
}

function judgeFamilies(svc: KubeObject, config: Config): FamiliesFinding {
  const { v4, v6 } = requestedAddresses(svc, config);
  const wanted = familiesIn([...v4, ...v6]);
  const ingress = ingressAddresses(svc);
  if (!wanted.size) return {};
  if (!ingress.length) {
    const hostnames = ingressHostnames(svc);
    if (!hostnames.length) return { evidence: row('services', svc, 'status.loadBalancer.ingress', 'pending (see loadbalancers.external-ip)', 'pending') };
    // A load balancer that answers with a name: not LB-IPAM's addresses, whatever the annotation asks.
    const value = `hostname ${hostnames.join(', ')} only; the annotation asks ${[...v4, ...v6].join(', ')} (another load balancer answered, not LB-IPAM)`;
    return {
      differ: `${refOf(svc)} has hostname ${hostnames.join(', ')}, not ${[...v4, ...v6].join(', ')}`,
      evidence: row('services', svc, 'status.loadBalancer.ingress', value, 'warn'),
    };
  }
  const got = familiesIn(ingress);
  const missing = [...wanted].filter((f) => !got.has(f));
  if (!missing.length) {
    // Every family is there: the addresses should be the ones asked for (compared canonically).
    const other = [...v4, ...v6].filter((ip) => !ingress.some((have) => sameIp(have, ip)));
    if (!other.length) return { evidence: row('services', svc, 'status.loadBalancer.ingress', ingress.join(', '), 'pass') };
    const text = `${ingress.join(', ')}; the annotation asks ${other.join(', ')}`;
    return {
      differ: `${refOf(svc)} has ${ingress.join(', ')}, not ${other.join(', ')}`,
      evidence: row('services', svc, 'status.loadBalancer.ingress', `${text} (LB-IPAM has not applied the annotation)`, 'warn'),
    };
  }
  const families = serviceFamilies(svc);
  const policy = policyOf(svc);
  const policyBlocks = policy.startsWith('SingleStack') || missing.some((f) => !families.includes(f));
  const cause = policyBlocks
    ? `ipFamilyPolicy ${policy}, ipFamilies ${families.join(',')}`
    : `ipFamilyPolicy ${policy}: is there a Cilium LB-IPAM pool for ${missing.join('/')}?`;
  return {
    policyCause: policyBlocks,
    problem: `${refOf(svc)} has no ${missing.join('/')} (${cause})`,
    evidence: row('services', svc, 'status.loadBalancer.ingress', `${ingress.join(', ')}; missing ${missing.join(', ')}: ${cause}`, 'fail'),
  };
}

const statusFamilies: Check = {
  id: 'loadbalancers.status-families',
  panel: 'loadbalancers',
  title: 'LoadBalancer status has every family asked for',
  scope: 'status',
  inputs: ['services'],
  evaluate(snapshot, config) {
    const findings = perItem(familiesList, loadBalancerServices(snapshot), config.loadbalancers, (svc) => familiesFinding(svc, config));
    return memoParts(familiesMemo, [config.loadbalancers, findings], () => judgeAllFamilies(findings));
  },
};

function judgeAllFamilies(findings: readonly FamiliesFinding[]): Verdict {
  const problems: string[] = [];
  const differ: string[] = [];
  let policyCause = false;
  const evidence: Evidence[] = [];
  for (const finding of findings) {
    if (finding.evidence) evidence.push(finding.evidence);
    if (finding.differ) differ.push(finding.differ);
    if (finding.problem) problems.push(finding.problem);
    if (finding.policyCause) policyCause = true;
  }
  const differs = differ.length ? `${differ.length} with other addresses than the annotation asks: ${nameList(differ, 2)}` : '';
  if (!problems.length) {
    if (differs) return verdict('warn', differs, evidence);
    const checked = evidence.filter((e) => e.status === 'pass').length;
    const summary = checked ? `every annotated family in the status of ${plural(checked, 'LoadBalancer')}` : 'no LoadBalancer status to compare yet';
    return verdict('pass', summary, evidence);
  }
  const lack = `${problems.length} lack a family in status (external-dns publishes only the status): ${nameList(problems, 2)}`;
  return verdict('fail', [lack, differs].filter(Boolean).join('; '), evidence, {
    fixes: [policyCause && 'loadbalancers-dual-stack'],
  });
}

/** The canonical addresses a Service's annotation claims, by Service object (an unchanged Service is the same object). */
const claimedIps = refCache<string[]>();
const claimedList: ItemsMemo<string[]> = {};
const conflictMemo: PartsMemo<Verdict> = {};

function claimedBy(svc: KubeObject, config: Config): string[] {
  return perRef(claimedIps, svc, config.loadbalancers, () => {
    const { v4, v6 } = requestedAddresses(svc, config);
    return [...new Set([...v4, ...v6].map(canonicalIp))];
  });
}

/** address-conflict's rows by Service object, then field, address and status: a Service keeps its very rows. */
const conflictRows = new WeakMap<object, Map<string, Evidence>>();

function conflictRow(svc: KubeObject, field: string, ip: string, status: CheckStatus): Evidence {
  let rows = conflictRows.get(svc);
  if (!rows) conflictRows.set(svc, (rows = new Map()));
  const key = `${field}\u0000${ip}\u0000${status}`;
  let known = rows.get(key);
  if (!known) rows.set(key, (known = row('services', svc, field, ip, status)));
  return known;
}

const addressConflict: Check = {
  id: 'loadbalancers.address-conflict',
  panel: 'loadbalancers',
  title: 'No address claimed by two Services',
  scope: 'spec',
  inputs: ['services'],
  evaluate(snapshot, config) {
    const services = loadBalancerServices(snapshot);
    const claimed = perItem(claimedList, services, config.loadbalancers, (svc) => claimedBy(svc, config));
    return memoParts(conflictMemo, [config.loadbalancers, claimed], () => judgeConflicts(config, services, claimed));
  },
};

function judgeConflicts(config: Config, services: readonly KubeObject[], claimed: readonly string[][]): Verdict {
  const claims = new Map<string, KubeObject[]>();
  services.forEach((svc, i) => {
    for (const ip of claimed[i]) pushTo(claims, ip, svc);
  });
  const conflicts = [...claims].filter(([, list]) => list.length > 1);
  const field = `metadata.annotations[${config.loadbalancers.annotation}]`;
  const evidence = [...claims].flatMap(([ip, list]) => list.map((svc) => conflictRow(svc, field, ip, list.length > 1 ? 'fail' : 'pass')));
  if (!conflicts.length) return verdict('pass', `${plural(claims.size, 'address', 'addresses')} claimed once each`, evidence);
  const described = conflicts.map(([ip, list]) => `${ip} by ${list.map(refOf).join(' and ')}`);
  return verdict('fail', `${plural(conflicts.length, 'address', 'addresses')} claimed twice: ${nameList(described, 2)}`, evidence);
}

/** The LoadBalancers panel's checks, in display order. */
export const LOADBALANCERS_CHECKS: readonly Check[] = [dualStackAnnotation, externalIp, statusFamilies, addressConflict];
