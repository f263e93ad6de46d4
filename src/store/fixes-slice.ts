/**
 * Fixes on keys: the fix the operator asked for, its plan and dry run on the confirm screen, the
 * run with its progress, and the outcome shown on the panel. A fix already preparing, awaiting
 * confirmation or running ignores its key: pressing twice never applies it twice. When drdeck is
 * stopped (a signal, the operator quitting) `interruptFixes` records what was in progress.
 */
import type { StateCreator } from 'zustand/vanilla';
import type { Cluster } from '../cluster.js';
import type { Router } from '../dns/router.js';
import type { FixId, Snapshot } from '../checks/types.js';
import { stillListing } from '../checks/unreachable.js';
import { ALL_FIXES, anyTarget, fixById } from '../fixes/index.js';
import { applyFix, missingAccess, prepareFix, recordNotApplied, type AccessAsk, type FixHost, type Prepared, type RunningAttempt } from '../fixes/runner.js';
import { isPlan, type FixTarget, type Plan, type PlanOptions } from '../fixes/types.js';
import type { AuditRecord } from '../state/audit-log.js';
import { snapshotOf } from './checks-slice.js';
import type { DeckState } from './deck-store.js';

export type FixPhase = 'preparing' | 'confirm' | 'running' | 'done' | 'failed' | 'refused' | 'cancelled';

export interface FixActivity {
  fixId: FixId;
  phase: FixPhase;
  /** The latest line: progress while running, the outcome or the refusal after. */
  message: string;
  /** Set from `confirm` on: what will be (or was) sent, and the dry run's answers. */
  prepared?: Prepared;
  startedAt: number;
  endedAt?: number;
}

/** What the fixes need from outside the store; absent in stores built only to look. */
export interface FixEnvironment {
  cluster: Cluster;
  /** The router's REST API, where one is configured (dns-add-records writes to it). */
  router?: Router;
  readOnly: boolean;
  audit(record: AuditRecord): void;
  /** Asks the DNS poller to ask again now (a fix following DNS answers). */
  refreshDns?(): void;
}

/** What the access review said about a fix's requests as planned now. */
export interface FixAccess {
  allowed: boolean;
  /** Each missing permission, whole: "needs patch on replicationdestinations.volsync.backube in default". */
  missing: readonly string[];
}

export interface FixesSlice {
  readOnly: boolean;
  fixes: Readonly<Partial<Record<FixId, FixActivity>>>;
  /**
   * The access review of every fix that has something to act on: a refused fix is left out of the
   * help bar and the next step. Unknown (not asked yet, or the server could not be asked) is offered.
   */
  fixAccess: Readonly<Partial<Record<FixId, FixAccess>>>;
  /**
   * Asks the API server whether the user may send what each applicable fix would send now (the
   * answers are cached for a minute in src/k8s). One review at a time; a failed one keeps what was known.
   */
  reviewAccess(): Promise<void>;
  /** The fix whose confirm screen is open, and what the operator typed so far. */
  confirming: { fixId: FixId; typed: string } | null;
  requestFix(fixId: FixId, target?: string, options?: Pick<PlanOptions, 'force' | 'withSource'>): Promise<void>;
  confirmFix(): Promise<void>;
  /** Closes the confirm screen without sending; `dryRun` records it as a dry run rather than a cancel. */
  cancelFix(options?: { dryRun?: boolean }): void;
  typeConfirm(text: string): void;
  eraseConfirm(): void;
  /**
   * drdeck is stopping (`reason`: `SIGHUP`, `quit`): every fix running is recorded as interrupted,
   * naming what it sent, and sends nothing more; a confirm screen open is recorded as not applied.
   * Synchronous, so a signal handler can exit right after. Returns one line per fix it recorded.
   */
  interruptFixes(reason: string): string[];
}

const BUSY: ReadonlySet<FixPhase> = new Set(['preparing', 'confirm', 'running']);

/**
 * The least real time a wait lasts before it may time out. Why: the demo's clock runs at --speed,
 * but an effect still takes real time to come back (the watch, the store's flush, a frame): at
 * 600x a 2-minute budget is 200 ms, less than that path takes on a busy machine. On a real cluster
 * the clock is real time, so only budgets shorter than this are lengthened.
 */
