/**
 * `drdeck demo --autopilot`: the demo's operator on autopilot. It applies the fix the runbook's
 * next step names as soon as it is offered, and every other fix that is offered and not
 * destructive, through the same runner (plan, access review, dry run, confirm, audit) as a key
 * press; it confirms what a person would confirm. Done when every phase of the timeline holds.
 */
import type { FixId } from '../checks/types.js';
import { ALL_FIXES, fixById } from '../fixes/index.js';
import type { Session } from '../session.js';
import { offeredFixes } from '../store/fixes-slice.js';
import { nextStep } from '../timeline/index.js';
import { PANELS } from '../checks/types.js';

export interface AutopilotResult {
  finished: boolean;
  /** One line per fix applied and per phase completed, in order. */
  log: string[];
}

/**
 * Fixes that do not depend on the runbook's order: applied whenever offered. The others (the
 * reclaim, the restores, a single reconcile) wait until the next step names them, as a person
 * following the runbook would; triggering restores before the repository is reclaimed only fails.
 */
const ANY_TIME: ReadonlySet<FixId> = new Set(['flux-reconcile-stuck', 'gateways-restart-operator', 'loadbalancers-dual-stack', 'dns-add-records']);

/** How often one fix may run: a fix that keeps being offered (Flux still coming up) is not spammed. */
const MAX_RUNS = 3;
/** Scenario time between two runs of the same fix: its effect needs a moment to come back. */
const COOLDOWN_MS = 60_000;

export function runAutopilot(session: Session, options: { deadlineMs: number; onLine?: (line: string) => void }): Promise<AutopilotResult> {
  const { store, cluster } = session;
  const log: string[] = [];
  const say = (line: string) => {
    log.push(line);
    options.onLine?.(line);
  };
  const runs = new Map<FixId, { count: number; last: number }>();
  const reported = new Map<FixId, string>();
  const completed = new Set<string>();
  const start = Date.now();

  const choose = (): FixId | undefined => {
    const state = store.getState();
    const offered = new Set(PANELS.flatMap((panel) => offeredFixes(state, panel)));
    const next = state.timeline ? nextStep(state.timeline, state.results, state.timelineSpec).fixId : undefined;
    const ready = (id: FixId) => {
      const r = runs.get(id);
      return offered.has(id) && (!r || (r.count < MAX_RUNS && cluster.now() - r.last >= COOLDOWN_MS));
    };
    if (next && ready(next)) return next;
    return ALL_FIXES.find((f) => ANY_TIME.has(f.id) && ready(f.id))?.id;
  };

  return new Promise((resolve) => {
    const timer = setInterval(() => {
      const state = store.getState();
      for (const [id, record] of Object.entries(state.timeline?.phases ?? {})) {
        if (record?.completedAt !== undefined && !completed.has(id)) {
          completed.add(id);
          say(`phase complete: ${state.timelineSpec.phases.find((p) => p.id === id)?.title ?? id}`);
        }
      }
      for (const activity of Object.values(state.fixes)) {
        if (!activity || !['done', 'failed', 'refused'].includes(activity.phase)) continue;
        const line = `${activity.phase === 'done' ? '✓' : '✗'} ${activity.fixId}: ${activity.message}`;
        if (reported.get(activity.fixId) !== line) {
          reported.set(activity.fixId, line);
          say(line);
        }
      }
      if (state.timeline?.finishedAt !== undefined || Date.now() - start > options.deadlineMs) {
        clearInterval(timer);
        resolve({ finished: state.timeline?.finishedAt !== undefined, log });
        return;
      }
      if (state.confirming) {
        const open = state.fixes[state.confirming.fixId];
        const confirm = open?.prepared?.plan.confirm;
        if (confirm?.kind === 'type' && state.confirming.typed !== confirm.text) state.typeConfirm(confirm.text);
        say(`→ ${open?.prepared?.plan.title ?? state.confirming.fixId}`);
        void store.getState().confirmFix();
        return;
      }
      const busy = Object.values(state.fixes).some((a) => a && ['preparing', 'running'].includes(a.phase));
      if (busy) return;
      const id = choose();
      if (!id || !fixById(id)) return;
      runs.set(id, { count: (runs.get(id)?.count ?? 0) + 1, last: cluster.now() });
      void state.requestFix(id);
    }, 50);
  });
}
