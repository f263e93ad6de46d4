/**
 * The check ids scripts rely on, written out by hand (not read from ALL_CHECKS) so that a renamed,
 * dropped or reordered check fails the tests that use this list.
 */
export const CONTRACT_IDS = [
  'flux.ready', 'flux.essential', 'flux.stuck', 'flux.immutable-conflict', 'flux.suspended',
  'foundation.storage', 'foundation.operators',
  'kopia.pvc-bound', 'kopia.volume-handle', 'kopia.reclaim-policy', 'kopia.not-flux-managed',
  'restores.copy-method', 'restores.ssa-if-not-present', 'restores.secrets', 'restores.progress', 'restores.app-pvcs', 'restores.apps-running', 'restores.count',
  'gateways.programmed', 'gateways.operator', 'gateways.health-checks',
  'loadbalancers.dual-stack-annotation', 'loadbalancers.external-ip', 'loadbalancers.status-families', 'loadbalancers.address-conflict',
  'dns.records',
] as const;
