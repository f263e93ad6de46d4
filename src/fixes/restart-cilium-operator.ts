/**
 * `gateways-restart-operator`: `kubectl rollout restart` of cilium-operator, whose Gateway
 * controller never programmed the Gateways (seed issue 7): the `restartedAt` annotation on the pod
 * template, the rollout followed as `kubectl rollout status` follows it, then the Gateways until
 * Programmed.
 */
import type { KubeObject } from '../cluster.js';
import { gatewayAddresses, targetGateways } from '../checks/gateways.js';
import type { Snapshot } from '../checks/types.js';
import { at, condition, deploymentAvailable, describeCondition, getObject, num, parseRef, str } from '../checks/util.js';
import type { Config } from '../config/schema.js';
import type { Fix, Plan } from './types.js';
import { errorText, kubectlCommand, mergePatch, noPlan, remaining, waitQuietly } from './util.js';

const TIMEOUT_MS = 5 * 60_000;
/** However long the rollout took, the Gateways get at least this long to be programmed. */
const GATEWAYS_MIN_MS = 60_000;
export const RESTARTED_AT = 'kubectl.kubernetes.io/restartedAt';

/** RFC 3339 to the second, as kubectl writes `restartedAt`. */
export function rfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

function unprogrammed(snapshot: Snapshot, config: Config): string[] {
  return targetGateways(snapshot, config)
    .filter((t) => t.gateway && condition(t.gateway, 'Programmed')?.status !== 'True')
    .map((t) => t.ref);
}

export type RolloutState = { state: 'done' | 'failed' | 'progressing'; detail: string };

/**
 * `kubectl rollout status` rules (kubectl polymorphichelpers/rollout_status.go): the controller saw
 * the new generation, every replica is updated, no old replica is left, every updated one is
 * available; failed on Progressing with reason ProgressDeadlineExceeded.
 */
