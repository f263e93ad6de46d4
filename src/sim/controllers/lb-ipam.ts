/**
 * Cilium LB-IPAM: every LoadBalancer Service gets the addresses its `lbipam.cilium.io/ips`
 * annotation asks for, as far as its IP families allow (seed issues 6 and 8; reference/facts.md):
 * SingleStack carries only the family of `ipFamilies[0]`, so an IPv6-only annotation on an IPv4
 * Service stays pending (`no_pool`) and a dual annotation shows one family; PreferDualStack and
 * RequireDualStack carry one entry per family the annotation holds. Re-evaluated on every change
 * of a Service, so the `loadbalancers-dual-stack` fix shows both families. Services without the
 * annotation are left alone (pools are not simulated).
 */
import type { KubeObject } from '../../cluster.js';
import { canonicalIp, parseAddressList } from '../../checks/util.js';
import type { ConditionSpec } from '../flux-status.js';
import type { Controller, ControllerContext } from './types.js';
import { conditionsOf, patchStatus, refOf, SECOND, setConditions } from './util.js';

export const LB_IPAM_TIMINGS = {
  /** From a Service change to its status. */
  assignMs: 1 * SECOND,
} as const;

const CONDITION_TYPES = ['cilium.io/IPAMRequestSatisfied', 'io.cilium/lb-ipam-request-satisfied'];
/** The older annotation, still honoured by Cilium. */
const LEGACY_ANNOTATION = 'io.cilium/lb-ipam-ips';

type Family = 'IPv4' | 'IPv6';
const familyOf = (ip: string): Family => (ip.includes(':') ? 'IPv6' : 'IPv4');

interface Assignment {
  ips: string[];
  condition: ConditionSpec;
}

const isLoadBalancer = (svc: KubeObject): boolean =>
  svc.spec?.type === 'LoadBalancer' && (!svc.spec?.loadBalancerClass || String(svc.spec.loadBalancerClass).startsWith('io.cilium/'));

const ingressIps = (svc: KubeObject): string[] =>
  (Array.isArray(svc.status?.loadBalancer?.ingress) ? svc.status.loadBalancer.ingress : [])
    .map((e: any) => e?.ip)
    .filter((ip: unknown): ip is string => typeof ip === 'string');

/** Deterministic order for claims on one address: older Services first. */
const byAge = (a: KubeObject, b: KubeObject): number =>
  String(a.metadata.creationTimestamp ?? '').localeCompare(String(b.metadata.creationTimestamp ?? '')) || refOf(a).localeCompare(refOf(b));

export function lbIpamController(ctx: ControllerContext): Controller {
  function annotationOf(svc: KubeObject): string | undefined {
    return svc.metadata.annotations?.[ctx.config.loadbalancers.annotation] ?? svc.metadata.annotations?.[LEGACY_ANNOTATION];
  }

  /** What LB-IPAM assigns the Service now, or undefined when it does not manage it. */
  function assignment(svc: KubeObject): Assignment | undefined {
    const raw = annotationOf(svc);
    if (!isLoadBalancer(svc) || raw === undefined || !raw.trim()) return undefined;
    const parsed = parseAddressList(raw);
    const families: Family[] = (Array.isArray(svc.spec?.ipFamilies) && svc.spec.ipFamilies.length ? svc.spec.ipFamilies : ['IPv4']).filter(
      (f: unknown): f is Family => f === 'IPv4' || f === 'IPv6',
    );
    const policy: string = svc.spec?.ipFamilyPolicy ?? 'SingleStack';
    const allowed: Family[] = policy === 'SingleStack' ? families.slice(0, 1) : [...new Set<Family>([...families, 'IPv4', 'IPv6'])];
    const wanted = allowed.flatMap((family) => [...parsed.v4, ...parsed.v6].filter((ip) => familyOf(ip) === family).slice(0, 1));
    if (!wanted.length) {
      return {
        ips: [],
        condition: {
          type: CONDITION_TYPES[0],
          status: 'False',
          reason: 'no_pool',
          message: 'There are no enabled CiliumLoadBalancerIPPools that match this service',
        },
      };
    }
    // An address another (older) Service already holds is not given twice.
    const taken = new Set<string>();
    for (const other of ctx.cache.list('services').filter(isLoadBalancer).sort(byAge)) {
      if (refOf(other) === refOf(svc)) break;
      for (const ip of ingressIps(other)) taken.add(canonicalIp(ip));
    }
    const ips = wanted.filter((ip) => !taken.has(canonicalIp(ip)));
    if (!ips.length) {
      return {
        ips,
        condition: { type: CONDITION_TYPES[0], status: 'False', reason: 'already_allocated', message: `The IPs ${wanted.join(', ')} are already allocated` },
      };
    }
    return { ips, condition: { type: CONDITION_TYPES[0], status: 'True', reason: 'satisfied', message: '' } };
  }

  function differs(svc: KubeObject, wanted: Assignment): boolean {
    const have = ingressIps(svc).map(canonicalIp).sort();
    const want = wanted.ips.map(canonicalIp).sort();
    if (have.join(',') !== want.join(',')) return true;
    const c = conditionsOf(svc).find((x) => CONDITION_TYPES.includes(x.type));
    return c?.status !== wanted.condition.status || c.reason !== wanted.condition.reason;
  }

  function consider(svc: KubeObject): void {
    const wanted = assignment(svc);
    if (!wanted || !differs(svc, wanted)) return;
    const { namespace, name } = svc.metadata;
    ctx.once(
      `lbipam/${refOf(svc)}`,
      LB_IPAM_TIMINGS.assignMs,
      () => assign(namespace, name),
      () => {
        const latest = ctx.cache.get('services', namespace, name);
        if (latest) consider(latest);
      },
    );
  }

  async function assign(namespace: string | undefined, name: string): Promise<void> {
    const svc = ctx.cache.get('services', namespace, name);
    const wanted = svc && assignment(svc);
    if (!svc || !wanted || !differs(svc, wanted)) return;
    const previous = conditionsOf(svc);
    // Keep the spelling this Cilium version already writes.
    const type = previous.find((c) => CONDITION_TYPES.includes(c.type))?.type ?? CONDITION_TYPES[0];
    await patchStatus(ctx, 'services', namespace, name, {
      loadBalancer: { ingress: wanted.ips.length ? wanted.ips.map((ip) => ({ ip, ipMode: 'VIP' })) : null },
      conditions: setConditions(previous, [{ ...wanted.condition, type }], ctx.now()),
    });
    ctx.log(`lb-ipam: Service ${refOf(svc)} ${wanted.ips.length ? wanted.ips.join(', ') : `pending (${wanted.condition.reason})`}`);
  }

  return {
    name: 'lb-ipam',
    kinds: ['services'],
    changed(_kind, object, type) {
      if (type === 'DELETED') {
        // A freed address may be what a younger Service waits for.
        for (const svc of ctx.cache.list('services')) consider(svc);
        return;
      }
      consider(object);
    },
  };
}