const MIN_REAL_WAIT_MS = 2_000;

/** A run's token: unique per run, readable in `kubectl get -o yaml` (an RFC3339 time, as the flux CLI uses). */
function tokenAt(now: number): string {
  return new Date(now).toISOString();
}

/** What a review planned: the access each fix's plan asks, and the inputs and time it was planned from. */
interface Planned {
  inputs: readonly unknown[];
  at: number;
  asks: ReadonlyMap<FixId, readonly AccessAsk[]>;
}

/**
 * How long a review's plans stand while nothing they read has changed; the server is still asked
 * each time, as RBAC may have changed. Why plans are kept: planning every fix over every object is
 * 250 ms at 20,000 objects, and the review runs each minute on a cluster where nothing moves. Why a
 * bound: a plan also reads the clock (a Flux object turns stuck with time alone), so a target that
 * comes with time alone is reviewed within this, and at once when anything else changes.
 */
const PLANS_STAND_MS = 10 * 60_000;

/** The distinct access questions of a plan's requests (a bulk plan patches thousands of objects in a few namespaces). */
function accessAsks(plan: Plan): AccessAsk[] {
  const asks = new Map<string, AccessAsk>();
  for (const r of plan.requests) {
    const key = `${r.verb} ${r.kind} ${r.namespace ?? ''} ${r.subresource ?? ''}`;
    if (!asks.has(key)) asks.set(key, { verb: r.verb, kind: r.kind, namespace: r.namespace, subresource: r.subresource });
  }
  return [...asks.values()];
}

/** The missing permissions of a runner's refusal ("not allowed: needs …; needs …"), or undefined for another refusal. */
function refusedAccess(message: string): FixAccess | undefined {
  const found = /^not allowed: (.+)$/.exec(message);
  return found ? { allowed: false, missing: found[1].split('; ') } : undefined;
}

const sameAccess = (a: FixAccess | undefined, b: FixAccess | undefined) =>
  a?.allowed === b?.allowed && (a?.missing ?? []).join('\n') === (b?.missing ?? []).join('\n');

/** `Kind/namespace/name` for a target, as `drdeck fix --target` and parseTarget take it. */
export function targetString(t: FixTarget): string {
  return t.namespace ? `${t.namespace}/${t.name}` : t.name;
}

