/**
 * Cilium's operator and its Gateway API controller (seed issue 7): the operator runs, but its
 * Gateway controller is stuck and never writes a Gateway status, until the operator is restarted.
 * A rollout of kube-system/cilium-operator (any spec change, such as kubectl's `restartedAt`
 * annotation) goes through the Deployment status a real rollout shows over about 30 scenario
 * seconds; then the Gateways are programmed: Accepted and Programmed True, `status.addresses` from
 * the Gateway's LB-IPAM annotation (spec.infrastructure) or else from the allocation scheme, and the
 * HTTPRoutes attached to them accepted, so external-dns can publish their hostnames.
 */
import type { KubeObject } from '../../cluster.js';
import { parseAddressList, canonicalIp } from '../../checks/util.js';
import { fakeSuffix } from '../builders.js';
import type { Condition, ConditionSpec } from '../flux-status.js';
import { timestamp } from '../object-store.js';
import type { Controller, ControllerContext } from './types.js';
import { conditionOf, conditionsOf, parseRef, patchStatus, refOf, SECOND, setConditions } from './util.js';

export const CILIUM_TIMINGS = {
  /** Rollout steps: the first new pod, the second, all available. */
  rolloutStepsMs: [2 * SECOND, 15 * SECOND, 30 * SECOND],
  /** From the restarted operator being available to the Gateways programmed. */
  programMs: 3 * SECOND,
} as const;

const GATEWAY_CLASS = 'cilium';
const CONTROLLER_NAME = 'io.cilium/gateway-controller';
const GATEWAY_GROUP = 'gateway.networking.k8s.io';

const gatewayConditions = (): ConditionSpec[] => [
  { type: 'Accepted', status: 'True', reason: 'Accepted', message: 'Gateway successfully scheduled' },
  { type: 'Programmed', status: 'True', reason: 'Programmed', message: 'Gateway successfully reconciled' },
];
const listenerConditions = (): ConditionSpec[] => [
  { type: 'Accepted', status: 'True', reason: 'Accepted', message: 'Listener accepted' },
  { type: 'Programmed', status: 'True', reason: 'Programmed', message: 'Listener programmed' },
  { type: 'ResolvedRefs', status: 'True', reason: 'ResolvedRefs', message: 'Resolved Refs' },
];
const routeConditions = (): ConditionSpec[] => [
  { type: 'Accepted', status: 'True', reason: 'Accepted', message: 'Accepted HTTPRoute' },
  { type: 'ResolvedRefs', status: 'True', reason: 'ResolvedRefs', message: 'Service reference is valid' },
];

const isCilium = (gateway: KubeObject): boolean => gateway.spec?.gatewayClassName === GATEWAY_CLASS;
const programmed = (gateway: KubeObject): boolean => conditionOf(gateway, 'Programmed')?.status === 'True';

/** The route's parentRefs that name `gateway`. */
function refsTo(route: KubeObject, gateway: KubeObject): any[] {
  const refs: any[] = Array.isArray(route.spec?.parentRefs) ? route.spec.parentRefs : [];
  return refs.filter(
    (p) =>
      (p.kind ?? 'Gateway') === 'Gateway' &&
      (p.group ?? GATEWAY_GROUP) === GATEWAY_GROUP &&
      p.name === gateway.metadata.name &&
      (p.namespace ?? route.metadata.namespace) === gateway.metadata.namespace,
  );
}

