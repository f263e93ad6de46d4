/**
 * `loadbalancers-dual-stack`: make LoadBalancer Services dual-stack (`RequireDualStack`, both
 * `ipFamilies`), so LB-IPAM lists an IPv4 and an IPv6 address in the status and external-dns
 * publishes both A and AAAA (seed issues 6 and 8). The lasting change is in Git: the values snippet
 * with both addresses in the annotation, a missing one proposed from the allocation scheme.
 */
import type { KubeObject } from '../cluster.js';
import {
  addressProposals,
  ingressAddresses,
  loadBalancerServices,
  requestedAddresses,
  serviceFamilies,
  type AddressProposal,
} from '../checks/loadbalancers.js';
import type { Snapshot } from '../checks/types.js';
import { annotationOf, at, getObject, ipFamily, namespaceOf, refOf, str } from '../checks/util.js';
import type { Config } from '../config/schema.js';
import type { Fix, Plan } from './types.js';
import { count, kubectlCommand, matchesTarget, mergePatch, noPlan, parseTarget, remaining, sendEach, targetOf, waitQuietly } from './util.js';

const TIMEOUT_MS = 2 * 60_000;
const DUAL_POLICIES = new Set(['RequireDualStack', 'PreferDualStack']);

function isDualStack(service: unknown): boolean {
  return DUAL_POLICIES.has(str(at(service, 'spec', 'ipFamilyPolicy')) ?? '') && serviceFamilies(service).length >= 2;
}

/** Both families, the Service's primary one first: the API server refuses to change the primary family. */
function families(service: unknown): string[] {
  const primary = serviceFamilies(service)[0] ?? 'IPv4';
  return primary === 'IPv6' ? ['IPv6', 'IPv4'] : ['IPv4', 'IPv6'];
}

/** The annotation to put in Git: both addresses, the missing one proposed from the scheme (IPv6 first, as the seed writes it). */
function proposal(service: KubeObject, config: Config, proposals: ReadonlyMap<string, AddressProposal | undefined>): { value?: string; added: string[] } {
  const parsed = requestedAddresses(service, config);
  if (parsed.v4.length === 1 && parsed.v6.length === 1 && !parsed.bad.length) return { value: parsed.raw, added: [] };
  const proposed = proposals.get(refOf(service));
  if (!proposed) return { added: [] };
  const added = [proposed.v6, proposed.v4].filter((ip) => !parsed.v4.includes(ip) && !parsed.v6.includes(ip));
  return { value: `${proposed.v6},${proposed.v4}`, added };
}

function valuesSnippet(services: readonly KubeObject[], config: Config, proposals: ReadonlyMap<string, AddressProposal | undefined>): string {
  const hostnameKey = config.dns.hostnameAnnotation;
  const blocks = services.map((svc) => {
    const { value, added } = proposal(svc, config, proposals);
    const hostname = annotationOf(svc, hostnameKey);
    const note = added.length ? `  # ${added.join(', ')} proposed from the allocation scheme (same last part)` : '';
    return [
      `# Service ${refOf(svc)}: its Helm values (or Service manifest) in Git`,
      'service:',
      '  app:',
      '    type: LoadBalancer',
      '    ipFamilyPolicy: RequireDualStack',
      `    ipFamilies: [${families(svc).join(', ')}]`,
      '    annotations:',
      ...(hostname ? [`      ${hostnameKey}: ${hostname}`] : []),
      value
        ? `      ${config.loadbalancers.annotation}: ${value}${note}`
        : `      ${config.loadbalancers.annotation}: ${config.loadbalancers.ipv6Prefix}XXX,${config.loadbalancers.ipv4Prefix}XXX  # no free address in the scheme: pick one`,
    ].join('\n');
  });
  return ['Seed issues 6 and 8: every LoadBalancer needs both families and both addresses.', ...blocks].join('\n\n');
}

function select(snapshot: Snapshot, target: string | undefined): KubeObject[] | string {
  const services = loadBalancerServices(snapshot);
  if (!target) return services.filter((s) => !isDualStack(s));
  const parsed = parseTarget(target);
  const found = services.filter((s) => matchesTarget(parsed, 'services', s));
  if (!found.length) return `no LoadBalancer Service ${target}`;
  const todo = found.filter((s) => !isDualStack(s));
  return todo.length ? todo : `nothing to do: ${refOf(found[0])} is already dual-stack`;
}