export function createFixesSlice(env: FixEnvironment | undefined): StateCreator<DeckState, [], [], FixesSlice> {
  return (set, get, api) => {
    /** The attempts being applied, to interrupt them. */
    const running = new Map<FixId, RunningAttempt>();
    /**
     * Ends each wait of a fix that is following its effect. Why: an interrupted fix must let go of
     * its timers, or quitting the dashboard would leave drdeck running until the fix's timeout.
     */
    const waits = new Map<FixId, Set<(error: Error) => void>>();
    /** Fixes interrupted while their run still unwinds: a wait they start now ends at once. */
    const stopped = new Map<FixId, string>();
    const update = (fixId: FixId, patch: Partial<FixActivity>) => {
      const current = get().fixes[fixId];
      if (!current) return;
      set({ fixes: { ...get().fixes, [fixId]: { ...current, ...patch } } });
    };

    const host = (fixId: FixId): FixHost | undefined =>
      env && {
        cluster: env.cluster,
        ...(env.router ? { router: env.router } : {}),
        ...(env.refreshDns ? { refreshDns: env.refreshDns } : {}),
        config: get().config,
        readOnly: env.readOnly,
        // Tagged with the timeline it belongs to, so a report never mixes two runs of the demo.
        audit: (record) => env.audit({ ...record, ...(get().timeline ? { timeline: get().timeline!.startedAt } : {}) }),
        snapshot: () => snapshotOf(get()),
        progress: (line) => update(fixId, { message: line }),
        waitFor: <T>(what: string, timeoutMs: number, done: (s: Snapshot) => T | undefined) =>
          new Promise<T>((resolve, reject) => {
            if (stopped.has(fixId)) return reject(new Error(`interrupted (${stopped.get(fixId)})`));
            const deadline = env.cluster.now() + timeoutMs;
            const floor = Date.now() + MIN_REAL_WAIT_MS;
            let finished = false;
            const check = () => {
              if (finished) return;
              const result = done(snapshotOf(get()));
              if (result !== undefined) finish(() => resolve(result));
              else if (env.cluster.now() > deadline && Date.now() >= floor) finish(() => reject(new Error(`timed out: ${what}`)));
            };
            const finish = (then: () => void) => {
              finished = true;
              unsubscribe();
              clearInterval(timer);
              waits.get(fixId)?.delete(cancel);
              then();
            };
            const cancel = (error: Error) => finish(() => reject(error));
            waits.set(fixId, (waits.get(fixId) ?? new Set()).add(cancel));
            // Why both: effects arrive as store updates; the deadline passes on the clock alone.
            const unsubscribe = api.subscribe(check);
            const timer = setInterval(check, 250);
            check();
          }),
      };

    let reviewing = false;
    /** The last review's plans (PLANS_STAND_MS). */
    let planned: Planned | undefined;
    const setAccess = (fixId: FixId, access: FixAccess) => {
      if (!sameAccess(get().fixAccess[fixId], access)) set({ fixAccess: { ...get().fixAccess, [fixId]: access } });
    };

    return {
      readOnly: env?.readOnly ?? true,
      fixes: {},
      fixAccess: {},
      confirming: null,

      async reviewAccess() {
        if (!env || env.readOnly || reviewing) return;
        reviewing = true;
        try {
          const state = get();
          const now = env.cluster.now();
          const inputs = [state.objects, state.sync, state.dns, state.routerRecords, state.config];
          const stands = planned && now - planned.at < PLANS_STAND_MS && planned.inputs.every((input, i) => input === inputs[i]);
          if (!stands) {
            const snapshot = snapshotOf(state);
            const asks = new Map<FixId, readonly AccessAsk[]>();
            for (const fix of ALL_FIXES) {
              if (!anyTarget(fix, snapshot, state.config)) continue;
              const plan = fix.plan(snapshot, state.config, { token: tokenAt(now), now });
              // A router-only plan (dns-add-records) has nothing to review: the router has no RBAC.
              if (isPlan(plan) && plan.requests.length > 0) asks.set(fix.id, accessAsks(plan));
              // Why a turn of the event loop after each fix: at 20,000 objects the plans take
              // 150-250 ms together (every LoadBalancer Service's Git values, every stuck Flux
              // object's request); a key typed meanwhile waits for one plan, not for all of them.
              await new Promise((resolve) => setImmediate(resolve));
            }
            planned = { inputs, at: now, asks };
          }
          const reviews = [...planned!.asks].map(async ([fixId, asks]) => {
            const missing = await missingAccess(env.cluster, asks);
            setAccess(fixId, { allowed: missing.length === 0, missing });
          });
          await Promise.all(reviews);
        } catch {
          // The server could not be asked: what was known stays, and a key still asks on its own.
        } finally {
          reviewing = false;
        }
      },

      async requestFix(fixId, target, options = {}) {
        const fix = fixById(fixId);
        const fixHost = host(fixId);
        if (!fix || !fixHost || BUSY.has(get().fixes[fixId]?.phase ?? 'done')) return;
        const startedAt = fixHost.cluster.now();
        set({ fixes: { ...get().fixes, [fixId]: { fixId, phase: 'preparing', message: 'checking access and dry-running…', startedAt } } });
        const prepared = await prepareFix(fixHost, fix, { ...options, target, token: tokenAt(startedAt), now: startedAt });
        if (prepared.refused) {
          update(fixId, { phase: 'refused', message: prepared.message, endedAt: fixHost.cluster.now() });
          const access = refusedAccess(prepared.message);
          if (access) setAccess(fixId, access);
          return;
        }
        setAccess(fixId, { allowed: true, missing: [] });
        update(fixId, { phase: 'confirm', message: 'waiting for confirmation', prepared });
        set({ confirming: { fixId, typed: '' } });
      },

      async confirmFix() {
        const open = get().confirming;
        const activity = open && get().fixes[open.fixId];
        const fixHost = open && host(open.fixId);
        if (!open || !activity?.prepared || !fixHost) return;
        const { confirm } = activity.prepared.plan;
        if (confirm.kind === 'type' && open.typed !== confirm.text) return;
        set({ confirming: null });
        update(open.fixId, { phase: 'running', message: 'sending…' });
        stopped.delete(open.fixId);
        let attempt: RunningAttempt | undefined;
        const outcome = await applyFix(fixHost, activity.prepared, (started) => {
          attempt = started;
          running.set(open.fixId, started);
        });
        // Interrupted meanwhile: the activity says so already.
        if (attempt && running.get(open.fixId) !== attempt) return;
        running.delete(open.fixId);
        update(open.fixId, { phase: outcome.ok ? 'done' : 'failed', message: outcome.message, endedAt: fixHost.cluster.now() });
      },

      cancelFix(options = {}) {
        const open = get().confirming;
        const activity = open && get().fixes[open.fixId];
        const fixHost = open && host(open.fixId);
        if (!open) return;
        set({ confirming: null });
        const outcome = options.dryRun ? 'dry-run' : 'cancelled';
        if (activity?.prepared && fixHost) recordNotApplied(fixHost, activity.prepared, outcome);
        update(open.fixId, {
          phase: 'cancelled',
          message: options.dryRun ? 'dry run: nothing was sent' : 'cancelled: nothing was sent',
          endedAt: fixHost?.cluster.now(),
        });
      },

      typeConfirm(text) {
        const open = get().confirming;
        if (open) set({ confirming: { ...open, typed: open.typed + text } });
      },

      eraseConfirm() {
        const open = get().confirming;
        if (open) set({ confirming: { ...open, typed: open.typed.slice(0, -1) } });
      },

      interruptFixes(reason) {
        const lines: string[] = [];
        for (const [fixId, attempt] of running) {
          running.delete(fixId);
          const message = attempt.interrupt(reason);
          stopped.set(fixId, reason);
          for (const cancel of waits.get(fixId) ?? []) cancel(new Error(`interrupted (${reason})`));
          if (message === undefined) continue;
          lines.push(`${fixId}: ${message}`);
          update(fixId, { phase: 'failed', message, endedAt: env?.cluster.now() });
        }
        const open = get().confirming;
        const activity = open && get().fixes[open.fixId];
        const fixHost = open && host(open.fixId);
        if (open && activity?.prepared && fixHost) {
          set({ confirming: null });
          recordNotApplied(fixHost, activity.prepared, 'interrupted', reason);
          const message = `interrupted (${reason}) before it was confirmed: nothing was sent`;
          lines.push(`${open.fixId}: ${message}`);
          update(open.fixId, { phase: 'cancelled', message, endedAt: fixHost.cluster.now() });
        }
        return lines;
      },
    };
  };
}

