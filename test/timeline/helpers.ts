/** Results builders for timeline tests: every check failing, and the results each phase needs to hold. */
import { ALL_CHECKS } from '../../src/checks/index.js';
import type { CheckResult, CheckStatus, FixId } from '../../src/checks/types.js';

export const T0 = Date.parse('2025-12-02T11:00:00Z');
export const MIN = 60_000;
/** T0 + n minutes. */
export const at = (minutes: number) => T0 + minutes * MIN;

export type Results = Record<string, CheckResult>;

/** One result; `fields` become evidence rows (restores.progress reads their field). */
export function result(id: string, status: CheckStatus, fields: string[] = [], fixes: FixId[] = []): CheckResult {
  const check = ALL_CHECKS.find((c) => c.id === id);
  return {
    id,
    panel: check?.panel ?? 'flux',
    status,
    summary: `${id} ${status}`,
    evidence: fields.map((field, i) => ({ kind: 'Thing', name: `x${i}`, field, value: field, status })),
    fixes,
  };
}

/** Every check failing with no evidence: no phase holds, and every phase fails (none undetermined). */
export function nothing(): Results {
  return Object.fromEntries(ALL_CHECKS.map((c) => [c.id, result(c.id, 'fail')]));
}

const pass = (...ids: string[]): Results => Object.fromEntries(ids.map((id) => [id, result(id, 'pass', ['ok'])]));

/** The results that make each phase hold (shared checks agree: later sets only strengthen earlier ones). */
export const HOLDS = {
  'flux-deployed': { 'flux.ready': result('flux.ready', 'warn', ['Ready']) },
  'infrastructure-ready': pass('flux.essential', 'foundation.storage', 'foundation.operators'),
  'readiness-checked': pass('flux.essential', 'foundation.storage', 'foundation.operators', 'flux.stuck'),
  'kopia-reclaimed': pass('kopia.pvc-bound', 'kopia.volume-handle', 'kopia.reclaim-policy', 'kopia.not-flux-managed'),
  'gateways-programmed': pass('gateways.programmed', 'gateways.operator'),
  'restores-triggered': { 'restores.progress': result('restores.progress', 'warn', ['running', 'done']) },
  'restores-complete': pass('restores.progress', 'restores.app-pvcs'),
  'restores-verified': pass(
    'restores.copy-method',
    'restores.secrets',
    'restores.progress',
    'restores.app-pvcs',
    'restores.count',
    'loadbalancers.dual-stack-annotation',
    'loadbalancers.external-ip',
    'loadbalancers.status-families',
    'loadbalancers.address-conflict',
    'dns.records',
  ),
  'apps-running': pass('restores.apps-running'),
} satisfies Record<string, Results>;

export type HoldKey = keyof typeof HOLDS;

/** Everything failing except the phases named. */
export function holding(...phases: HoldKey[]): Results {
  return Object.assign(nothing(), ...phases.map((p) => HOLDS[p]));
}

/** Every phase holding. */
export function allHolding(): Results {
  return holding(...(Object.keys(HOLDS) as HoldKey[]));
}
