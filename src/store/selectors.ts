/** Derived values the screens select. Pure functions of the state; each returns a primitive or a stable object. */
import { ALL_CHECKS } from '../checks/index.js';
import { apiUnreachable, clockTime, UNREACHABLE_PREFIX, unreachableLine } from '../checks/unreachable.js';
import { parseTime } from '../checks/util.js';
import { PANEL_TITLES, type CheckStatus, type FixId, type InputKey, type PanelId } from '../checks/types.js';
import { fixById } from '../fixes/index.js';
import type { SourceRef } from '../preflight/types.js';
import { PANELS } from '../checks/types.js';
import { barFixes } from './fixes-slice.js';
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

/** fluxDeployedAt by Kustomization map and namespace: the map is replaced whenever a Kustomization changes. */
const deployedAt = new WeakMap<ReadonlyMap<string, unknown>, { namespace: string; at: number | undefined }>();

/** When Flux was deployed: the earliest creation time among the Flux namespace's Kustomizations. */
export function fluxDeployedAt(state: Pick<DeckState, 'objects' | 'config'>): number | undefined {
  const kustomizations = state.objects.kustomizations;
  const namespace = state.config.flux.namespace;
  // Why cached: the timeline asks on every clock tick, and at 20,000 objects the walk was most of a tick.
  const cached = deployedAt.get(kustomizations);
  if (cached && cached.namespace === namespace) return cached.at;
  let earliest: number | undefined;
  for (const ks of kustomizations.values()) {
    if (ks.metadata.namespace !== namespace) continue;
    // Why parseTime: a broken object's time may be a map, which Date.parse throws on converting.
    const t = parseTime(ks.metadata.creationTimestamp);
    if (t !== undefined && (earliest === undefined || t < earliest)) earliest = t;
  }
  deployedAt.set(kustomizations, { namespace, at: earliest });
  return earliest;
}

/**
 * The dashboard's timeline strip: "Flux deployed 12m 04s ago · ▶ Kopia reclaim 2m/1m late · ETA ~21m".
 * A string, so the header re-renders only when it reads differently.
 */
