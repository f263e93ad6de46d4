/**
 * Panel Gateways: every Gateway Programmed (and "never reconciled" named as such, seed issue 7),
 * the cilium-operator that programs them, and the Flux health checks that would have caught it.
 */
import type { KubeObject } from '../cluster.js';
import type { Config } from '../config/schema.js';
import type { Check, CheckStatus, Evidence, Snapshot } from './types.js';
import {
  arr,
  at,
  condition,
  conditions,
  deploymentFinding,
  describeCondition,
  getObject,
  isEpoch,
  listObjects,
  missingRow,
  nameList,
  namespaceOf,
  parseRef,
  plural,
  refOf,
  row,
  str,
  verdict,
  worstOf,
  type Condition,
} from './util.js';

/**
 * The Gateways to check: every Gateway in the cluster, and each configured one (`gateways.names`)
 * even when it is missing (then `gateway` is undefined). `required` marks the configured ones, whose
 * absence is a failure; when no names are configured, every Gateway is required. Configured ones
 * first, in config order, then the others by `namespace/name`.
 */
export function targetGateways(snapshot: Snapshot, config: Config): Array<{ ref: string; gateway?: KubeObject; required: boolean }> {
  const all = listObjects(snapshot, 'gateways');
  if (config.gateways.names.length === 0) return all.map((g) => ({ ref: refOf(g), gateway: g, required: true }));
  const named = config.gateways.names.map((ref) => {
    const { namespace, name } = parseRef(ref);
    return { ref, gateway: getObject(snapshot, 'gateways', namespace, name), required: true };
  });
  const names = new Set(config.gateways.names);
  return [...named, ...all.filter((g) => !names.has(refOf(g))).map((g) => ({ ref: refOf(g), gateway: g, required: false }))];
}

/**
 * The Gateways the cilium Kustomization should health-check: the configured ones (every Gateway
 * when none are configured). Why not every Gateway: an app may bring a Gateway of its own, applied by
 * its own Kustomization; the cilium Kustomization health-checks the platform's Gateways only.
 */
export function requiredGateways(snapshot: Snapshot, config: Config): string[] {
  return targetGateways(snapshot, config)
    .filter((t) => t.required)
    .map((t) => t.ref);
}

/** The addresses in `status.addresses`, as written. */
export function gatewayAddresses(gateway: unknown): string[] {
  return arr(at(gateway, 'status', 'addresses'))
    .map((a) => str(at(a, 'value')))
    .filter((v): v is string => Boolean(v));
}

/** A condition its controller never wrote: the CRD's default, Unknown with an epoch time or "Waiting for controller". */
function untouched(c: Condition): boolean {
  return c.status === 'Unknown' && (isEpoch(c.lastTransitionTime) || /waiting for controller/i.test(c.message));
}

/**
 * Why a Gateway is not Programmed. "Never reconciled" (seed issue 7) only when no controller wrote
 * anything: no conditions at all, or only the CRD's defaults. Accepted=True without Programmed (or
 * with Programmed still the default) means the controller took it and is still programming it:
 * pending, a warning, not a failure.
 */
function unprogrammed(gateway: unknown): { status: CheckStatus; why: string; evidence: string; never: boolean } {
  const all = conditions(gateway);
  const programmed = all.find((c) => c.type === 'Programmed');
  const accepted = all.find((c) => c.type === 'Accepted');
  // Accepted is worth showing only when the controller wrote it and Programmed says nothing yet.
  const acceptedSays = accepted && !untouched(accepted) && (!programmed || untouched(programmed));
  const shown = [programmed ? describeCondition(programmed) : 'no Programmed condition', acceptedSays && `Accepted ${describeCondition(accepted)}`];
  const evidence = all.length ? shown.filter(Boolean).join('; ') : 'no conditions';
  const result = (status: CheckStatus, why: string, never = false) => ({ status, why, evidence, never });
  if (all.every(untouched)) return result('fail', 'never reconciled by its controller', true);
  if (programmed && !untouched(programmed)) {
    return result(programmed.status === 'False' ? 'fail' : 'warn', `Programmed ${programmed.status}${programmed.reason ? ` (${programmed.reason})` : ''}`);
  }
  if (accepted?.status === 'True') return result('warn', 'accepted, not programmed yet');
  if (accepted?.status === 'False') return result('fail', `not accepted${accepted.reason ? ` (${accepted.reason})` : ''}`);
  return result('warn', programmed ? 'not programmed yet' : 'no Programmed condition yet');
}

