/** Derived values the screens select. Pure functions of the state; each returns a primitive or a stable object. */
import { ALL_CHECKS } from '../checks/index.js';
import type { CheckStatus, InputKey, PanelId } from '../checks/types.js';
import { KINDS, type KindKey } from '../kinds.js';
import type { DeckState } from './deck-store.js';

const byPanel = new Map<PanelId, string[]>();
const inputsByPanel = new Map<PanelId, InputKey[]>();
for (const check of ALL_CHECKS) {
  byPanel.set(check.panel, [...(byPanel.get(check.panel) ?? []), check.id]);
  const inputs = new Set([...(inputsByPanel.get(check.panel) ?? []), ...check.inputs, ...(check.optional ?? [])]);
  inputsByPanel.set(check.panel, [...inputs]);
}

/** The ids of a panel's checks, in table order. */
export function panelCheckIds(panel: PanelId): readonly string[] {
  return byPanel.get(panel) ?? [];
}

/** When Flux was deployed: the earliest creation time among the Flux namespace's Kustomizations. */
export function fluxDeployedAt(state: Pick<DeckState, 'objects' | 'config'>): number | undefined {
  let earliest: number | undefined;
  for (const ks of state.objects.kustomizations.values()) {
    if (ks.metadata.namespace !== state.config.flux.namespace) continue;
    const t = Date.parse(ks.metadata.creationTimestamp ?? '');
    if (Number.isFinite(t) && (earliest === undefined || t < earliest)) earliest = t;
  }
  return earliest;
}

/** "12m 04s", "1h 02m": an elapsed time at the precision an operator reads. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (h > 0) return `${h}h ${String(m).padStart(2, '0')}m`;
  return `${m}m ${String(sec).padStart(2, '0')}s`;
}

function clockTime(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19);
}

function label(key: InputKey): string {
  return key === 'dns' ? 'DNS' : KINDS[key as KindKey].kind;
}

/**
 * What a panel should say about its data's freshness, or '' when all is live: "connecting",
 * "stale since 03:12:09 (Gateway: retrying in 4 s)", "Gateway: not installed".
 */
export function panelSyncNote(state: Pick<DeckState, 'sync'>, panel: PanelId): string {
  const notes: string[] = [];
  let connecting = false;
  for (const key of inputsByPanel.get(panel) ?? []) {
    const sync = state.sync[key];
    if (!sync || sync.phase === 'synced') continue;
    if (sync.phase === 'connecting') connecting = true;
    else if (sync.phase === 'retrying') {
      notes.push(`stale since ${sync.since ? clockTime(sync.since) : '?'} (${label(key)}: ${sync.detail ?? 'retrying'})`);
    } else if (sync.phase === 'forbidden') notes.push(`${label(key)}: forbidden`);
    else if (sync.phase === 'not-installed' && key !== 'dns') notes.push(`${label(key)}: not installed`);
  }
  if (notes.length) return notes[0] + (notes.length > 1 ? ` +${notes.length - 1}` : '');
  return connecting ? 'connecting…' : '';
}

/** How many of the checks have each status, as "✗2 !1 ✓4"-ready counts. */
export function countStatuses(statuses: readonly CheckStatus[]): Record<CheckStatus, number> {
  const counts: Record<CheckStatus, number> = { fail: 0, warn: 0, unknown: 0, pending: 0, pass: 0 };
  for (const s of statuses) counts[s]++;
  return counts;
}