export function timelineStrip(state: Pick<DeckState, 'timeline' | 'timelineSpec' | 'now' | 'objects' | 'config'> & LeftState, width = 200): string {
  const t0 = state.timeline?.t0 ?? fluxDeployedAt(state);
  if (t0 === undefined) return 'Flux not deployed yet (t, then 0 sets t0)';
  const sinceMs = Math.max(0, state.now - t0);
  let phase = '';
  let phaseShort = '';
  let tail: (span: (ms: number) => string) => string = () => '';
  if (state.timeline) {
    const timeline = state.timeline;
    const projection = eta(timeline, state.now, state.timelineSpec);
    if (projection.done) {
      // The truth rather than "done": apps run, and what is still red is named with where to go.
      const left = whatIsLeft(state);
      const total = totalMs(timeline, state.now);
      const full = endStateLine(total, left);
      const short = endStateLine(total, left, true);
      // Narrower: the Git changes (this view's news) before the live fixes (their keys are in the bar).
      const gitOnly = endStateLine(total, { ...left, fixKeys: [] }, true);
      return [full, short, gitOnly, `${formatSpan(total)}${leftText(left, true)}`].find((v) => [...v].length <= width) ?? gitOnly;
    } else {
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

type ServerState = Pick<DeckState, 'sync' | 'server' | 'startedAt' | 'serverSilentSince'>;

/** How the silent-server line begins: what tells it apart in tests and on screen. */
export const SILENT_PREFIX = 'the API server';

/**
 * "the API server https://127.0.0.1:6443 stopped answering since 18:02:11" while the liveness probe
 * gets no answer (a frozen or hung server: its connections open, nothing comes back), else ''.
 */
export function silentNote(state: Pick<DeckState, 'server' | 'serverSilentSince'>, withServer = true): string {
  if (state.serverSilentSince === undefined) return '';
  return `${SILENT_PREFIX}${withServer && state.server ? ` ${state.server}` : ''} stopped answering since ${clockTime(state.serverSilentSince)}`;
}

/**
 * "cannot reach the API server https://127.0.0.1:6443: connection refused (since 18:02:11)" while
 * every watch fails because the server does not answer, else ''. Since: the last fresh data, or
 * drdeck's start when none ever came. A server that stopped answering says that instead.
 */
export function unreachableNote(state: ServerState, withServer = true): string {
  const silent = silentNote(state, withServer);
  if (silent) return silent;
  const unreachable = apiUnreachable(state.sync);
  if (!unreachable) return '';
  return unreachableLine(unreachable, withServer ? state.server : undefined, unreachable.lastFresh ?? state.startedAt);
}

/** The header's middle: the unreachable server when it is, else the timeline strip; the richest wording that fits `width`. */
export function headerStatus(state: ServerState & Parameters<typeof timelineStrip>[0], width = 200): string {
  const fits = (variants: string[]) => variants.find((v) => [...v].length <= width) ?? variants[variants.length - 1];
  if (state.serverSilentSince !== undefined) {
    const since = clockTime(state.serverSilentSince);
    return fits([silentNote(state), silentNote(state, false), `API server silent since ${since}`, 'API server silent']);
  }
  const unreachable = apiUnreachable(state.sync);
  if (!unreachable) return timelineStrip(state, width);
  const since = unreachable.lastFresh ?? state.startedAt;
  // The error before the time: "refused" or "timed out" says more at a glance than since when.
  const variants = [
    unreachableLine(unreachable, state.server, since),
    unreachableLine(unreachable, undefined, since),
    `${UNREACHABLE_PREFIX}: ${unreachable.error}`,
    `${UNREACHABLE_PREFIX} (since ${clockTime(since)})`,
    UNREACHABLE_PREFIX,
  ];
  return fits(variants);
}

/** What to do about an API server that does not answer, by why it does not. */
const REACH_ADVICE: Readonly<Record<string, string>> = {
  ConnectionRefused: 'is it running? (kube-apiserver, its VIP or load balancer)',
  Unreachable: "check the network path (VPN, DNS, firewall) and the kubeconfig's server",
  TLSError: "check the kubeconfig's certificate-authority and tls-server-name",
  Timeout: 'it does not answer in time: check the network path and the server',
  Unauthorized: 'renew the credentials (run kubectl get ns once to log in)',
};

type NextState = Pick<DeckState, 'timeline' | 'timelineSpec' | 'results' | 'readOnly'> &
  Partial<Pick<DeckState, 'fixAccess' | 'fixes'>> &
  ServerState &
  Partial<LeftState>;

/**
 * The fixes `Next:` offers, whose keys work from anywhere on the dashboard: the current phase's fix,
 * or, once every phase holds, each live fix still offered (DNS records, dual-stack and the like).
 * None while the server does not answer.
 */
export function nextFixIds(state: NextState): FixId[] {
  if (state.serverSilentSince !== undefined || apiUnreachable(state.sync) || !state.timeline) return [];
  const next = nextStep(state.timeline, state.results, state.timelineSpec);
  if (!next.phase) {
    if (!state.git || !state.objects || state.readOnly) return [];
    // The live fixes a red check asks for, each once: not one already tried that left its check red
    // (the cause is then in Git: Flux's reconcile fails on the PVC, a recreated RD comes back
    // IfNotPresent until the repository changes). Its panel still offers it.
    const asked = new Set(Object.values(state.results).flatMap((r) => (r.status === 'pass' ? [] : r.fixes)));
    const tried = (id: FixId) => ['done', 'failed', 'refused'].includes(state.fixes?.[id]?.phase ?? '');
    return liveFixesLeft(state as LeftState).filter((id) => asked.has(id) && !tried(id));
  }
  // A fix the access review refused is not offered: its key would only say "not allowed".
  const offered = next.fixId && !state.readOnly && state.fixAccess?.[next.fixId]?.allowed !== false;
  return offered ? [next.fixId!] : [];
}

/** The runbook step that applies now, with its fix key: "Next: [c] reclaim on Kopia · Reclaim the Kopia repository …". */
export function nextStepLine(state: NextState): string {
  // Why first: no runbook step can be judged (nor any Flux bootstrapped) without the server.
  if (state.serverSilentSince !== undefined) return `Next: ${silentNote(state)}: is kube-apiserver paused, overloaded or cut off? (Ctrl-R retries now)`;
  const unreachable = apiUnreachable(state.sync);
  if (unreachable) return `Next: reach the API server${state.server ? ` ${state.server}` : ''}: ${REACH_ADVICE[unreachable.reason] ?? unreachable.error}`;
  if (!state.timeline) return '';
  const next = nextStep(state.timeline, state.results, state.timelineSpec);
  const offers = nextFixIds(state)
    .map((id) => fixById(id))
    .filter((f) => f !== undefined)
    .map((fix) => `[${fix.key}] ${fix.label} on ${PANEL_TITLES[fix.panel]}`);
  // Every phase holds: the apps run; what is still red is said, with where it is cured.
  if (!next.phase && state.git && state.objects) {
    const left = whatIsLeft(state as LeftState);
    const red = redPanelsText(state.results);
    if (!left.git && !offers.length && !red) return `Next: ${next.text}`;
    const git = left.git ? [`${leftParts({ ...left, fixKeys: [] })[0]}${left.gitItems?.length ? `: ${[...new Set(left.gitItems)].join(', ')}` : ''}`] : [];
    return `Next: ${[...offers, `apps running, still red: ${red || 'nothing live'}`, ...git].join(' · ')}`;
  }
  // The key first: the step's text wraps under it.
  return `Next: ${offers.length ? `${offers.join(' · ')} · ` : ''}${next.text}`;
}

/** "✗6 on Flux, LoadBalancers, DNS": how many checks still fail, and on which panels (or '' when none). */
function redPanelsText(results: DeckState['results']): string {
  const red = Object.values(results).filter((r) => r.status === 'fail');
  const panels = PANELS.filter((p) => red.some((r) => r.panel === p)).map((p) => PANEL_TITLES[p]);
  return red.length ? `${SYMBOL_FAIL}${red.length} on ${panels.join(', ')}` : '';
}

const SYMBOL_FAIL = '✗';

function label(key: InputKey): string {
  return key === 'dns' ? 'DNS' : KINDS[key as KindKey].kind;
}

/**
 * What a panel should say about its data's freshness, or '' when all is live: "connecting",
 * "stale since 03:12:09 (Gateway: retrying in 4 s)", "Gateway: not installed".
 */
export function panelSyncNote(state: ServerState, panel: PanelId): string {
  // The whole server rather than one kind: every panel says the same.
  const down = unreachableNote(state);
  if (down) return down;
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

/** What the end state reads: the Git changes and the live fixes still to make. */
export interface Left {
  /** Changes left in Git: failing checklist items when a repository is loaded, else failing live checks whose cure is in Git. */
  git: number;
  /** True when `git` counts checklist items of a loaded repository. */
  fromRepo: boolean;
  /** The keys of the live fixes still offered (each one once, in the fix table's order). */
  fixKeys: string[];
  /** Where each Git change is: a failing checklist item's file (its last two segments), else a failing check's Git hint. */
  gitItems?: string[];
}

type LeftState = Pick<DeckState, 'results' | 'git'> & Parameters<typeof barFixes>[0];

/** The failing live checks whose cure is a change in Git (they carry a Git hint). */
export function gitCuredFailures(state: Pick<DeckState, 'results'>): number {
  return Object.values(state.results).filter((r) => r.status === 'fail' && r.gitHint).length;
}

/** The live fixes still offered on any panel (access refusals left out), in panel order. */
export function liveFixesLeft(state: LeftState): FixId[] {
  return [...new Set(PANELS.flatMap((panel) => barFixes(state, panel)))];
}

/** "volsync/kopia-repository-pvc.yaml": a repository file by its last two segments, enough to find it. */
function shortPath(file: string): string {
  return file.split('/').slice(-2).join('/');
}

/** What is left after (or during) a recovery: Git changes and live fixes. */
export function whatIsLeft(state: LeftState): Left {
  const git = state.git;
  const list = git.phase === 'ready' || git.phase === 'reading' ? git.checklist : undefined;
  const keys = liveFixesLeft(state)
    .map((id) => fixById(id)?.key)
    .filter((k): k is string => !!k);
  const failing = list ? list.items.filter((i) => i.status === 'fail') : [];
  return {
    git: list ? failing.length : gitCuredFailures(state),
    fromRepo: !!list,
    fixKeys: [...new Set(keys)],
    gitItems: list
      ? failing.map((item) => {
          const file = item.evidence.find((e) => e.status === 'fail' && e.file)?.file ?? item.evidence.find((e) => e.file)?.file;
          return file ? shortPath(file) : item.title;
        })
      : Object.values(state.results)
          .filter((r) => r.status === 'fail' && r.gitHint)
          .map((r) => `${r.id}: ${r.gitHint}`),
  };
}

/** " — 3 changes left in Git (g) — 1 live fix left (a)", or '' when nothing is. */
export function leftText(left: Left, short = false): string {
  return leftParts(left, short)
    .map((p) => ` — ${p}`)
    .join('');
}

/** "3 changes left in Git (g)", "1 live fix left (a)": what is left, each its own phrase. */
export function leftParts(left: Left, short = false): string[] {
  const parts: string[] = [];
  if (left.git) parts.push(short ? `${left.git} Git change${left.git === 1 ? '' : 's'} (g)` : `${left.git} change${left.git === 1 ? '' : 's'} left in Git (g)`);
  const n = left.fixKeys.length;
  if (n)
    parts.push(short ? `${n} fix${n === 1 ? '' : 'es'} (${left.fixKeys.join(' ')})` : `${n} live fix${n === 1 ? '' : 'es'} left (${left.fixKeys.join(' ')})`);
  return parts;
}

/** "apps running in 30m 29s — 3 changes left in Git (g)": the end state, never "done" beside red checks. */
export function endStateLine(totalMs: number, left: Left, short = false): string {
  return `apps running in ${formatSpan(totalMs)}${leftText(left, short)}`;
}

/** Where the object `Kind/namespace/name` is written in the repository, when one is loaded and applies it. */
export function gitSourceOf(state: Pick<DeckState, 'git'>, target: string | undefined): SourceRef | undefined {
  if (!target) return undefined;
  const git = state.git;
  const sources = git.phase === 'ready' || git.phase === 'reading' ? git.sources : undefined;
  return sources?.[target];
}