/**
 * The fixes a panel offers now: not read-only, named by one of the panel's check results, and with
 * something to act on. Why from the results: the help bar selects this on every store update, and
 * a fix's targets walk the watched objects; the results keep their identity until a verdict
 * changes, so a panel whose checks name no fix (the usual case) costs nothing per batch.
 */
export function offeredFixes(state: Pick<DeckState, 'readOnly' | 'config' | 'results'> & Parameters<typeof snapshotOf>[0], panel: string): FixId[] {
  if (state.readOnly) return [];
  const named = namedFixes(state.results, panel);
  if (named.length === 0) return named;
  // Why not keyed on the objects or the results alone: under a steady write load the objects are
  // new on every batch, and a clock check's ages make new results every second, while a fix's
  // targets walk every object (12 ms at 20,000). A fix is offered when a result names it and it has
  // a target; the targets are looked at again when the fixes named change, when a sync state or the
  // DNS answers do, and otherwise at most every 10 s of the cluster's clock, and then only when an
  // object or a result changed meanwhile: a target that comes or goes while its fix stays named
  // shows in the help bar within 10 s (its key, pressed, plans afresh anyway). Why a result too: a
  // target that comes with time alone (a Flux object turning stuck) changes its check's verdict.
  // While nothing changes, nothing is walked (every 10 s, 19 MB of garbage a minute at 20,000).
  // While kinds are still connecting, each one's arrival is a new sync state: then the targets are
  // looked at again at most once a second, not 20 times (180 ms of a 20,000-object start).
  const connecting = stillListing(state.sync);
  const inputs = connecting ? ([named, 'connecting', state.dns, state.routerRecords] as const) : ([named, state.sync, state.dns, state.routerRecords] as const);
  const period = Math.floor(state.now / (connecting ? 1000 : OFFERED_REFRESH_MS));
  let byPanel = offeredCache.get(state.config);
  if (!byPanel) offeredCache.set(state.config, (byPanel = new Map()));
  let offered = byPanel.get(panel);
  if (
    !offered ||
    offered.inputs.some((input, i) => input !== inputs[i]) ||
    (period !== offered.period && (state.objects !== offered.objects || state.results !== offered.results))
  ) {
    const snapshot = snapshotOf(state);
    const ids = named.filter((id) => {
      const fix = ALL_FIXES.find((f) => f.id === id)!;
      return anyTarget(fix, snapshot, state.config);
    });
    offered = { inputs, period, objects: state.objects, results: state.results, ids };
    byPanel.set(panel, offered);
  }
  return offered.ids;
}