const programmed: Check = {
  id: 'gateways.programmed',
  panel: 'gateways',
  title: 'Gateways Programmed',
  scope: 'status',
  inputs: ['gateways'],
  evaluate(snapshot, config) {
    const targets = targetGateways(snapshot, config);
    if (!targets.length) return verdict('warn', 'no Gateways found', []);
    const problems: string[] = [];
    let neverReconciled = 0;
    const evidence: Evidence[] = targets.map(({ ref, gateway }) => {
      if (!gateway) {
        problems.push(`${ref} missing`);
        return missingRow('gateways', ref);
      }
      const c = condition(gateway, 'Programmed');
      const addresses = gatewayAddresses(gateway).join(', ') || 'no address';
      if (c?.status === 'True') return row('gateways', gateway, 'Programmed', `True; ${addresses}`, 'pass');
      const state = unprogrammed(gateway);
      if (state.never) neverReconciled++;
      problems.push(`${ref} ${state.why}`);
      return row('gateways', gateway, 'Programmed', `${state.evidence}; ${addresses}`, state.status);
    });
    const ok = targets.length - problems.length;
    if (!problems.length) {
      const addrs = targets.map(({ ref, gateway }) => `${ref} ${gatewayAddresses(gateway).join(', ') || 'no address'}`);
      return verdict('pass', `${ok}/${targets.length} Programmed: ${nameList(addrs, 2)}`, evidence);
    }
    const hint = neverReconciled ? ' (restart cilium-operator)' : '';
    const fixable = targets.some((t) => t.gateway) && 'gateways-restart-operator';
    return verdict(worstOf(evidence), `${ok}/${targets.length} Programmed: ${nameList(problems, 2)}${hint}`, evidence, {
      fixes: [fixable],
    });
  },
};

const operator: Check = {
  id: 'gateways.operator',
  panel: 'gateways',
  title: 'cilium-operator available',
  scope: 'status',
  inputs: ['deployments'],
  evaluate(snapshot, config) {
    const ref = config.gateways.ciliumOperator;
    const finding = deploymentFinding(snapshot, ref);
    if (!finding.problem) return verdict('pass', `operator available: ${ref}`, [finding.evidence]);
    return verdict('fail', `${finding.problem}: nothing programs the Gateways`, [finding.evidence], {
      fixes: [finding.exists && 'gateways-restart-operator'],
    });
  },
};

/** The healthChecks YAML of seed issue 7 for the given Gateways. */
function healthChecksYaml(kustomization: string, gateways: readonly string[]): string {
  const entries = gateways.flatMap((ref) => {
    const { namespace, name } = parseRef(ref);
    return ['    - apiVersion: gateway.networking.k8s.io/v1', '      kind: Gateway', `      name: ${name}`, `      namespace: ${namespace}`];
  });
  return [
    `Seed issue 7: add Gateway health checks to the Flux Kustomization ${kustomization}`,
    '(kubernetes/infrastructure/2-foundation/cilium/ks.yaml), so Flux reports an unprogrammed Gateway:',
    'spec:',
    '  healthChecks:',
    ...entries,
    '  timeout: 5m',
  ].join('\n');
}

const healthChecks: Check = {
  id: 'gateways.health-checks',
  panel: 'gateways',
  title: 'cilium Kustomization health-checks the Gateways',
  scope: 'spec',
  inputs: ['kustomizations'],
  optional: ['gateways'],
  evaluate(snapshot, config) {
    const ksRef = config.gateways.ciliumKustomization;
    const gateways = requiredGateways(snapshot, config);
    const { namespace, name } = parseRef(ksRef);
    const ks = getObject(snapshot, 'kustomizations', namespace, name);
    if (!ks) {
      return verdict(
        'warn',
        `Kustomization ${ksRef} not found: cannot see its health checks`,
        [missingRow('kustomizations', ksRef, 'exists', 'missing', 'warn')],
        {
          gitHint: healthChecksYaml(ksRef, gateways),
        },
      );
    }
    const ksNs = namespaceOf(ks) ?? '';
    const checked = new Set(
      arr(at(ks, 'spec', 'healthChecks'))
        .filter((h) => str(at(h, 'kind')) === 'Gateway')
        .map((h) => `${str(at(h, 'namespace')) || ksNs}/${str(at(h, 'name')) ?? ''}`),
    );
    const missing = gateways.filter((g) => !checked.has(g));
    const evidence = gateways.map((g) =>
      row('kustomizations', ks, 'spec.healthChecks', `Gateway ${g}: ${checked.has(g) ? 'checked' : 'not checked'}`, checked.has(g) ? 'pass' : 'warn'),
    );
    if (!missing.length) return verdict('pass', `${ksRef} health-checks ${plural(gateways.length, 'Gateway')}`, evidence);
    return verdict('warn', `no Gateway health checks in ${ksRef}: Flux says Ready while ${nameList(missing)} are unprogrammed`, evidence, {
      gitHint: healthChecksYaml(ksRef, missing),
    });
  },
};

/** The Gateways panel's checks, in display order. */
export const GATEWAYS_CHECKS: readonly Check[] = [programmed, operator, healthChecks];
