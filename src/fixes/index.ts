/**
 * Every fix, in panel order: the table the confirm screen, the help bar, read-only mode, the audit
 * log and the JSON output derive from.
 */
import type { FixId, Snapshot } from '../checks/types.js';
import type { Config } from '../config/schema.js';
import { addDnsRecords } from './add-dns-records.js';
import { makeDualStack } from './make-dual-stack.js';
import { reclaimKopia } from './reclaim-kopia.js';
import { reconcileFlux } from './reconcile-flux.js';
import { reconcileStuck } from './reconcile-stuck.js';
import { recreateRestore } from './recreate-restore.js';
import { restartCiliumOperator } from './restart-cilium-operator.js';
import { setCopyMethod } from './set-copy-method.js';
import { triggerRestores } from './trigger-restores.js';
import type { Fix } from './types.js';

export const ALL_FIXES: readonly Fix[] = [
  reconcileFlux,
  reconcileStuck,
  reclaimKopia,
  triggerRestores,
  setCopyMethod,
  recreateRestore,
  restartCiliumOperator,
  makeDualStack,
  addDnsRecords,
];

/**
 * Whether the fix has anything to act on now: `hasTargets` where the fix has it (cheaper to tell
 * than the targets themselves), else `targets(...).length > 0`.
 */
export function anyTarget(fix: Fix, snapshot: Snapshot, config: Config): boolean {
  return fix.hasTargets ? fix.hasTargets(snapshot, config) : fix.targets(snapshot, config).length > 0;
}

/** The fix with this id, if drdeck has it. */
export function fixById(id: FixId | string): Fix | undefined {
  return ALL_FIXES.find((f) => f.id === id);
}

export {
  isPlan,
  routerRequestsOf,
  type Fix,
  type FixOutcome,
  type FixTarget,
  type NoPlan,
  type Plan,
  type PlanOptions,
  type PlannedRequest,
  type PlannedRouterRequest,
  type RunContext,
  type TargetKind,
} from './types.js';
export { formatTarget, parseTarget, kubectlCommand } from './util.js';
export {
  checkRouterPlan,
  dryRunPlan,
  NO_ROUTER,
  ROUTER_NO_DRY_RUN,
  routerRecordText,
  sendPlanned,
  sendRouterRequest,
  type DryRunResult,
  type RouterCheckResult,
} from './send.js';