export function rolloutState(deployment: KubeObject | undefined): RolloutState {
  if (!deployment) return { state: 'failed', detail: 'the Deployment is gone' };
  const generation = num(at(deployment, 'metadata', 'generation')) ?? 0;
  const observed = num(at(deployment, 'status', 'observedGeneration')) ?? 0;
  const replicas = num(at(deployment, 'spec', 'replicas')) ?? 1;
  const updated = num(at(deployment, 'status', 'updatedReplicas')) ?? 0;
  const current = num(at(deployment, 'status', 'replicas')) ?? 0;
  const available = num(at(deployment, 'status', 'availableReplicas')) ?? 0;
  const progressing = condition(deployment, 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded') return { state: 'failed', detail: `progress deadline exceeded: ${progressing.message}` };
  if (generation > observed) return { state: 'progressing', detail: 'waiting for the rollout to start' };
  if (updated < replicas) return { state: 'progressing', detail: `${updated} of ${replicas} new replicas updated` };
  if (current > updated) return { state: 'progressing', detail: `${current - updated} old replicas pending termination` };
  if (available < updated) return { state: 'progressing', detail: `${available} of ${updated} updated replicas available` };
  return { state: 'done', detail: `${updated}/${replicas} replicas updated and available` };
}

export const restartCiliumOperator: Fix = {
  id: 'gateways-restart-operator',
  title: 'Restart cilium-operator',
  dangerous: false,
  panel: 'gateways',
  key: 'o',
  label: 'restart operator',
  timeoutMs: TIMEOUT_MS,

  targets(snapshot, config) {
    const { namespace, name } = parseRef(config.gateways.ciliumOperator);
    const deployment = getObject(snapshot, 'deployments', namespace, name);
    if (!deployment || at(deployment, 'spec', 'paused') === true) return [];
    const needed = unprogrammed(snapshot, config).length > 0 || !deploymentAvailable(deployment);
    return needed ? [{ kind: 'deployments', namespace, name }] : [];
  },

  plan(snapshot, config, options) {
    const ref = config.gateways.ciliumOperator;
    const { namespace, name } = parseRef(ref);
    const deployment = getObject(snapshot, 'deployments', namespace, name);
    if (!deployment) return noPlan(`Deployment ${ref} not found (gateways.ciliumOperator)`);
    if (at(deployment, 'spec', 'paused') === true) {
      return noPlan(`Deployment ${ref} is paused and cannot be restarted: resume it first (kubectl rollout resume deployment/${name} -n ${namespace})`);
    }
    const waiting = unprogrammed(snapshot, config);
    if (!waiting.length && deploymentAvailable(deployment)) return noPlan(`nothing to do: every Gateway is Programmed and ${ref} is available`);
    const time = rfc3339(options.now ?? snapshot.now);
    const request = mergePatch(
      'deployments',
      namespace,
      name,
      { spec: { template: { metadata: { annotations: { [RESTARTED_AT]: time } } } } },
      `restart Deployment ${ref} (pod template annotation ${RESTARTED_AT})`,
    );
    const replicas = num(at(deployment, 'spec', 'replicas')) ?? 1;
    const details = [
      `Deployment ${ref}: ${num(at(deployment, 'status', 'availableReplicas')) ?? 0}/${replicas} available; Available ${describeCondition(condition(deployment, 'Available'))}`,
      ...targetGateways(snapshot, config).map((t) =>
        t.gateway ? `Gateway ${t.ref}: Programmed ${describeCondition(condition(t.gateway, 'Programmed'))}` : `Gateway ${t.ref}: missing`,
      ),
    ];
    const warnings = replicas === 0 ? [`${ref} has 0 replicas: the restart starts no operator`] : [];
    const plan: Plan = {
      fixId: 'gateways-restart-operator',
      title: `Restart ${ref} (rollout restart)`,
      targets: [{ kind: 'deployments', namespace, name }],
      requests: [request],
      commands: [
        `kubectl rollout restart deployment/${name} -n ${namespace}`,
        `kubectl rollout status deployment/${name} -n ${namespace}`,
        '# the same request with kubectl patch:',
        kubectlCommand(request),
      ],
      warnings,
      details,
      confirm: { kind: 'yes' },
      token: time,
    };
    return plan;
  },

  async run(plan, context, config) {
    const start = context.now();
    const request = plan.requests[0];
    const token = plan.token ?? '';
    context.progress(request.summary);
    let generation: number | undefined;
    try {
      const sent = await context.send(request);
      generation = sent ? num(sent.metadata.generation) : undefined;
    } catch (error) {
      return { ok: false, message: `${request.summary}: ${errorText(error)}` };
    }
    const ref = `${request.namespace}/${request.name}`;
    // Why the annotation and generation checks: until the watch delivers the patched object, the
    // old one looks like a finished rollout.
    const read = (snapshot: Snapshot): RolloutState => {
      const d = getObject(snapshot, 'deployments', request.namespace, request.name);
      if (d && (str(at(d, 'spec', 'template', 'metadata', 'annotations', RESTARTED_AT)) !== token || (num(d.metadata.generation) ?? 0) < (generation ?? 0))) {
        return { state: 'progressing', detail: 'waiting for the restart to show' };
      }
      return rolloutState(d);
    };
    let last = '';
    const rolled = await waitQuietly(context, `${ref} rolled out`, remaining(context, start, TIMEOUT_MS), (snapshot) => {
      const state = read(snapshot);
      if (state.detail !== last) context.progress(`${ref}: ${(last = state.detail)}`);
      return state.state === 'progressing' ? undefined : state;
    });
    const rollout = rolled ?? read(context.snapshot());
    if (rollout.state === 'failed') return { ok: false, message: `rollout of ${ref} failed: ${rollout.detail}` };
    if (rollout.state === 'progressing') return { ok: false, message: `rollout of ${ref} not finished after ${TIMEOUT_MS / 60_000} min: ${rollout.detail}` };

    const gateways = targetGateways(context.snapshot(), config)
      .filter((t) => t.gateway)
      .map((t) => parseRef(t.ref));
    context.progress(`${ref} rolled out; waiting for ${gateways.length} Gateways to be Programmed`);
    const lines = (snapshot: Snapshot) =>
      gateways.map(({ namespace, name }) => {
        const g = getObject(snapshot, 'gateways', namespace, name);
        const ok = condition(g, 'Programmed')?.status === 'True';
        return {
          ok,
          line: `${namespace}/${name}${ok ? ` ${gatewayAddresses(g).join(', ') || 'no address'}` : `: ${describeCondition(condition(g, 'Programmed'))}`}`,
        };
      });
    const budget = Math.max(GATEWAYS_MIN_MS, remaining(context, start, TIMEOUT_MS));
    const programmed = await waitQuietly(context, 'Gateways Programmed', budget, (snapshot) => {
      const now = lines(snapshot);
      return now.every((g) => g.ok) ? now : undefined;
    });
    const final = programmed ?? lines(context.snapshot());
    const ok = final.filter((g) => g.ok);
    const details = [`${ref}: ${rollout.detail}`, ...final.map((g) => g.line)];
    if (ok.length === final.length) {
      return {
        ok: true,
        message: `${ref} restarted (${rollout.detail}); ${ok.length}/${final.length} Gateways Programmed: ${final.map((g) => g.line).join('; ')}`,
        details,
      };
    }
    const bad = final.filter((g) => !g.ok).map((g) => g.line);
    return { ok: false, message: `${ref} restarted, but ${bad.length}/${final.length} Gateways not Programmed: ${bad.join('; ')}`, details };
  },
};