/** offeredFixes' answers by config, then panel, with what they were worked out from. */
interface Offered {
  inputs: readonly unknown[];
  /** The 10 s (while connecting, 1 s) of the clock they were looked at in. */
  period: number;
  objects: unknown;
  results: unknown;
  ids: FixId[];
}

const offeredCache = new WeakMap<object, Map<string, Offered>>();

/** How often, at most, offeredFixes walks the fixes' targets again while the fixes named stay the same. */
const OFFERED_REFRESH_MS = 10_000;

/** The panel's fixes that its results name, in the fix table's order; the same array while the results are. */
function namedFixes(results: DeckState['results'], panel: string): FixId[] {
  let byPanel = namedCache.get(results);
  if (!byPanel) namedCache.set(results, (byPanel = new Map()));
  let named = byPanel.get(panel);
  if (!named) {
    const wanted = new Set(Object.values(results).flatMap((r) => r.fixes));
    const ids = ALL_FIXES.filter((f) => f.panel === panel && wanted.has(f.id)).map((f) => f.id);
    // The same array for the same fixes, whatever results named them: what offeredFixes keys on.
    const key = `${panel}:${ids.join(' ')}`;
    named = namedArrays.get(key) ?? (namedArrays.set(key, ids), ids);
    byPanel.set(panel, named);
  }
  return named;
}

const namedCache = new WeakMap<object, Map<string, FixId[]>>();
/** One array per panel and set of fixes named (a few dozen at most: the fixes are a fixed table). */
const namedArrays = new Map<string, FixId[]>();

/**
 * The fixes the help bar lists for a panel: those offered, less those the access review refused.
 * Their keys still answer (with the missing permission, whole), but nothing invites pressing them.
 */
export function barFixes(state: Parameters<typeof offeredFixes>[0] & Pick<DeckState, 'fixAccess'>, panel: string): FixId[] {
  return offeredFixes(state, panel).filter((id) => state.fixAccess[id]?.allowed !== false);
}

/** Why a fix will not run, whole: what the access review said is missing, else the refusal of its last attempt. */
export function refusalText(state: Pick<DeckState, 'fixes' | 'fixAccess'>, fixId: FixId): string | undefined {
  // The review is the newer word on access: RBAC fixed meanwhile clears an old "not allowed".
  const access = state.fixAccess[fixId];
  if (access && !access.allowed) return `not allowed: ${access.missing.join('; ')}`;
  const activity = state.fixes[fixId];
  return activity?.phase === 'refused' && !refusedAccess(activity.message) ? activity.message : undefined;
}