export function ciliumController(ctx: ControllerContext): Controller {
  const operator = parseRef(ctx.config.gateways.ciliumOperator);
  /** Seed issue 7: the Gateway controller of the running operator is stuck until a restart. */
  let gatewayControllerWorks = false;
  let rolling = false;

  const isOperator = (d: KubeObject) => d.metadata.namespace === operator.namespace && d.metadata.name === operator.name;

  // ----- the rollout

  function considerOperator(deployment: KubeObject): void {
    const generation = deployment.metadata.generation ?? 1;
    if (rolling || (deployment.status?.observedGeneration ?? 0) >= generation) return;
    rolling = true;
    const { namespace, name } = deployment.metadata;
    const template = deployment.spec?.template?.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt'] ?? String(generation);
    const rs = `${name}-${fakeSuffix(`${name}/${template}`, 10).toLowerCase()}`;
    const replicas: number = deployment.spec?.replicas ?? 1;
    const [first, second, done] = CILIUM_TIMINGS.rolloutStepsMs;
    ctx.log(`cilium: rolling out Deployment ${refOf(deployment)} (generation ${generation})`);
    const step = (ms: number, status: (current: KubeObject) => Record<string, unknown>, then?: () => void) =>
      ctx.after(ms, () => {
        const current = ctx.cache.get('deployments', namespace, name);
        if (!current || ctx.stopped) {
          rolling = false;
          return;
        }
        ctx.cluster
          .patch('deployments', namespace, name, [{ op: 'add', path: '/status', value: status(current) }], 'json', { subresource: 'status' })
          .then(() => then?.())
          .catch((error) => {
            rolling = false;
            ctx.log(`cilium: Deployment ${namespace}/${name}: ${(error as Error).message}`);
          });
      });
    const progressing = (current: KubeObject, updated: number, available: number, surge: number) => ({
      observedGeneration: generation,
      replicas: replicas + surge,
      updatedReplicas: updated,
      readyReplicas: available,
      availableReplicas: available,
      ...(replicas + surge - available > 0 ? { unavailableReplicas: replicas + surge - available } : {}),
      conditions: deploymentConditions(current, [
        available >= replicas
          ? { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' }
          : { type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable', message: 'Deployment does not have minimum availability.' },
        { type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated', message: `ReplicaSet "${rs}" is progressing.` },
      ]),
    });
    // maxSurge 25% (one pod), maxUnavailable 25% (none of two): one new pod at a time.
    step(first, (c) => progressing(c, 1, replicas, 1));
    step(second, (c) => progressing(c, Math.min(2, replicas), replicas, replicas > 1 ? 1 : 0));
    step(
      done,
      (c) => ({
        observedGeneration: generation,
        replicas,
        updatedReplicas: replicas,
        readyReplicas: replicas,
        availableReplicas: replicas,
        conditions: deploymentConditions(c, [
          { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' },
          { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', message: `ReplicaSet "${rs}" has successfully progressed.` },
        ]),
      }),
      () => {
        rolling = false;
        ctx.log(`cilium: Deployment ${namespace}/${name} rolled out`);
        gatewayControllerWorks = true;
        ctx.after(CILIUM_TIMINGS.programMs, () => {
          for (const gateway of ctx.cache.list('gateways')) considerGateway(gateway, 0);
        });
        const latest = ctx.cache.get('deployments', namespace, name);
        if (latest) considerOperator(latest);
      },
    );
  }

  function deploymentConditions(current: KubeObject, specs: Array<ConditionSpec>): Condition[] {
    const now = timestamp(ctx.now());
    return specs.map((spec) => {
      const before = conditionOf(current, spec.type) as (Condition & { lastUpdateTime?: string }) | undefined;
      const lastTransitionTime = before && before.status === spec.status ? before.lastTransitionTime : now;
      return { ...spec, lastUpdateTime: now, lastTransitionTime } as Condition;
    });
  }

  // ----- the Gateways

  /** Hosts of the scheme already taken by a LoadBalancer Service or another Gateway. */
  function usedAddresses(except: KubeObject): Set<string> {
    const used = new Set<string>();
    for (const svc of ctx.cache.list('services')) {
      const parsed = parseAddressList(svc.metadata.annotations?.[ctx.config.loadbalancers.annotation]);
      for (const ip of [...parsed.v4, ...parsed.v6]) used.add(canonicalIp(ip));
      for (const entry of svc.status?.loadBalancer?.ingress ?? []) if (entry?.ip) used.add(canonicalIp(entry.ip));
    }
    for (const gw of ctx.cache.list('gateways')) {
      if (gw.metadata.uid === except.metadata.uid && refOf(gw) === refOf(except)) continue;
      for (const ip of requestedAddresses(gw)) used.add(canonicalIp(ip));
      for (const a of gw.status?.addresses ?? []) if (a?.value) used.add(canonicalIp(a.value));
    }
    return used;
  }

  /** What the Gateway asks for: its infrastructure LB-IPAM annotation, and spec.addresses of type IPAddress. */
  function requestedAddresses(gateway: KubeObject): string[] {
    const annotated = parseAddressList(gateway.spec?.infrastructure?.annotations?.[ctx.config.loadbalancers.annotation]);
    const specified = (Array.isArray(gateway.spec?.addresses) ? gateway.spec.addresses : [])
      .filter((a: any) => (a?.type ?? 'IPAddress') === 'IPAddress' && typeof a.value === 'string')
      .map((a: any) => a.value as string);
    const parsed = parseAddressList([...annotated.v4, ...annotated.v6, ...specified].join(','));
    return [...parsed.v4.slice(0, 1), ...parsed.v6.slice(0, 1)];
  }

  /** One IPv4 and one IPv6 address for the Gateway's LoadBalancer: as requested, else the first free host of the scheme. */
  function addressesFor(gateway: KubeObject): string[] {
    const requested = requestedAddresses(gateway);
    const v4 = requested.filter((ip) => !ip.includes(':'));
    const v6 = requested.filter((ip) => ip.includes(':'));
    if (v4.length && v6.length) return [...v4, ...v6];
    const { ipv4Prefix, ipv6Prefix, hostMin, hostMax } = ctx.config.loadbalancers;
    const used = usedAddresses(gateway);
    for (let host = hostMin; host <= hostMax; host++) {
      const a = `${ipv4Prefix}${host}`;
      const aaaa = `${ipv6Prefix}${host}`;
      if ((!v4.length && used.has(canonicalIp(a))) || (!v6.length && used.has(canonicalIp(aaaa)))) continue;
      return [v4[0] ?? a, v6[0] ?? aaaa];
    }
    return requested;
  }

  function needsProgramming(gateway: KubeObject): boolean {
    if (!isCilium(gateway)) return false;
    const generation = gateway.metadata.generation ?? 1;
    const c = conditionOf(gateway, 'Programmed');
    if (c?.status !== 'True' || (c.observedGeneration ?? generation) < generation) return true;
    const have = (gateway.status?.addresses ?? []).map((a: any) => canonicalIp(String(a?.value))).sort();
    const want = requestedAddresses(gateway).map(canonicalIp).sort();
    return want.some((ip) => !have.includes(ip));
  }

  function considerGateway(gateway: KubeObject, delay = CILIUM_TIMINGS.programMs): void {
    if (gatewayControllerWorks && needsProgramming(gateway)) {
      const { namespace, name } = gateway.metadata;
      ctx.once(`gateway/${refOf(gateway)}`, delay, () => program(namespace, name));
    }
    if (gatewayControllerWorks && programmed(gateway)) for (const route of ctx.cache.list('httproutes')) considerRoute(route);
  }

  async function program(namespace: string | undefined, name: string): Promise<void> {
    const gateway = ctx.cache.get('gateways', namespace, name);
    if (!gateway || !needsProgramming(gateway)) return;
    const now = ctx.now();
    const generation = gateway.metadata.generation ?? 1;
    const addresses = addressesFor(gateway).map((value) => ({ type: 'IPAddress', value }));
    const routes = ctx.cache.list('httproutes');
    const previousListeners: any[] = gateway.status?.listeners ?? [];
    const listeners = (gateway.spec?.listeners ?? []).map((l: any) => ({
      name: l.name,
      supportedKinds: [
        { group: GATEWAY_GROUP, kind: 'HTTPRoute' },
        { group: GATEWAY_GROUP, kind: 'GRPCRoute' },
      ],
      attachedRoutes: routes.filter((r) => refsTo(r, gateway).some((p) => !p.sectionName || p.sectionName === l.name)).length,
      conditions: setConditions(previousListeners.find((p) => p.name === l.name)?.conditions ?? [], listenerConditions(), now, generation),
    }));
    // Why transition from the current conditions: the CRD's placeholders (Unknown, epoch) are replaced
    // with a real transition time, as the controller's first write does.
    await patchStatus(ctx, 'gateways', namespace, name, {
      addresses,
      conditions: setConditions(conditionsOf(gateway), gatewayConditions(), now, generation),
      listeners,
    });
    ctx.log(`cilium: Gateway ${refOf(gateway)} Programmed (${addresses.map((a) => a.value).join(', ')})`);
  }

  // ----- the HTTPRoutes

  function considerRoute(route: KubeObject): void {
    const gateways = ctx.cache.list('gateways').filter((g) => isCilium(g) && programmed(g) && refsTo(route, g).length);
    const parents: any[] = Array.isArray(route.status?.parents) ? route.status.parents : [];
    const missing = gateways.filter(
      (g) =>
        !parents.some(
          (p) =>
            p.parentRef?.name === g.metadata.name &&
            (p.parentRef?.namespace ?? route.metadata.namespace) === g.metadata.namespace &&
            p.controllerName === CONTROLLER_NAME,
        ),
    );
    if (!missing.length) return;
    const { namespace, name } = route.metadata;
    ctx.once(`route/${refOf(route)}`, CILIUM_TIMINGS.programMs, async () => {
      const current = ctx.cache.get('httproutes', namespace, name);
      if (!current) return;
      const now = ctx.now();
      const generation = current.metadata.generation ?? 1;
      const kept: any[] = Array.isArray(current.status?.parents) ? current.status.parents : [];
      const added = missing
        .flatMap((g) => refsTo(current, g))
        .map((parentRef) => ({
          parentRef,
          controllerName: CONTROLLER_NAME,
          conditions: setConditions([], routeConditions(), now, generation),
        }));
      await patchStatus(ctx, 'httproutes', namespace, name, { parents: [...kept, ...added] });
      ctx.log(`cilium: HTTPRoute ${refOf(current)} accepted by ${missing.map(refOf).join(', ')}`);
    });
  }

  return {
    name: 'cilium',
    kinds: ['deployments', 'gateways', 'httproutes', 'services'],
    synced() {
      // A controller that already programmed every Gateway is not the stuck one of seed issue 7.
      const gateways = ctx.cache.list('gateways').filter(isCilium);
      if (gateways.length && gateways.every(programmed)) gatewayControllerWorks = true;
    },
    changed(kind, object, type) {
      if (type === 'DELETED') return;
      if (kind === 'deployments' && isOperator(object)) considerOperator(object);
      else if (kind === 'gateways') considerGateway(object);
      else if (kind === 'httproutes' && gatewayControllerWorks) considerRoute(object);
    },
  };
}
