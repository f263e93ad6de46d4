/** Derived values the screens select. Pure functions of the state; each returns a primitive or a stable object. */
import { ALL_CHECKS } from '../checks/index.js';
import { PANEL_TITLES, type CheckStatus, type InputKey, type PanelId } from '../checks/types.js';
import { fixById } from '../fixes/index.js';
import { eta, formatSpan, nextStep, phaseProgress, totalMs } from '../timeline/index.js';
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

/**
 * The dashboard's timeline strip: "Flux deployed 12m 04s ago · ▶ Kopia reclaim 2m/1m late · ETA ~21m".
 * A string, so the header re-renders only when it reads differently.
 */
export function timelineStrip(state: Pick<DeckState, 'timeline' | 'timelineSpec' | 'now' | 'objects' | 'config'>, width = 200): string {
  const t0 = state.timeline?.t0 ?? fluxDeployedAt(state);
  if (t0 === undefined) return 'Flux not deployed yet (t, then 0 sets t0)';
  const sinceMs = Math.max(0, state.now - t0);
  let phase = '';
  let phaseShort = '';
  let tail: (span: (ms: number) => string) => string = () => '';
  if (state.timeline) {
    const timeline = state.timeline;
    const projection = eta(timeline, state.now, state.timelineSpec);
    if (projection.done) tail = (span) => `done in ${span(totalMs(timeline, state.now))}`;
    else {
      const current = phaseProgress(timeline, state.now, state.timelineSpec).find((p) => p.status === 'current' || p.status === 'regressed');
      if (current) {
        const late = current.late ? ' late' : '';
        phaseShort = `▶ ${current.title}${late}`;
        phase = `▶ ${current.title} ${current.actualMs === undefined ? '' : formatSpan(current.actualMs)}/${formatSpan(current.expected.maxMs)}${late}`;
      }
      tail = (span) => `ETA ~${span(projection.remaining.typicalMs)}`;
    }
  }
  // Whole minutes, for the narrowest variants: past a minute the seconds matter least.
  const minutes = (ms: number) => (ms < 60_000 ? formatSpan(ms) : formatSpan(Math.round(ms / 60_000) * 60_000));
  // The richest wording that fits: an 80-column bastion window gets the short one.
  const variants = [
    [`Flux deployed ${formatSpan(sinceMs)} ago`, phase, tail(formatSpan)],
    [`Flux deployed ${formatSpan(sinceMs)} ago`, phaseShort, tail(formatSpan)],
    [`Flux +${formatSpan(sinceMs)}`, phaseShort, tail(formatSpan)],
    [`Flux +${minutes(sinceMs)}`, phaseShort, tail(minutes)],
    [`Flux +${formatSpan(sinceMs)}`, tail(formatSpan)],
  ].map((parts) => parts.filter(Boolean).join(' · '));
  return variants.find((v) => [...v].length <= width) ?? variants[variants.length - 1];
}

/** The runbook step that applies now, with its fix key: "Next: Reclaim the Kopia repository … — c on Kopia". */
export function nextStepLine(state: Pick<DeckState, 'timeline' | 'timelineSpec' | 'results' | 'readOnly'>): string {
  if (!state.timeline) return '';
  const next = nextStep(state.timeline, state.results, state.timelineSpec);
  const fix = next.fixId && !state.readOnly ? fixById(next.fixId) : undefined;
  // The key first: on an 80-column screen the step's text is what gets cut.
  return `Next: ${fix ? `[${fix.key}] ${fix.label} on ${PANEL_TITLES[fix.panel]} · ` : ''}${next.text}`;
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
      // Data that was fresh once is stale since then; data never received is simply unreachable.
      notes.push(
        sync.since
          ? `stale since ${clockTime(sync.since)} (${label(key)}: ${sync.detail ?? 'retrying'})`
          : `cannot reach ${label(key)}: ${sync.detail ?? 'retrying'}`,
      );
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