const hasBoth = (service: unknown) => {
  const ips = ingressAddresses(service);
  return ips.some((ip) => ipFamily(ip) === 4) && ips.some((ip) => ipFamily(ip) === 6);
};

export const makeDualStack: Fix = {
  id: 'loadbalancers-dual-stack',
  title: 'Make LoadBalancer Services dual-stack',
  dangerous: false,
  panel: 'loadbalancers',
  key: 'd',
  label: 'dual-stack',
  timeoutMs: TIMEOUT_MS,

  targets(snapshot) {
    const services = select(snapshot, undefined);
    return typeof services === 'string' ? [] : services.map((s) => targetOf('services', s));
  },

  plan(snapshot, config, options) {
    const services = select(snapshot, options.target);
    if (typeof services === 'string') return noPlan(services);
    if (!services.length) return noPlan('nothing to do: every LoadBalancer Service is dual-stack');
    const proposals = addressProposals(snapshot, config);
    const requests = services.map((svc) =>
      mergePatch(
        'services',
        namespaceOf(svc),
        svc.metadata.name,
        { spec: { ipFamilyPolicy: 'RequireDualStack', ipFamilies: families(svc) } },
        `make Service ${refOf(svc)} dual-stack (RequireDualStack, ${families(svc).join(' and ')})`,
      ),
    );
    const warnings = ['Git must change too: Flux reapplies the Service from Git and undoes the live change until the values below are there'];
    for (const svc of services) {
      const parsed = requestedAddresses(svc, config);
      const { added } = proposal(svc, config, proposals);
      if (parsed.v4.length === 0 || parsed.v6.length === 0) {
        const missing = parsed.v4.length === 0 ? 'IPv4' : 'IPv6';
        const hint = added.length ? ` (proposed: ${added.join(', ')})` : '';
        warnings.push(`${refOf(svc)}'s annotation has no ${missing} address: LB-IPAM gives it none until the annotation in Git has both${hint}`);
      }
    }
    const details = services.map((svc) => {
      const ingress = ingressAddresses(svc);
      return `${refOf(svc)}: ${str(at(svc, 'spec', 'ipFamilyPolicy')) ?? 'SingleStack'} ${serviceFamilies(svc).join(',')}; annotation ${requestedAddresses(svc, config).raw ?? 'unset'}; status ${ingress.length ? ingress.join(', ') : 'pending'}`;
    });
    const plan: Plan = {
      fixId: 'loadbalancers-dual-stack',
      title: `Make ${count(services.length, 'LoadBalancer Service')} dual-stack`,
      targets: services.map((s) => targetOf('services', s)),
      requests,
      commands: requests.map(kubectlCommand),
      warnings,
      details,
      confirm: { kind: 'yes' },
      gitChange: valuesSnippet(services, config, proposals),
    };
    return plan;
  },

  async run(plan, context) {
    const start = context.now();
    const { sent, errors } = await sendEach(plan.requests, context);
    const read = (snapshot: Snapshot) => sent.map((r) => getObject(snapshot, 'services', r.namespace, r.name));
    context.progress(`waiting for ${count(sent.length, 'Service')} to list both families`);
    const both = await waitQuietly(context, 'both families in the status', remaining(context, start, TIMEOUT_MS), (snapshot) => {
      const services = read(snapshot);
      return services.every(hasBoth) ? services : undefined;
    });
    const services = both ?? read(context.snapshot());
    const lines = services.map((s, i) => {
      const ref = `${sent[i].namespace}/${sent[i].name}`;
      const ips = ingressAddresses(s);
      return { ok: hasBoth(s), line: `${ref}: ${ips.length ? ips.join(', ') : 'pending'}` };
    });
    const good = lines.filter((l) => l.ok);
    const bad = lines.filter((l) => !l.ok);
    const parts = [`${good.length}/${plan.requests.length} Services list IPv4 and IPv6`];
    if (bad.length) parts.push(`not yet: ${bad.map((l) => l.line).join('; ')} (see the annotation in Git)`);
    if (errors.length) parts.push(`${errors.length} failed: ${errors.join('; ')}`);
    return { ok: !bad.length && !errors.length, message: parts.join('; '), details: [...lines.map((l) => l.line), ...errors] };
  },
};
